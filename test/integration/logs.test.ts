import { Logger } from '@aws-lambda-powertools/logger';
import { startTestStore, type TestStore } from '../support/dynalite';
import { httpEvent, loginEvent } from '../support/events';
import {
  cookieFrom,
  cookieValue,
  createTestApp,
  deadEndpoint,
  type TestApp,
  testClock,
  tokenOf,
} from './support';

const SECRET = 'log-test-signing-key-do-not-print';
let db: TestStore;
let app: TestApp;
let dead: TestApp;
let lines: string[] = [];
const clock = testClock();

beforeAll(async () => {
  db = await startTestStore();
  // An INFO logger (the suite's default level is SILENT) whose lines the test captures.
  const logger = new Logger({ serviceName: 'sessions-log-test', logLevel: 'INFO' });
  app = createTestApp({ endpoint: db.endpoint, secret: SECRET, now: clock.now, logger });
  dead = createTestApp({ endpoint: await deadEndpoint(), secret: SECRET, now: clock.now, logger });
});

afterAll(async () => {
  await db.close();
});

beforeEach(() => {
  lines = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  jest.spyOn(process.stderr, 'write').mockImplementation(capture);
});

afterEach(() => {
  jest.restoreAllMocks();
});

function records(): Record<string, unknown>[] {
  return lines
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
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

    const logged = records();
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

    const text = lines.join('');
    expect(text).not.toContain(tokenOf(cookie));
    expect(text).not.toContain(cookieValue(cookie).split('.')[1]);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('__Host-session=');
  });
});
