import * as path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { type AppConfig, readAppConfig } from '../../lambda/app/config';
import { createAppContext } from '../../lambda/app/context';
import { createLambdaHandler } from '../../lambda/app/lambdaHandler';
import type { RequestLog } from '../../lambda/app/requestLog';
import type { HttpResponse } from '../../lambda/http/response';
import { indexRoute } from '../../lambda/index';
import { loginRoute } from '../../lambda/login';
import { logoutRoute } from '../../lambda/logout';
import { createDocumentClient } from '../../lambda/session/src/documentClient';
import { hashToken } from '../../lambda/session/src/KeyRing';
import { type SealedValues, SessionSeal } from '../../lambda/session/src/SessionSeal';
import { sessionsRoute } from '../../lambda/sessions';
import { localLambdaContext } from '../../lib/local/apiGateway';
import { formEvent, httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { startBenchStore } from './benchStore';
import type { CompanionFactory, CompanionResult, FlowCompanion } from './companion';
import { BENCH_TABLE, RESULTS_FOLDER, randomSigningKey } from './constants';
import { BenchCheckError } from './errors';
import { type HandlerOutputSummary, redirectHandlerOutput } from './handlerOutput';
import { createMiddyIndex } from './middyIndex';
import { RequestRecorder, type RequestSummary } from './recorder';
import { type RatioInterval, ratioOfMedians, summarize } from './stats';

export { OPERATION_KINDS, type OperationKind } from './recorder';

/** The request types the bench times, in flow order, with the label printed for each. */
export const REQUEST_TYPES = {
  anonymousIndex: 'GET / anonymous',
  loginForm: 'GET /login',
  login: 'POST /login',
  loggedInIndex: 'GET / logged in',
  loggedInIndexNoLogLine: 'GET / logged in, no log line',
  loggedInIndexOnMiddy: 'GET / logged in, on Middy (no log line)',
  sessionsPage: 'GET /sessions',
  revoke: 'POST /sessions/revoke',
  badSignature: 'GET / bad signature',
  loginReplacing: 'POST /login replacing',
  logout: 'GET /logout',
  afterLogout: 'GET / after logout',
  floor: 'raw GetItem (floor)',
} as const;

export type RequestType = keyof typeof REQUEST_TYPES;

/** Where the handlers' stdout and stderr go during the flows (git-ignored). */
export const HANDLER_OUTPUT_FILE = path.join(RESULTS_FOLDER, 'handler-output.log');

export interface FlowBenchOptions {
  /** Timed flows. */
  flows: number;
  /** Logged-in `GET /` requests per flow. */
  k: number;
  /** Flows run first and not recorded (still checked). */
  warmupFlows: number;
  /** Progress lines (printed with the real stdout even while handler output goes to the file). */
  report?: (line: string) => void;
  /** Where the handlers' output is written (default HANDLER_OUTPUT_FILE; truncated first). */
  handlerOutputFile?: string;
  /** Another implementation measured side by side with ours (the peer, in `npm run bench`). */
  companion?: CompanionFactory;
}

export interface RequestTypeResult extends RequestSummary {
  type: RequestType;
  label: string;
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
   * request and its floor read are resampled as a pair. The handler's log line is written to
   * the output file, as Lambda writes it: the target applies to this one.
   */
  floorRatio: RatioInterval;
  /** The same for our index handler with its logger at ERROR: the request line not produced at all. */
  floorRatioWithoutLogLine: RatioInterval;
  /** The median time the index's request line took to build and write, timed in the handler (µs). */
  indexLineMedianUs: number;
  /** The page on Middy over ours, both without the log line (information, no target). */
  middyRatio: RatioInterval;
  /** The companion's request types and our logged-in `GET /` over its (when there is one). */
  companion?: CompanionResult;
  /** Correctness checks that held (every one must, or the bench throws). */
  checks: number;
  /** What the handlers wrote during the flows (warm-up included). */
  output: HandlerOutputSummary;
}

type Handler = (event: APIGatewayProxyEventV2, context?: Context) => Promise<HttpResponse>;

interface Apps {
  index: Handler;
  login: Handler;
  logout: Handler;
  sessions: Handler;
  /** The index handler with its logger at ERROR: no request line. */
  indexNoLogLine: Handler;
  /** `GET /` on Middy with the session middleware (no request line either). */
  indexOnMiddy: Handler;
}

/**
 * Our four handlers built as in production: each function runs in containers of its own, so
 * each handler gets its own app context (DynamoDB client, key ring, logger), and the index's
 * client carries no login's or logout's writes. On the configuration's endpoint, with the
 * production logger at `logLevel`: INFO as deployed; ERROR leaves the per-request line out.
 * Explicit, so the suite's or the shell's POWERTOOLS_LOG_LEVEL cannot change what is measured.
 * @example const { index } = createBenchHandlers(config, 'INFO');
 */
export function createBenchHandlers(
  config: AppConfig,
  logLevel: 'INFO' | 'ERROR',
  /** Receives how long each of the index's request lines took to build and write, in ms. */
  onIndexLine?: (ms: number) => void,
): Record<'index' | 'login' | 'logout' | 'sessions', Handler> {
  const context = (userSessions = false) =>
    createAppContext(config, { logger: new Logger({ serviceName: 'sessions', logLevel }), userSessions });
  const indexContext = context();
  if (onIndexLine) indexContext.requestLog = timed(indexContext.requestLog, onIndexLine);
  return {
    index: createLambdaHandler(indexRoute, indexContext),
    login: createLambdaHandler(loginRoute, context()),
    logout: createLambdaHandler(logoutRoute, context()),
    sessions: createLambdaHandler(sessionsRoute, context(true)),
  };
}

/** `requestLog`, reporting each call's time: the line's cost where the handler pays it. */
function timed(requestLog: RequestLog, report: (ms: number) => void): RequestLog {
  return (fields, metricNames) => {
    const started = performance.now();
    requestLog(fields, metricNames);
    report(performance.now() - started);
  };
}

const SITE = 'https://abc123.execute-api.us-east-1.amazonaws.com';
/** What a browser adds to a same-site form post or link: the cross-site check runs as in production. */
export const SAME_ORIGIN_HEADERS = { 'sec-fetch-site': 'same-origin', origin: SITE };
export const SESSION_COOKIE = /^__Host-session=/;
const NOT_LOGGED_IN = '<p>You are not logged in</p>';
/**
 * Handler requests per flow besides the K logged-in reads: anonymous `GET /`, `GET /login`, two
 * logins, `GET /sessions`, the revoke, the revoked device's `GET /`, the bad signature, the
 * replacing login, the logout and the `GET /` after it.
 */
export const HANDLER_REQUESTS_PER_FLOW = 11;

/**
 * Runs `flows` timed flows (after `warmupFlows` untimed ones) through the four handlers,
 * built as in production, against an in-memory dynalite behind a counting proxy. Each flow:
 * anonymous `GET /`, `GET /login`, `POST /login`, K × logged-in `GET /` (each measured next to
 * a raw `GetItem` floor read of the same item, the same page from an index handler logging at
 * ERROR, and the companion's logged-in page if there is one, in rotating order), a second login
 * of the same user (another device), `GET /sessions` listing both, `POST /sessions/revoke` of the
 * other, `GET /` with a
 * bad signature, `POST /login` replacing the session, `GET /logout`, `GET /` with the logged-out
 * cookie. The handlers' output goes to a file, written as Lambda writes it (handlerOutput.ts).
 * Every response and every request's DynamoDB operations are checked; the first wrong one
 * throws `BenchCheckError`. Needs dummy AWS credentials and a region in `process.env`.
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
    const indexLineMs: number[] = [];
    const apps: Apps = {
      ...createBenchHandlers(config, 'INFO', (ms) => recorder.recording && indexLineMs.push(ms)),
      indexNoLogLine: createBenchHandlers(config, 'ERROR').index,
      indexOnMiddy: await createMiddyIndex(
        createAppContext(config, { logger: new Logger({ serviceName: 'sessions', logLevel: 'ERROR' }) }),
      ),
    };
    // The floor gets its own client built by the same factory with the same endpoint: the
    // identical SDK path (config, middleware, keep-alive pool to the proxy) without reaching into
    // SessionStore's private client; both pools are warm after the warm-up flows.
    const floorClient = createDocumentClient({ endpoint: proxy.endpoint });
    cleanups.push(() => floorClient.destroy());

    const recorder = new RequestRecorder(proxy);
    let bench: FlowRunner | undefined;
    const companion = await options.companion?.({
      endpoint: proxy.endpoint,
      recorder,
      check: (...args) => bench?.check(...args),
    });
    if (companion) cleanups.push(() => companion.close());
    bench = new FlowRunner(apps, recorder, floorClient, options.k, companion);
    const output = redirectHandlerOutput(options.handlerOutputFile ?? HANDLER_OUTPUT_FILE);
    let written: HandlerOutputSummary | undefined;
    let timed: { elapsedMs: number };
    try {
      output.passThrough(() => report(`warm-up: ${options.warmupFlows} flows (not recorded)`));
      for (let flow = 0; flow < options.warmupFlows; flow++) await bench.flow(`warm-up ${flow + 1}`);
      recorder.recording = true;
      const started = performance.now();
      const every = Math.max(1, Math.ceil(options.flows / 10));
      for (let flow = 0; flow < options.flows; flow++) {
        await bench.flow(`flow ${flow + 1}`);
        if ((flow + 1) % every === 0 || flow + 1 === options.flows) {
          output.passThrough(() => report(`flows ${flow + 1}/${options.flows}`));
        }
      }
      timed = { elapsedMs: performance.now() - started };
    } catch (error) {
      written = output.restore();
      if (output.stderrTail.length > 0) {
        process.stderr.write(`last stderr output of the handlers:\n${output.stderrTail.join('')}\n`);
      }
      throw error;
    } finally {
      written ??= output.restore();
    }

    // Every handler request wrote its line, and the ERROR-level index handler wrote none.
    const handlerRequests = (options.warmupFlows + options.flows) * (HANDLER_REQUESTS_PER_FLOW + options.k);
    bench.check(
      'handler logging',
      written.requestLogLines === handlerRequests,
      `one "request" log line per handler request at INFO (${handlerRequests}) in ${written.file}: ` +
        'the logging work is part of the measurement',
      () => `${written.requestLogLines}`,
    );
    const results = bench.results();
    const handlerMs =
      results
        .filter(
          (result) => !['floor', 'loggedInIndexNoLogLine', 'loggedInIndexOnMiddy'].includes(result.type),
        )
        .reduce((total, result) => total + result.latencyUs.mean * result.requests, 0) / 1000;
    const floor = recorder.samplesOf('floor');
    const loggedIn = recorder.samplesOf('loggedInIndex');
    return {
      flows: options.flows,
      k: options.k,
      warmupFlows: options.warmupFlows,
      elapsedMs: timed.elapsedMs,
      flowsPerSecond: options.flows / (timed.elapsedMs / 1000),
      handlerFlowsPerSecond: options.flows / (handlerMs / 1000),
      requestTypes: results,
      floorRatio: ratioOfMedians(loggedIn, floor),
      floorRatioWithoutLogLine: ratioOfMedians(recorder.samplesOf('loggedInIndexNoLogLine'), floor),
      indexLineMedianUs: summarize(indexLineMs).median * 1000,
      middyRatio: ratioOfMedians(
        recorder.samplesOf('loggedInIndexOnMiddy'),
        recorder.samplesOf('loggedInIndexNoLogLine'),
      ),
      ...(companion
        ? {
            companion: {
              name: companion.name,
              requestTypes: companion.requestTypes(),
              loggedInRatio: ratioOfMedians(loggedIn, recorder.samplesOf(companion.pairedType)),
            },
          }
        : {}),
      checks: bench.checks,
      output: written,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

/** One flow's requests, their timing and operation counts, and their checks. */
class FlowRunner {
  checks = 0;
  private userCounter = 0;
  private readCounter = 0;

  constructor(
    private readonly apps: Apps,
    private readonly recorder: RequestRecorder,
    private readonly floorClient: DynamoDBDocumentClient,
    private readonly k: number,
    private readonly companion: FlowCompanion | undefined,
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

    await this.companion?.beforeReads(name);
    // Each logged-in read of ours is measured next to the floor read, the same page without its
    // log line, and the companion's page: the i-th of each share the machine's noise.
    const reads = [
      () => this.loggedInRead(name, cookie, username, 'loggedInIndex', 'index'),
      () => this.loggedInRead(name, cookie, username, 'loggedInIndexNoLogLine', 'indexNoLogLine'),
      () => this.loggedInRead(name, cookie, username, 'loggedInIndexOnMiddy', 'indexOnMiddy'),
      () => this.floorRead(name, cookie, username),
      ...(this.companion ? [() => this.companion?.read(name)] : []),
    ];
    for (let read = 0; read < this.k; read++) {
      // Rotate the order, so none always goes first or runs on the connection another just used.
      const first = this.readCounter++ % reads.length;
      for (let next = 0; next < reads.length; next++) await reads[(first + next) % reads.length]();
    }
    await this.companion?.afterReads(name);

    await this.revokeAnotherDevice(name, cookie, username);

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

  /**
   * The user logs in on a second device; the first lists its sessions and logs the second out,
   * which is then logged out at its next request.
   */
  private async revokeAnotherDevice(name: string, cookie: string, username: string): Promise<void> {
    const at = (type: RequestType) => `${name}: ${REQUEST_TYPES[type]}`;
    const second = await this.send('login', 'login', loginEvent(username, { headers: SAME_ORIGIN_HEADERS }));
    const phone = this.expectLogin(at('login'), second);
    this.expectOperations(at('login'), second.operations, ['PutItem']);

    const page = await this.send(
      'sessionsPage',
      'sessions',
      httpEvent({ path: '/sessions', cookies: [cookie] }),
    );
    this.expectPage(at('sessionsPage'), page, '(This device)');
    const ids = [...page.response.body.matchAll(/name="session" value="([\w-]{22})"/g)].map(
      (match) => match[1],
    );
    this.check(at('sessionsPage'), ids.length === 1, 'one other session to log out', () => `${ids.length}`);
    this.expectOperations(at('sessionsPage'), page.operations, ['GetItem', 'Query']);

    const revoke = await this.send(
      'revoke',
      'sessions',
      formEvent('/sessions/revoke', { session: ids[0] }, { cookies: [cookie], headers: SAME_ORIGIN_HEADERS }),
    );
    this.check(
      at('revoke'),
      revoke.response.statusCode === 303 && revoke.response.headers.location === '/sessions',
      '303 to /sessions',
      () => describe(revoke.response),
    );
    this.expectOperations(at('revoke'), revoke.operations, ['GetItem', 'Query', 'DeleteItem']);

    const revoked = await this.send('afterLogout', 'index', httpEvent({ cookies: [phone] }));
    this.expectPage(at('afterLogout'), revoked, NOT_LOGGED_IN);
  }

  results(): RequestTypeResult[] {
    return (Object.keys(REQUEST_TYPES) as RequestType[]).map((type) => ({
      type,
      label: REQUEST_TYPES[type],
      ...this.recorder.summary(type),
    }));
  }

  /** One logged-in `GET /` through `app`: the user's page, no Set-Cookie, one read. */
  private async loggedInRead(
    name: string,
    cookie: string,
    username: string,
    type: RequestType,
    app: keyof Apps,
  ): Promise<void> {
    const step = `${name}: ${REQUEST_TYPES[type]}`;
    const page = await this.send(type, app, httpEvent({ cookies: [cookie] }));
    this.expectPage(step, page, `<p>Logged in as ${username}</p>`);
    this.check(step, page.response.cookies.length === 0, 'no Set-Cookie', () => describe(page.response));
    // Exactly one read; a write only when the sliding refresh is due.
    const ops = page.operations.join(',');
    this.check(step, ops === 'GetItem' || ops === 'GetItem,UpdateItem', 'GetItem[,UpdateItem]', () =>
      ops === '' ? 'none' : ops,
    );
  }

  /** Times one handler call (event and context built before the clock starts). */
  private async send(
    type: RequestType,
    app: keyof Apps,
    event: APIGatewayProxyEventV2,
  ): Promise<{ response: HttpResponse; operations: string[] }> {
    const lambdaContext = localLambdaContext(`sessions-${app}`);
    const handler = this.apps[app];
    const { result, operations } = await this.recorder.measure(type, () => handler(event, lambdaContext));
    return { response: result, operations };
  }

  /** The floor: one `GetItem` with `ConsistentRead` of the flow's session item, nothing else. */
  private async floorRead(name: string, cookie: string, username: string): Promise<void> {
    const command = floorCommand(cookie);
    const { result, operations } = await this.recorder.measure('floor', () => this.floorClient.send(command));
    // The item holds the username sealed: it opens with the cookie's token, and only with it.
    const sealed = (result.Item?.sealed ?? {}) as SealedValues;
    const { data, rejected } = new SessionSeal(tokenOf(cookie)).openAll(sealed);
    this.check(
      `${name}: ${REQUEST_TYPES.floor}`,
      rejected === 0 && Object.keys(data).length === 1 && data.username === username,
      `the session item of ${username}, sealed`,
      () => `${Object.keys(sealed).length} sealed values, ${rejected} not opening`,
    );
    const plain = Object.entries(sealed).some(
      ([tag, value]) => tag.includes(username) || Buffer.from(value).includes(username),
    );
    this.check(`${name}: ${REQUEST_TYPES.floor}`, !plain, 'no plain username in the item', () => 'found');
    this.expectOperations(`${name}: ${REQUEST_TYPES.floor}`, operations, ['GetItem']);
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

/** The floor read of a session cookie's item: one `GetItem` with `ConsistentRead`, nothing else. */
function floorCommand(cookie: string): GetCommand {
  return new GetCommand({
    TableName: BENCH_TABLE,
    Key: { id: hashToken(tokenOf(cookie)) },
    ConsistentRead: true,
  });
}

/** A logged-in user's page and floor read outside the flows (`--cpu-profile` loops over them). */
export interface LoggedInProbe {
  /** One logged-in `GET /` through our index handler, logging at INFO (to wherever stdout goes). */
  page(): Promise<void>;
  /** One raw `GetItem` of the same session item, through its own client: the floor. */
  floor(): Promise<void>;
  close(): void;
}

/**
 * Logs a user in through our login handler against `endpoint` (the bench store's table) and
 * returns its page and floor read; each call checks its answer and throws `BenchCheckError`.
 * @example const probe = await createLoggedInProbe(proxy.endpoint); await probe.page();
 */
export async function createLoggedInProbe(endpoint: string): Promise<LoggedInProbe> {
  const config = readAppConfig({
    TABLE_NAME: BENCH_TABLE,
    DYNAMODB_ENDPOINT: endpoint,
    SESSION_SECRET: randomSigningKey(),
  });
  const handlers = createBenchHandlers(config, 'INFO');
  const login = await handlers.login(
    loginEvent('profile-user', { headers: SAME_ORIGIN_HEADERS }),
    localLambdaContext('sessions-login'),
  );
  const cookie = login.cookies.find((value) => SESSION_COOKIE.test(value))?.split(';')[0];
  if (login.statusCode !== 303 || cookie === undefined) {
    throw new BenchCheckError('profile: POST /login', 'a 303 setting the session cookie', describe(login));
  }
  const floorClient = createDocumentClient({ endpoint });
  const command = floorCommand(cookie);
  const context = localLambdaContext('sessions-index');
  return {
    async page() {
      const response = await handlers.index(httpEvent({ cookies: [cookie] }), context);
      if (response.statusCode !== 200 || !response.body.includes('<p>Logged in as profile-user</p>')) {
        throw new BenchCheckError(
          'profile: GET / logged in',
          '200 "Logged in as profile-user"',
          describe(response),
        );
      }
    },
    async floor() {
      const { Item } = await floorClient.send(command);
      if (Item === undefined) throw new BenchCheckError('profile: floor read', 'the session item', 'none');
    },
    close: () => floorClient.destroy(),
  };
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
