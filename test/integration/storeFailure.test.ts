import type { HttpResponse } from '../../lambda/http/response';
import { KeyRing, newToken } from '../../lambda/session/KeyRing';
import { startTestStore, type TestStore } from '../support/dynalite';
import { httpEvent, loginEvent } from '../support/events';
import {
  type CountingProxy,
  cookieFrom,
  createTestApp,
  deadEndpoint,
  getItem,
  itemIdOf,
  shownUsername,
  startCountingProxy,
  startHungServer,
  type TestApp,
  testClock,
} from './support';

let dead: TestApp;
const clock = testClock();
/** A cookie whose signature holds under the test key: only the store can say it is unknown. */
const validLooking = `__Host-session=${new KeyRing([process.env.SESSION_SECRET as string]).sign(newToken())}`;

beforeAll(async () => {
  dead = createTestApp({ endpoint: await deadEndpoint(), now: clock.now });
});

function expect503(response: HttpResponse) {
  expect(response.statusCode).toBe(503);
  expect(response.headers['retry-after']).toMatch(/^\d+$/);
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(response.cookies).toEqual([]);
  expect(Object.keys(response.headers).map((name) => name.toLowerCase())).not.toContain('set-cookie');
  // Never a stack trace or an internal error name to the client.
  expect(response.body).not.toMatch(/ECONNREFUSED|SessionStore|Error|at .*\.ts|127\.0\.0\.1/);
  expect(response.body).toContain('Service unavailable');
}

describe('store failure through the handlers: 503, never a silent logout', () => {
  test('GET / with a valid-looking cookie gives 503 with Retry-After and no Set-Cookie', async () => {
    expect503(await dead.index(httpEvent({ cookies: [validLooking] })));
  });

  test('login gives 503 and sets no cookie', async () => {
    expect503(await dead.login(loginEvent('admin')));
    expect503(await dead.login(loginEvent('admin', { cookies: [validLooking] })));
  });

  test('logout gives 503 and does not clear the cookie', async () => {
    expect503(await dead.logout(httpEvent({ path: '/logout', cookies: [validLooking] })));
  });

  test('requests that need no store still work while it is down', async () => {
    const anonymous = await dead.index(httpEvent());
    expect(anonymous.statusCode).toBe(200);
    expect(shownUsername(anonymous)).toBeUndefined();
    expect((await dead.login(httpEvent({ path: '/login' }))).statusCode).toBe(200);
    const badSignature = await dead.index(
      httpEvent({ cookies: [`__Host-session=${newToken()}.${'A'.repeat(43)}`] }),
    );
    expect(badSignature.statusCode).toBe(200);
  });
});

describe('a store that hangs', () => {
  let hung: { endpoint: string; close(): Promise<void> };

  beforeAll(async () => {
    hung = await startHungServer();
  });

  afterAll(async () => {
    await hung.close();
  });

  test('each attempt times out and the request ends in 503 (throwOnRequestTimeout)', async () => {
    const app = createTestApp({ endpoint: hung.endpoint, now: clock.now });
    expect503(await app.index(httpEvent({ cookies: [validLooking] })));
  });
});

describe('store failure for a real session', () => {
  let db: TestStore;
  let proxy: CountingProxy;
  let flaky: TestApp;

  beforeAll(async () => {
    db = await startTestStore();
    proxy = await startCountingProxy(db.endpoint);
    flaky = createTestApp({ endpoint: proxy.endpoint, now: clock.now });
  });

  afterAll(async () => {
    await proxy.close();
    await db.close();
  });

  test('a short blip of 5xx answers is absorbed by the SDK retries', async () => {
    const cookie = cookieFrom(await flaky.login(loginEvent('blip')));
    proxy.reset();
    proxy.failNext(2, 'internal');
    const page = await flaky.index(httpEvent({ cookies: [cookie] }));
    expect(page.statusCode).toBe(200);
    expect(shownUsername(page)).toBe('blip');
    expect(proxy.operations).toEqual(['GetItem', 'GetItem', 'GetItem']);
  });

  test('5xx on every attempt: 503 for index, login and logout, and the session is kept', async () => {
    const cookie = cookieFrom(await flaky.login(loginEvent('outage')));
    proxy.reset();
    proxy.failNext(3, 'internal');
    expect503(await flaky.index(httpEvent({ cookies: [cookie] })));
    expect(proxy.operations).toEqual(['GetItem', 'GetItem', 'GetItem']);
    proxy.failNext(3, 'internal');
    expect503(await flaky.logout(httpEvent({ path: '/logout', cookies: [cookie] })));
    proxy.failNext(3, 'internal');
    expect503(await flaky.login(loginEvent('outage-2', { cookies: [cookie] })));
    expect(shownUsername(await flaky.index(httpEvent({ cookies: [cookie] })))).toBe('outage');
  });

  test('throttling that outlasts the retries gives 503, not a logout', async () => {
    const cookie = cookieFrom(await flaky.login(loginEvent('throttled')));
    proxy.reset();
    proxy.failNext(3, 'throttling');
    expect503(await flaky.index(httpEvent({ cookies: [cookie] })));
    expect(proxy.count('GetItem')).toBe(3);
    expect(shownUsername(await flaky.index(httpEvent({ cookies: [cookie] })))).toBe('throttled');
  });

  test('a login whose delete of the old session fails keeps the old session and sets no cookie', async () => {
    const old = cookieFrom(await flaky.login(loginEvent('half-done')));
    // Let the PutItem through, then fail the DeleteItem on every attempt.
    const gate = proxy.hold('DeleteItem');
    const pending = flaky.login(loginEvent('half-done-2', { cookies: [old] }));
    await gate.arrived;
    proxy.failNext(3, 'internal');
    gate.release();
    const response = await pending;
    expect503(response);
    // The user still has a working session (the old one): never left with neither.
    expect(shownUsername(await flaky.index(httpEvent({ cookies: [old] })))).toBe('half-done');
  });

  test('a session survives an outage: 503s meanwhile, still logged in afterwards', async () => {
    const live = createTestApp({ endpoint: db.endpoint, now: clock.now });
    const cookie = cookieFrom(await live.login(loginEvent('survivor')));
    // The same signing key and table, but the store is unreachable.
    expect503(await dead.index(httpEvent({ cookies: [cookie] })));
    expect503(await dead.logout(httpEvent({ path: '/logout', cookies: [cookie] })));
    expect503(await dead.login(loginEvent('someone-else', { cookies: [cookie] })));
    expect(await getItem(db, itemIdOf(cookie))).toBeDefined();
    expect(shownUsername(await live.index(httpEvent({ cookies: [cookie] })))).toBe('survivor');
  });
});
