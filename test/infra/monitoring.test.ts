import { Match, Template } from 'aws-cdk-lib/assertions';
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

    // Assess: API 5xx, each function failing, each throttled, the table throttling
    expect(alarms).toHaveLength(1 + 2 * FUNCTION_NAMES.length + 1 + 1); // + key rotation errors
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

describe('dashboard', () => {
  type Widget = { properties: { title: string; metrics: unknown[][] } };
  let widgets: Widget[];

  beforeAll(() => {
    // The body is a Fn::Join of JSON text and references; references are kept as JSON here.
    const body = resources[onlyLogicalId('AWS::CloudWatch::Dashboard')].Properties.DashboardBody as {
      'Fn::Join': [string, unknown[]];
    };
    const text = body['Fn::Join'][1]
      .map((part) => (typeof part === 'string' ? part : JSON.stringify(part).replace(/"/g, '\\"')))
      .join('');
    widgets = (JSON.parse(text) as { widgets: Widget[] }).widgets;
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
