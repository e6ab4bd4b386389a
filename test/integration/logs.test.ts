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

/** The secrets a cookie carries: none of them may appear in a log. */
function expectNoSecrets(text: string, cookie: string) {
  expect(text).not.toContain(tokenOf(cookie));
  expect(text).not.toContain(cookieValue(cookie).split('.')[1]);
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain('__Host-session=');
}

describe('request logs', () => {
  test('one structured line per request, with the request id and no token, cookie or key', async () => {
    const loginEventValue = loginEvent('logged-user');
    const login = await app.login(loginEventValue);
    const cookie = cookieFrom(login);
    const indexEvent = httpEvent({ cookies: [cookie] });
    await app.index(indexEvent);
    await app.logout(httpEvent({ path: '/logout', cookies: [cookie] }));
    await dead.index(httpEvent({ cookies: [cookie] }));

    const logged = output.records();
    const requests = logged.filter((record) => record.message === 'request');
    expect(requests.map((record) => [record.route, record.status])).toEqual([
      ['login', 303],
      ['index', 200],
      ['logout', 303],
      ['index', 503],
    ]);
    expect(requests[0].requestId).toBe(loginEventValue.requestContext.requestId);
    expect(requests[1].requestId).toBe(indexEvent.requestContext.requestId);
    expect(logged.some((record) => record.message === 'session store unavailable')).toBe(true);
    expectNoSecrets(output.text(), cookie);
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
      const requests = logged.filter(
        (record) => record.message === 'request' && faulted.has(String(record.requestId)),
      );
      expect(requests.map((record) => record.status)).toEqual([503, 503, 503]);
      expectNoSecrets(output.text(), cookie);
    },
  );
});
