import { randomBytes } from 'node:crypto';
import { KeyRing, newToken } from '../../lambda/session/KeyRing';
import { type SealedValues, SessionSeal } from '../../lambda/session/SessionSeal';
import { httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { TestClock } from '../support/clock';
import {
  cookieFrom,
  cookieValue,
  itemIdOf,
  sessionSetCookie,
  shownUsername,
  tokenOf,
} from '../support/responses';
import { openedData } from '../support/sealed';
import { useStore } from '../support/store';
import { getItem, scanItems } from '../support/table';
import { createTestApp } from '../support/testApp';

const db = useStore();
const { proxy } = db;
const clock = new TestClock();

function appWith(secret: string) {
  return createTestApp({ endpoint: proxy.endpoint, secret, idleSeconds: 3600, now: clock.now });
}

describe('key rotation', () => {
  test('a cookie signed with the old key still works after rotation and is re-signed with the new key', async () => {
    const appA = appWith('key-a');
    const cookie = cookieFrom(await appA.login(loginEvent('rotated')));
    expect(shownUsername(await appA.index(httpEvent({ cookies: [cookie] })))).toBe('rotated');

    const appBA = appWith('key-b,key-a');
    proxy.reset();
    const response = await appBA.index(httpEvent({ cookies: [cookie] }));
    expect(shownUsername(response)).toBe('rotated');
    // No refresh was due: the only write-free way to re-sign is the cookie itself.
    expect(proxy.count('GetItem')).toBe(1);
    expect(proxy.writes()).toBe(0);

    const resigned = sessionSetCookie(response);
    expect(resigned).toBeDefined();
    expect(resigned).toContain('HttpOnly');
    expect(resigned).toContain('Secure');
    expect(resigned).toContain('SameSite=Lax');
    const newCookie = cookieFrom(response);
    expect(newCookie.startsWith('__Host-session=')).toBe(true);
    expect(tokenOf(newCookie)).toBe(tokenOf(cookie));
    expect(newCookie).not.toBe(cookie);
    expect(cookieValue(newCookie)).toBe(new KeyRing(['key-b']).sign(tokenOf(cookie)));

    // The re-signed cookie needs no further re-signing.
    const again = await appBA.index(httpEvent({ cookies: [newCookie] }));
    expect(shownUsername(again)).toBe('rotated');
    expect(again.cookies).toEqual([]);

    // Once the old key is retired, only the re-signed cookie works.
    const appB = appWith('key-b');
    const old = await appB.index(httpEvent({ cookies: [cookie] }));
    expect(shownUsername(old)).toBeUndefined();
    expect(old.cookies).toEqual([]);
    expect(shownUsername(await appB.index(httpEvent({ cookies: [newCookie] })))).toBe('rotated');
  });

  test('with the old key retired, a cookie it signed is refused without reading the store', async () => {
    const cookie = cookieFrom(await appWith('key-a').login(loginEvent('retired')));
    proxy.reset();
    const response = await appWith('key-b').index(httpEvent({ cookies: [cookie] }));
    expect(shownUsername(response)).toBeUndefined();
    expect(proxy.operations).toEqual([]);
    // The session itself is untouched: it is just unreachable with that key.
    expect(await getItem(db, itemIdOf(cookie))).toBeDefined();
  });

  test('a refresh due on an old-key cookie writes once and re-signs; logout with an old-key cookie deletes', async () => {
    const cookie = cookieFrom(await appWith('key-a').login(loginEvent('old-key-refresh')));
    clock.advance(1_000_000); // over a quarter of the hour: the refresh is due
    const appBA = appWith('key-b,key-a');
    proxy.reset();
    const response = await appBA.index(httpEvent({ cookies: [cookie] }));
    expect(shownUsername(response)).toBe('old-key-refresh');
    expect(proxy.operations).toEqual(['GetItem', 'UpdateItem']);
    expect(tokenOf(cookieFrom(response))).toBe(tokenOf(cookie));

    proxy.reset();
    const logout = await appBA.logout(httpEvent({ path: '/logout', cookies: [cookie] }));
    expect(logout.statusCode).toBe(303);
    expect(proxy.operations).toEqual(['DeleteItem']);
    expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
  });

  test('logging in again under rotated keys signs with the new key and deletes the old session', async () => {
    const cookie = cookieFrom(await appWith('key-a').login(loginEvent('relogin')));
    const appBA = appWith('key-b,key-a');
    const login = await appBA.login(loginEvent('relogin', { cookies: [cookie] }));
    const fresh = cookieFrom(login);
    expect(tokenOf(fresh)).not.toBe(tokenOf(cookie));
    expect(cookieValue(fresh)).toBe(new KeyRing(['key-b']).sign(tokenOf(fresh)));
    expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
  });
});

describe('a logout during a rotation, across containers', () => {
  // Two containers on one table: one has picked up the new key, the other still holds only the
  // old one (it re-reads the secret later). The review reproduced a logout on the old-key
  // container that answered 303 and cleared the cookie, but left the session alive.
  test('a cookie signed with a key the logging-out container does not hold yet is still logged out', async () => {
    // Prepare
    const newKeyContainer = appWith('key-new-0123456789,key-old-0123456789');
    const oldKeyContainer = appWith('key-old-0123456789');
    const cookie = cookieFrom(await newKeyContainer.login(loginEvent('rotating')));
    expect(shownUsername(await oldKeyContainer.index(httpEvent({ cookies: [cookie] })))).toBeUndefined();

    // Act
    proxy.reset();
    const logout = await oldKeyContainer.logout(httpEvent({ path: '/logout', cookies: [cookie] }));

    // Assess: the item is gone, and no copy of the cookie works on any container.
    expect(logout.statusCode).toBe(303);
    expect(sessionSetCookie(logout)).toContain('Max-Age=0');
    expect(proxy.operations).toEqual(['DeleteItem']);
    expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
    expect(shownUsername(await newKeyContainer.index(httpEvent({ cookies: [cookie] })))).toBeUndefined();
  });

  test('a page view with such a cookie reads nothing and writes nothing on the old-key container', async () => {
    const newKeyContainer = appWith('key-new-0123456789,key-old-0123456789');
    const oldKeyContainer = appWith('key-old-0123456789');
    const cookie = cookieFrom(await newKeyContainer.login(loginEvent('browsing')));
    proxy.reset();
    await oldKeyContainer.index(httpEvent({ cookies: [cookie] }));
    expect(proxy.operations).toEqual([]);
    expect(shownUsername(await newKeyContainer.index(httpEvent({ cookies: [cookie] })))).toBe('browsing');
  });
});

describe('session fixation', () => {
  test('a planted valid session of someone else is replaced at login, and its item deleted', async () => {
    const app = appWith(process.env.SESSION_SECRET as string);
    const planted = cookieFrom(await app.login(loginEvent('attacker')));
    expect(await getItem(db, itemIdOf(planted))).toBeDefined();

    proxy.reset();
    const login = await app.login(loginEvent('victim', { cookies: [planted] }));
    expect(login.statusCode).toBe(303);
    expect(proxy.count('PutItem')).toBe(1);
    expect(proxy.count('DeleteItem')).toBe(1);
    expect(proxy.count('GetItem')).toBe(0);

    const fresh = cookieFrom(login);
    expect(tokenOf(fresh)).not.toBe(tokenOf(planted));
    expect(await getItem(db, itemIdOf(planted))).toBeUndefined();
    expect(shownUsername(await app.index(httpEvent({ cookies: [fresh] })))).toBe('victim');
    // The attacker's copy of the old cookie opens nothing.
    expect(shownUsername(await app.index(httpEvent({ cookies: [planted] })))).toBeUndefined();

    // Exactly one item holds the victim's session, and only the fresh cookie's token opens it.
    const victims = (await scanItems(db)).filter((item) => item.id === itemIdOf(fresh));
    expect(victims).toHaveLength(1);
    expect(openedData(victims[0], tokenOf(fresh))).toEqual({ username: 'victim' });
    expect(new SessionSeal(tokenOf(planted)).openAll(victims[0].sealed as SealedValues).rejected).toBe(1);
  });

  test('logging in while already logged in gives a new token and deletes the previous session', async () => {
    const app = appWith(process.env.SESSION_SECRET as string);
    const first = cookieFrom(await app.login(loginEvent('twice')));
    const second = cookieFrom(await app.login(loginEvent('twice-again', { cookies: [first] })));
    expect(tokenOf(second)).not.toBe(tokenOf(first));
    expect(await getItem(db, itemIdOf(first))).toBeUndefined();
    expect(shownUsername(await app.index(httpEvent({ cookies: [second] })))).toBe('twice-again');
  });

  test.each([
    ['random garbage', () => `__Host-session=${randomBytes(24).toString('hex')}`],
    [
      'a well-formed token with a forged signature',
      () => `__Host-session=${newToken()}.${randomBytes(32).toString('base64url')}`,
    ],
    [
      'a token signed with an unknown key',
      () => `__Host-session=${new KeyRing(['not-our-key']).sign(newToken())}`,
    ],
  ])('a forged cookie (%s) is replaced at login by a new token', async (_, forge) => {
    const app = appWith(process.env.SESSION_SECRET as string);
    const forged = forge();
    proxy.reset();
    const login = await app.login(loginEvent('forged-victim', { cookies: [forged] }));
    expect(login.statusCode).toBe(303);
    expect(proxy.count('PutItem')).toBe(1);
    expect(proxy.count('DeleteItem')).toBe(0);
    const fresh = cookieFrom(login);
    expect(cookieValue(fresh)).not.toBe(cookieValue(forged));
    expect(tokenOf(fresh)).not.toBe(tokenOf(forged));
    expect(shownUsername(await app.index(httpEvent({ cookies: [fresh] })))).toBe('forged-victim');
    expect(shownUsername(await app.index(httpEvent({ cookies: [forged] })))).toBeUndefined();
  });
});
