import type { HttpResponse } from '../../lambda/http/response';
import { SessionRejectedError } from '../../lambda/session/src/errors';
import { KeyRing } from '../../lambda/session/src/keys/KeyRing';
import { createDocumentClient } from '../../lambda/session/src/store/documentClient';
import { SessionStore } from '../../lambda/session/src/store/SessionStore';
import { hashToken, newToken } from '../../lambda/session/src/tokens';
import { httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { deadEndpoint, type FaultKind } from '../../lib/local/storeProxy';
import { cookieAfter } from '../support/browsers';
import { TestClock } from '../support/clock';
import { cookieFrom, itemIdOf, shownUsername } from '../support/responses';
import { openedData, sealFor } from '../support/sealed';
import { useStore } from '../support/store';
import { getItem, scanItems, TABLE } from '../support/table';
import { createTestApp, type TestApp } from '../support/testApp';

const clock = new TestClock();
/** A cookie whose signature holds under the test key: only the store can say it is unknown. */
const validLooking = `__Host-session=${new KeyRing([process.env.SESSION_SECRET as string]).sign(newToken())}`;
/** Every fault the proxy can inject that ends in an error the client sees. */
const FAULTS = ['throttling', 'provisioned', 'internal', 'reset', 'hang'] as const satisfies FaultKind[];
/**
 * The bound that matters: a 503 before the deployed function's timeout (15 s, lib/SessionsStack.ts), not a
 * speed (about 3.6 s at worst: three 1 s attempts plus backoff; `npm run bench` measures speed). Far
 * enough above the worst case that a busy shared machine does not fail it.
 */
const LAMBDA_TIMEOUT_MS = 15_000;
/** Jest's limit for a test that waits out three timed-out attempts: above the bound, so the assertion reports. */
const OUTAGE_TEST_MS = 60_000;

function expect503(response: HttpResponse) {
  expect(response.statusCode).toBe(503);
  expect(response.headers['retry-after']).toBe('5'); // RETRY_AFTER_SECONDS, lambda/app/lambdaHandler.ts
  expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(response.headers['cache-control']).toBe('no-store');
  // No silent logout: no Set-Cookie at all, so no cookie is cleared (nor issued).
  expect(response.cookies).toEqual([]);
  expect(Object.keys(response.headers).map((name) => name.toLowerCase())).not.toContain('set-cookie');
  // Never a stack trace or an internal error name to the client.
  expect(response.body).not.toMatch(
    /Exception|Error|ECONN|ETIMEDOUT|socket|SessionStore|at .*\.ts|127\.0\.0\.1/,
  );
  expect(response.body).toContain('Service unavailable');
}

/** The response and how long it took, in milliseconds. */
async function timed(pending: Promise<HttpResponse>): Promise<{ response: HttpResponse; ms: number }> {
  const started = performance.now();
  const response = await pending;
  return { response, ms: performance.now() - started };
}

describe('a store nobody answers on (connection refused)', () => {
  let dead: TestApp;

  beforeAll(async () => {
    dead = createTestApp({ endpoint: await deadEndpoint(), now: clock.now });
  });

  test('GET / with a valid-looking cookie gives 503 with Retry-After and no Set-Cookie', async () => {
    expect503(await dead.index(httpEvent({ cookies: [validLooking] })));
  });

  test('login gives 503 and sets no cookie; logout gives 503 and does not clear the cookie', async () => {
    expect503(await dead.login(loginEvent('admin')));
    expect503(await dead.login(loginEvent('admin', { cookies: [validLooking] })));
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

describe('a table that does not exist (a deployment fault, not an outage)', () => {
  const db = useStore();

  test('answers 500 without Retry-After and sets no cookie: "try again" would never help', async () => {
    const app = createTestApp({ endpoint: db.endpoint, now: clock.now, tableName: 'no-such-table' });
    for (const response of [
      await app.index(httpEvent({ cookies: [validLooking] })),
      await app.login(loginEvent('admin')),
      await app.logout(httpEvent({ path: '/logout', cookies: [validLooking] })),
    ]) {
      expect(response.statusCode).toBe(500);
      expect(response.headers['retry-after']).toBeUndefined();
      expect(response.cookies).toEqual([]);
      expect(response.body).not.toMatch(/Exception|Error|no-such-table/);
    }
  });
});

describe('injected store faults, through the handlers', () => {
  const db = useStore();
  const { proxy } = db;

  /** A fresh container (its own SDK client and retry quota), and a user logged in on it. */
  async function loggedIn(username: string): Promise<{ app: TestApp; cookie: string }> {
    const app = createTestApp({ endpoint: proxy.endpoint, now: clock.now, idleSeconds: 400 });
    const cookie = cookieFrom(await app.login(loginEvent(username)));
    proxy.reset();
    return { app, cookie };
  }

  test.each(FAULTS)('two %s faults in a row are absorbed by the retries: the normal page', async (kind) => {
    const { app, cookie } = await loggedIn(`blip-${kind}`);
    proxy.fault({ kind, count: 2 });
    const page = await app.index(httpEvent({ cookies: [cookie] }));
    expect(page.statusCode).toBe(200);
    expect(shownUsername(page)).toBe(`blip-${kind}`);
    expect(page.cookies).toEqual([]);
    expect(proxy.operations).toEqual(['GetItem', 'GetItem', 'GetItem']);
  });

  test.each(FAULTS)(
    'a persistent %s: 503 within seconds on /, login and logout; after recovery the same cookie works',
    async (kind) => {
      const { app, cookie } = await loggedIn(`outage-${kind}`);
      const before = await getItem(db, itemIdOf(cookie));
      proxy.fault({ kind });

      const results = await Promise.all([
        timed(app.index(httpEvent({ cookies: [cookie] }))),
        timed(app.login(loginEvent('newcomer'))),
        timed(app.login(loginEvent('switch-user', { cookies: [cookie] }))),
        timed(app.logout(httpEvent({ path: '/logout', cookies: [cookie] }))),
      ]);
      for (const { response, ms } of results) {
        expect503(response);
        expect(ms).toBeLessThan(LAMBDA_TIMEOUT_MS);
      }
      // Each request tried three times, then gave up: GetItem, two PutItems, DeleteItem and the
      // logout's PutItem (its flash), sent beside its DeleteItem.
      expect(proxy.count('GetItem')).toBe(3);
      expect(proxy.count('PutItem')).toBe(9);
      expect(proxy.count('DeleteItem')).toBe(3);

      proxy.heal();
      expect(await getItem(db, itemIdOf(cookie))).toEqual(before); // nothing lost, nothing changed
      expect(shownUsername(await app.index(httpEvent({ cookies: [cookie] })))).toBe(`outage-${kind}`);
      // The logout the user retries now works.
      const logout = await app.logout(httpEvent({ path: '/logout', cookies: [cookie] }));
      expect(logout.statusCode).toBe(303);
      // The browser's cookie is replaced (by the session holding the logout's flash).
      expect(cookieAfter(cookie, logout)).not.toBe(cookie);
      expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
    },
    OUTAGE_TEST_MS,
  );

  test('a refresh that fails: 503 without a cookie, and the session still works after recovery', async () => {
    const { app, cookie } = await loggedIn('refresh-fails');
    clock.advance(150_000); // past a quarter of the 400 s idle window: this GET / refreshes
    proxy.fault({ kind: 'internal', operations: ['UpdateItem'] });
    expect503(await app.index(httpEvent({ cookies: [cookie] })));
    expect(proxy.operations).toEqual(['GetItem', 'UpdateItem', 'UpdateItem', 'UpdateItem']);
    proxy.heal();
    expect(shownUsername(await app.index(httpEvent({ cookies: [cookie] })))).toBe('refresh-fails');
    expect((await getItem(db, itemIdOf(cookie)))?.refreshedAt).toBe(clock.value);
  });

  test('a login whose delete of the old session fails keeps the old session and sets no cookie', async () => {
    const { app, cookie: old } = await loggedIn('half-done');
    proxy.fault({ kind: 'internal', operations: ['DeleteItem'] });
    expect503(await app.login(loginEvent('half-done-2', { cookies: [old] })));
    expect(proxy.operations).toEqual(['PutItem', 'DeleteItem', 'DeleteItem', 'DeleteItem']);
    proxy.heal();
    // The user still has a working session (the old one): never left with neither.
    expect(shownUsername(await app.index(httpEvent({ cookies: [old] })))).toBe('half-done');
  });

  test('a login whose answer is lost after the store applied it still logs in (no 500)', async () => {
    const { app, cookie: old } = await loggedIn('lost-answer');
    proxy.fault({ kind: 'drop-answer', count: 1, operations: ['PutItem'] });
    const response = await app.login(loginEvent('lost-answer-2', { cookies: [old] }));
    // The SDK retried the put, whose own first attempt makes its condition fail: that is not a
    // collision, the session is ours.
    expect(proxy.operations.slice(0, 2)).toEqual(['PutItem', 'PutItem']);
    expect(response.statusCode).toBe(303);
    const cookie = cookieFrom(response);
    expect(shownUsername(await app.index(httpEvent({ cookies: [cookie] })))).toBe('lost-answer-2');
    expect(await getItem(db, itemIdOf(old))).toBeUndefined();
    const items = await scanItems(db);
    expect(items.filter((item) => item.id === itemIdOf(cookie))).toHaveLength(1);
  });

  test('a put that finds another item under its id is still a collision, not mistaken for a lost answer', async () => {
    const store = new SessionStore({
      client: createDocumentClient({ endpoint: proxy.endpoint }),
      tableName: TABLE,
      idleTimeoutSeconds: 400,
      absoluteTimeoutSeconds: 4000,
      now: clock.now,
    });
    const token = newToken();
    await store.create(sealFor(token), { username: 'first-owner' });
    clock.advance(1);
    await expect(store.create(sealFor(token), { username: 'second-owner' })).rejects.toBeInstanceOf(
      SessionRejectedError,
    );
    expect(openedData(await getItem(db, hashToken(token)), token)).toEqual({ username: 'first-owner' });
  });

  test('a logout or a refresh whose answer is lost still succeeds', async () => {
    const { app, cookie } = await loggedIn('lost-refresh');
    clock.advance(150_000);
    proxy.fault({ kind: 'drop-answer', count: 1, operations: ['UpdateItem'] });
    const page = await app.index(httpEvent({ cookies: [cookie] }));
    expect(shownUsername(page)).toBe('lost-refresh');
    expect(proxy.operations).toEqual(['GetItem', 'UpdateItem', 'UpdateItem']);

    proxy.fault({ kind: 'drop-answer', count: 1, operations: ['DeleteItem'] });
    const logout = await app.logout(httpEvent({ path: '/logout', cookies: [cookie] }));
    expect(logout.statusCode).toBe(303);
    expect(cookieAfter(cookie, logout)).not.toBe(cookie);
    expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
  });

  test('a session survives a total outage: 503s meanwhile, still logged in afterwards', async () => {
    const { app, cookie } = await loggedIn('survivor');
    const dead = createTestApp({ endpoint: await deadEndpoint(), now: clock.now });
    expect503(await dead.index(httpEvent({ cookies: [cookie] })));
    expect503(await dead.logout(httpEvent({ path: '/logout', cookies: [cookie] })));
    expect503(await dead.login(loginEvent('someone-else', { cookies: [cookie] })));
    expect(await getItem(db, itemIdOf(cookie))).toBeDefined();
    expect(shownUsername(await app.index(httpEvent({ cookies: [cookie] })))).toBe('survivor');
  });
});
