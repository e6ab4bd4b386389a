import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { SESSION_METRICS } from '../lambda/contract';
import { ALARM_PERIOD, SESSION_OPERATIONS } from './alarms';

export interface SessionsDashboardProps {
  api: apigwv2.HttpApi;
  functions: Record<string, lambda.IFunction>;
  table: dynamodb.TableV2;
  /** The session metrics' namespace and `service` dimension: the functions' METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME. */
  metricsNamespace: string;
  serviceName: string;
}

const WIDTH = 12;
const HEIGHT = 6;

/**
 * One CloudWatch dashboard for the site: API traffic and errors, each function's p50 and p99
 * duration, the session metrics the request log lines carry (every name in `SESSION_METRICS`, so
 * a new one appears here by itself), and the table's consumed capacity and throttling.
 */
export class SessionsDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: SessionsDashboardProps) {
    super(scope, id);
    const period = ALARM_PERIOD;
    const sum = { period, statistic: cloudwatch.Stats.SUM };
    const functions = Object.entries(props.functions);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'API requests, 4xx and 5xx',
            left: [
              props.api.metricCount({ ...sum, label: 'requests' }),
              props.api.metricClientError({ ...sum, label: '4xx' }),
              props.api.metricServerError({ ...sum, label: '5xx' }),
            ],
            width: WIDTH,
            height: HEIGHT,
          }),
          new cloudwatch.GraphWidget({
            title: 'Function duration, p50 and p99 (ms)',
            left: functions.flatMap(([name, fn]) => [
              fn.metricDuration({ period, statistic: cloudwatch.Stats.p(50), label: `${name} p50` }),
              fn.metricDuration({ period, statistic: cloudwatch.Stats.p(99), label: `${name} p99` }),
            ]),
            width: WIDTH,
            height: HEIGHT,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Sessions (from the request log lines)',
            left: Object.values(SESSION_METRICS).map(
              (metricName) =>
                new cloudwatch.Metric({
                  namespace: props.metricsNamespace,
                  metricName,
                  dimensionsMap: { service: props.serviceName },
                  ...sum,
                  label: metricName,
                }),
            ),
            width: WIDTH,
            height: HEIGHT,
          }),
          new cloudwatch.GraphWidget({
            title: 'Function errors and throttles',
            left: functions.flatMap(([name, fn]) => [
              fn.metricErrors({ ...sum, label: `${name} errors` }),
              fn.metricThrottles({ ...sum, label: `${name} throttles` }),
            ]),
            width: WIDTH,
            height: HEIGHT,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'DynamoDB consumed capacity (units per period)',
            left: [
              props.table.metricConsumedReadCapacityUnits({ ...sum, label: 'read' }),
              props.table.metricConsumedWriteCapacityUnits({ ...sum, label: 'write' }),
            ],
            width: WIDTH,
            height: HEIGHT,
          }),
          new cloudwatch.GraphWidget({
            title: 'DynamoDB throttled session requests',
            left: [
              props.table.metricThrottledRequestsForOperations({
                operations: SESSION_OPERATIONS,
                period,
                label: 'throttled',
              }),
            ],
            width: WIDTH,
            height: HEIGHT,
          }),
        ],
      ],
    });
  }
}
