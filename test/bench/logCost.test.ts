import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { FUNCTION_NAMES } from '../../lambda/contract';
import { SESSIONS_STACK_NAME } from '../../lib/app';
import { ACCESS_LOG_TEMPLATE, SessionsStack } from '../../lib/SessionsStack';
import { deployedLogging } from '../../scripts/bench/deployedLogging';
import { BENCH_SERVICE_NAME } from '../../scripts/bench/flows';
import {
  type DeployedLogging,
  type Invocation,
  logCosts,
  modelFunctionArn,
  type ObservedRequestType,
  PRICES,
  platformLines,
  renderAccessLine,
} from '../../scripts/bench/logCost';
import { cdkTestApp } from '../support/cdk';

const NONE = { GetItem: 0, PutItem: 0, UpdateItem: 0, DeleteItem: 0, Query: 0, other: 0 };
const REQUEST_ID = '6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
const invocation: Invocation = {
  requestId: REQUEST_ID,
  functionArn: modelFunctionArn('ServerSessionsStack', 'index'),
  time: '2026-12-08T10:00:00.000Z',
  durationMs: 7.8412,
  memorySizeMB: 1024,
  maxMemoryUsedMB: 98,
};

describe('the platform lines, as Lambda writes them for a warm invocation', () => {
  test('text format: START, END and a tab-separated REPORT', () => {
    expect(platformLines({ format: 'Text', systemLogLevel: 'INFO' }, invocation)).toEqual([
      `START RequestId: ${REQUEST_ID} Version: $LATEST`,
      `END RequestId: ${REQUEST_ID}`,
      `REPORT RequestId: ${REQUEST_ID}\tDuration: 7.84 ms\tBilled Duration: 8 ms\tMemory Size: 1024 MB\tMax Memory Used: 98 MB`,
    ]);
  });

  test('JSON format at INFO: platform.start and platform.report records, at DEBUG runtimeDone too', () => {
    const [start, report] = platformLines({ format: 'JSON', systemLogLevel: 'INFO' }, invocation).map(
      (line) => JSON.parse(line),
    );
    expect(start).toEqual({
      time: '2026-12-08T10:00:00.000Z',
      type: 'platform.start',
      record: {
        requestId: REQUEST_ID,
        functionArn:
          'arn:aws:lambda:us-east-1:123456789012:function:ServerSessionsStack-IndexFunctionAA14D79F-a1B2c3D4e5F6',
        version: '$LATEST',
      },
    });
    expect(report).toEqual({
      time: '2026-12-08T10:00:00.000Z',
      type: 'platform.report',
      record: {
        requestId: REQUEST_ID,
        metrics: { durationMs: 7.84, billedDurationMs: 8, memorySizeMB: 1024, maxMemoryUsedMB: 98 },
        status: 'success',
      },
    });
    const debug = platformLines({ format: 'JSON', systemLogLevel: 'DEBUG' }, invocation);
    expect(debug.map((line) => JSON.parse(line).type)).toEqual([
      'platform.start',
      'platform.runtimeDone',
      'platform.report',
    ]);
  });

  test('JSON format at WARN: nothing for an invocation that succeeds', () => {
    expect(platformLines({ format: 'JSON', systemLogLevel: 'WARN' }, invocation)).toEqual([]);
  });
});

describe('the access line, as API Gateway renders the stage format', () => {
  const values = {
    requestId: 'Cx4qNhQ8joEEJvA=',
    status: '200',
    routeKey: 'GET /',
    responseLatency: '11',
    integrationLatency: '10',
    'identity.sourceIp': '203.0.113.10',
    integrationErrorMessage: '',
  };

  test("the stack's format: text, the route key quoted, an empty error as -", () => {
    expect(renderAccessLine(ACCESS_LOG_TEMPLATE, values)).toBe(
      'Cx4qNhQ8joEEJvA= 200 "GET /" 11 10 203.0.113.10 -',
    );
  });

  test('a JSON format stays JSON; a variable without a value is -', () => {
    const format = JSON.stringify({ id: '$context.requestId', time: '$context.requestTime' });
    expect(JSON.parse(renderAccessLine(format, values))).toEqual({ id: 'Cx4qNhQ8joEEJvA=', time: '-' });
  });
});

describe('bytes and dollars per request', () => {
  const deployed: DeployedLogging = {
    platform: { format: 'JSON', systemLogLevel: 'WARN' },
    accessLogFormat: ACCESS_LOG_TEMPLATE,
    memorySizeMB: 1024,
    stackName: 'ServerSessionsStack',
  };
  const pageView: ObservedRequestType = {
    type: 'loggedInIndex',
    label: 'GET / logged in',
    function: 'index',
    requests: 10,
    functionBytes: 2430,
    functionLines: 10,
    routeKey: 'GET /',
    method: 'GET',
    path: '/',
    status: 200,
    responseBytes: 2984,
    operationsPerRequest: { ...NONE, GetItem: 1 },
    sampleLine: '{"requestId":"x"}',
  };
  const logout: ObservedRequestType = {
    ...pageView,
    type: 'logout',
    label: 'GET /logout',
    function: 'logout',
    routeKey: 'GET /logout',
    path: '/logout',
    status: 303,
    operationsPerRequest: { ...NONE, DeleteItem: 1, PutItem: 1 },
  };

  test('a page view: its measured line, no platform line, the access line; logs and one read unit', () => {
    // Act
    const { requestTypes, pageView: lines } = logCosts([pageView, logout], deployed);

    // Assess: 243 + 0 + 49 bytes; $0.50 per GB is $0.0005 per million bytes per request
    const [view, out] = requestTypes;
    expect(view).toMatchObject({
      functionBytes: 243,
      functionLines: 1,
      platformBytes: 0,
      platformLines: 0,
      accessBytes: 49,
      totalBytes: 292,
      events: 2,
      readUnits: 1,
      writeUnits: 0,
    });
    expect(view.logsPerMillion).toBeCloseTo(0.146, 10);
    expect(view.dynamoDbPerMillion).toBeCloseTo(0.125, 10);
    expect(view.totalPerMillion).toBeCloseTo(0.271, 10);
    expect(out).toMatchObject({ readUnits: 0, writeUnits: 2 });
    expect(out.dynamoDbPerMillion).toBeCloseTo(1.25, 10);
    expect(lines).toEqual({
      functionLine: '{"requestId":"x"}',
      platformLines: [],
      accessLine: 'Cx4qNhQ8joEEJvA= 200 "GET /" 11 10 203.0.113.10 -',
    });
  });

  test('the platform lines a page view would add under each setting', () => {
    const { platformChoices } = logCosts([pageView], deployed);
    expect(platformChoices.map((choice) => [choice.logging, choice.lines])).toEqual([
      [{ format: 'Text', systemLogLevel: 'INFO' }, 3],
      [{ format: 'JSON', systemLogLevel: 'INFO' }, 2],
      [{ format: 'JSON', systemLogLevel: 'WARN' }, 0],
    ]);
    // The JSON records weigh more than the text lines they replace.
    expect(platformChoices[1].bytes).toBeGreaterThan(platformChoices[0].bytes);
  });

  test('Query is half a read unit (eventually consistent), every write one write unit', () => {
    const revoke = {
      ...pageView,
      operationsPerRequest: { ...NONE, GetItem: 1, Query: 2, DeleteItem: 1, UpdateItem: 1 },
    };
    const [row] = logCosts([revoke], deployed).requestTypes;
    expect(row).toMatchObject({ readUnits: 2, writeUnits: 2 });
    expect(row.dynamoDbPerMillion).toBeCloseTo(2 * 0.125 + 2 * 0.625, 10);
  });
});

describe('what the figures are computed for', () => {
  test('the prices are the ones docs/operations.md quotes', () => {
    const operations = readFileSync(path.join(__dirname, '../../docs/operations.md'), 'utf8');
    expect(operations).toContain(`$${PRICES.logsPerGB.toFixed(2)} per GB`);
    expect(operations).toContain(`$${PRICES.readUnitsPerMillion} per million`);
    expect(operations).toContain(`$${PRICES.writeUnitsPerMillion} per million`);
  });

  test("the stack's settings: the functions' log format, level and memory, the stage's format, the service name", async () => {
    // Prepare
    const { app, cleanup } = cdkTestApp();
    try {
      const stack = new SessionsStack(app, SESSIONS_STACK_NAME);
      app.synth();
      const resources = Object.entries(Template.fromStack(stack).toJSON().Resources) as [
        string,
        { Type: string; Properties: Record<string, unknown> },
      ][];
      const handlers = resources.filter(
        ([id, resource]) =>
          resource.Type === 'AWS::Lambda::Function' && !id.startsWith('SessionsKeyRotationFunction'),
      );
      const [, stage] = resources.find(([, resource]) => resource.Type === 'AWS::ApiGatewayV2::Stage') ?? [];

      // Act
      const deployed = await deployedLogging();

      // Assess
      expect(handlers).toHaveLength(FUNCTION_NAMES.length);
      for (const [, fn] of handlers) {
        expect(fn.Properties.LoggingConfig).toMatchObject({
          LogFormat: deployed.platform.format,
          SystemLogLevel: deployed.platform.systemLogLevel,
        });
        expect(fn.Properties.MemorySize).toBe(deployed.memorySizeMB);
      }
      const accessLogSettings = stage?.Properties.AccessLogSettings as { Format: string } | undefined;
      expect(accessLogSettings?.Format).toBe(deployed.accessLogFormat);
      expect(BENCH_SERVICE_NAME).toBe(SESSIONS_STACK_NAME);
      expect(deployed.stackName).toBe(SESSIONS_STACK_NAME);
    } finally {
      cleanup();
    }
  }, 60_000);
});
