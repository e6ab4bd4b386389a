import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { KeyRing } from '../../lambda/session/src/keys/KeyRing';
import { hashToken, newToken } from '../../lambda/session/src/tokens';
import { httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { TestClock } from '../support/clock';
import { cookieFrom, itemIdOf, shownUsername, tokenOf } from '../support/responses';
import { openedData, rawText, sealFor } from '../support/sealed';
import { useStore } from '../support/store';
import { getItem, getRawItem, scanRaw } from '../support/table';
import { createTestApp, useTestApp } from '../support/testApp';

/** Idle 40 s: the refresh is due after 10 s, so the timed parts below never trigger it by accident. */
const IDLE_SECONDS = 40;
const TRIALS = 10;

const db = useStore();
const { proxy } = db;
const clock = new TestClock();
const app = useTestApp(db, { idleSeconds: IDLE_SECONDS, now: clock.now });

/** The session request for a `name=value` cookie, as the handlers build it. */
function requestFor(cookie: string) {
  return { cookies: [cookie], secure: true };
}

/** What the session behind `cookie` holds now, read from the table and opened with its token. */
async function storedData(cookie: string): Promise<Record<string, unknown>> {
  return openedData(await getItem(db, itemIdOf(cookie)), tokenOf(cookie));
}

/** `count` sessions of the same cookie, each loaded (one GetItem each) before any commits. */
async function loadedTogether(cookie: string, count: number) {
  return Promise.all(Array.from({ length: count }, () => app.sessions.load(requestFor(cookie))));
}

describe('per-key writes: concurrent requests that change different keys all persist', () => {
  test('20 concurrent commits on one session, each setting its own key, leave all 20', async () => {
    // Prepare: every request has read the session before any of them writes
    const cookie = cookieFrom(await app.login(loginEvent('concurrent')));
    const sessions = await loadedTogether(cookie, 20);
    sessions.forEach((session, i) => {
      session.set(`key-${i}`, { request: i });
    });
    proxy.reset();

    // Act
    await Promise.all(sessions.map((session) => app.sessions.commit(session, requestFor(cookie))));

    // Assess
    expect(proxy.count('UpdateItem')).toBe(20);
    for (const session of sessions) expect(session.writes).toEqual(['saved']);
    const expected: Record<string, unknown> = { username: 'concurrent' };
    for (let i = 0; i < 20; i++) expected[`key-${i}`] = { request: i };
    expect(await storedData(cookie)).toEqual(expected);
    const page = await app.sessions.load(requestFor(cookie));
    expect(page.keys().sort()).toEqual(Object.keys(expected).sort());
  });

  test(`a pop racing sets of other keys: the pop and every set persist (${TRIALS} trials)`, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      // Prepare
      const cookie = cookieFrom(await app.login(loginEvent(`pop-race-${trial}`)));
      const [seed] = await loadedTogether(cookie, 1);
      seed.set('cart', ['book']);
      await app.sessions.commit(seed, requestFor(cookie));
      const [popper, ...setters] = await loadedTogether(cookie, 9);
      expect(popper.pop('cart')).toEqual(['book']);
      setters.forEach((session, i) => {
        session.set(`key-${i}`, i);
      });

      // Act: the pop goes in the middle of the sets
      const all = [...setters.slice(0, 4), popper, ...setters.slice(4)];
      await Promise.all(all.map((session) => app.sessions.commit(session, requestFor(cookie))));

      // Assess
      const expected: Record<string, unknown> = { username: `pop-race-${trial}` };
      for (let i = 0; i < 8; i++) expected[`key-${i}`] = i;
      expect(await storedData(cookie)).toEqual(expected);
    }
  });

  test('the same key written by two requests: the last write wins, whole', async () => {
    // Prepare
    const cookie = cookieFrom(await app.login(loginEvent('same-key')));
    const [first, second] = await loadedTogether(cookie, 2);
    first.set('theme', { name: 'dark', contrast: 'high' });
    second.set('theme', { name: 'light' });

    // Act
    await app.sessions.commit(first, requestFor(cookie));
    await app.sessions.commit(second, requestFor(cookie));

    // Assess: values are not merged: the key holds the second value as it was set
    expect(await storedData(cookie)).toEqual({ username: 'same-key', theme: { name: 'light' } });
  });

  test('clear() replaces the whole map: keys other requests set before it are gone too', async () => {
    // Prepare
    const cookie = cookieFrom(await app.login(loginEvent('clearing')));
    const [setter, clearer] = await loadedTogether(cookie, 2);
    setter.set('cart', ['book']);
    await app.sessions.commit(setter, requestFor(cookie));

    // Act
    clearer.clear();
    clearer.set('flash', 'signed out of the shop');
    await app.sessions.commit(clearer, requestFor(cookie));

    // Assess
    expect(await storedData(cookie)).toEqual({ flash: 'signed out of the shop' });
  });

  test(`a logout racing per-key commits resurrects nothing (${TRIALS} trials)`, async () => {
    proxy.reset();
    for (let trial = 0; trial < TRIALS; trial++) {
      // Prepare
      const cookie = cookieFrom(await app.login(loginEvent(`logout-race-${trial}`)));
      const sessions = await loadedTogether(cookie, 10);
      sessions.forEach((session, i) => {
        if (i % 3 === 0) session.pop('username');
        else session.set(`key-${i}`, i);
      });

      // Act: the logout goes in the middle of the commits
      const commits = sessions.map((session) => app.sessions.commit(session, requestFor(cookie)));
      const logout = app.logout(httpEvent({ path: '/logout', cookies: [cookie] }));
      await Promise.all([...commits, logout]);

      // Assess: no item at all, not even one holding only a few keys
      for (const session of sessions) expect(['saved', 'gone']).toContain(session.writes[0]);
      expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
      expect(shownUsername(await app.index(httpEvent({ cookies: [cookie] })))).toBeUndefined();
      expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
    }
    expect(proxy.count('UpdateItem')).toBeGreaterThan(0);
  });

  test('a per-key commit held at the store until the logout is done finds nothing to update', async () => {
    // Prepare
    const cookie = cookieFrom(await app.login(loginEvent('held-key')));
    const [session] = await loadedTogether(cookie, 1);
    session.set('cart', ['book']);
    const gate = proxy.hold('UpdateItem');
    const pending = app.sessions.commit(session, requestFor(cookie));
    await gate.arrived;

    // Act
    await app.logout(httpEvent({ path: '/logout', cookies: [cookie] }));
    gate.release();

    // Assess
    expect(await pending).toEqual([]);
    expect(session.writes).toEqual(['gone']);
    expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
  });
});

describe('sealed data: the table holds nothing readable', () => {
  test('after a flow, a scan of the table finds no name, value or token in plain text', async () => {
    // Prepare
    const secrets = [
      'admin',
      'username',
      'oauth_token',
      'ya29.a0Af-secret-access-token',
      'csrf',
      'b7e1c9d2f0',
    ];
    const login = await app.login(loginEvent('admin'));
    const cookie = cookieFrom(login);
    const session = await app.sessions.load(requestFor(cookie));
    session.set('oauth_token', 'ya29.a0Af-secret-access-token');
    session.set('csrf', 'b7e1c9d2f0');
    await app.sessions.commit(session, requestFor(cookie));
    clock.advance(15_000); // a page view that refreshes: an UpdateItem of the times
    expect(shownUsername(await app.index(httpEvent({ cookies: [cookie] })))).toBe('admin');

    // Act: the owner is in the clear by design (it keys the owner index); nothing else is.
    const items = await scanRaw(db);
    const text = rawText(items.map(({ owner: _owner, ...rest }) => rest));

    // Assess
    for (const secret of [...secrets, tokenOf(cookie)]) expect(text).not.toContain(secret);
    expect(items.find((item) => item.id.S === itemIdOf(cookie))?.owner).toEqual({ S: 'admin' });
    expect(await storedData(cookie)).toEqual({
      username: 'admin',
      oauth_token: 'ya29.a0Af-secret-access-token',
      csrf: 'b7e1c9d2f0',
    });
  });

  test('a stored value changed in the table reads as absent: the page is "not logged in"', async () => {
    // Prepare: one bit of the sealed username flipped, as a writer of the table could
    const cookie = cookieFrom(await app.login(loginEvent('tampered')));
    const id = itemIdOf(cookie);
    const tag = sealFor(tokenOf(cookie)).nameTag('username');
    const raw = await getRawItem(db, id);
    const sealed = Uint8Array.from(raw?.sealed?.M?.[tag]?.B ?? []);
    sealed[20] ^= 0x01;
    await setSealedValue(id, tag, sealed);

    // Act
    const page = await app.index(httpEvent({ cookies: [cookie] }));

    // Assess
    expect(shownUsername(page)).toBeUndefined();
    expect(proxy.operations.slice(-1)).toEqual(['GetItem']);
  });

  test('a value copied from another session is never taken as this session’s data', async () => {
    // Prepare: the admin's sealed username copied into the victim's item, under the victim's tag
    const admin = cookieFrom(await app.login(loginEvent('admin')));
    const victim = cookieFrom(await app.login(loginEvent('guest')));
    const adminValue = Object.values((await getRawItem(db, itemIdOf(admin)))?.sealed?.M ?? {})[0]?.B;
    const victimTag = sealFor(tokenOf(victim)).nameTag('username');
    await setSealedValue(itemIdOf(victim), victimTag, adminValue as Uint8Array);

    // Act
    const page = await app.index(httpEvent({ cookies: [victim] }));

    // Assess
    expect(shownUsername(page)).toBeUndefined();
    expect(shownUsername(await app.index(httpEvent({ cookies: [admin] })))).toBe('admin');
  });

  test('rotating the signing keys leaves sealed data readable: the token, not the key, opens it', async () => {
    // Prepare
    const oldKey = process.env.SESSION_SECRET as string;
    const cookie = cookieFrom(await app.login(loginEvent('rotated')));
    const rotated = createTestApp({
      endpoint: proxy.endpoint,
      idleSeconds: IDLE_SECONDS,
      secret: `${'n'.repeat(32)},${oldKey}`,
      now: clock.now,
    });

    // Act
    const page = await rotated.index(httpEvent({ cookies: [cookie] }));

    // Assess: read, and the cookie re-signed with the new key for the same token
    expect(shownUsername(page)).toBe('rotated');
    const resigned = cookieFrom(page);
    expect(tokenOf(resigned)).toBe(tokenOf(cookie));
    expect(new KeyRing(['n'.repeat(32)]).verify(resigned.slice(resigned.indexOf('=') + 1))).not.toBe(false);
  });
});

describe('items written before sealing (a plain data map)', () => {
  /** A live session item as the library wrote it before sealing, for a fresh token. */
  async function legacyItem(username: string): Promise<{ cookie: string; id: string }> {
    const token = newToken();
    const id = hashToken(token);
    const now = clock.value;
    const validUntil = now + IDLE_SECONDS * 1000;
    await db.documents.send(
      new PutCommand({
        TableName: db.tableName,
        Item: {
          id,
          data: { username },
          createdAt: now,
          refreshedAt: now,
          absoluteExpiresAt: now + 43_200_000,
          validUntil,
          expiresAt: Math.floor(validUntil / 1000),
        },
      }),
    );
    const ring = new KeyRing([process.env.SESSION_SECRET as string]);
    return { cookie: `__Host-session=${ring.sign(token)}`, id };
  }

  test('read as absent: the page is "not logged in", nothing is written to the item', async () => {
    // Prepare
    const { cookie, id } = await legacyItem('legacy-user');
    const before = await getRawItem(db, id);
    clock.advance(15_000); // a refresh would be due on a live sealed session
    proxy.reset();

    // Act
    const page = await app.index(httpEvent({ cookies: [cookie] }));

    // Assess
    expect(page.statusCode).toBe(200);
    expect(shownUsername(page)).toBeUndefined();
    expect(page.cookies).toEqual([]);
    expect(proxy.operations).toEqual(['GetItem']);
    expect(await getRawItem(db, id)).toEqual(before);
  });

  test('a logout deletes it, and a login replaces it with a sealed session', async () => {
    // Prepare
    const leaving = await legacyItem('leaving');
    const returning = await legacyItem('returning');

    // Act
    const logout = await app.logout(httpEvent({ path: '/logout', cookies: [leaving.cookie] }));
    const login = await app.login(loginEvent('returning', { cookies: [returning.cookie] }));

    // Assess
    expect(logout.statusCode).toBe(303);
    expect(await getItem(db, leaving.id)).toBeUndefined();
    expect(await getItem(db, returning.id)).toBeUndefined();
    const fresh = cookieFrom(login);
    expect(await storedData(fresh)).toEqual({ username: 'returning' });
    expect(shownUsername(await app.index(httpEvent({ cookies: [fresh] })))).toBe('returning');
  });
});

/** Writes `sealed` under `tag` in the item's sealed map, behind the library's back. */
async function setSealedValue(id: string, tag: string, sealed: Uint8Array): Promise<void> {
  await db.documents.send(
    new UpdateCommand({
      TableName: db.tableName,
      Key: { id },
      UpdateExpression: 'SET #sealed.#tag = :value',
      ExpressionAttributeNames: { '#sealed': 'sealed', '#tag': tag },
      ExpressionAttributeValues: { ':value': sealed },
    }),
  );
}
