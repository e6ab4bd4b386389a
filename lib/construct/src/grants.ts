import { type SessionAccess, TABLE_SCHEMA } from '@lambda-sessions/dynamodb/table';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * The environment variables `grantSessionAccess` sets on a function: the table's name, the
 * signing-key secret (its ARN; in a replica region its name, as the ARN's random suffix is only
 * known in the primary), for the handler to give `SessionManager` and `SecretsManagerKeys`, and,
 * on a multi-region table only, `SESSION_EXPIRY=sweeper` (the library's `expiry` option).
 */
export const SESSION_ENVIRONMENT = {
  tableName: 'TABLE_NAME',
  secretArn: 'SESSION_SECRET_ARN',
  expiry: 'SESSION_EXPIRY',
} as const;

/** The DynamoDB actions each kind of access needs on the table; never Scan, Query or a Batch* action. */
export const SESSION_TABLE_ACTIONS: Readonly<Record<SessionAccess, readonly string[]>> = {
  'read-refresh': ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  login: ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem'],
  logout: ['dynamodb:DeleteItem', 'dynamodb:PutItem'],
  manage: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem'],
};

/** The actions each kind of access needs on the owner index (`<table>/index/byOwner`): Query, for `manage` only. */
export const OWNER_INDEX_ACTIONS: Readonly<Record<SessionAccess, readonly string[]>> = {
  'read-refresh': [],
  login: [],
  logout: [],
  manage: ['dynamodb:Query'],
};

/** Where a function's session grants point: this region's table and secret. */
export interface SessionResources {
  readonly tableName: string;
  readonly tableArn: string;
  /** What the function passes to `GetSecretValue`: the secret's ARN, or its name in a replica region. */
  readonly secretId: string;
  /** The secret's ARN in the policy (in a replica region, with `-??????` for the random suffix). */
  readonly secretResource: string;
  /** The table has no TTL: the function writes the expiry bucket the sweeper reads. */
  readonly swept: boolean;
}

/**
 * The grants and variables of `ServerSessions.grantSessionAccess` and
 * `ServerSessionsReplica.grantSessionAccess`, one implementation for both.
 */
export function grantSessionAccess(
  fn: lambda.Function,
  access: SessionAccess,
  resources: SessionResources,
): void {
  // Not table.grant(): on a table with an index it also grants the actions on `index/*`.
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: [...SESSION_TABLE_ACTIONS[access]], resources: [resources.tableArn] }),
  );
  const indexActions = OWNER_INDEX_ACTIONS[access];
  if (indexActions.length > 0) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...indexActions],
        resources: [`${resources.tableArn}/index/${TABLE_SCHEMA.ownerIndex.indexName}`],
      }),
    );
  }
  // Not secret.grantRead(): it also grants DescribeSecret, which the handlers never call.
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue'],
      resources: [resources.secretResource],
    }),
  );
  fn.addEnvironment(SESSION_ENVIRONMENT.tableName, resources.tableName);
  fn.addEnvironment(SESSION_ENVIRONMENT.secretArn, resources.secretId);
  if (resources.swept) fn.addEnvironment(SESSION_ENVIRONMENT.expiry, 'sweeper');
}
