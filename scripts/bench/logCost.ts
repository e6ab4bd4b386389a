/**
 * What each request writes to CloudWatch Logs and what that and its DynamoDB operations cost:
 * the function's own lines as the bench measured them, the platform's lines and the API's access
 * line rendered as Lambda and API Gateway would write them with the stack's settings. The pure
 * part of the bench's log figures (`npm test` checks it in test/bench/logCost.test.ts).
 */
import type { OperationKind } from './recorder';

/**
 * The list prices docs/operations.md uses (US East, November 2026, before free tiers), per unit:
 * CloudWatch Logs standard ingestion per GB (10^9 bytes), DynamoDB on-demand per million read and
 * write request units. A test checks that the document quotes the same.
 */
export const PRICES = {
  logsPerGB: 0.5,
  readUnitsPerMillion: 0.125,
  writeUnitsPerMillion: 0.625,
} as const;

/**
 * DynamoDB request units per operation for the session items (under 1 KB, and a `Query` page
 * under 4 KB): a strongly consistent `GetItem` is one read unit, an eventually consistent `Query`
 * half of one, each write one write unit. The owner index's writes are not visible to the bench
 * (they happen inside DynamoDB) and are not counted here.
 */
export const REQUEST_UNITS: Record<OperationKind, { read: number; write: number }> = {
  GetItem: { read: 1, write: 0 },
  Query: { read: 0.5, write: 0 },
  PutItem: { read: 0, write: 1 },
  UpdateItem: { read: 0, write: 1 },
  DeleteItem: { read: 0, write: 1 },
  other: { read: 0, write: 0 },
};

/** A Lambda function's log settings (its `LoggingConfig`) as far as the platform lines depend on them. */
export interface PlatformLogging {
  /** `Text` (Lambda's default) or `JSON`. */
  format: 'Text' | 'JSON';
  /** With `JSON` only (Text has no levels): the least severe platform records Lambda writes. */
  systemLogLevel: 'DEBUG' | 'INFO' | 'WARN';
}

/** One warm invocation, as the platform lines report it. */
export interface Invocation {
  requestId: string;
  functionArn: string;
  /** When the invocation ended (ISO 8601). */
  time: string;
  durationMs: number;
  memorySizeMB: number;
  maxMemoryUsedMB: number;
}

const twoDecimals = (value: number) => Math.round(value * 100) / 100;

/**
 * The lines Lambda itself writes for one warm invocation (no `Init Duration` / `initDurationMs`:
 * that is a cold start's), as documented: in the text format `START`, `END` and `REPORT` (tab
 * separated); in the JSON format at `INFO` the records `platform.start` and `platform.report`,
 * at `DEBUG` also `platform.runtimeDone`, at `WARN` none for a successful invocation.
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html
 * @example platformLines({ format: 'Text', systemLogLevel: 'INFO' }, invocation)[0] // 'START RequestId: … Version: $LATEST'
 */
export function platformLines(logging: PlatformLogging, invocation: Invocation): string[] {
  const { requestId, time, memorySizeMB, maxMemoryUsedMB } = invocation;
  const durationMs = twoDecimals(invocation.durationMs);
  const billedDurationMs = Math.ceil(invocation.durationMs);
  if (logging.format === 'Text') {
    return [
      `START RequestId: ${requestId} Version: $LATEST`,
      `END RequestId: ${requestId}`,
      [
        `REPORT RequestId: ${requestId}`,
        `Duration: ${durationMs.toFixed(2)} ms`,
        `Billed Duration: ${billedDurationMs} ms`,
        `Memory Size: ${memorySizeMB} MB`,
        `Max Memory Used: ${maxMemoryUsedMB} MB`,
      ].join('\t'),
    ];
  }
  if (logging.systemLogLevel === 'WARN') return [];
  const record = (type: string, body: Record<string, unknown>) =>
    JSON.stringify({ time, type, record: { requestId, ...body } });
  return [
    record('platform.start', { functionArn: invocation.functionArn, version: '$LATEST' }),
    ...(logging.systemLogLevel === 'DEBUG'
      ? [record('platform.runtimeDone', { status: 'success', metrics: { durationMs, producedBytes: 0 } })]
      : []),
    record('platform.report', {
      metrics: { durationMs, billedDurationMs, memorySizeMB, maxMemoryUsedMB },
      status: 'success',
    }),
  ];
}

/**
 * An access log line as API Gateway writes it: each `$context.…` variable of `format` replaced by
 * its value, `-` when it has none (as API Gateway writes an empty one).
 * @example renderAccessLine('$context.requestId $context.status', { requestId: 'x', status: '200' }) // 'x 200'
 */
export function renderAccessLine(format: string, values: Readonly<Record<string, string>>): string {
  return format.replace(/\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)/g, (_, name: string) =>
    Object.hasOwn(values, name) && values[name] !== '' ? values[name] : '-',
  );
}

/** What the bench saw of one request type: what the access line and the cost depend on. */
export interface ObservedRequestType {
  type: string;
  label: string;
  /** The function that answered it (its log group). */
  function: string;
  /** Recorded requests. */
  requests: number;
  /** The function's own output over those requests: UTF-8 bytes without newlines, and lines. */
  functionBytes: number;
  functionLines: number;
  /** One of its requests: what API Gateway would log of it. */
  routeKey: string;
  method: string;
  path: string;
  status: number;
  responseBytes: number;
  /** Mean DynamoDB operations per request (the flows' counts). */
  operationsPerRequest: Record<OperationKind, number>;
  /** The last line the function wrote for it, for the report (none: it wrote nothing). */
  sampleLine?: string;
}

/** The deployed settings the figures are computed for (lib/SessionsStack.ts). */
export interface DeployedLogging {
  platform: PlatformLogging;
  /** The API stage's access log format. */
  accessLogFormat: string;
  memorySizeMB: number;
  /** The stack's name: the functions' names start with it. */
  stackName: string;
}

/** Per request, the means over the recorded requests of one type. */
export interface RequestLogCost {
  type: string;
  label: string;
  requests: number;
  functionBytes: number;
  functionLines: number;
  platformBytes: number;
  platformLines: number;
  accessBytes: number;
  totalBytes: number;
  /** Log events per request (each line is one). */
  events: number;
  readUnits: number;
  writeUnits: number;
  /** Dollars per million requests. */
  logsPerMillion: number;
  dynamoDbPerMillion: number;
  totalPerMillion: number;
}

export interface LogCostResult {
  deployed: DeployedLogging;
  prices: typeof PRICES;
  requestTypes: RequestLogCost[];
  /** The logged-in page view's platform lines under each setting, warm (bytes per view). */
  platformChoices: { label: string; logging: PlatformLogging; bytes: number; lines: number }[];
  /** One logged-in page view's lines, as they would reach CloudWatch. */
  pageView: { functionLine?: string; platformLines: string[]; accessLine: string };
}

/** The request type whose cost is "per view". */
export const PAGE_VIEW_TYPE = 'loggedInIndex';

/**
 * A warm invocation's duration for the platform lines, from the docs' estimate (a page view with
 * one `GetItem`, about 8 ms billed, docs/operations.md): a few milliseconds of the function's own
 * work and about five per DynamoDB call. Only its digits reach the byte count.
 */
export function modelDurationMs(operations: number): number {
  return 2.61 + 5.23 * operations;
}

/** Max memory used, in MB, for the model: what a warm 1 GB Node.js function of ours reports is in the hundred. */
const MODEL_MAX_MEMORY_USED_MB = 98;
/** A Lambda request id (a UUID), an API Gateway HTTP API request id and a client address, of the usual lengths. */
const MODEL_LAMBDA_REQUEST_ID = '6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
const MODEL_API_REQUEST_ID = 'Cx4qNhQ8joEEJvA=';
const MODEL_SOURCE_IP = '203.0.113.10';

const pascal = (name: string) => `${name.charAt(0).toUpperCase()}${name.slice(1)}`;

/** A deployed function's ARN: CloudFormation names it `<stack>-<logical id>-<12 characters>`. */
export function modelFunctionArn(stackName: string, functionName: string): string {
  return `arn:aws:lambda:us-east-1:123456789012:function:${stackName}-${pascal(functionName)}FunctionAA14D79F-a1B2c3D4e5F6`;
}

const totalOperations = (operations: Record<OperationKind, number>) =>
  Object.values(operations).reduce((sum, count) => sum + count, 0);

/** The values of the access log's `$context` variables for one request of `observed`. */
export function accessValues(observed: ObservedRequestType, durationMs: number): Record<string, string> {
  // API Gateway's own time on top of the invocation: a couple of milliseconds each way.
  const integrationLatency = Math.ceil(durationMs) + 2;
  return {
    requestId: MODEL_API_REQUEST_ID,
    requestTime: '08/Dec/2026:10:00:00 +0000',
    'identity.sourceIp': MODEL_SOURCE_IP,
    routeKey: observed.routeKey,
    httpMethod: observed.method,
    path: observed.path,
    status: String(observed.status),
    responseLength: String(observed.responseBytes),
    responseLatency: String(integrationLatency + 1),
    integrationLatency: String(integrationLatency),
    integrationErrorMessage: '',
  };
}

const perMillionOfBytes = (bytes: number) => (bytes * 1e6 * PRICES.logsPerGB) / 1e9;

/**
 * Bytes per request of each kind of line, and what they and the DynamoDB operations cost per
 * million requests.
 * @example logCosts(observed, deployed).requestTypes.find((row) => row.type === 'loggedInIndex')
 */
export function logCosts(observed: readonly ObservedRequestType[], deployed: DeployedLogging): LogCostResult {
  const invocationOf = (row: ObservedRequestType): Invocation => ({
    requestId: MODEL_LAMBDA_REQUEST_ID,
    functionArn: modelFunctionArn(deployed.stackName, row.function),
    time: '2026-12-08T10:00:00.000Z',
    durationMs: modelDurationMs(totalOperations(row.operationsPerRequest)),
    memorySizeMB: deployed.memorySizeMB,
    maxMemoryUsedMB: MODEL_MAX_MEMORY_USED_MB,
  });
  const sizeOf = (lines: readonly string[]) => ({
    bytes: lines.reduce((sum, line) => sum + Buffer.byteLength(line), 0),
    lines: lines.length,
  });
  const requestTypes = observed.map((row): RequestLogCost => {
    const invocation = invocationOf(row);
    const platform = sizeOf(platformLines(deployed.platform, invocation));
    const accessBytes = Buffer.byteLength(
      renderAccessLine(deployed.accessLogFormat, accessValues(row, invocation.durationMs)),
    );
    const perRequest = (value: number) => (row.requests === 0 ? 0 : value / row.requests);
    const functionBytes = perRequest(row.functionBytes);
    const functionLines = perRequest(row.functionLines);
    const totalBytes = functionBytes + platform.bytes + accessBytes;
    let readUnits = 0;
    let writeUnits = 0;
    for (const [kind, count] of Object.entries(row.operationsPerRequest) as [OperationKind, number][]) {
      readUnits += REQUEST_UNITS[kind].read * count;
      writeUnits += REQUEST_UNITS[kind].write * count;
    }
    const logsPerMillion = perMillionOfBytes(totalBytes);
    const dynamoDbPerMillion =
      readUnits * PRICES.readUnitsPerMillion + writeUnits * PRICES.writeUnitsPerMillion;
    return {
      type: row.type,
      label: row.label,
      requests: row.requests,
      functionBytes,
      functionLines,
      platformBytes: platform.bytes,
      platformLines: platform.lines,
      accessBytes,
      totalBytes,
      events: functionLines + platform.lines + 1,
      readUnits,
      writeUnits,
      logsPerMillion,
      dynamoDbPerMillion,
      totalPerMillion: logsPerMillion + dynamoDbPerMillion,
    };
  });
  const view = observed.find((row) => row.type === PAGE_VIEW_TYPE);
  const viewInvocation = view ? invocationOf(view) : undefined;
  const choices: { label: string; logging: PlatformLogging }[] = [
    { label: 'text format (START, END, REPORT)', logging: { format: 'Text', systemLogLevel: 'INFO' } },
    {
      label: 'JSON format, system level INFO (platform.start, platform.report)',
      logging: { format: 'JSON', systemLogLevel: 'INFO' },
    },
    { label: 'JSON format, system level WARN (none)', logging: { format: 'JSON', systemLogLevel: 'WARN' } },
  ];
  return {
    deployed,
    prices: PRICES,
    requestTypes,
    platformChoices: choices.map(({ label, logging }) => ({
      label,
      logging,
      ...sizeOf(viewInvocation ? platformLines(logging, viewInvocation) : []),
    })),
    pageView: {
      functionLine: view?.sampleLine,
      platformLines: view && viewInvocation ? platformLines(deployed.platform, viewInvocation) : [],
      accessLine: view
        ? renderAccessLine(deployed.accessLogFormat, accessValues(view, viewInvocation?.durationMs ?? 0))
        : '',
    },
  };
}
