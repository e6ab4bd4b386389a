import { ALARM_PERIOD, SessionAlarms, SessionsDashboard } from '@lambda-sessions/cdk';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { FUNCTION_NAMES, type FunctionName, SESSION_METRICS } from '../../lambda/contract';
import { SessionsStack } from '../../lib/SessionsStack';
import { cdkTestApp } from '../support/cdk';

type Resource = { Type: string; Properties: Record<string, unknown> };

let cleanups: (() => void)[] = [];

/** One stack synthesized with `context` (bundling skipped). */
function synth(context: Record<string, unknown> = {}): Template {
  const { app, cleanup } = cdkTestApp(context);
  cleanups.push(cleanup);
  const stack = new SessionsStack(app, 'ServerSessionsStack');
  app.synth();
  return Template.fromStack(stack);
}

let template: Template;
let resources: Record<string, Resource>;

beforeAll(() => {
  template = synth();
  resources = template.toJSON().Resources;
});

afterAll(() => {
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
});

function onlyLogicalId(type: string): string {
  const ids = Object.keys(template.findResources(type));
  expect(ids).toHaveLength(1);
  return ids[0];
}

function functionLogicalId(name: FunctionName): string {
  const prefix = `${name.charAt(0).toUpperCase()}${name.slice(1)}Function`;
  const ids = Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) =>
    id.startsWith(prefix),
  );
  expect(ids).toHaveLength(1);
  return ids[0];
}

describe('alarm notifications', () => {
  it('every alarm notifies the topic when it fires and when it recovers, and no other target', () => {
    // Prepare
    const topic = { Ref: onlyLogicalId('AWS::SNS::Topic') };
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));

    // Assess: API 5xx, each function failing, each throttled, the table throttling, a rejected value
    expect(alarms).toHaveLength(1 + 2 * FUNCTION_NAMES.length + 1 + 1 + 1); // + key rotation errors
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([topic]);
      expect(alarm.Properties.OKActions).toEqual([topic]);
      expect(alarm.Properties.InsufficientDataActions).toBeUndefined();
    }
  });

  it.each(FUNCTION_NAMES)('alarms when Lambda throttles the %s function', (name) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionLogicalId(name) } }],
    });
  });

  it('encrypts the topic with its own rotated key, which only this stack’s alarms may use besides the account', () => {
    // Prepare
    const keyId = onlyLogicalId('AWS::KMS::Key');
    const key = resources[keyId].Properties as {
      EnableKeyRotation: boolean;
      KeyPolicy: { Statement: { Principal: unknown; Action: unknown; Condition?: unknown }[] };
    };

    // Assess
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    expect(key.EnableKeyRotation).toBe(true);
    const forCloudWatch = key.KeyPolicy.Statement.filter(
      (statement) =>
        JSON.stringify(statement.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }),
    );
    expect(forCloudWatch).toEqual([
      expect.objectContaining({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: fromThisStacksAlarms,
      }),
    ]);
  });

  const fromThisStacksAlarms = {
    StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
    ArnLike: {
      'aws:SourceArn': {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':cloudwatch:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':alarm:ServerSessionsStack-*',
          ],
        ],
      },
    },
  };

  it('lets CloudWatch publish for this stack’s alarms and refuses publishing without TLS', () => {
    // Prepare
    const topic = { Ref: onlyLogicalId('AWS::SNS::Topic') };

    // Assess
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topic],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topic,
            Condition: fromThisStacksAlarms,
          }),
        ]),
      },
    });
  });

  it('subscribes no one by default', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('subscribes the alarmEmail address by e-mail', () => {
    // Act
    const withEmail = synth({ alarmEmail: 'ops@example.com' });

    // Assess
    withEmail.resourceCountIs('AWS::SNS::Subscription', 1);
    withEmail.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: Match.stringLikeRegexp('^AlarmsTopic') },
    });
  });

  it.each(['ops', 'ops@example', 'ops@example.com,boss@example.com', 'ops @example.com', '', 42])(
    'refuses alarmEmail %p, naming the option',
    (value) => {
      // Prepare
      const { app, cleanup } = cdkTestApp({ alarmEmail: value });
      cleanups.push(cleanup);

      // Act / Assess
      expect(() => new SessionsStack(app, 'Bad')).toThrow(/^Context alarmEmail: expected one e-mail address/);
    },
  );

  it('outputs the topic ARN', () => {
    template.hasOutput('AlarmTopicArn', { Value: { Ref: onlyLogicalId('AWS::SNS::Topic') } });
  });
});

type Widget = {
  type: string;
  x: number;
  y: number;
  width: number;
  properties: { title: string; metrics: unknown[][]; view?: string };
};

/** A dashboard's widgets. Its body is a Fn::Join of JSON text and references; references are kept as JSON here. */
function widgetsOf(dashboard: Resource): Widget[] {
  const body = dashboard.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  const text = body['Fn::Join'][1]
    .map((part) => (typeof part === 'string' ? part : JSON.stringify(part).replace(/"/g, '\\"')))
    .join('');
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

describe('dashboard', () => {
  let widgets: Widget[];

  beforeAll(() => {
    widgets = widgetsOf(resources[onlyLogicalId('AWS::CloudWatch::Dashboard')]);
  });

  const metricsOf = (title: RegExp) => {
    const widget = widgets.find((candidate) => title.test(candidate.properties.title));
    expect(widget).toBeDefined();
    return (widget as Widget).properties.metrics;
  };

  it('graphs the API’s requests, 4xx and 5xx', () => {
    const names = metricsOf(/^API requests/).map((metric) => metric.slice(0, 2).join(' '));
    expect(names).toEqual(['AWS/ApiGateway Count', 'AWS/ApiGateway 4xx', 'AWS/ApiGateway 5xx']);
  });

  it('graphs p50 and p99 duration for every function', () => {
    const durations = metricsOf(/duration/i);
    for (const name of FUNCTION_NAMES) {
      const reference = JSON.stringify({ Ref: functionLogicalId(name) });
      const stats = durations
        .filter((metric) => metric[0] === 'AWS/Lambda' && metric[1] === 'Duration' && metric[3] === reference)
        .map((metric) => (metric[4] as { stat: string }).stat);
      expect(stats.sort()).toEqual(['p50', 'p99']);
    }
  });

  it('graphs every session metric of the contract, in the functions’ namespace and service', () => {
    // Prepare: what the functions are told to write (lambda/app/metrics.ts)
    const environment = (
      resources[functionLogicalId('index')].Properties.Environment as {
        Variables: Record<string, string>;
      }
    ).Variables;

    // Assess
    const sessions = metricsOf(/^Sessions/);
    expect(sessions.map((metric) => metric[1]).sort()).toEqual(Object.values(SESSION_METRICS).sort());
    for (const metric of sessions) {
      expect(metric.slice(0, 4)).toEqual([
        environment.METRICS_NAMESPACE,
        metric[1],
        'service',
        environment.POWERTOOLS_SERVICE_NAME,
      ]);
      expect(metric[4]).toMatchObject({ stat: 'Sum' });
    }
  });

  it('shows rejected session values in the first row, next to the API and the durations', () => {
    // Prepare
    const environment = (
      resources[functionLogicalId('index')].Properties.Environment as {
        Variables: Record<string, string>;
      }
    ).Variables;

    // Assess: the first row holds it, and fits the grid's 24 columns
    const firstRow = widgets.filter((widget) => widget.y === 0);
    expect(firstRow.map((widget) => widget.properties.title)).toEqual([
      expect.stringMatching(/someone may be writing to the table/),
      expect.stringMatching(/^API requests/),
      expect.stringMatching(/duration/),
    ]);
    const last = firstRow[firstRow.length - 1];
    expect(last.x + last.width).toBeLessThanOrEqual(24);
    const rejected = metricsOf(/someone may be writing to the table/);
    expect(rejected).toHaveLength(1);
    expect(rejected[0].slice(0, 4)).toEqual([
      environment.METRICS_NAMESPACE,
      SESSION_METRICS.valueRejected,
      'service',
      environment.POWERTOOLS_SERVICE_NAME,
    ]);
    expect(rejected[0][4]).toMatchObject({ stat: 'Sum' });
  });

  it('graphs the table’s consumed read and write capacity and its throttling', () => {
    const table = JSON.stringify({ Ref: onlyLogicalId('AWS::DynamoDB::GlobalTable') });
    const capacity = metricsOf(/consumed capacity/).map((metric) => [metric[1], metric[3]]);
    expect(capacity).toEqual([
      ['ConsumedReadCapacityUnits', table],
      ['ConsumedWriteCapacityUnits', table],
    ]);
    const throttled = metricsOf(/throttled/)
      .filter((metric) => metric[1] === 'ThrottledRequests')
      .map((metric) => metric.slice(0, 6).join(' '));
    expect(throttled.sort()).toEqual(
      ['DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'].map(
        (operation) => `AWS/DynamoDB ThrottledRequests Operation ${operation} TableName ${table}`,
      ),
    );
  });

  it('graphs each function’s errors and throttles', () => {
    const metrics = metricsOf(/errors and throttles/).map((metric) => `${metric[1]} ${metric[3]}`);
    for (const name of FUNCTION_NAMES) {
      const reference = JSON.stringify({ Ref: functionLogicalId(name) });
      expect(metrics).toEqual(expect.arrayContaining([`Errors ${reference}`, `Throttles ${reference}`]));
    }
  });

  it('outputs the dashboard’s name', () => {
    template.hasOutput('DashboardName', { Value: { Ref: onlyLogicalId('AWS::CloudWatch::Dashboard') } });
  });
});

describe('the constructs without the app', () => {
  /** A stack with one function, a rotation function and a table: the least the constructs need. */
  function minimalStack() {
    const { app, cleanup } = cdkTestApp();
    cleanups.push(cleanup);
    const stack = new Stack(app, 'Minimal');
    const code = lambda.Code.fromInline('exports.handler = async () => ({})');
    const fn = (id: string) =>
      new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code });
    const table = new dynamodb.TableV2(stack, 'Table', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    });
    return { stack, functions: { index: fn('Index') }, keyRotation: fn('Rotation'), table };
  }
  const rejectedValues = new cloudwatch.Metric({
    namespace: 'MyApp',
    metricName: 'TamperedValues',
    dimensionsMap: { service: 'shop' },
    statistic: cloudwatch.Stats.SUM,
    period: ALARM_PERIOD,
  });
  const rejectedAlarms = (template: Template) =>
    Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter(
      (alarm) => alarm.Properties.MetricName === 'TamperedValues',
    );

  it('SessionAlarms makes no rejected-value alarm without rejectedValues', () => {
    // Prepare
    const { stack, ...props } = minimalStack();

    // Act
    new SessionAlarms(stack, 'Alarms', props);

    // Assess: errors and throttles of one function, the rotation's errors, the table's throttling
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2 + 1 + 1);
    expect(rejectedAlarms(template)).toHaveLength(0);
  });

  it('SessionAlarms alarms on the rejectedValues metric it is given, notifying its topic', () => {
    // Prepare
    const { stack, ...props } = minimalStack();

    // Act
    const alarms = new SessionAlarms(stack, 'Alarms', { ...props, rejectedValues });

    // Assess
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2 + 1 + 1 + 1);
    const topic = { Ref: stack.getLogicalId(alarms.topic.node.defaultChild as CfnElement) };
    expect(rejectedAlarms(template)).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({
          Namespace: 'MyApp',
          MetricName: 'TamperedValues',
          Dimensions: [{ Name: 'service', Value: 'shop' }],
          Statistic: 'Sum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: [topic],
          OKActions: [topic],
        }),
      }),
    ]);
  });

  it('SessionsDashboard shows rejectedValues in its first row only when given', () => {
    // Prepare
    const { stack, functions, table } = minimalStack();

    // Act
    new SessionsDashboard(stack, 'Plain', { functions, table });
    new SessionsDashboard(stack, 'Watching', { functions, table, rejectedValues });

    // Assess
    const dashboards = Object.entries(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'));
    const widgetsOfDashboard = (prefix: string) => {
      const found = dashboards.find(([id]) => id.startsWith(prefix));
      expect(found).toBeDefined();
      return widgetsOf((found as [string, Resource])[1]);
    };
    const showsIt = (widget: Widget) =>
      widget.properties.metrics.some((metric) => metric[1] === 'TamperedValues');
    expect(widgetsOfDashboard('Plain').filter(showsIt)).toEqual([]);
    const shown = widgetsOfDashboard('Watching').filter(showsIt);
    expect(shown).toEqual([
      expect.objectContaining({
        y: 0,
        properties: expect.objectContaining({
          title: expect.stringMatching(/someone may be writing to the table/),
        }),
      }),
    ]);
    expect(shown[0].properties.metrics).toEqual([
      ['MyApp', 'TamperedValues', 'service', 'shop', expect.objectContaining({ stat: 'Sum' })],
    ]);
  });
});
