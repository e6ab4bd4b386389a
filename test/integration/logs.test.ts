import { Logger } from '@aws-lambda-powertools/logger';
import { httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { deadEndpoint, type FaultKind } from '../../lib/local/storeProxy';
import { TestClock } from '../support/clock';
import { type CapturedOutput, captureOutput } from '../support/output';
import { cookieFrom, cookieValue, tokenOf } from '../support/responses';
import { useStore } from '../support/store';
import { createTestApp, type TestApp } from '../support/testApp';

const SECRET = 'log-test-signing-key-do-not-print';
const { proxy } = useStore();
let app: TestApp;
let dead: TestApp;
let output: CapturedOutput;
const clock = new TestClock();

beforeAll(async () => {
  // An INFO logger (the suite's default level is SILENT) whose lines the test captures.
  const logger = new Logger({ serviceName: 'sessions-log-test', logLevel: 'INFO' });
  app = createTestApp({ endpoint: proxy.endpoint, secret: SECRET, now: clock.now, logger });
  dead = createTestApp({ endpoint: await deadEndpoint(), secret: SECRET, now: clock.now, logger });
});

beforeEach(() => {
  output = captureOutput();
});

afterEach(() => {
  output.restore();
});

/**
 * The request lines among the records: the handler's one line per request, which the request id
 * opens and which has no `level` (the Logger's lines all have one).
 */
function requestLines(records: Record<string, unknown>[]): Record<string, unknown>[] {
  return records.filter((record) => record.level === undefined && Object.keys(record)[0] === 'requestId');
}

/** The metrics a request line counts (its members that are EMF metric names). */
function countedOn(line: Record<string, unknown>): string[] {
  const emf = line._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } | undefined;
  return (emf?.CloudWatchMetrics[0].Metrics ?? []).map((metric) => metric.Name).sort();
}

/** The secrets a cookie carries: none of them may appear in a log. */
function expectNoSecrets(text: string, cookie: string) {
  expect(text).not.toContain(tokenOf(cookie));
  expect(text).not.toContain(cookieValue(cookie).split('.')[1]);
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain('__Host-session=');
}

describe('request logs', () => {
  test('one structured line per request, with the request id and no token, cookie or key', async () => {
    const events = {
      login: loginEvent('logged-user'),
      index: httpEvent(),
      logout: httpEvent({ path: '/logout' }),
      unavailable: httpEvent(),
    };
    const cookie = cookieFrom(await app.login(events.login));
    events.index.cookies = [cookie];
    events.logout.cookies = [cookie];
    events.unavailable.cookies = [cookie];
    await app.index(events.index);
    await app.logout(events.logout);
    await dead.index(events.unavailable);

    // Each line names its request (the access line, joined on the id, has the route, status and
    // latency) and says what happened to the session in its metrics.
    const logged = output.records();
    const requests = requestLines(logged);
    expect(requests.map((line) => [line.requestId, countedOn(line)])).toEqual([
      [events.login.requestContext.requestId, ['SessionCreated']],
      [events.index.requestContext.requestId, ['SessionHit']],
      [events.logout.requestContext.requestId, ['SessionCreated', 'SessionDestroyed']],
      [events.unavailable.requestContext.requestId, ['SessionStoreError']],
    ]);
    for (const line of requests) {
      expect(line.service).toBe('sessions'); // the configuration's service: the metrics' dimension
      for (const dropped of ['level', 'message', 'timestamp', 'route', 'status', 'session'])
        expect(line).not.toHaveProperty(dropped);
    }
    expect(logged.some((record) => record.message === 'session store unavailable')).toBe(true);
    expectNoSecrets(output.text(), cookie);
  });

  test('a request no route matches: its method and path (cut short), which its access line does not have', async () => {
    const probe = `/${'a'.repeat(300)}`;
    const event = httpEvent({ method: 'GET', path: probe });
    event.routeKey = '$default';
    const response = await app.index(event);

    expect(response.statusCode).toBe(404);
    const [line] = requestLines(output.records());
    expect(line).toEqual({
      requestId: event.requestContext.requestId,
      method: 'GET',
      path: probe.slice(0, 200),
    });
  });
});

describe('the log line of a 503', () => {
  const cases: Array<[FaultKind, string]> = [
    ['throttling', 'ThrottlingException'],
    ['provisioned', 'ProvisionedThroughputExceededException'],
    ['internal', 'InternalServerError'],
    ['hang', 'TimeoutError'],
  ];

  test.each(cases)(
    'a persistent %s: one error line naming the operation and the cause',
    async (kind, cause) => {
      const cookie = cookieFrom(await app.login(loginEvent(`logged-${kind}`)));
      proxy.fault({ kind });
      const events = {
        index: httpEvent({ cookies: [cookie] }),
        login: loginEvent('again', { cookies: [cookie] }),
        logout: httpEvent({ path: '/logout', cookies: [cookie] }),
      };
      await Promise.all([app.index(events.index), app.login(events.login), app.logout(events.logout)]);

      const logged = output.records();
      const errors = logged.filter((record) => record.level === 'ERROR');
      expect(errors).toHaveLength(3);
      const byRoute = Object.fromEntries(errors.map((record) => [record.route, record]));
      for (const [route, operation] of [
        ['index', 'load'],
        ['login', 'create'],
        ['logout', 'destroy'],
      ] as const) {
        expect(byRoute[route]).toMatchObject({
          message: 'session store unavailable',
          operation,
          errorName: 'SessionUnavailableError',
          cause,
          requestId: events[route].requestContext.requestId,
        });
        // A named cause is enough: no stack trace, no SDK message in the line.
        expect(JSON.stringify(byRoute[route])).not.toMatch(/stack|\.ts:\d+/);
      }
      const faulted = new Set(Object.values(events).map((event) => event.requestContext.requestId));
      const requests = requestLines(logged).filter((line) => faulted.has(String(line.requestId)));
      expect(requests.map(countedOn)).toEqual([
        ['SessionStoreError'],
        ['SessionStoreError'],
        ['SessionStoreError'],
      ]);
      expectNoSecrets(output.text(), cookie);
    },
  );
});
