import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { TABLE_SCHEMA } from '@lambda-sessions/dynamodb/table';
import { type App, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import {
  EXPIRY_SWEEP_ACTIONS,
  EXPIRY_SWEEP_RUNTIME,
  ExpirySweeper,
  type ExpirySweeperProps,
} from '../../lib/construct/src/ExpirySweeper';
import { cdkTestApp } from '../support/cdk';
import { nagAcknowledgments, nagFindings } from '../support/nag';

// ExpirySweeper as CloudFormation sees it: a function from the built asset on a schedule, its own
// role holding Query on the expiry index and DeleteItem on the table, and nothing else.

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };

const ASSET = path.join(__dirname, '../../lib/construct/assets/expiry-sweeper');
const cleanups: (() => void)[] = [];

afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});

/** A table as a multi-region ServerSessions makes it: no TTL, the owner and expiry indexes. */
function sweptTable(stack: Stack): dynamodb.TableV2 {
  const index = TABLE_SCHEMA.expiryIndex;
  return new dynamodb.TableV2(stack, 'Table', {
    partitionKey: { name: TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
    globalSecondaryIndexes: [
      {
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.KEYS_ONLY,
      },
    ],
  });
}

/** One stack with a table and a sweeper; its app, stack and template (after the synth). */
function synthesized(
  props: Partial<Omit<ExpirySweeperProps, 'table'>> = {},
  nag = false,
): { app: App; stack: Stack; template: Template; packs: NagPack[] } {
  const { app, cleanup } = cdkTestApp();
  cleanups.push(cleanup);
  const stack = new Stack(app, 'SweptStack', { env: { account: '123456789012', region: 'us-east-1' } });
  new ExpirySweeper(stack, 'ExpirySweeper', {
    table: sweptTable(stack),
    removalPolicy: RemovalPolicy.RETAIN,
    ...props,
  });
  const packs = nag ? [new AwsSolutionsChecks(app), new ServerlessChecks(app)] : [];
  if (nag) Validations.of(app).addPlugins(...packs);
  app.synth();
  return { app, stack, template: Template.fromStack(stack), packs };
}

function only(template: Template, type: string): [string, Resource] {
  const found = Object.entries(template.findResources(type)) as [string, Resource][];
  expect(found).toHaveLength(1);
  return found[0];
}

describe('ExpirySweeper', () => {
  const { template } = synthesized();
  const [tableId] = only(template, 'AWS::DynamoDB::GlobalTable');
  const [functionId, fn] = only(template, 'AWS::Lambda::Function');
  const [roleId, role] = only(template, 'AWS::IAM::Role');
  const [logGroupId, logGroup] = only(template, 'AWS::Logs::LogGroup');
  const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };

  it('runs the shipped bundle on Node.js 24, arm64, 15 minutes at most, told the table', () => {
    expect(existsSync(path.join(ASSET, 'index.js'))).toBe(true); // npm run build made it
    expect(EXPIRY_SWEEP_RUNTIME.name).toBe('nodejs24.x');
    expect(fn.Properties).toEqual(
      expect.objectContaining({
        Handler: 'index.handler',
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 256,
        Timeout: 900,
        Role: { 'Fn::GetAtt': [roleId, 'Arn'] },
        LoggingConfig: { LogGroup: { Ref: logGroupId } },
        Environment: {
          Variables: {
            NODE_OPTIONS: '--enable-source-maps',
            POWERTOOLS_SERVICE_NAME: 'SweptStack',
            TABLE_NAME: { Ref: tableId },
          },
        },
      }),
    );
  });

  it('has its own role, no managed policy: its log group, Query on the expiry index, DeleteItem on the table', () => {
    // Prepare
    const [, policy] = only(template, 'AWS::IAM::Policy');
    const logGroupArn = { 'Fn::GetAtt': [logGroupId, 'Arn'] };

    // Assess
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.AssumeRolePolicyDocument).toEqual({
      Statement: [
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ],
      Version: '2012-10-17',
    });
    expect(policy.Properties.Roles).toEqual([{ Ref: roleId }]);
    expect(policy.Properties.PolicyDocument).toEqual({
      Statement: [
        { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: logGroupArn },
        {
          Action: 'dynamodb:Query',
          Effect: 'Allow',
          Resource: { 'Fn::Join': ['', [tableArn, '/index/byExpiry']] },
        },
        { Action: 'dynamodb:DeleteItem', Effect: 'Allow', Resource: tableArn },
      ],
      Version: '2012-10-17',
    });
    expect(EXPIRY_SWEEP_ACTIONS).toEqual({ index: ['dynamodb:Query'], table: ['dynamodb:DeleteItem'] });
  });

  it('keeps its logs a month', () => {
    expect(logGroup.Properties.RetentionInDays).toBe(30);
    expect(logGroup.DeletionPolicy).toBe('Retain');
  });

  it('runs every hour from an EventBridge rule; a delivery later than the next run is dropped', () => {
    // Prepare
    const [ruleId, rule] = only(template, 'AWS::Events::Rule');
    const [, permission] = only(template, 'AWS::Lambda::Permission');

    // Assess
    expect(rule.Properties).toEqual({
      Description: 'Runs the session expiry sweep',
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
          Id: 'Target0',
          RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 2 },
        },
      ],
    });
    expect(permission.Properties).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
  });

  it.each([
    [Duration.minutes(15), 'rate(15 minutes)', 900],
    [Duration.minutes(5), 'rate(5 minutes)', 300],
    [Duration.hours(24), 'rate(1 day)', 900],
  ])('schedule %s: %s, the timeout no longer than the interval (%d s)', (schedule, expression, timeout) => {
    // Act
    const { template: scheduled } = synthesized({ schedule });

    // Assess
    expect(only(scheduled, 'AWS::Events::Rule')[1].Properties.ScheduleExpression).toBe(expression);
    expect(only(scheduled, 'AWS::Lambda::Function')[1].Properties.Timeout).toBe(timeout);
  });

  it.each([
    ['90 seconds', Duration.seconds(90)],
    ['30 seconds', Duration.seconds(30)],
    ['25 hours: longer than the lookback', Duration.hours(25)],
  ])('refuses a schedule of %s', (_label, schedule) => {
    const { app, cleanup } = cdkTestApp();
    cleanups.push(cleanup);
    const stack = new Stack(app, 'Bad');
    expect(
      () =>
        new ExpirySweeper(stack, 'ExpirySweeper', {
          table: sweptTable(stack),
          removalPolicy: RemovalPolicy.RETAIN,
          schedule,
        }),
    ).toThrow(/^ExpirySweeper schedule: expected a whole number of minutes from 1 minute to 24 hours/);
  });
});

describe('ExpirySweeper under cdk-nag', () => {
  const { app, packs } = synthesized({}, true);

  it.each(['AwsSolutions', 'Serverless'])('%s: no unacknowledged finding on the sweeper', (packName) => {
    // Act
    const pack = packs.find((candidate) => candidate.readPackName === packName) as NagPack;
    const findings = nagFindings(pack, app);

    // Assess: the test's own bare table may have findings; the sweeper none
    expect(findings.filter((finding) => finding.includes('/ExpirySweeper/'))).toEqual([]);
  });

  it('acknowledges only the dead-letter queues and the tracing, with reasons', () => {
    // Act
    const acks = nagAcknowledgments(app);

    // Assess
    expect(acks.map(({ at }) => at).sort()).toEqual([
      'SweptStack/ExpirySweeper/Function Serverless-LambdaDLQ',
      'SweptStack/ExpirySweeper/Function Serverless-LambdaTracing',
      'SweptStack/ExpirySweeper/Schedule Serverless-EventBusDLQ',
    ]);
    for (const { reason } of acks) expect(reason.length).toBeGreaterThan(60);
  });
});
