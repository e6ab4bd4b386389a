import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ALARM_PERIOD, SESSION_OPERATIONS } from './SessionAlarms';

export interface SessionsDashboardProps {
  /** The HTTP API in front of the functions: its requests, 4xx and 5xx. @default - no API row */
  readonly api?: apigwv2.IHttpApi;
  /** The session functions, by the name each is shown under. */
  readonly functions: Record<string, lambda.IFunction>;
  readonly table: dynamodb.ITableV2;
  /**
   * Session metrics your functions publish (for example as CloudWatch embedded metric format lines
   * from the commit events): their namespace, dimensions and names, one line each on a graph.
   * @default - no session metrics graph
   */
  readonly sessionMetrics?: {
    readonly namespace: string;
    readonly dimensionsMap: Record<string, string>;
    readonly metricNames: readonly string[];
  };
  /**
   * Your functions' count of stored session values that failed their seal (as given to
   * `SessionAlarms`): shown first, as one number over the dashboard's time range.
   * @default - not shown
   */
  readonly rejectedValues?: cloudwatch.IMetric;
}

const WIDTH = 12;
const HEIGHT = 6;
/** The grid is 24 columns wide: with the rejected values first, the first row's graphs share the rest. */
const REJECTED_WIDTH = 6;

/**
 * One CloudWatch dashboard for the sessions: first the rejected session values (with
 * `rejectedValues`), API traffic and errors (with `api`), each function's p50 and p99 duration,
 * errors and throttles, the session metrics your functions publish (with `sessionMetrics`), and
 * the table's consumed capacity and throttling.
 * @example
 * new SessionsDashboard(this, 'Monitoring', { api, functions: { index }, table: sessions.table });
 */
export class SessionsDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: SessionsDashboardProps) {
    super(scope, id);
    const period = ALARM_PERIOD;
    const sum = { period, statistic: cloudwatch.Stats.SUM };
    const functions = Object.entries(props.functions);

    const graph = (title: string, left: cloudwatch.IMetric[], width = WIDTH) =>
      new cloudwatch.GraphWidget({ title, left, width, height: HEIGHT });
    const metrics = props.sessionMetrics;
    const rejected = props.rejectedValues;
    const firstRowWidth = rejected ? (2 * WIDTH - REJECTED_WIDTH) / 2 : WIDTH;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      widgets: [
        [
          ...(rejected
            ? [
                new cloudwatch.SingleValueWidget({
                  title: 'Rejected session values: someone may be writing to the table',
                  metrics: [rejected],
                  setPeriodToTimeRange: true,
                  width: REJECTED_WIDTH,
                  height: HEIGHT,
                }),
              ]
            : []),
          ...(props.api
            ? [
                graph(
                  'API requests, 4xx and 5xx',
                  [
                    props.api.metricCount({ ...sum, label: 'requests' }),
                    props.api.metricClientError({ ...sum, label: '4xx' }),
                    props.api.metricServerError({ ...sum, label: '5xx' }),
                  ],
                  firstRowWidth,
                ),
              ]
            : []),
          graph(
            'Function duration, p50 and p99 (ms)',
            functions.flatMap(([name, fn]) => [
              fn.metricDuration({ period, statistic: cloudwatch.Stats.p(50), label: `${name} p50` }),
              fn.metricDuration({ period, statistic: cloudwatch.Stats.p(99), label: `${name} p99` }),
            ]),
            firstRowWidth,
          ),
        ],
        [
          ...(metrics
            ? [
                graph(
                  'Sessions (from the request log lines)',
                  metrics.metricNames.map(
                    (metricName) =>
                      new cloudwatch.Metric({
                        namespace: metrics.namespace,
                        metricName,
                        dimensionsMap: metrics.dimensionsMap,
                        ...sum,
                        label: metricName,
                      }),
                  ),
                ),
              ]
            : []),
          graph(
            'Function errors and throttles',
            functions.flatMap(([name, fn]) => [
              fn.metricErrors({ ...sum, label: `${name} errors` }),
              fn.metricThrottles({ ...sum, label: `${name} throttles` }),
            ]),
          ),
        ],
        [
          graph('DynamoDB consumed capacity (units per period)', [
            props.table.metricConsumedReadCapacityUnits({ ...sum, label: 'read' }),
            props.table.metricConsumedWriteCapacityUnits({ ...sum, label: 'write' }),
          ]),
          graph('DynamoDB throttled session requests', [
            props.table.metricThrottledRequestsForOperations({
              operations: SESSION_OPERATIONS,
              period,
              label: 'throttled',
            }),
          ]),
        ],
      ],
    });
  }
}
