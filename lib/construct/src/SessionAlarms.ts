import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** The window every alarm sums over. */
export const ALARM_PERIOD = Duration.minutes(5);

/** API 5xx answers per period that raise the alarm: a single 503 is a retry, a burst is an outage. */
export const API_5XX_THRESHOLD = 5;

/** The only operations the handlers send to the table (SESSION_TABLE_ACTIONS; Query: OWNER_INDEX_ACTIONS). */
export const SESSION_OPERATIONS = [
  dynamodb.Operation.GET_ITEM,
  dynamodb.Operation.PUT_ITEM,
  dynamodb.Operation.UPDATE_ITEM,
  dynamodb.Operation.DELETE_ITEM,
  dynamodb.Operation.QUERY,
];

export interface SessionAlarmsProps {
  /** The HTTP API in front of the functions: alarms on its 5xx answers. @default - no API alarm */
  readonly api?: apigwv2.IHttpApi;
  /** The session functions, by name: each alarms when it fails or is throttled. */
  readonly functions: Record<string, lambda.IFunction>;
  /**
   * The signing-key rotation function (`ServerSessions.rotationFunction`): a failed rotation
   * leaves the keys where they were.
   * @default - no rotation alarm: a multi-region replica's stack, whose primary has the rotation
   */
  readonly keyRotation?: lambda.IFunction;
  /**
   * The expiry sweeper of a multi-region table (`ServerSessions.expirySweeper.function`): a failed
   * sweep leaves expired sessions stored (never readable) until a later run.
   * @default - no sweeper alarm
   */
  readonly expirySweeper?: lambda.IFunction;
  readonly table: dynamodb.ITableV2;
  /** Subscribed to the alarm topic by e-mail (SNS asks the address to confirm first). @default - no subscription */
  readonly email?: string;
  /**
   * Your functions' count of stored session values that failed their seal (the commit event's
   * `rejectedValues`, published for example as an embedded metric format line): one or more in a
   * period raises the alarm, since only a write to the table outside the library causes it. Used
   * as given; a `Metric` with `statistic: Stats.SUM` and `period: ALARM_PERIOD` counts like the
   * other alarms.
   * @default - no alarm on rejected values
   */
  readonly rejectedValues?: cloudwatch.IMetric;
}

/**
 * The alarms an operator of a sessions site needs: the API answering 5xx (the store failing,
 * or a bug), a function failing outright (an uncaught error or a timeout: the handlers catch
 * everything else), a function throttled (reserved concurrency or the account's limit reached),
 * DynamoDB throttling session requests and, with `rejectedValues`, any stored session value
 * failing its seal (someone may be writing to the table). Missing data is not breaching: a quiet
 * site is a healthy one. Each alarm notifies `topic` when it fires and when it recovers.
 * @example
 * new SessionAlarms(this, 'Alarms', { functions: { index }, keyRotation: sessions.rotationFunction, table: sessions.table });
 */
export class SessionAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  /** KMS-encrypted, TLS only; CloudWatch alarms of this stack may publish to it. */
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: SessionAlarmsProps) {
    super(scope, id);
    this.topic = alarmTopic(this);
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));

    if (props.api) {
      this.add('Api5xx', {
        metric: props.api.metricServerError({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }),
        threshold: API_5XX_THRESHOLD,
        alarmDescription: `The HTTP API answered ${API_5XX_THRESHOLD} or more 5xx in 5 minutes (503: session store unavailable).`,
      });
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      const id = `${name.charAt(0).toUpperCase()}${name.slice(1)}Function`;
      this.addErrors(
        `${id}Errors`,
        fn,
        `The ${name} function failed (uncaught error or timeout) in the last 5 minutes.`,
      );
      this.add(`${id}Throttles`, {
        metric: fn.metricThrottles({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        alarmDescription:
          `Lambda refused to run the ${name} function (its reserved concurrency or the account's ` +
          'concurrency was used up) in the last 5 minutes: API Gateway answered those requests 5xx.',
      });
    }
    if (props.keyRotation) {
      this.addErrors(
        'KeyRotationErrors',
        props.keyRotation,
        'A signing-key rotation step failed: the keys stay as they were and Secrets Manager retries ' +
          'at the next scheduled rotation. Read the rotation function log.',
      );
    }
    if (props.expirySweeper) {
      this.addErrors(
        'ExpirySweepErrors',
        props.expirySweeper,
        'An expiry sweep failed: expired sessions (which no read accepts) stay stored until a later ' +
          'run, which looks back over the hours missed. Read the sweeper function log.',
      );
    }
    this.add('TableThrottling', {
      metric: props.table.metricThrottledRequestsForOperations({
        operations: SESSION_OPERATIONS,
        period: ALARM_PERIOD,
      }),
      threshold: 1,
      alarmDescription: 'DynamoDB throttled session requests in the last 5 minutes.',
    });
    if (props.rejectedValues) {
      this.add('RejectedValues', {
        metric: props.rejectedValues,
        threshold: 1,
        alarmDescription:
          'A stored session value failed its seal (changed in the table, or copied from another ' +
          'session) and was read as absent: someone may be writing to the sessions table. Read the ' +
          'request log lines with sessionRejectedValues and check who may write to the table.',
      });
    }
  }

  /** An alarm on one or more errors of `fn` in a period. */
  private addErrors(id: string, fn: lambda.IFunction, alarmDescription: string) {
    this.add(id, {
      metric: fn.metricErrors({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      alarmDescription,
    });
  }

  private add(id: string, props: Pick<cloudwatch.AlarmProps, 'metric' | 'threshold' | 'alarmDescription'>) {
    const alarm = new cloudwatch.Alarm(this, id, {
      ...props,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    // The recovery too, so whoever got "ALARM" learns it is over without opening the console.
    alarm.addOkAction(action);
    this.alarms.push(alarm);
  }
}

/**
 * The topic the alarms publish to, encrypted with its own key. CloudWatch cannot publish to a
 * topic under the AWS managed SNS key (its policy cannot be changed), so the key's policy and the
 * topic's let the CloudWatch service publish, only for alarms of this stack (their generated
 * names start with the stack name) in this account: no other account's alarm can use them.
 */
function alarmTopic(scope: Construct): sns.Topic {
  const stack = Stack.of(scope);
  const fromOurAlarms = {
    StringEquals: { 'aws:SourceAccount': stack.account },
    ArnLike: {
      'aws:SourceArn': stack.formatArn({
        service: 'cloudwatch',
        resource: 'alarm',
        resourceName: `${stack.stackName}-*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    },
  };
  const cloudwatchService = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
  const key = new kms.Key(scope, 'TopicKey', {
    description: 'Encrypts the alarm notifications topic',
    enableKeyRotation: true,
    // The topic stores nothing once delivered: the key is worth keeping only as long as the topic.
    removalPolicy: RemovalPolicy.DESTROY,
  });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [cloudwatchService],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: fromOurAlarms,
    }),
  );
  const topic = new sns.Topic(scope, 'Topic', {
    displayName: 'Server sessions alarms',
    masterKey: key,
    enforceSSL: true,
  });
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [cloudwatchService],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: fromOurAlarms,
    }),
  );
  return topic;
}
