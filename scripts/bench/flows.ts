import { Logger } from '@aws-lambda-powertools/logger';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { readAppConfig } from '../../lambda/app/config';
import { createAppContext } from '../../lambda/app/context';
import { createLambdaHandler } from '../../lambda/app/lambdaHandler';
import type { HttpResponse } from '../../lambda/http/response';
import { indexRoute } from '../../lambda/index';
import { loginRoute } from '../../lambda/login';
import { logoutRoute } from '../../lambda/logout';
import { createDocumentClient } from '../../lambda/session/documentClient';
import { hashToken } from '../../lambda/session/KeyRing';
import { localLambdaContext } from '../../lib/local/apiGateway';
import { httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import type { CountingProxy } from '../../lib/local/storeProxy';
import { startBenchStore } from './benchStore';
import { BENCH_TABLE, randomSigningKey } from './constants';
import { type DiscardedOutput, discardOutput } from './discardOutput';
import { BenchCheckError } from './errors';
import { type RatioInterval, ratioOfMedians, type Summary, summarize } from './stats';

/** The request types the bench times, in flow order, with the label printed for each. */
export const REQUEST_TYPES = {
  anonymousIndex: 'GET / anonymous',
  loginForm: 'GET /login',
  login: 'POST /login',
  loggedInIndex: 'GET / logged in',
  badSignature: 'GET / bad signature',
  loginReplacing: 'POST /login replacing',
  logout: 'GET /logout',
  afterLogout: 'GET / after logout',
  floor: 'raw GetItem (floor)',
} as const;

export type RequestType = keyof typeof REQUEST_TYPES;

/** DynamoDB operations reported per request type; anything else is counted as `other`. */
export const OPERATION_KINDS = ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'other'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

export interface FlowBenchOptions {
  /** Timed flows. */
  flows: number;
  /** Logged-in `GET /` requests per flow. */
  k: number;
  /** Flows run first and not recorded (still checked). */
  warmupFlows: number;
  /** Progress lines (printed with the real stdout even while handler output is discarded). */
  report?: (line: string) => void;
}

export interface RequestTypeResult {
  type: RequestType;
  label: string;
  requests: number;
  /** Microseconds, from the call to the resolved result. */
  latencyUs: Summary;
  /** Mean DynamoDB operations per request, counted at the HTTP level by the proxy. */
  operationsPerRequest: Record<OperationKind, number>;
  writesPerRequest: number;
}

export interface FlowBenchResult {
  flows: number;
  k: number;
  warmupFlows: number;
  /** Wall-clock time of the timed flows, the interleaved floor reads included. */
  elapsedMs: number;
  flowsPerSecond: number;
  /** Flows per second of handler time alone (no floor reads, no bench bookkeeping). */
  handlerFlowsPerSecond: number;
  requestTypes: RequestTypeResult[];
  /**
   * Logged-in `GET /` median over the floor's, with a 95% bootstrap interval: each logged-in
   * request and its floor read are resampled as a pair.
   */
  floorRatio: RatioInterval;
  /** Correctness checks that held (every one must, or the bench throws). */
  checks: number;
  /** Handler output discarded during the flows (warm-up included). */
  output: Omit<DiscardedOutput, 'stderrTail'>;
}

type Handler = (event: APIGatewayProxyEventV2, context?: Context) => Promise<HttpResponse>;

interface Apps {
  index: Handler;
  login: Handler;
  logout: Handler;
}

const SITE = 'https://abc123.execute-api.us-east-1.amazonaws.com';
/** What a browser adds to a same-site form post or link: the cross-site check runs as in production. */
export const SAME_ORIGIN_HEADERS = { 'sec-fetch-site': 'same-origin', origin: SITE };
export const SESSION_COOKIE = /^__Host-session=/;
const NOT_LOGGED_IN = '<p>You are not logged in</p>';

/**
 * Runs `flows` timed flows (after `warmupFlows` untimed ones) through the three handlers,
 * built as in production, against an in-memory dynalite behind a counting proxy. Each flow:
 * anonymous `GET /`, `GET /login`, `POST /login`, K × logged-in `GET /` (each paired with a raw
 * `GetItem` floor read of the same item, alternating which goes first), `GET /` with a bad
 * signature, `POST /login` replacing the session, `GET /logout`, `GET /` with the logged-out
 * cookie. Every response and every request's DynamoDB operations are checked; the first wrong
 * one throws `BenchCheckError`. Needs dummy AWS credentials and a region in `process.env`.
 * @example const result = await runFlowBench({ flows: 300, k: 5, warmupFlows: 20 });
 */
export async function runFlowBench(options: FlowBenchOptions): Promise<FlowBenchResult> {
  const report = options.report ?? (() => undefined);
  const cleanups: (() => unknown)[] = [];
  try {
    const { proxy, close } = await startBenchStore();
    cleanups.push(close);

    // A clean environment, not process.env: default idle/absolute timeouts whatever the shell says.
    const config = readAppConfig({
      TABLE_NAME: BENCH_TABLE,
      DYNAMODB_ENDPOINT: proxy.endpoint,
      SESSION_SECRET: randomSigningKey(),
    });
    // The production logger at the deployed level (INFO), explicitly: the suite's or the shell's
    // POWERTOOLS_LOG_LEVEL must not turn the per-request log line off. Its output is discarded below.
    const logger = new Logger({ serviceName: 'sessions', logLevel: 'INFO' });
    const context = createAppContext(config, { logger });
    const apps: Apps = {
      index: createLambdaHandler(indexRoute, context),
      login: createLambdaHandler(loginRoute, context),
      logout: createLambdaHandler(logoutRoute, context),
    };
    // The floor gets its own client built by the same factory with the same endpoint: the
    // identical SDK path (config, middleware, keep-alive pool to the proxy) without reaching into
    // SessionStore's private client; both pools are warm after the warm-up flows.
    const floorClient = createDocumentClient({ endpoint: proxy.endpoint });
    cleanups.push(() => floorClient.destroy());

    const bench = new FlowRunner(apps, proxy, floorClient, options.k);
    const gate = discardOutput();
    let discarded: DiscardedOutput | undefined;
    let timed: { elapsedMs: number };
    try {
      gate.passThrough(() => report(`warm-up: ${options.warmupFlows} flows (not recorded)`));
      for (let flow = 0; flow < options.warmupFlows; flow++) await bench.flow(`warm-up ${flow + 1}`);
      bench.recording = true;
      const started = performance.now();
      const every = Math.max(1, Math.ceil(options.flows / 10));
      for (let flow = 0; flow < options.flows; flow++) {
        await bench.flow(`flow ${flow + 1}`);
        if ((flow + 1) % every === 0 || flow + 1 === options.flows) {
          gate.passThrough(() => report(`flows ${flow + 1}/${options.flows}`));
        }
      }
      timed = { elapsedMs: performance.now() - started };
    } catch (error) {
      discarded = gate.restore();
      if (discarded.stderrTail.length > 0) {
        process.stderr.write(`last stderr output of the handlers:\n${discarded.stderrTail.join('')}\n`);
      }
      throw error;
    } finally {
      discarded ??= gate.restore();
    }

    const handlerRequests = (options.warmupFlows + options.flows) * (7 + options.k);
    bench.check(
      'handler logging',
      discarded.requestLogLines >= handlerRequests,
      `one "request" log line per handler request (${handlerRequests}): the logging work is part of the measurement`,
      () => `${discarded.requestLogLines}`,
    );
    const { stderrTail: _tail, ...output } = discarded;
    const results = bench.results();
    const handlerMs =
      results
        .filter((result) => result.type !== 'floor')
        .reduce((total, result) => total + result.latencyUs.mean * result.requests, 0) / 1000;
    return {
      flows: options.flows,
      k: options.k,
      warmupFlows: options.warmupFlows,
      elapsedMs: timed.elapsedMs,
      flowsPerSecond: options.flows / (timed.elapsedMs / 1000),
      handlerFlowsPerSecond: options.flows / (handlerMs / 1000),
      requestTypes: results,
      floorRatio: ratioOfMedians(bench.samplesOf('loggedInIndex'), bench.samplesOf('floor')),
      checks: bench.checks,
      output,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

/** One flow's requests, their timing and operation counts, and their checks. */
class FlowRunner {
  recording = false;
  checks = 0;
  private readonly samples = new Map<RequestType, number[]>();
  private readonly operations = new Map<RequestType, Map<string, number>>();
  private userCounter = 0;

  constructor(
    private readonly apps: Apps,
    private readonly proxy: CountingProxy,
    private readonly floorClient: DynamoDBDocumentClient,
    private readonly k: number,
  ) {}

  check(step: string, condition: boolean, expected: string, got: () => string): void {
    if (!condition) throw new BenchCheckError(step, expected, got());
    this.checks++;
  }

  async flow(name: string): Promise<void> {
    const username = `bench-user-${++this.userCounter}`;
    const at = (type: RequestType) => `${name}: ${REQUEST_TYPES[type]}`;

    const anonymous = await this.send('anonymousIndex', 'index', httpEvent());
    this.expectPage(at('anonymousIndex'), anonymous, NOT_LOGGED_IN);
    this.expectOperations(at('anonymousIndex'), anonymous.operations, []);

    const form = await this.send('loginForm', 'login', httpEvent({ path: '/login' }));
    this.expectPage(at('loginForm'), form, 'name="username"');
    this.expectOperations(at('loginForm'), form.operations, []);

    const login = await this.send('login', 'login', loginEvent(username, { headers: SAME_ORIGIN_HEADERS }));
    const cookie = this.expectLogin(at('login'), login);
    this.expectOperations(at('login'), login.operations, ['PutItem']);

    for (let read = 0; read < this.k; read++) {
      // Alternate which goes first, so neither always runs on the connection the other just used.
      if (read % 2 === 0) await this.floorRead(name, cookie, username);
      const page = await this.send('loggedInIndex', 'index', httpEvent({ cookies: [cookie] }));
      this.expectPage(at('loggedInIndex'), page, `<p>Logged in as ${username}</p>`);
      this.check(at('loggedInIndex'), page.response.cookies.length === 0, 'no Set-Cookie', () =>
        describe(page.response),
      );
      // Exactly one read; a write only when the sliding refresh is due.
      const ops = page.operations.join(',');
      this.check(
        at('loggedInIndex'),
        ops === 'GetItem' || ops === 'GetItem,UpdateItem',
        'GetItem[,UpdateItem]',
        () => (ops === '' ? 'none' : ops),
      );
      if (read % 2 === 1) await this.floorRead(name, cookie, username);
    }

    const forged = await this.send(
      'badSignature',
      'index',
      httpEvent({ cookies: [tamperSignature(cookie)] }),
    );
    this.expectPage(at('badSignature'), forged, NOT_LOGGED_IN);
    this.expectOperations(at('badSignature'), forged.operations, []);

    const replacing = await this.send(
      'loginReplacing',
      'login',
      loginEvent(`${username}-again`, { cookies: [cookie], headers: SAME_ORIGIN_HEADERS }),
    );
    const replaced = this.expectLogin(at('loginReplacing'), replacing);
    this.check(
      at('loginReplacing'),
      tokenOf(replaced) !== tokenOf(cookie),
      'a new session id',
      () => 'the same id',
    );
    this.expectOperations(at('loginReplacing'), replacing.operations, ['PutItem', 'DeleteItem']);

    const logout = await this.send(
      'logout',
      'logout',
      httpEvent({ path: '/logout', cookies: [replaced], headers: SAME_ORIGIN_HEADERS }),
    );
    this.expectRedirect(at('logout'), logout.response);
    this.check(
      at('logout'),
      logout.response.cookies.length === 1 &&
        /^__Host-session=;.*Max-Age=0/i.test(logout.response.cookies[0]),
      'the session cookie cleared (Max-Age=0)',
      () => describe(logout.response),
    );
    this.expectOperations(at('logout'), logout.operations, ['DeleteItem']);

    const after = await this.send('afterLogout', 'index', httpEvent({ cookies: [replaced] }));
    this.expectPage(at('afterLogout'), after, NOT_LOGGED_IN);
    const ops = after.operations.join(',');
    this.check(
      at('afterLogout'),
      ops === '' || ops === 'GetItem',
      'at most one GetItem and no write',
      () => ops,
    );
  }

  /** Latencies in µs in the order measured: the i-th logged-in `GET /` and the i-th floor read were made together. */
  samplesOf(type: RequestType): readonly number[] {
    return this.samples.get(type) ?? [];
  }

  results(): RequestTypeResult[] {
    return (Object.keys(REQUEST_TYPES) as RequestType[]).map((type) => {
      const samples = this.samples.get(type) ?? [];
      const counts = this.operations.get(type) ?? new Map<string, number>();
      const perRequest = (count: number) => (samples.length === 0 ? 0 : count / samples.length);
      const operationsPerRequest = Object.fromEntries(OPERATION_KINDS.map((kind) => [kind, 0])) as Record<
        OperationKind,
        number
      >;
      let writes = 0;
      for (const [operation, count] of counts) {
        const kind = (OPERATION_KINDS as readonly string[]).includes(operation)
          ? (operation as OperationKind)
          : 'other';
        operationsPerRequest[kind] += perRequest(count);
        if (WRITES.has(operation)) writes += count;
      }
      return {
        type,
        label: REQUEST_TYPES[type],
        requests: samples.length,
        latencyUs: summarize(samples),
        operationsPerRequest,
        writesPerRequest: perRequest(writes),
      };
    });
  }

  /** Times one handler call (event and context built before the clock starts). */
  private async send(
    type: RequestType,
    app: keyof Apps,
    event: APIGatewayProxyEventV2,
  ): Promise<{ response: HttpResponse; operations: string[] }> {
    const lambdaContext = localLambdaContext(`sessions-${app}`);
    const handler = this.apps[app];
    const { result, operations } = await this.measure(type, () => handler(event, lambdaContext));
    return { response: result, operations };
  }

  /** The floor: one `GetItem` with `ConsistentRead` of the flow's session item, nothing else. */
  private async floorRead(name: string, cookie: string, username: string): Promise<void> {
    const command = new GetCommand({
      TableName: BENCH_TABLE,
      Key: { id: hashToken(tokenOf(cookie)) },
      ConsistentRead: true,
    });
    const { result, operations } = await this.measure('floor', () => this.floorClient.send(command));
    const data = result.Item?.data as Record<string, unknown> | undefined;
    this.check(
      `${name}: ${REQUEST_TYPES.floor}`,
      data?.username === username,
      `the session item of ${username}`,
      () => JSON.stringify(data ?? null),
    );
    this.expectOperations(`${name}: ${REQUEST_TYPES.floor}`, operations, ['GetItem']);
  }

  private async measure<T>(
    type: RequestType,
    call: () => Promise<T>,
  ): Promise<{ result: T; operations: string[] }> {
    this.proxy.reset();
    const started = process.hrtime.bigint();
    const result = await call();
    const micros = Number(process.hrtime.bigint() - started) / 1000;
    const operations = [...this.proxy.operations];
    if (this.recording) {
      const samples = this.samples.get(type) ?? [];
      samples.push(micros);
      this.samples.set(type, samples);
      const counts = this.operations.get(type) ?? new Map<string, number>();
      for (const operation of operations) counts.set(operation, (counts.get(operation) ?? 0) + 1);
      this.operations.set(type, counts);
    }
    return { result, operations };
  }

  private expectPage(step: string, { response }: { response: HttpResponse }, text: string): void {
    this.check(step, response.statusCode === 200 && response.body.includes(text), `200 with "${text}"`, () =>
      describe(response),
    );
  }

  private expectRedirect(step: string, response: HttpResponse): void {
    this.check(step, response.statusCode === 303 && response.headers.location === '/', '303 to /', () =>
      describe(response),
    );
  }

  /** A 303 to `/` setting one session cookie; returns its `name=value`. */
  private expectLogin(step: string, { response }: { response: HttpResponse }): string {
    this.expectRedirect(step, response);
    const cookies = response.cookies.filter((cookie) => SESSION_COOKIE.test(cookie));
    this.check(step, cookies.length === 1 && !/Max-Age=0/i.test(cookies[0]), 'one session cookie set', () =>
      describe(response),
    );
    return cookies[0].split(';')[0];
  }

  private expectOperations(step: string, operations: readonly string[], expected: readonly string[]): void {
    this.check(
      step,
      operations.join(',') === expected.join(','),
      `DynamoDB operations [${expected.join(', ')}]`,
      () => `[${operations.join(', ')}]`,
    );
  }
}

/** The token part of a `name=token.signature` cookie. */
function tokenOf(pair: string): string {
  return pair.slice(pair.indexOf('=') + 1).split('.')[0];
}

/** The same cookie with one character of its signature changed: well-formed, wrongly signed. */
function tamperSignature(pair: string): string {
  const dot = pair.lastIndexOf('.');
  const signature = pair.slice(dot + 1);
  return `${pair.slice(0, dot + 1)}${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
}

/** A response for an error message: status, location, cookie attributes (no values), the page's text. */
function describe(response: HttpResponse): string {
  const cookies = response.cookies.map((cookie) => cookie.replace(/=[^;]*/, '=…'));
  const main = /<main>([\s\S]*?)<\/main>/.exec(response.body)?.[1] ?? response.body;
  const body = main
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 160);
  return `status ${response.statusCode}${response.headers.location ? ` → ${response.headers.location}` : ''}, set-cookie [${cookies.join(' | ')}], body "${body}"`;
}
