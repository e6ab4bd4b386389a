import { KeyRing } from '../../lambda/session/src/keys/KeyRing';
import { newToken } from '../../lambda/session/src/tokens';
import { formEvent, httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { TestClock } from '../support/clock';
import { testKey } from '../support/keys';
import { cookieFrom, sessionSetCookie, shownUsername, tokenOf } from '../support/responses';
import { useStore } from '../support/store';
import { useTestApp } from '../support/testApp';

const db = useStore();
const { proxy } = db;
const clock = new TestClock();
const app = useTestApp(db, { idleSeconds: 3600, now: clock.now });

async function login(username: string, cookies?: string[]): Promise<string> {
  const response = await app.login(loginEvent(username, cookies ? { cookies } : {}));
  expect(response.statusCode).toBe(303);
  return cookieFrom(response);
}

describe('DynamoDB operations per request (counted at the HTTP level)', () => {
  test('anonymous GET / costs nothing', async () => {
    proxy.reset();
    expect(shownUsername(await app.index(httpEvent()))).toBeUndefined();
    expect(proxy.operations).toEqual([]);
  });

  test('GET /login (the form) costs nothing', async () => {
    proxy.reset();
    expect((await app.login(httpEvent({ path: '/login' }))).statusCode).toBe(200);
    expect(proxy.operations).toEqual([]);
  });

  test('logged-in GET / with no refresh due: exactly one GetItem, no writes', async () => {
    const cookie = await login('reader');
    clock.advance(1000);
    proxy.reset();
    expect(shownUsername(await app.index(httpEvent({ cookies: [cookie] })))).toBe('reader');
    expect(proxy.operations).toEqual(['GetItem']);
  });

  test('logged-in GET / with a refresh due: one GetItem and one UpdateItem', async () => {
    const cookie = await login('refresher');
    clock.advance(901_000); // just over a quarter of the hour
    proxy.reset();
    expect(shownUsername(await app.index(httpEvent({ cookies: [cookie] })))).toBe('refresher');
    expect(proxy.operations).toEqual(['GetItem', 'UpdateItem']);
  });

  test.each([
    ['a bad signature', () => `__Host-session=${newToken()}.${'A'.repeat(43)}`],
    ['a key we do not hold', () => `__Host-session=${new KeyRing([testKey('other')]).sign(newToken())}`],
    ['garbage', () => '__Host-session=%%%not-a-cookie'],
    ['no dot', () => `__Host-session=${newToken()}`],
  ])('GET / with %s costs nothing', async (_, cookie) => {
    proxy.reset();
    const response = await app.index(httpEvent({ cookies: [cookie()] }));
    expect(response.statusCode).toBe(200);
    expect(shownUsername(response)).toBeUndefined();
    expect(proxy.operations).toEqual([]);
  });

  test('a tampered signature of a real session costs nothing', async () => {
    const cookie = await login('tampered');
    const [token, signature] = cookie.slice(cookie.indexOf('=') + 1).split('.');
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    proxy.reset();
    const response = await app.index(httpEvent({ cookies: [`__Host-session=${token}.${flipped}`] }));
    expect(shownUsername(response)).toBeUndefined();
    expect(proxy.operations).toEqual([]);
  });

  test('login without a session: one PutItem, no read', async () => {
    proxy.reset();
    await login('fresh');
    expect(proxy.operations).toEqual(['PutItem']);
  });

  test('login replacing a valid session: one PutItem then one DeleteItem, no read', async () => {
    const old = await login('old');
    proxy.reset();
    const fresh = await login('new', [old]);
    expect(tokenOf(fresh)).not.toBe(tokenOf(old));
    expect(proxy.operations).toEqual(['PutItem', 'DeleteItem']);
  });

  test('login with a badly signed cookie: one PutItem only', async () => {
    proxy.reset();
    await login('badly-signed', [`__Host-session=${newToken()}.${'B'.repeat(43)}`]);
    expect(proxy.operations).toEqual(['PutItem']);
  });

  test('logout: one DeleteItem, then one PutItem for the anonymous session holding its flash; no GetItem', async () => {
    const cookie = await login('leaver');
    proxy.reset();
    const logout = await app.logout(httpEvent({ path: '/logout', cookies: [cookie] }));
    expect(logout.statusCode).toBe(303);
    expect([...proxy.operations].sort()).toEqual(['DeleteItem', 'PutItem']); // sent together
    // The flash's session is a new one: its cookie replaces the old, and is a browser-session cookie.
    const flashCookie = cookieFrom(logout);
    expect(tokenOf(flashCookie)).not.toBe(tokenOf(cookie));
    expect(sessionSetCookie(logout)).not.toMatch(/max-age/i);

    // The logged-out cookie, replayed: one read, no writes.
    proxy.reset();
    const replay = await app.index(httpEvent({ cookies: [cookie] }));
    expect(shownUsername(replay)).toBeUndefined();
    expect(replay.body).not.toContain('You were logged out.');
    expect(proxy.operations).toEqual(['GetItem']);
  });

  test('the view after a logout flash writes once (the pop, emptying its session); the next writes nothing', async () => {
    const cookie = await login('popper');
    const flashCookie = cookieFrom(await app.logout(httpEvent({ path: '/logout', cookies: [cookie] })));
    clock.advance(1000);

    proxy.reset();
    const shown = await app.index(httpEvent({ cookies: [flashCookie] }));
    expect(shown.body).toContain('You were logged out.');
    expect(proxy.operations[0]).toBe('GetItem');
    expect(proxy.count('GetItem')).toBe(1);
    expect(proxy.writes()).toBe(1);
    expect(proxy.operations).toHaveLength(2);
    // The anonymous session is empty now: its cookie is cleared.
    expect(sessionSetCookie(shown)).toContain('Max-Age=0');

    // A browser that kept the cookie anyway: one read of nothing, no flash, no write.
    proxy.reset();
    const again = await app.index(httpEvent({ cookies: [flashCookie] }));
    expect(shownUsername(again)).toBeUndefined();
    expect(again.body).not.toContain('You were logged out.');
    expect(proxy.operations).toEqual(['GetItem']);
    // The browser that dropped it: nothing at all.
    proxy.reset();
    expect((await app.index(httpEvent())).body).not.toContain('You were logged out.');
    expect(proxy.operations).toEqual([]);
  });

  test('a logged-in view after a flash: one GetItem and one UpdateItem (the pop); the next view one GetItem', async () => {
    // Prepare: "Log out other devices" flashes how many into this session.
    const cookie = await login('flashed');
    const revoke = await app.sessionsFunction(
      formEvent(
        '/sessions/revoke',
        { session: 'others' },
        { cookies: [cookie], headers: { 'sec-fetch-site': 'same-origin' } },
      ),
    );
    expect(revoke.statusCode).toBe(303);
    clock.advance(1000);

    // Act & Assess
    proxy.reset();
    const shown = await app.index(httpEvent({ cookies: [cookie] }));
    expect(shownUsername(shown)).toBe('flashed');
    expect(shown.body).toContain('No other devices were signed in.');
    expect(proxy.operations).toEqual(['GetItem', 'UpdateItem']);

    clock.advance(1000);
    proxy.reset();
    const next = await app.index(httpEvent({ cookies: [cookie] }));
    expect(shownUsername(next)).toBe('flashed');
    expect(next.body).not.toContain('role="status"');
    expect(proxy.operations).toEqual(['GetItem']);
  });

  test('logout without a cookie or with a malformed one costs nothing and still clears the cookie', async () => {
    proxy.reset();
    const anonymous = await app.logout(httpEvent({ path: '/logout' }));
    const malformed = await app.logout(
      httpEvent({ path: '/logout', cookies: [`__Host-session=${newToken()}.too-short`] }),
    );
    for (const response of [anonymous, malformed]) {
      expect(response.statusCode).toBe(303);
      expect(response.cookies.join()).toContain('Max-Age=0');
    }
    expect(proxy.operations).toEqual([]);
  });

  test('logout with a well-formed cookie whose signature no key here verifies costs one DeleteItem', async () => {
    // Knowing a token already gives its session; the cookie may be signed with a key this
    // container does not hold yet (a rotation in progress): the logout must end it.
    proxy.reset();
    const response = await app.logout(
      httpEvent({ path: '/logout', cookies: [`__Host-session=${newToken()}.${'C'.repeat(43)}`] }),
    );
    expect(response.statusCode).toBe(303);
    expect(proxy.operations).toEqual(['DeleteItem']);
  });

  test('an expired session read costs one GetItem and no writes', async () => {
    const cookie = await login('expiring');
    clock.advance(3_600_000);
    proxy.reset();
    expect(shownUsername(await app.index(httpEvent({ cookies: [cookie] })))).toBeUndefined();
    expect(proxy.operations).toEqual(['GetItem']);
  });
});
