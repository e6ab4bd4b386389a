import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { SessionAccess } from '../lambda/contract';
import { TABLE_SCHEMA } from '../lambda/session/index';

/** The DynamoDB actions each kind of access needs; never Scan, Query or a Batch* action. */
export const SESSION_TABLE_ACTIONS: Readonly<Record<SessionAccess, readonly string[]>> = {
  'read-refresh': ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  login: ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem'],
  logout: ['dynamodb:DeleteItem'],
};

export interface ServerSessionsProps {
  /**
   * A throwaway deployment (tests, previews): the table loses deletion protection and, like the
   * secret, is deleted with the stack. Sessions are then lost on `cdk destroy`, which is the point.
   * @default false - the table is deletion-protected and retained, the secret retained
   */
  readonly disposable?: boolean;
  /**
   * On-demand throughput caps, in request units per second: requests beyond them are throttled
   * (the app answers 503), which bounds what a flood can cost.
   * @default - no cap
   */
  readonly maxThroughput?: dynamodb.MaxThroughputProps;
}

/**
 * Server-side session storage for Lambda handlers: a DynamoDB table keyed by the hashed session
 * id with TTL on `expiresAt` and point-in-time recovery, and a Secrets Manager secret holding the
 * signing keys (comma-separated, the first signs, all verify), generated at deploy time so the
 * key never appears in the template or in the repository.
 *
 * Rotate keys by putting `new,old` into the secret: cookies signed with the old key keep working
 * and are re-signed with the new one.
 *
 * @example
 * const sessions = new ServerSessions(this, 'Sessions', { disposable: false });
 * const index = new NodejsFunction(this, 'Index', { entry: 'lambda/index.ts' });
 * sessions.grantSessionAccess(index, 'read-refresh'); // GetItem, UpdateItem, the secret; env vars
 */
export class ServerSessions extends Construct {
  readonly table: dynamodb.TableV2;
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: ServerSessionsProps = {}) {
    super(scope, id);
    const disposable = props.disposable ?? false;
    const removalPolicy = disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(props.maxThroughput),
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: !disposable,
      removalPolicy,
    });

    this.secret = new secretsmanager.Secret(this, 'SigningKeys', {
      description: 'Session cookie signing keys, comma-separated: the first signs, all verify',
      generateSecretString: { excludePunctuation: true, passwordLength: 64 },
      removalPolicy,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret is a key ring, not a password: keys rotate by putting a new key first and ' +
        'keeping the old ones, so existing cookies still verify and are re-signed. A rotation ' +
        'Lambda replacing the value would log every user out at once.',
    });
  }

  /**
   * Grants `fn` exactly the DynamoDB actions `access` needs on the session table (no index, no
   * Scan/Query/Batch), `secretsmanager:GetSecretValue` on the signing-key secret only, and sets
   * its `TABLE_NAME` and `SESSION_SECRET_ARN` environment variables.
   * @example sessions.grantSessionAccess(logoutFunction, 'logout');
   */
  grantSessionAccess(fn: lambda.Function, access: SessionAccess): void {
    this.table.grant(fn, ...SESSION_TABLE_ACTIONS[access]);
    // Not secret.grantRead(): it also grants DescribeSecret, which the handlers never call.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.secret.secretArn],
      }),
    );
    fn.addEnvironment('TABLE_NAME', this.table.tableName);
    fn.addEnvironment('SESSION_SECRET_ARN', this.secret.secretArn);
  }
}
