import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '@lambda-sessions/dynamodb';
import { TABLE_SCHEMA } from '@lambda-sessions/dynamodb/table';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { readAppConfig } from '../../lambda/app/config';
import { createAppContext } from '../../lambda/app/context';
import { createLambdaHandler } from '../../lambda/app/lambdaHandler';
import type { HttpResponse } from '../../lambda/http/response';
import { indexRoute } from '../../lambda/routes/indexRoute';
import { loginRoute } from '../../lambda/routes/loginRoute';
import { logoutRoute } from '../../lambda/routes/logoutRoute';
import { sessionsRoute } from '../../lambda/routes/sessionsRoute';
import { localLambdaContext } from '../../lib/local/apiGateway';
import { formEvent, httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import {
  BENCH_TABLE,
  Checks,
  describeResponse,
  expectAnswer,
  RESULTS_FOLDER,
  randomSigningKey,
  startBenchStore,
} from './common';
import { type HandlerOutputSummary, type OutputRedirect, redirectHandlerOutput } from './handlerOutput';
import type { ObservedRequestType } from './logCost';
import { createMiddyIndex } from './middyIndex';
import { PEER_NAME, type PeerFlow, type PeerRequestTypeResult, startPeer } from './peer/flow';
import { RequestRecorder, type RequestSummary } from './recorder';
import { type RatioInterval, ratioOfMedians } from './stats';

/**
 * The request types the bench times, in flow order: the label printed for each, and the DynamoDB
 * operations each of its requests must make, in order. Every request is checked against them as
 * it runs; the targets and `npm test` (test/bench/) report the same counts.
 */
export const REQUEST_TYPES = {
  anonymousIndex: { label: 'GET / anonymous', operations: [] },
  loginForm: { label: 'GET /login', operations: [] },
  login: { label: 'POST /login', operations: ['PutItem'] },
  loggedInIndex: { label: 'GET / logged in', operations: ['GetItem'] },
  loggedInIndexNoLogLine: { label: 'GET / logged in, no log line', operations: ['GetItem'] },
  loggedInIndexOnMiddy: { label: 'GET / logged in, on Middy (no log line)', operations: ['GetItem'] },
  sessionsPage: { label: 'GET /sessions', operations: ['GetItem', 'Query'] },
  // The listing again (the revoked device's label, for the flash), the revoke's own Query and
  // delete, then the flash ("Signed out …") saved into this session.
  revoke: {
    label: 'POST /sessions/revoke',
    operations: ['GetItem', 'Query', 'Query', 'DeleteItem', 'UpdateItem'],
  },
  badSignature: { label: 'GET / bad signature', operations: [] },
  loginReplacing: { label: 'POST /login replacing', operations: ['PutItem', 'DeleteItem'] },
  // The session deleted, then a new anonymous one holding only "You were logged out." (its flash).
  logout: { label: 'GET /logout', operations: ['DeleteItem', 'PutItem'] },
  afterLogout: { label: 'GET / after logout', operations: ['GetItem'] },
  floor: { label: 'raw GetItem (floor)', operations: ['GetItem'] },
} as const satisfies Record<string, { label: string; operations: readonly string[] }>;

export type RequestType = keyof typeof REQUEST_TYPES;

/** Where the handlers' stdout and stderr go during the flows (git-ignored). */
export const HANDLER_OUTPUT_FILE = path.join(RESULTS_FOLDER, 'handler-output.log');

export interface FlowBenchOptions {
  /** Timed flows, after `warmupFlows` that are checked but not recorded. */
  flows: number;
  /** Logged-in `GET /` requests per flow. */
  k: number;
  warmupFlows: number;
  /** Progress lines (printed on the real stdout while the handlers' output goes to the file). */
  report?: (line: string) => void;
  /** Where the handlers' output is written (default HANDLER_OUTPUT_FILE; truncated first). */
  handlerOutputFile?: string;
}

export interface RequestTypeResult extends RequestSummary {
  type: RequestType;
  label: string;
}

export interface FlowBenchResult {
  flows: number;
  k: number;
  warmupFlows: number;
  requestTypes: RequestTypeResult[];
  /**
   * Logged-in `GET /` median over the floor's, with a 95% bootstrap interval (each page view
   * resampled with the floor read made next to it); the log line written, as deployed.
   */
  floorRatio: RatioInterval;
  /** The same for our index handler with its logger at ERROR: no request line at all. */
  floorRatioWithoutLogLine: RatioInterval;
  /** The page on Middy over ours, both without the log line (information, no target). */
  middyRatio: RatioInterval;
  peer: {
    name: string;
    requestTypes: PeerRequestTypeResult[];
    /** Our logged-in `GET /` median over the peer's, each resampled with the peer's request made next to it. */
    loggedInRatio: RatioInterval;
  };
  /** Correctness checks that held (every one must, or the bench throws). */
  checks: number;
  /** What the handlers wrote during the flows (warm-up included). */
  output: HandlerOutputSummary;
  /**
   * What each request type answered by an INFO handler wrote during the timed flows (its own log
   * lines), with what its access log line and its cost depend on: the input of `logCosts`.
   */
  logged: ObservedRequestType[];
}

type Handler = (event: APIGatewayProxyEventV2, context?: Context) => Promise<HttpResponse>;
/** Our four functions, plus the index logging at ERROR (no request line) and the index on Middy. */
type AppName = 'index' | 'login' | 'logout' | 'sessions' | 'indexNoLogLine' | 'indexOnMiddy';
/** The handlers that log at INFO, as deployed: each request to them must write one line. */
const LOGGING_APPS: ReadonlySet<AppName> = new Set(['index', 'login', 'logout', 'sessions']);

/**
 * The functions' service name, as deployed: the stack's name (lib/app.ts `SESSIONS_STACK_NAME`,
 * which the stack gives as `POWERTOOLS_SERVICE_NAME`; a test holds the two together). It is the
 * metrics' dimension on every request line, so its length is part of what the lines weigh.
 */
export const BENCH_SERVICE_NAME = 'ServerSessionsStack';

const SITE = 'https://abc123.execute-api.us-east-1.amazonaws.com';
/** What a browser adds to a same-site form post or link: the cross-site check runs as in production. */
export const SAME_ORIGIN_HEADERS = { 'sec-fetch-site': 'same-origin', origin: SITE };
export const SESSION_COOKIE = /^__Host-session=/;
const NOT_LOGGED_IN = '<p>You are not logged in</p>';

/**
 * The handlers built as in production on the bench store. Each function runs in containers of its
 * own, so each handler gets its own app context (DynamoDB client, keys, logger). The configuration
 * comes from a clean environment (default timeouts whatever the shell says) and the log level is
 * explicit (INFO as deployed), so the shell's POWERTOOLS_LOG_LEVEL cannot change what is measured.
 */
async function createApps(endpoint: string): Promise<Record<AppName, Handler>> {
  const config = readAppConfig({
    TABLE_NAME: BENCH_TABLE,
    DYNAMODB_ENDPOINT: endpoint,
    SESSION_SECRET: randomSigningKey(),
    POWERTOOLS_SERVICE_NAME: BENCH_SERVICE_NAME,
  });
  const context = (logLevel: 'INFO' | 'ERROR', userSessions = false) =>
    createAppContext(config, {
      logger: new Logger({ serviceName: BENCH_SERVICE_NAME, logLevel }),
      userSessions,
    });
  return {
    index: createLambdaHandler(indexRoute, context('INFO')),
    login: createLambdaHandler(loginRoute, context('INFO')),
    logout: createLambdaHandler(logoutRoute, context('INFO')),
    sessions: createLambdaHandler(sessionsRoute, context('INFO', true)),
    indexNoLogLine: createLambdaHandler(indexRoute, context('ERROR')),
    indexOnMiddy: await createMiddyIndex(context('ERROR')),
  };
}

/**
 * Runs `warmupFlows` then `flows` timed flows through our handlers and the peer, against an
 * in-memory dynalite behind the counting proxy. Each flow: anonymous `GET /`, `GET /login`,
 * `POST /login`; K logged-in `GET /`, each next to a raw `GetItem` floor read of the same item,
 * the same page without its log line and on Middy, and the peer's logged-in page (its login before,
 * its logout after), in rotating order; a second login of the same user, `GET /sessions` listing
 * both, `POST /sessions/revoke` of the other and its `GET /`; `GET /` with a bad signature,
 * `POST /login` replacing the session, `GET /logout`, `GET /` with the logged-out cookie. The
 * handlers' output goes to a file as Lambda writes it (handlerOutput.ts), and what each timed
 * request wrote is counted by its type. Every response and every request's DynamoDB operations
 * are checked; the first wrong one throws `BenchCheckError`.
 * @example const result = await runFlowBench({ flows: 300, k: 5, warmupFlows: 20 });
 */
export async function runFlowBench(options: FlowBenchOptions): Promise<FlowBenchResult> {
  const report = options.report ?? (() => undefined);
  const { proxy, close } = await startBenchStore();
  const cleanups: (() => unknown)[] = [close];
  try {
    const recorder = new RequestRecorder(proxy);
    const checks = new Checks();
    // The floor's client comes from the handlers' factory with their endpoint: the same SDK path
    // (configuration, middleware, keep-alive pool to the proxy).
    const floorClient = createDocumentClient({ endpoint: proxy.endpoint });
    cleanups.push(() => floorClient.destroy());
    const peer = await startPeer(proxy.endpoint, recorder, checks);
    cleanups.push(() => peer.close());
    const apps = await createApps(proxy.endpoint);

    const output = redirectHandlerOutput(options.handlerOutputFile ?? HANDLER_OUTPUT_FILE);
    const runner = new FlowRunner(apps, recorder, checks, floorClient, peer, options.k, output);
    let written: HandlerOutputSummary;
    try {
      output.passThrough(() => report(`warm-up: ${options.warmupFlows} flows (checked, not recorded)`));
      for (let flow = 1; flow <= options.warmupFlows; flow++) await runner.flow(`warm-up ${flow}`);
      recorder.recording = true;
      const every = Math.max(1, Math.ceil(options.flows / 10));
      for (let flow = 1; flow <= options.flows; flow++) {
        await runner.flow(`flow ${flow}`);
        if (flow % every === 0 || flow === options.flows) {
          output.passThrough(() => report(`flows ${flow}/${options.flows}`));
        }
      }
    } finally {
      written = output.restore();
    }
    // The log line is part of what is measured: proof that every INFO request wrote it, and the
    // ERROR-level index and Middy none.
    checks.check(
      'handler logging',
      written.requestLogLines === runner.loggingRequests,
      `one "request" line per request to an INFO handler (${runner.loggingRequests}) in ${written.file}`,
      () => `${written.requestLogLines}`,
    );

    const floor = recorder.samplesOf('floor');
    const loggedIn = recorder.samplesOf('loggedInIndex');
    const noLogLine = recorder.samplesOf('loggedInIndexNoLogLine');
    return {
      flows: options.flows,
      k: options.k,
      warmupFlows: options.warmupFlows,
      requestTypes: (Object.keys(REQUEST_TYPES) as RequestType[]).map((type) => ({
        type,
        label: REQUEST_TYPES[type].label,
        ...recorder.summary(type),
      })),
      floorRatio: ratioOfMedians(loggedIn, floor),
      floorRatioWithoutLogLine: ratioOfMedians(noLogLine, floor),
      middyRatio: ratioOfMedians(recorder.samplesOf('loggedInIndexOnMiddy'), noLogLine),
      peer: {
        name: PEER_NAME,
        requestTypes: peer.requestTypes(),
        loggedInRatio: ratioOfMedians(loggedIn, recorder.samplesOf(peer.pairedType)),
      },
      checks: checks.count,
      output: written,
      logged: runner.logged().map((observed) => ({
        ...observed,
        operationsPerRequest: recorder.summary(observed.type).operationsPerRequest,
      })),
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

/** One flow's requests: timed, their DynamoDB operations counted, their answers checked. */
class FlowRunner {
  /** Requests to the INFO-level handlers, warm-up included: each must write one log line. */
  loggingRequests = 0;
  private flowName = '';
  private users = 0;
  private rotation = 0;
  /** What the timed requests to the INFO handlers wrote, by request type, in the order first seen. */
  private readonly written = new Map<RequestType, ObservedRequestType>();

  constructor(
    private readonly apps: Record<AppName, Handler>,
    private readonly recorder: RequestRecorder,
    private readonly checks: Checks,
    private readonly floorClient: DynamoDBDocumentClient,
    private readonly peer: PeerFlow,
    private readonly k: number,
    private readonly output: OutputRedirect,
  ) {}

  /** The request types the INFO handlers answered in the timed flows, with what they wrote (operations still to fill). */
  logged(): ObservedRequestType[] {
    return [...this.written.values()];
  }

  async flow(name: string): Promise<void> {
    this.flowName = name;
    const username = `bench-user-${++this.users}`;
    const anonymous = await this.send('anonymousIndex', 'index', httpEvent());
    this.expect('anonymousIndex', anonymous, [200, NOT_LOGGED_IN]);
    const form = await this.send('loginForm', 'login', httpEvent({ path: '/login' }));
    this.expect('loginForm', form, [200, 'name="username"']);
    const cookie = await this.login('login', loginEvent(username, { headers: SAME_ORIGIN_HEADERS }));

    await this.peer.login(name);
    // The i-th of each of these runs next to the others, so they share the machine's noise.
    const reads = [
      () => this.loggedInRead(cookie, username, 'loggedInIndex', 'index'),
      () => this.loggedInRead(cookie, username, 'loggedInIndexNoLogLine', 'indexNoLogLine'),
      () => this.loggedInRead(cookie, username, 'loggedInIndexOnMiddy', 'indexOnMiddy'),
      () => this.floorRead(cookie, username),
      () => this.peer.read(name),
    ];
    for (let read = 0; read < this.k; read++) {
      // Rotate the order, so none always goes first or runs on the connection another just used.
      const first = this.rotation++ % reads.length;
      for (let next = 0; next < reads.length; next++) await reads[(first + next) % reads.length]();
    }
    await this.peer.logout(name);

    await this.revokeAnotherDevice(cookie, username);

    const forged = await this.send(
      'badSignature',
      'index',
      httpEvent({ cookies: [tamperSignature(cookie)] }),
    );
    this.expect('badSignature', forged, [200, NOT_LOGGED_IN]);
    const again = loginEvent(`${username}-again`, { cookies: [cookie], headers: SAME_ORIGIN_HEADERS });
    const replaced = await this.login('loginReplacing', again);
    this.check('loginReplacing', tokenOf(replaced) !== tokenOf(cookie), 'a new session id', 'the same id');
    const logoutEvent = httpEvent({ path: '/logout', cookies: [replaced], headers: SAME_ORIGIN_HEADERS });
    const logout = await this.send('logout', 'logout', logoutEvent);
    this.expect('logout', logout, [303, '/']);
    // The cookie now names the anonymous session holding the logout's flash: a new id, browser-session.
    const flashCookie = logout.cookies.length === 1 && SESSION_COOKIE.test(logout.cookies[0]);
    this.check(
      'logout',
      flashCookie &&
        !/Max-Age/i.test(logout.cookies[0]) &&
        tokenOf(logout.cookies[0].split(';')[0]) !== tokenOf(replaced),
      'one new browser-session cookie (the anonymous session holding the flash)',
      logout,
    );
    const after = await this.send('afterLogout', 'index', httpEvent({ cookies: [replaced] }));
    this.expect('afterLogout', after, [200, NOT_LOGGED_IN]);
  }

  /**
   * The user logs in on a second device; the first lists its sessions and logs the second out,
   * which is then logged out at its next request.
   */
  private async revokeAnotherDevice(cookie: string, username: string): Promise<void> {
    const phone = await this.login('login', loginEvent(username, { headers: SAME_ORIGIN_HEADERS }));
    const page = await this.send(
      'sessionsPage',
      'sessions',
      httpEvent({ path: '/sessions', cookies: [cookie] }),
    );
    this.expect('sessionsPage', page, [200, '(This device)']);
    const ids = [...page.body.matchAll(/name="session" value="([\w-]{22})"/g)].map((match) => match[1]);
    this.check('sessionsPage', ids.length === 1, 'one other session to log out', `${ids.length}`);
    const form = { cookies: [cookie], headers: SAME_ORIGIN_HEADERS };
    const revoke = await this.send(
      'revoke',
      'sessions',
      formEvent('/sessions/revoke', { session: ids[0] }, form),
    );
    this.expect('revoke', revoke, [303, '/sessions']);
    const revoked = await this.send('afterLogout', 'index', httpEvent({ cookies: [phone] }));
    this.expect('afterLogout', revoked, [200, NOT_LOGGED_IN]);
  }

  /** A login through the login handler: a 303 to `/` setting one session cookie; returns its `name=value`. */
  private async login(type: 'login' | 'loginReplacing', event: APIGatewayProxyEventV2): Promise<string> {
    const response = await this.send(type, 'login', event);
    this.expect(type, response, [303, '/']);
    const cookies = response.cookies.filter((cookie) => SESSION_COOKIE.test(cookie));
    this.check(
      type,
      cookies.length === 1 && !/Max-Age=0/i.test(cookies[0]),
      'one session cookie set',
      response,
    );
    return cookies[0].split(';')[0];
  }

  /** One logged-in `GET /` through `app`: the user's page and no Set-Cookie. */
  private async loggedInRead(cookie: string, username: string, type: RequestType, app: AppName) {
    const page = await this.send(type, app, httpEvent({ cookies: [cookie] }));
    this.expect(type, page, [200, `<p>Logged in as ${username}</p>`]);
    this.check(type, page.cookies.length === 0, 'no Set-Cookie', page);
  }

  /** The floor: one `GetItem` with `ConsistentRead` of the session item the page reads, nothing else. */
  private async floorRead(cookie: string, username: string): Promise<void> {
    const command = new GetCommand({
      TableName: BENCH_TABLE,
      Key: { [TABLE_SCHEMA.partitionKey]: itemKey(cookie) },
      ConsistentRead: true,
    });
    const { result, operations } = await this.recorder.measure('floor', () => this.floorClient.send(command));
    this.checkOperations('floor', operations);
    const owner = result.Item?.[TABLE_SCHEMA.ownerIndex.partitionKey];
    const got = result.Item === undefined ? 'no item' : `an item owned by ${String(owner)}`;
    this.check('floor', owner === username, `the session item of ${username}`, got);
  }

  /** Times one handler call (event and context built before the clock starts); checks its operations. */
  private async send(type: RequestType, app: AppName, event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    const context = localLambdaContext(`sessions-${app}`);
    const handler = this.apps[app];
    const logging = LOGGING_APPS.has(app);
    if (logging) this.loggingRequests++;
    const before = this.output.written();
    const { result, operations } = await this.recorder.measure(type, () => handler(event, context));
    if (logging && this.recorder.recording) this.countWritten(type, app, event, result, before);
    this.checkOperations(type, operations);
    return result;
  }

  /** Adds what one timed request wrote (since `before`) to its type's sums. */
  private countWritten(
    type: RequestType,
    app: AppName,
    event: APIGatewayProxyEventV2,
    response: HttpResponse,
    before: { bytes: number; lines: number },
  ): void {
    const after = this.output.written();
    const observed = this.written.get(type) ?? {
      type,
      label: REQUEST_TYPES[type].label,
      function: app,
      requests: 0,
      functionBytes: 0,
      functionLines: 0,
      routeKey: event.routeKey,
      method: event.requestContext.http.method,
      path: event.rawPath,
      status: response.statusCode,
      responseBytes: Buffer.byteLength(response.body),
      operationsPerRequest: { GetItem: 0, PutItem: 0, UpdateItem: 0, DeleteItem: 0, Query: 0, other: 0 },
    };
    observed.requests++;
    observed.functionBytes += after.bytes - before.bytes;
    observed.functionLines += after.lines - before.lines;
    if (after.lines > before.lines) observed.sampleLine = this.output.lastWrite().trimEnd();
    this.written.set(type, observed);
  }

  private checkOperations(type: RequestType, operations: readonly string[]): void {
    const expected: readonly string[] = REQUEST_TYPES[type].operations;
    // A logout's delete and its flash's put are sent together, in no set order; every other
    // request's order is part of what it promises (a login's put before its delete).
    const got = `[${operations.join(', ')}]`;
    const inOrder = (list: readonly string[]) => (type === 'logout' ? [...list].sort() : list).join();
    const same = inOrder(operations) === inOrder(expected);
    this.check(type, same, `DynamoDB operations [${expected.join(', ')}]`, got);
  }

  private step(type: RequestType): string {
    return `${this.flowName}: ${REQUEST_TYPES[type].label}`;
  }

  /** `got`: what to show when the check fails (a response is described). */
  private check(type: RequestType, condition: boolean, expected: string, got: string | HttpResponse): void {
    this.checks.check(this.step(type), condition, expected, () =>
      typeof got === 'string' ? got : describeResponse(got),
    );
  }

  private expect(type: RequestType, response: HttpResponse, answer: [200 | 303, string]): void {
    expectAnswer(this.checks, this.step(type), response, answer);
  }
}

/** The token part of a `name=token.signature` cookie. */
function tokenOf(pair: string): string {
  return pair.slice(pair.indexOf('=') + 1).split('.')[0];
}

/**
 * The table key of a cookie's session item, by the table's published format (`TABLE_SCHEMA` in
 * `@lambda-sessions/dynamodb/table`: base64url SHA-256 of the token). The floor check confirms it
 * finds this user's item.
 */
export function itemKey(cookie: string): string {
  return createHash('sha256').update(tokenOf(cookie)).digest('base64url');
}

/** The same cookie with one character of its signature changed: well-formed, wrongly signed. */
function tamperSignature(pair: string): string {
  const dot = pair.lastIndexOf('.');
  const signature = pair.slice(dot + 1);
  return `${pair.slice(0, dot + 1)}${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
}
