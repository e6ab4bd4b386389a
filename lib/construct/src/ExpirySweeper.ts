import * as path from 'node:path';
import { TABLE_SCHEMA } from '@lambda-sessions/dynamodb/table';
import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The sweeper's runtime; its bundle, built with the package, targets the same version. */
export const EXPIRY_SWEEP_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** How often the sweeper runs unless told otherwise: each run sweeps the hours that have passed. */
export const DEFAULT_EXPIRY_SWEEP_SCHEDULE = Duration.hours(1);

/**
 * The sweeper's timeout. A run queries 192 buckets (24 hours of 8 shards) and deletes each
 * expired session, 8 at a time: seconds for an hour's sessions, longer after missed runs. A run
 * cut short (it stops 10 s before this) leaves the rest to the next, whose lookback covers it.
 */
export const EXPIRY_SWEEP_TIMEOUT = Duration.minutes(15);

/**
 * What the sweeper may do, and where: `Query` on the expiry index (`<table>/index/byExpiry`) and
 * `DeleteItem` on the table. Nothing else: no Scan, no read or write of an item's data.
 */
export const EXPIRY_SWEEP_ACTIONS = {
  index: ['dynamodb:Query'],
  table: ['dynamodb:DeleteItem'],
} as const;

/** The schedule's range: the lookback is 24 hours, so a longer interval would leave hours unswept. */
const SCHEDULE_MINUTES = { min: 1, max: 24 * 60 } as const;

/**
 * The sweeper as the package ships it: bundled at build time (sweeper/handler.ts), so a stack that
 * uses the construct needs neither this package's sources nor a bundler.
 */
const EXPIRY_SWEEPER_ASSET = path.join(__dirname, '..', 'assets', 'expiry-sweeper');

/** What `ExpirySweeper` sweeps, how often, and what becomes of its logs. */
export interface ExpirySweeperProps {
  /** The sessions table, with the `byExpiry` index (`TABLE_SCHEMA.expiryIndex`) and no TTL. */
  readonly table: dynamodb.ITableV2;
  /**
   * How often the sweep runs: a whole number of minutes, from 1 minute to 24 hours. An expired
   * session's item stays until the first run after the hour of its expiry has ended.
   * @default Duration.hours(1)
   */
  readonly schedule?: Duration;
  /** What becomes of the function's log group when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Deletes expired sessions from a table that cannot have TTL (a strongly consistent global
 * table): a function, run on a schedule, that calls `sweepExpiredSessions`
 * (`@lambda-sessions/dynamodb/sweep`) on the table's `byExpiry` index. It has its own role
 * (`Query` on that index and `DeleteItem` on the table, `EXPIRY_SWEEP_ACTIONS`, and its log
 * group; no managed policy) and its own log group, kept a month. The handlers must write the
 * index's key: `SessionManager`'s `expiry: 'sweeper'` (`SESSION_EXPIRY=sweeper` in this project's
 * app). `ServerSessions` makes one for a multi-region table.
 * @example
 * new ExpirySweeper(this, 'ExpirySweeper', { table, removalPolicy: RemovalPolicy.RETAIN });
 */
export class ExpirySweeper extends Construct {
  /** The sweep function, for alarms (`SessionAlarms`' `expirySweeper`). */
  readonly function: lambda.Function;
  /** The EventBridge rule that runs it. */
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ExpirySweeperProps) {
    super(scope, id);
    const schedule = props.schedule ?? DEFAULT_EXPIRY_SWEEP_SCHEDULE;
    const minutes = schedule.toMinutes({ integral: false });
    if (!Number.isInteger(minutes) || minutes < SCHEDULE_MINUTES.min || minutes > SCHEDULE_MINUTES.max) {
      throw new Error(
        `ExpirySweeper schedule: expected a whole number of minutes from 1 minute to 24 hours, got ${schedule.toHumanString()}`,
      );
    }

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Deletes expired sessions through the expiry index',
    });
    logGroup.grantWrite(role);
    const tableArn = props.table.tableArn;
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [...EXPIRY_SWEEP_ACTIONS.index],
        resources: [`${tableArn}/index/${TABLE_SCHEMA.expiryIndex.indexName}`],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: [...EXPIRY_SWEEP_ACTIONS.table], resources: [tableArn] }),
    );

    this.function = new lambda.Function(this, 'Function', {
      description: 'Deletes expired sessions (the table has no TTL)',
      code: lambda.Code.fromAsset(EXPIRY_SWEEPER_ASSET),
      handler: 'index.handler',
      runtime: EXPIRY_SWEEP_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: schedule.toMinutes() < EXPIRY_SWEEP_TIMEOUT.toMinutes() ? schedule : EXPIRY_SWEEP_TIMEOUT,
      role,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: Stack.of(this).stackName,
        TABLE_NAME: props.table.tableName,
      },
    });
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Invoked by its schedule with an empty event: a failed run leaves nothing a dead-letter queue ' +
        'could keep; Lambda retries it twice, and the next run sweeps the same hours again.',
    });
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaTracing',
      reason:
        'X-Ray is off to keep IAM minimal (it needs xray:PutTraceSegments on "*"); each run is ' +
        'logged as one JSON line with what it examined, deleted and kept.',
    });

    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Runs the session expiry sweep',
      schedule: events.Schedule.rate(schedule),
      // A run delivered after the next one is due is of no use.
      targets: [new targets.LambdaFunction(this.function, { maxEventAge: schedule, retryAttempts: 2 })],
    });
    Validations.of(this.rule).acknowledge({
      id: 'Serverless-EventBusDLQ',
      reason:
        'A scheduled event carries nothing: one EventBridge could not deliver is made up by the next ' +
        'run, whose lookback sweeps the same hours, so a dead-letter queue would only hold noise.',
    });
  }
}
