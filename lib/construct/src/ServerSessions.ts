import * as path from 'node:path';
import {
  DEFAULT_ABSOLUTE_TIMEOUT_SECONDS,
  type SessionAccess,
  TABLE_SCHEMA,
} from '@lambda-sessions/dynamodb/table';
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ExpirySweeper } from './ExpirySweeper';
import { grantSessionAccess } from './grants';
import type { MultiRegionTopology } from './topology';

const OWNER_INDEX = TABLE_SCHEMA.ownerIndex;
const EXPIRY_INDEX = TABLE_SCHEMA.expiryIndex;

/** The key rotation function's runtime; its bundle, built with the package, targets the same version. */
export const KEY_ROTATION_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * The rotation function as the package ships it: bundled at build time (rotation/handler.ts), so
 * a stack that uses the construct needs neither this package's sources nor a bundler.
 */
const KEY_ROTATION_ASSET = path.join(__dirname, '..', 'assets', 'key-rotation');

/** How often a new signing key takes over unless told otherwise. */
export const DEFAULT_KEY_ROTATION_INTERVAL = Duration.days(30);

/**
 * How often Secrets Manager runs the rotation function: as often as it allows. Each run decides
 * on the key set's own times (`rotateSigningKeySet`): a new key takes over every
 * `keyRotationInterval`, and a demoted key is retired at the first run past its retire delay.
 * A `rate()` in hours runs within the first hour of each window, so runs are at most 5 hours
 * apart; a daily one may run at any hour of the day, up to 2 days apart.
 */
const KEY_ROTATION_SCHEDULE = Duration.hours(4);

/** The range of `keyRotationInterval`: a key waits a day before it signs; Secrets Manager's longest schedule. */
const KEY_ROTATION_INTERVAL_DAYS = { min: 1, max: 1000 } as const;

/** What the rotation function may do with the secret: the four rotation steps, nothing else. */
export const KEY_ROTATION_ACTIONS = [
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
] as const;

/**
 * A strongly consistent global table: `ServerSessionsProps.multiRegion`. The names are physical,
 * the same in every region, so the other regions' stacks (`ServerSessionsReplica`) find the
 * table and the secret without a reference across regions.
 */
export interface MultiRegionSessionsProps {
  /** The regions (`multiRegionTopology`); this stack must be in the first, the primary. */
  readonly topology: MultiRegionTopology;
  /** The table's name in every region. @default `<stack name>-sessions` */
  readonly tableName?: string;
  /** The signing-key secret's name in every region. @default `<stack name>/session-signing-keys` */
  readonly secretName?: string;
}

/** What the other regions' stacks need of a multi-region `ServerSessions`: plain names, no tokens. */
export interface SessionReplication {
  /** The regions: the first is the primary, where the table and the secret are created. */
  readonly topology: MultiRegionTopology;
  /** The table's physical name, the same in every region. */
  readonly tableName: string;
  /** The signing-key secret's name, the same in every region (its ARN differs by region). */
  readonly secretName: string;
}

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
  /**
   * How often a new signing key takes over: the key distributed (verify-only) since the last
   * takeover starts signing, and a new verify-only key is distributed. From 1 to 1000 days. The
   * rotation function runs every 4 hours whatever this is; besides takeovers, it retires each
   * demoted key hours after its retire delay has passed.
   * @default 30 days
   */
  readonly keyRotationInterval?: Duration;
  /**
   * The handlers' absolute session timeout (`SESSION_ABSOLUTE_TIMEOUT_SECONDS`): a demoted key
   * keeps verifying until every cookie it signed has expired.
   * @default DEFAULT_ABSOLUTE_TIMEOUT_SECONDS (12 hours)
   */
  readonly absoluteTimeoutSeconds?: number;
  /**
   * One table for several regions: a DynamoDB global table with multi-region strong consistency
   * (MRSC), so a logout or a revoke in one region holds in every region at once. This stack
   * creates it, with replicas (and the witness) in the topology's other regions, and replicates
   * the secret to the other replica regions; rotation and the expiry sweep run here only. MRSC
   * allows no TTL: the table gets the sparse `byExpiry` index instead, an `ExpirySweeper` deletes
   * expired sessions every hour, and `grantSessionAccess` tells the functions to write the expiry
   * bucket it reads (`SESSION_EXPIRY=sweeper`). The other regions' stacks use `ServerSessionsReplica`.
   * @default - one table in this stack's region, expired sessions removed by TTL
   */
  readonly multiRegion?: MultiRegionSessionsProps;
}

/**
 * Server-side session storage for Lambda handlers: a DynamoDB table keyed by the hashed session
 * id with TTL on `expiresAt` and point-in-time recovery, and a Secrets Manager secret holding the
 * signing keys, generated at deploy time so no key appears in the template or in the repository.
 *
 * The keys rotate on a schedule, in two phases (the package README): a rotation function, run
 * every 4 hours, turns the generated key into a key-set document (the key that signs, a
 * verify-only `next` key, the `previous` keys that still verify), promotes `next` to signing
 * every `keyRotationInterval`, so no container meets a cookie signed with a key it has not
 * picked up yet, and retires a demoted key once every cookie it signed has expired.
 *
 * @example
 * const sessions = new ServerSessions(this, 'Sessions', { disposable: false });
 * const index = new NodejsFunction(this, 'Index', { entry: 'src/index.ts' });
 * sessions.grantSessionAccess(index, 'read-refresh'); // GetItem, UpdateItem, the secret; env vars
 */
export class ServerSessions extends Construct {
  readonly table: dynamodb.TableV2;
  readonly secret: secretsmanager.Secret;
  readonly rotationFunction: lambda.Function;
  /** With `multiRegion`: the names and regions the other regions' `ServerSessionsReplica` use. */
  readonly replication?: SessionReplication;
  /** With `multiRegion`: the scheduled function that deletes expired sessions (the table has no TTL). */
  readonly expirySweeper?: ExpirySweeper;

  constructor(scope: Construct, id: string, props: ServerSessionsProps = {}) {
    super(scope, id);
    const disposable = props.disposable ?? false;
    const removalPolicy = disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    this.replication = props.multiRegion && this.replicationIn(props.multiRegion);
    const otherReplicas = this.replication?.topology.replicaRegions.slice(1) ?? [];

    // Lists a user's sessions; sparse: only sessions with an owner are written to it.
    const ownerIndex: dynamodb.GlobalSecondaryIndexPropsV2 = {
      indexName: OWNER_INDEX.indexName,
      partitionKey: { name: OWNER_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: OWNER_INDEX.sortKey, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...OWNER_INDEX.projectedAttributes],
    };
    // What the sweeper reads instead of TTL; sparse: only items written with an expiry bucket.
    const expiryIndex: dynamodb.GlobalSecondaryIndexPropsV2 = {
      indexName: EXPIRY_INDEX.indexName,
      partitionKey: { name: EXPIRY_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    };
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(props.maxThroughput),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: !disposable,
      removalPolicy,
      ...(this.replication === undefined
        ? { timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute, globalSecondaryIndexes: [ownerIndex] }
        : {
            tableName: this.replication.tableName,
            multiRegionConsistency: dynamodb.MultiRegionConsistency.STRONG,
            replicas: otherReplicas.map((region) => ({ region })),
            witnessRegion: this.replication.topology.witnessRegion,
            globalSecondaryIndexes: [ownerIndex, expiryIndex],
          }),
    });

    this.secret = new secretsmanager.Secret(this, 'SigningKeys', {
      description:
        'Session cookie signing keys: a key-set document (current signs; next and previous only verify) or a comma-separated list (the first signs)',
      // 64 letters and digits: one key of 64 bytes, which the first rotation makes the current key.
      generateSecretString: { excludePunctuation: true, passwordLength: 64 },
      removalPolicy,
      // Rotated here only: Secrets Manager copies each new version to the replicas.
      ...(this.replication === undefined
        ? {}
        : {
            secretName: this.replication.secretName,
            replicaRegions: otherReplicas.map((region) => ({ region })),
          }),
    });

    const interval = props.keyRotationInterval ?? DEFAULT_KEY_ROTATION_INTERVAL;
    const { min, max } = KEY_ROTATION_INTERVAL_DAYS;
    const days = interval.toDays({ integral: false });
    if (days < min || days > max) {
      throw new Error(
        `keyRotationInterval: expected from ${min} to ${max} days, got ${interval.toHumanString()}`,
      );
    }
    this.rotationFunction = this.keyRotationFunction(
      removalPolicy,
      props.absoluteTimeoutSeconds ?? DEFAULT_ABSOLUTE_TIMEOUT_SECONDS,
      interval.toSeconds(),
    );
    // Handed over as a reference: given the function itself, CDK would also grant it
    // GetRandomPassword on "*" and the secret's ARN with a wildcard suffix. Its role and the
    // permission to invoke it are set here instead, each as narrow as the rotation needs.
    this.rotationFunction.addPermission('InvokedBySecretsManager', {
      principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
      sourceArn: this.secret.secretArn,
    });
    const schedule = this.secret.addRotationSchedule('KeyRotation', {
      rotationLambda: lambda.Function.fromFunctionAttributes(this, 'KeyRotationFunctionRef', {
        functionArn: this.rotationFunction.functionArn,
        sameEnvironment: true,
        skipPermissions: true,
      }),
      automaticallyAfter: KEY_ROTATION_SCHEDULE,
    });
    schedule.node.addDependency(this.rotationFunction.node.findChild('InvokedBySecretsManager'));

    if (this.replication !== undefined) {
      this.expirySweeper = new ExpirySweeper(this, 'ExpirySweeper', { table: this.table, removalPolicy });
    }
  }

  /** `multiRegion` with its defaults, refused unless this stack is in the primary region. */
  private replicationIn(multiRegion: MultiRegionSessionsProps): SessionReplication {
    const stack = Stack.of(this);
    const primary = multiRegion.topology.replicaRegions[0];
    if (stack.region !== primary) {
      throw new Error(
        `ServerSessions multiRegion: the stack must be in the primary region ${primary} (the first ` +
          `replica region), got ${Token.isUnresolved(stack.region) ? 'an environment-agnostic stack' : stack.region}; ` +
          'give the stack an explicit env, and use ServerSessionsReplica in the other regions',
      );
    }
    return {
      topology: multiRegion.topology,
      tableName: multiRegion.tableName ?? `${stack.stackName}-sessions`,
      secretName: multiRegion.secretName ?? `${stack.stackName}/session-signing-keys`,
    };
  }

  /** The rotation function: its own role (the four rotation steps on this secret), log group and bundle. */
  private keyRotationFunction(
    removalPolicy: RemovalPolicy,
    absoluteTimeoutSeconds: number,
    rotateAfterSeconds: number,
  ): lambda.Function {
    const logGroup = new logs.LogGroup(this, 'KeyRotationLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    const role = new iam.Role(this, 'KeyRotationRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Rotates the session signing keys',
    });
    logGroup.grantWrite(role);
    role.addToPolicy(
      new iam.PolicyStatement({ actions: [...KEY_ROTATION_ACTIONS], resources: [this.secret.secretArn] }),
    );

    const fn = new lambda.Function(this, 'KeyRotationFunction', {
      code: lambda.Code.fromAsset(KEY_ROTATION_ASSET),
      handler: 'index.handler',
      runtime: KEY_ROTATION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // A step makes at most three Secrets Manager calls, each bounded to about four seconds.
      timeout: Duration.seconds(30),
      role,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: Stack.of(this).stackName,
        // The retire delay follows the handlers' absolute timeout; the refresh interval and the
        // promote delay are the library's defaults (rotation/config.ts).
        SESSION_ABSOLUTE_TIMEOUT_SECONDS: String(absoluteTimeoutSeconds),
        // How often a new key takes over, decided at each run on the key set's own times.
        SESSION_KEY_ROTATE_AFTER_SECONDS: String(rotateAfterSeconds),
      },
    });
    Validations.of(fn).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Invoked by Secrets Manager, which waits for each rotation step, retries it and records a ' +
        'failed rotation on the secret: no event is left that a dead-letter queue could keep.',
    });
    Validations.of(fn).acknowledge({
      id: 'Serverless-LambdaTracing',
      reason:
        'X-Ray is off to keep IAM minimal (it needs xray:PutTraceSegments on "*"); each step is ' +
        'logged as one JSON line with the secret and version it worked on.',
    });
    return fn;
  }

  /**
   * Grants `fn` exactly the DynamoDB actions `access` needs on the session table (no Scan, Query
   * or Batch), Query on the owner index for `manage` only (that index's ARN, not `index/*`),
   * `secretsmanager:GetSecretValue` on the signing-key secret only, and sets
   * its `TABLE_NAME` and `SESSION_SECRET_ARN` environment variables (and, with `multiRegion`,
   * `SESSION_EXPIRY=sweeper`).
   * @example sessions.grantSessionAccess(logoutFunction, 'logout');
   */
  grantSessionAccess(fn: lambda.Function, access: SessionAccess): void {
    grantSessionAccess(fn, access, {
      tableName: this.table.tableName,
      tableArn: this.table.tableArn,
      secretId: this.secret.secretArn,
      secretResource: this.secret.secretArn,
      swept: this.replication !== undefined,
    });
  }
}
