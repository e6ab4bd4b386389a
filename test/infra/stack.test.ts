import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SESSION_ENVIRONMENT, ServerSessions } from '@lambda-sessions/cdk';
import { DEFAULT_ABSOLUTE_TIMEOUT_SECONDS } from '@lambda-sessions/dynamodb/table';
import { App, Duration, Stack, Stage } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  DEFAULT_METRICS_NAMESPACE,
  DEFAULT_ROUTE_FUNCTION,
  DEFAULT_ROUTE_KEY,
  ENVIRONMENT,
  FUNCTION_NAMES,
  FUNCTIONS,
  type FunctionName,
  ROUTES,
  routeKey,
  SESSION_METRICS,
} from '../../lambda/contract';
import {
  ACCESS_LOG_TEMPLATE,
  DEFAULT_THROTTLE,
  SAM_LOCAL_VARIABLES,
  SessionsStack,
} from '../../lib/SessionsStack';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };

/** cdk.json's context, so the test synthesizes with the same feature flags as `cdk synth`. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8'));
  return cdkJson.context;
}

const FUNCTION_IDS: Record<FunctionName, string> = {
  index: 'Index',
  login: 'Login',
  logout: 'Logout',
  sessions: 'Sessions',
};

let outdir: string;
let template: Template;
let resources: Record<string, Resource>;
let overridden: Template;
let samLocal: Template;

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'cdk-stack-test-'));
  // Bundling is skipped (it takes seconds): this test is about the template; `npm run synth` bundles.
  const app = new App({ outdir, context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new SessionsStack(app, 'ServerSessionsStack');
  // The context overrides, in a nested stage so that one synth covers both.
  const stage = new Stage(app, 'Overridden');
  stage.node.setContext('disposable', 'true');
  stage.node.setContext('throttleBurst', '7');
  stage.node.setContext('throttleRate', 3);
  stage.node.setContext('reservedConcurrency', '20');
  stage.node.setContext('tableMaxReadRequestUnits', '400');
  stage.node.setContext('tableMaxWriteRequestUnits', 100);
  stage.node.setContext('keyRotationDays', '7');
  const overriddenStack = new SessionsStack(stage, 'ServerSessionsStack');
  const samLocalStage = new Stage(app, 'SamLocal');
  samLocalStage.node.setContext('samLocal', 'true');
  const samLocalStack = new SessionsStack(samLocalStage, 'ServerSessionsStack', {
    description: 'the description bin/app.ts gives',
  });
  app.synth();
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
  overridden = Template.fromStack(overriddenStack);
  samLocal = Template.fromStack(samLocalStack);
});

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

function resourcesOfType(type: string): [string, Resource][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

function functionLogicalId(name: FunctionName): string {
  const ids = Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) =>
    id.startsWith(`${FUNCTION_IDS[name]}Function`),
  );
  expect(ids).toHaveLength(1);
  return ids[0];
}

/** The log group a function writes to (its LoggingConfig). */
function logGroupLogicalId(name: FunctionName): string {
  const fn = resources[functionLogicalId(name)];
  return (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
}

function secretLogicalId(): string {
  const ids = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
  expect(ids).toHaveLength(1);
  return ids[0];
}

function rotationFunctionLogicalId(): string {
  const ids = Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) =>
    id.startsWith('SessionsKeyRotationFunction'),
  );
  expect(ids).toHaveLength(1);
  return ids[0];
}

/** The rotation function's environment variables, in `from` (the template's resources). */
function rotationVariables(from: Record<string, Resource>): Record<string, string> {
  const [fn] = Object.entries(from).filter(
    ([id, resource]) =>
      resource.Type === 'AWS::Lambda::Function' && id.startsWith('SessionsKeyRotationFunction'),
  );
  return (fn[1].Properties.Environment as { Variables: Record<string, string> }).Variables;
}

function tableLogicalId(): string {
  const ids = Object.keys(template.findResources('AWS::DynamoDB::GlobalTable'));
  expect(ids).toHaveLength(1);
  return ids[0];
}

describe('SessionsStack', () => {
  it('routes exactly the route table, each to its own function, with payload format 2.0', () => {
    // Assess
    const routes = template.findResources('AWS::ApiGatewayV2::Route');
    const keys = Object.values(routes).map((route) => route.Properties.RouteKey);
    expect(keys.sort()).toEqual([...ROUTES.map(routeKey), DEFAULT_ROUTE_KEY].sort());

    const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
    expect(Object.keys(integrations)).toHaveLength(Object.keys(FUNCTIONS).length);
    for (const integration of Object.values(integrations)) {
      expect(integration.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
      });
    }
    const targets = [
      ...ROUTES.map((route) => ({ key: routeKey(route), function: route.function })),
      // The rest: the index function answers 404 or 405 (unmatchedRouteError in lambda/app/lambdaHandler.ts).
      { key: DEFAULT_ROUTE_KEY, function: DEFAULT_ROUTE_FUNCTION },
    ];
    for (const route of targets) {
      const [, routeResource] = Object.entries(routes).find(
        ([, candidate]) => candidate.Properties.RouteKey === route.key,
      ) as [string, Resource];
      const target = (routeResource.Properties.Target as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
      const integrationId = (target[1] as { Ref: string }).Ref;
      const uri = integrations[integrationId].Properties.IntegrationUri;
      expect(uri).toEqual({ 'Fn::GetAtt': [functionLogicalId(route.function), 'Arn'] });
    }
  });

  it('has four arm64 handlers on the newest Node.js runtime, bundled entries, explicit logs', () => {
    // Assess: the four handlers and the key rotation function
    template.resourceCountIs('AWS::Lambda::Function', 5);
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      const fn = resources[functionLogicalId(name)];
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 1024,
        Timeout: 15,
        Handler: 'index.handler',
        Environment: {
          Variables: {
            NODE_OPTIONS: '--enable-source-maps',
            POWERTOOLS_SERVICE_NAME: 'ServerSessionsStack',
            METRICS_NAMESPACE: 'ServerSessions',
            TABLE_NAME: { Ref: tableLogicalId() },
            SESSION_SECRET_ARN: { Ref: expect.stringMatching(/^SessionsSigningKeys/) },
          },
        },
      });
      expect(fn.Properties.TracingConfig).toBeUndefined();
      expect(resources[logGroupLogicalId(name)].Type).toBe('AWS::Logs::LogGroup');
    }
  });

  it('logs each handler in Lambda’s JSON format: the application at INFO, the platform at WARN', () => {
    // Assess: INFO keeps the request lines (and so the metrics); WARN drops START and REPORT.
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      expect(resources[functionLogicalId(name)].Properties.LoggingConfig).toEqual({
        LogFormat: 'JSON',
        ApplicationLogLevel: 'INFO',
        SystemLogLevel: 'WARN',
        LogGroup: { Ref: logGroupLogicalId(name) },
      });
      // The level is Lambda's: POWERTOOLS_LOG_LEVEL would be ignored beside it, so none is set.
      const variables = (resources[functionLogicalId(name)].Properties.Environment as { Variables: object })
        .Variables;
      expect(variables).not.toHaveProperty('POWERTOOLS_LOG_LEVEL');
    }
  });

  it('keeps sessions in an on-demand table keyed by id, with TTL on expiresAt, PITR and retention', () => {
    // Assess
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: Match.arrayWith([{ AttributeName: 'id', AttributeType: 'S' }]),
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        Replicas: [
          Match.objectLike({
            DeletionProtectionEnabled: true,
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          }),
        ],
      },
    });
  });

  it('lists sessions per owner through one index: owner, newest refresh first, projecting only the listing', () => {
    // Assess: the keys' types, and a projection that leaves the sealed data out of the index.
    const [[, table]] = resourcesOfType('AWS::DynamoDB::GlobalTable');
    expect(table.Properties.AttributeDefinitions).toEqual([
      { AttributeName: 'id', AttributeType: 'S' },
      { AttributeName: 'owner', AttributeType: 'S' },
      { AttributeName: 'refreshedAt', AttributeType: 'N' },
    ]);
    expect(table.Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'byOwner',
        KeySchema: [
          { AttributeName: 'owner', KeyType: 'HASH' },
          { AttributeName: 'refreshedAt', KeyType: 'RANGE' },
        ],
        Projection: {
          ProjectionType: 'INCLUDE',
          NonKeyAttributes: ['publicId', 'device', 'createdAt', 'validUntil', 'permanent'],
        },
      },
    ]);
  });

  it('generates the signing key secret at deploy time', () => {
    // Assess
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: {
        GenerateSecretString: { ExcludePunctuation: true, PasswordLength: 64 },
        SecretString: Match.absent(),
      },
    });
  });

  describe('key rotation', () => {
    it('runs the rotation function every 4 hours; a new signing key takes over every 30 days', () => {
      // Every 4 hours (Secrets Manager's shortest schedule, each run within the first hour of its
      // window): a demoted key is retired at most 5 hours after its retire delay, not 30 days.
      template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);
      const [schedule] = Object.values(template.findResources('AWS::SecretsManager::RotationSchedule'));
      expect(schedule.Properties).toEqual({
        SecretId: { Ref: secretLogicalId() },
        RotationLambdaARN: { 'Fn::GetAtt': [rotationFunctionLogicalId(), 'Arn'] },
        RotationRules: { ScheduleExpression: 'rate(4 hours)' },
      });
      // How often a key takes over is the rotation function's to decide, on the key set's clock.
      expect(rotationVariables(resources).SESSION_KEY_ROTATE_AFTER_SECONDS).toBe(String(30 * 24 * 3600));
    });

    it('refuses a keyRotationInterval under a day (a key waits that long before it signs) or over 1000 days', () => {
      for (const interval of [Duration.hours(12), Duration.days(1001)]) {
        const stack = new Stack(new App(), 'Bad');
        expect(() => new ServerSessions(stack, 'Sessions', { keyRotationInterval: interval })).toThrow(
          /^keyRotationInterval: expected from 1 to 1000 days, got /,
        );
      }
    });

    it('bundles the rotation entry like the handlers, told the handlers’ absolute timeout', () => {
      const fn = resources[rotationFunctionLogicalId()];
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: 30,
      });
      expect((fn.Properties.Environment as { Variables: unknown }).Variables).toEqual({
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'ServerSessionsStack',
        SESSION_ABSOLUTE_TIMEOUT_SECONDS: String(DEFAULT_ABSOLUTE_TIMEOUT_SECONDS),
        SESSION_KEY_ROTATE_AFTER_SECONDS: String(30 * 24 * 3600),
      });
      expect(fn.Properties.TracingConfig).toBeUndefined();
    });
  });

  it('logs access as one line of text per request on the default stage and throttles the default route', () => {
    // Assess
    const stages = template.findResources('AWS::ApiGatewayV2::Stage');
    expect(Object.keys(stages)).toHaveLength(1);
    const stage = Object.values(stages)[0].Properties;
    expect(stage).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 },
    });
    expect(DEFAULT_THROTTLE).toEqual({ burstLimit: 100, rateLimit: 50 });
    const logGroupId = stage.AccessLogSettings.DestinationArn['Fn::GetAtt'][0];
    expect(resources[logGroupId].Type).toBe('AWS::Logs::LogGroup');
    // What a request's trace needs, in this order (docs/operations.md, "Logs"): the id first (the
    // key to the function's line), the free-text error last; nothing of cookies, headers or bodies.
    expect(stage.AccessLogSettings.Format).toBe(
      '$context.requestId $context.status "$context.routeKey" $context.responseLatency ' +
        '$context.integrationLatency $context.identity.sourceIp $context.integrationErrorMessage',
    );
    expect(stage.AccessLogSettings.Format).toBe(ACCESS_LOG_TEMPLATE);
    expect(stage.AccessLogSettings.Format).not.toMatch(/cookie|header|body/i);
  });

  it('sets a retention on every log group', () => {
    // Assess
    const logGroups = resourcesOfType('AWS::Logs::LogGroup');
    expect(logGroups).toHaveLength(6); // five functions and the access logs
    for (const [, logGroup] of logGroups) {
      expect(logGroup.Properties.RetentionInDays).toBe(30);
    }
  });

  describe('alarms', () => {
    type Alarm = Resource & { Properties: Record<string, unknown> & { Dimensions?: { Name: string }[] } };
    const alarms = () => resourcesOfType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm as Alarm);
    const common = {
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    };

    it('has twelve: API 5xx, each function failing or throttled, the key rotation failing, table throttling, a rejected value', () => {
      expect(alarms()).toHaveLength(1 + 2 * FUNCTION_NAMES.length + 1 + 1 + 1);
      expect(FUNCTION_NAMES).toHaveLength(4);
      for (const alarm of alarms()) expect(alarm.Properties).toMatchObject(common);
    });

    it('alarms on the HTTP API answering 5xx', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/ApiGateway',
        MetricName: '5xx',
        Statistic: 'Sum',
        Period: 300,
        Threshold: 5,
        Dimensions: [{ Name: 'ApiId', Value: { Ref: Match.stringLikeRegexp('^Api') } }],
      });
    });

    it('alarms on a key rotation step failing', () => {
      const rotation = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
        id.includes('KeyRotation'),
      );
      expect(rotation).toBeDefined();
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Threshold: 1,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: rotation?.[0] } }],
      });
    });

    it.each(Object.keys(FUNCTIONS) as FunctionName[])('alarms on the %s function failing', (name) => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Statistic: 'Sum',
        Threshold: 1,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionLogicalId(name) } }],
      });
    });

    it('alarms on any stored session value failing its seal: someone may be writing to the table', () => {
      // Prepare: what the functions are told to write (lambda/app/metrics.ts)
      const topic = { Ref: Object.keys(template.findResources('AWS::SNS::Topic'))[0] };
      const environment = (
        resources[functionLogicalId('index')].Properties.Environment as { Variables: Record<string, string> }
      ).Variables;

      // Assess
      const rejected = alarms().filter(
        (alarm) => alarm.Properties.MetricName === SESSION_METRICS.valueRejected,
      );
      expect(rejected).toHaveLength(1);
      expect(rejected[0].Properties).toMatchObject({
        Namespace: DEFAULT_METRICS_NAMESPACE,
        MetricName: 'SessionValueRejected',
        Dimensions: [{ Name: 'service', Value: 'ServerSessionsStack' }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [topic],
        OKActions: [topic],
      });
      expect(environment).toMatchObject({
        [ENVIRONMENT.metricsNamespace]: DEFAULT_METRICS_NAMESPACE,
        [ENVIRONMENT.serviceName]: 'ServerSessionsStack',
      });
    });

    it('alarms on DynamoDB throttling any operation the handlers send to the table', () => {
      const [throttling] = alarms().filter((alarm) => Array.isArray(alarm.Properties.Metrics));
      expect(throttling.Properties).toMatchObject({ Threshold: 1 });
      type Metric = { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] };
      const queries = throttling.Properties.Metrics as { MetricStat?: { Metric: Metric } }[];
      const queried = queries.flatMap((query) => (query.MetricStat ? [query.MetricStat.Metric] : []));
      for (const metric of queried) {
        expect(metric).toMatchObject({ Namespace: 'AWS/DynamoDB', MetricName: 'ThrottledRequests' });
      }
      const operations = queried.map(
        (metric) => metric.Dimensions.find((d) => d.Name === 'Operation')?.Value,
      );
      expect(operations.sort()).toEqual(['DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem']);
    });
  });

  it('outputs the site URL and the table name', () => {
    // Assess
    template.hasOutput('SiteUrl', {
      Value: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^https://$')])] },
    });
    template.hasOutput('TableName', { Value: { Ref: tableLogicalId() } });
  });

  // IAM (what each role may do, managed policies, resource policies, Scan, wildcards) is checked
  // by simulating the template's policies: test/infra/iamSimulation.test.ts.

  describe('local-only variables (SESSION_SECRET, DYNAMODB_ENDPOINT)', () => {
    type Variables = Record<string, unknown>;
    /** The handlers' variables (the rotation function's are checked exactly above). */
    const variablesOf = (of: Template): Variables[] =>
      Object.entries(of.findResources('AWS::Lambda::Function'))
        .filter(([logicalId]) => !logicalId.startsWith('SessionsKeyRotationFunction'))
        .map(([, fn]) => (fn.Properties.Environment as { Variables: Variables }).Variables);
    const LOCAL_ONLY = ['SESSION_SECRET', 'DYNAMODB_ENDPOINT'];

    it('are declared by no deployed function, in any context', () => {
      // Assess: a SESSION_SECRET set in the console would replace the rotated keys.
      for (const deployed of [template, overridden]) {
        const functions = variablesOf(deployed);
        expect(functions).toHaveLength(FUNCTION_NAMES.length);
        for (const variables of functions) {
          for (const name of LOCAL_ONLY) expect(Object.keys(variables)).not.toContain(name);
          expect(variables.SESSION_SECRET_ARN).toBeDefined();
        }
        expect(Object.keys(deployed.toJSON().Parameters ?? {})).toEqual(['BootstrapVersion']);
      }
      expect(Object.keys(SAM_LOCAL_VARIABLES).sort()).toEqual([...LOCAL_ONLY].sort());
    });

    it('samLocal=true declares them blank, with every variable events/env.json sets for the app', () => {
      // Prepare: SAM overrides only the variables a function declares.
      const { Parameters } = JSON.parse(readFileSync(path.join(__dirname, '../../events/env.json'), 'utf8'));
      const functions = variablesOf(samLocal);

      // Assess
      expect(functions).toHaveLength(FUNCTION_NAMES.length);
      for (const variables of functions) {
        expect(variables).toMatchObject({ SESSION_SECRET: '', DYNAMODB_ENDPOINT: '' });
        for (const name of ['TABLE_NAME', 'SESSION_SECRET_ARN', ...LOCAL_ONLY]) {
          expect(Object.keys(variables)).toContain(name);
          expect(Object.keys(Parameters)).toContain(name);
        }
      }
      // The deployed ARN must be blanked, or Lambda refuses SESSION_SECRET beside it (lambda/app/config.ts).
      expect(Parameters.SESSION_SECRET_ARN).toBe('');
    });

    it('samLocal=true makes a template CloudFormation refuses to deploy, and says so', () => {
      // Assess: the description replaces the app's, and a rule fails on the parameter's default.
      const json = samLocal.toJSON();
      expect(json.Description).toMatch(/^FOR SAM LOCAL ONLY, DO NOT DEPLOY/);
      expect(json.Parameters.SamLocalOnly).toMatchObject({ Type: 'String', Default: 'sam-local' });
      expect(json.Rules.RefuseSamLocalTemplate).toEqual({
        Assertions: [
          {
            Assert: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'SamLocalOnly' }, 'sam-local'] }] },
            AssertDescription: expect.stringContaining('without that option'),
          },
        ],
      });
      expect(template.toJSON().Rules.RefuseSamLocalTemplate).toBeUndefined();
      // Nothing else differs from the deployed template's resources.
      expect(Object.keys(json.Resources).sort()).toEqual(Object.keys(resources).sort());
    });
  });

  describe('context overrides', () => {
    it('disposable=true lets the table and secret go with the stack', () => {
      // Assess
      overridden.hasResource('AWS::DynamoDB::GlobalTable', {
        DeletionPolicy: 'Delete',
        Properties: { Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })] },
      });
      overridden.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
    });

    it('keyRotationDays sets how often a new signing key takes over; the rotation still runs every 4 hours', () => {
      overridden.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
        RotationRules: { ScheduleExpression: 'rate(4 hours)' },
      });
      const overriddenResources = overridden.toJSON().Resources as Record<string, Resource>;
      expect(rotationVariables(overriddenResources).SESSION_KEY_ROTATE_AFTER_SECONDS).toBe(
        String(7 * 24 * 3600),
      );
    });

    it('throttleBurst and throttleRate replace the default throttling', () => {
      // Assess
      overridden.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        DefaultRouteSettings: { ThrottlingBurstLimit: 7, ThrottlingRateLimit: 3 },
      });
    });

    it('reservedConcurrency reserves that many concurrent executions for each function', () => {
      // Assess: off by default, set on every function when given
      for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
        expect(resources[functionLogicalId(name)].Properties.ReservedConcurrentExecutions).toBeUndefined();
      }
      const overriddenResources = overridden.toJSON().Resources as Record<string, Resource>;
      for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
        expect(overriddenResources[functionLogicalId(name)].Properties.ReservedConcurrentExecutions).toBe(20);
      }
      // The rotation function runs every 4 hours, one step at a time: nothing to reserve.
      expect(
        overriddenResources[rotationFunctionLogicalId()].Properties.ReservedConcurrentExecutions,
      ).toBeUndefined();
    });

    it('tableMaxReadRequestUnits and tableMaxWriteRequestUnits cap the on-demand table', () => {
      // Assess: no cap by default
      expect(JSON.stringify(resources[tableLogicalId()].Properties)).not.toContain('OnDemandThroughput');
      overridden.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        BillingMode: 'PAY_PER_REQUEST',
        WriteOnDemandThroughputSettings: { MaxWriteRequestUnits: 100 },
        Replicas: [Match.objectLike({ ReadOnDemandThroughputSettings: { MaxReadRequestUnits: 400 } })],
      });
    });

    it.each([
      ['throttleBurst', 'lots'],
      ['throttleRate', 0],
      ['disposable', 'yes'],
      ['keyRotationDays', 'monthly'],
      ['keyRotationDays', 1001],
      ['samLocal', 1],
      ['reservedConcurrency', '1.5'],
      ['reservedConcurrency', 0],
      ['tableMaxReadRequestUnits', ''],
      ['tableMaxWriteRequestUnits', '-1'],
    ])('a bad %s (%p) fails naming the key', (key, value) => {
      // Prepare
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [], [key]: value } });

      // Act / Assess: construction fails, before anything is synthesized
      expect(() => new SessionsStack(app, 'Bad')).toThrow(new RegExp(`^Context ${key}: `));
    });
  });
});

describe('the environment contract', () => {
  it('names the table and the secret as ServerSessions sets them on each function it grants', () => {
    // The construct names its variables in its own package; the handlers read the contract's.
    expect(SESSION_ENVIRONMENT).toEqual({
      tableName: ENVIRONMENT.tableName,
      secretArn: ENVIRONMENT.secretArn,
      expiry: ENVIRONMENT.expiry,
    });
  });
});
