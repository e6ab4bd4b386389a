import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** The window every alarm sums over. */
export const ALARM_PERIOD = Duration.minutes(5);

/** API 5xx answers per period that raise the alarm: a single 503 is a retry, a burst is an outage. */
export const API_5XX_THRESHOLD = 5;

/** The only operations the handlers send to the table (see SESSION_TABLE_ACTIONS). */
const SESSION_OPERATIONS = [
  dynamodb.Operation.GET_ITEM,
  dynamodb.Operation.PUT_ITEM,
  dynamodb.Operation.UPDATE_ITEM,
  dynamodb.Operation.DELETE_ITEM,
];

export interface SessionAlarmsProps {
  api: apigwv2.HttpApi;
  functions: Record<string, lambda.IFunction>;
  table: dynamodb.TableV2;
}

/**
 * The alarms an operator of the sessions site needs: the API answering 5xx (the store failing,
 * or a bug), a function failing outright (an uncaught error or a timeout: the handlers catch
 * everything else), and DynamoDB throttling session requests. Missing data is not breaching: a
 * quiet site is a healthy one. Add an action (SNS, chat) with `alarm.addAlarmAction(...)`.
 */
export class SessionAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: SessionAlarmsProps) {
    super(scope, id);
    this.add('Api5xx', {
      metric: props.api.metricServerError({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }),
      threshold: API_5XX_THRESHOLD,
      alarmDescription: `The HTTP API answered ${API_5XX_THRESHOLD} or more 5xx in 5 minutes (503: session store unavailable).`,
    });
    for (const [name, fn] of Object.entries(props.functions)) {
      this.add(`${name.charAt(0).toUpperCase()}${name.slice(1)}FunctionErrors`, {
        metric: fn.metricErrors({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        alarmDescription: `The ${name} function failed (uncaught error or timeout) in the last 5 minutes.`,
      });
    }
    this.add('TableThrottling', {
      metric: props.table.metricThrottledRequestsForOperations({
        operations: SESSION_OPERATIONS,
        period: ALARM_PERIOD,
      }),
      threshold: 1,
      alarmDescription: 'DynamoDB throttled session requests in the last 5 minutes.',
    });
  }

  private add(id: string, props: Pick<cloudwatch.AlarmProps, 'metric' | 'threshold' | 'alarmDescription'>) {
    this.alarms.push(
      new cloudwatch.Alarm(this, id, {
        ...props,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }
}
