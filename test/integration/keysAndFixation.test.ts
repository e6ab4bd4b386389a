import { randomBytes } from 'node:crypto';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { boundedClientConfig } from '../../lambda/session/src/clientConfig';
import { KeyRing } from '../../lambda/session/src/keys/KeyRing';
import { rotateSigningKeys } from '../../lambda/session/src/keys/rotateSigningKeys';
import { keyRotationDelays, parseSigningKeySet } from '../../lambda/session/src/keys/signingKeySet';
import { type SealedValues, SessionSeal } from '../../lambda/session/src/SessionSeal';
import { newToken } from '../../lambda/session/src/tokens';
import { httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { TestClock } from '../support/clock';
import { type FakeSecretsManager, startFakeSecretsManager } from '../support/fakeSecretsManager';
import { testKey } from '../support/keys';
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
import { createTestApp, type TestApp } from '../support/testApp';

const db = useStore();
const { proxy } = db;
const clock = new TestClock();

const KEY_A = testKey('a');
const KEY_B = testKey('b');

/** A context holding `keys`, newest first, as SESSION_SECRET lists them. */
function appWith(...keys: string[]) {
  return createTestApp({
    endpoint: proxy.endpoint,
    secret: keys.join(','),
    idleSeconds: 3600,
    now: clock.now,
  });
}

describe('key rotation', () => {
  test('a cookie signed with the old key still works after rotation and is re-signed with the new key', async () => {
    const appA = appWith(KEY_A);
    const cookie = cookieFrom(await appA.login(loginEvent('rotated')));
    expect(shownUsername(await appA.index(httpEvent({ cookies: [cookie] })))).toBe('rotated');

    const appBA = appWith(KEY_B, KEY_A);
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
    expect(cookieValue(newCookie)).toBe(new KeyRing([KEY_B]).sign(tokenOf(cookie)));

    // The re-signed cookie needs no further re-signing.
    const again = await appBA.index(httpEvent({ cookies: [newCookie] }));
    expect(shownUsername(again)).toBe('rotated');
    expect(again.cookies).toEqual([]);

    // Once the old key is retired, only the re-signed cookie works.
    const appB = appWith(KEY_B);
    const old = await appB.index(httpEvent({ cookies: [cookie] }));
    expect(shownUsername(old)).toBeUndefined();
    expect(old.cookies).toEqual([]);
    expect(shownUsername(await appB.index(httpEvent({ cookies: [newCookie] })))).toBe('rotated');
  });

  test('with the old key retired, a cookie it signed is refused without reading the store', async () => {
    const cookie = cookieFrom(await appWith(KEY_A).login(loginEvent('retired')));
    proxy.reset();
    const response = await appWith(KEY_B).index(httpEvent({ cookies: [cookie] }));
    expect(shownUsername(response)).toBeUndefined();
    expect(proxy.operations).toEqual([]);
    // The session itself is untouched: it is just unreachable with that key.
    expect(await getItem(db, itemIdOf(cookie))).toBeDefined();
  });

  test('a refresh due on an old-key cookie writes once and re-signs; logout with an old-key cookie deletes', async () => {
    const cookie = cookieFrom(await appWith(KEY_A).login(loginEvent('old-key-refresh')));
    clock.advance(1_000_000); // over a quarter of the hour: the refresh is due
    const appBA = appWith(KEY_B, KEY_A);
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
    const cookie = cookieFrom(await appWith(KEY_A).login(loginEvent('relogin')));
    const appBA = appWith(KEY_B, KEY_A);
    const login = await appBA.login(loginEvent('relogin', { cookies: [cookie] }));
    const fresh = cookieFrom(login);
    expect(tokenOf(fresh)).not.toBe(tokenOf(cookie));
    expect(cookieValue(fresh)).toBe(new KeyRing([KEY_B]).sign(tokenOf(fresh)));
    expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
  });
});

describe('a logout during a rotation, across containers', () => {
  // Two containers on one table: one has picked up the new key, the other still holds only the
  // old one (it re-reads the secret later). The review reproduced a logout on the old-key
  // container that answered 303 and cleared the cookie, but left the session alive.
  test('a cookie signed with a key the logging-out container does not hold yet is still logged out', async () => {
    // Prepare
    const newKeyContainer = appWith(testKey('new'), testKey('old'));
    const oldKeyContainer = appWith(testKey('old'));
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
    const newKeyContainer = appWith(testKey('new'), testKey('old'));
    const oldKeyContainer = appWith(testKey('old'));
    const cookie = cookieFrom(await newKeyContainer.login(loginEvent('browsing')));
    proxy.reset();
    await oldKeyContainer.index(httpEvent({ cookies: [cookie] }));
    expect(proxy.operations).toEqual([]);
    expect(shownUsername(await newKeyContainer.index(httpEvent({ cookies: [cookie] })))).toBe('browsing');
  });
});

describe('a managed rotation across containers, one a phase behind', () => {
  // The rotation function's own logic turns the secret (as the stack generates it: one 64-character
  // key) through five rotations, as fast as it allows: 70 minutes apart, just over its shortest
  // promote delay (the 5-minute key refresh plus the hour of margin). One container holds the
  // secret's current value, the other the value before it: the worst a container may lag while
  // its refreshes work at all, since a key is promoted only a promote delay after it was
  // distributed. Sessions live 2 hours, so keys retire within the run.
  const ABSOLUTE_SECONDS = 7200;
  const MINUTE_MS = 60_000;
  const PHASE_MINUTES = 70;
  const STEP_MINUTES = 10;
  let secrets: FakeSecretsManager;
  let client: SecretsManagerClient;

  beforeAll(async () => {
    secrets = await startFakeSecretsManager(
      'generated0key0of0sixty0four0letters0and0digits0'.padEnd(64, '7'),
    );
    client = new SecretsManagerClient({ ...boundedClientConfig(), endpoint: secrets.endpoint });
  });

  afterAll(async () => {
    client.destroy();
    await secrets.close();
  });

  interface Browser {
    user: string;
    cookie: string;
    loggedInAt: number;
  }

  /** A container whose SESSION_SECRET is `secret`, a value the secret held. */
  function containerWith(secret: string) {
    return createTestApp({
      endpoint: proxy.endpoint,
      secret,
      idleSeconds: 3600,
      absoluteSeconds: ABSOLUTE_SECONDS,
      now: clock.now,
    });
  }

  /** A page view from `browser`: it keeps whatever cookie the page sets, as a browser does. */
  async function view(app: TestApp, browser: Browser): Promise<string | undefined> {
    const response = await app.index(httpEvent({ cookies: [browser.cookie] }));
    if (sessionSetCookie(response) !== undefined) browser.cookie = cookieFrom(response);
    return shownUsername(response);
  }

  test('a user browsing across both is never logged out, and a logout on either ends the session', async () => {
    // Prepare
    const settings = {
      ...keyRotationDelays({ absoluteTimeoutSeconds: ABSOLUTE_SECONDS, promoteAfterSeconds: 3900 }),
      now: clock.now,
    };
    const rotate = () => secrets.rotate((event) => rotateSigningKeys(client, event, settings));
    const generated = secrets.current();
    const signingKeys: string[] = [];
    const browsers: Browser[] = [];
    let behindSecret = generated;

    for (let phase = 1; phase <= 5; phase++) {
      // Act: a rotation; one container picks it up, the other still holds the phase before.
      await rotate();
      const behind = containerWith(behindSecret);
      signingKeys.push(parseSigningKeySet(secrets.current()).current.key);

      // New users log in on each container; every live user browses both, every 10 minutes.
      for (const [app, where] of [
        [containerWith(secrets.current()), 'ahead'],
        [behind, 'behind'],
      ] as const) {
        const user = `phase${phase}-${where}`;
        browsers.push({
          user,
          cookie: cookieFrom(await app.login(loginEvent(user))),
          loggedInAt: clock.now(),
        });
      }
      let ahead = containerWith(secrets.current());
      for (let minute = 0; minute < PHASE_MINUTES; minute += STEP_MINUTES) {
        if (minute === 30) {
          // Someone rotates by hand mid-phase (aws secretsmanager rotate-secret): too early to
          // promote anything, so the value stays what it was.
          const before = secrets.current();
          await rotate();
          expect(secrets.current()).toBe(before);
          ahead = containerWith(secrets.current());
        }
        const live = browsers.filter((browser) => clock.now() - browser.loggedInAt < ABSOLUTE_SECONDS * 1000);
        for (const browser of live) {
          // Assess
          expect([browser.user, await view(behind, browser)]).toEqual([browser.user, browser.user]);
          expect([browser.user, await view(ahead, browser)]).toEqual([browser.user, browser.user]);
        }
        clock.advance(STEP_MINUTES * MINUTE_MS);
      }

      // A user of the phase logs out on one container (alternately): the session ends on both.
      const leaving = browsers[browsers.length - 2 + (phase % 2)];
      const loggingOut = phase % 2 === 0 ? ahead : behind;
      const logout = await loggingOut.logout(httpEvent({ path: '/logout', cookies: [leaving.cookie] }));
      expect(logout.statusCode).toBe(303);
      expect(await getItem(db, itemIdOf(leaving.cookie))).toBeUndefined();
      expect(await view(ahead, leaving)).toBeUndefined();
      expect(await view(behind, leaving)).toBeUndefined();
      browsers.splice(browsers.indexOf(leaving), 1);
      behindSecret = secrets.current();
    }

    // Assess: the signing key changed at every rotation but the first (which only distributed a
    // key), and the generated key has been retired.
    const generatedKey = parseSigningKeySet(generated).current.key;
    expect(signingKeys[0]).toBe(generatedKey);
    expect(new Set(signingKeys).size).toBe(5);
    expect(JSON.stringify(parseSigningKeySet(secrets.current()))).not.toContain(generatedKey);
  }, 60_000);
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
      () => `__Host-session=${new KeyRing([testKey('not-ours')]).sign(newToken())}`,
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
