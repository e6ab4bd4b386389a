import { hashToken } from '../../lambda/session/src/tokens';
import { formEvent, httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { cookieAfter, flashesShown } from '../support/browsers';
import { TestClock } from '../support/clock';
import {
  cookieFrom,
  cookieValue,
  itemIdOf,
  sessionSetCookie,
  shownUsername,
  tokenOf,
} from '../support/responses';
import { openedData, rawText } from '../support/sealed';
import { useStore } from '../support/store';
import { getItem, getRawItem, scanItems, scanRaw } from '../support/table';
import { createTestApp, type TestApp } from '../support/testApp';

const db = useStore();
let app: TestApp;
const clock = new TestClock();
const ABSOLUTE_SECONDS = 7200;
const IDLE_SECONDS = 600;

beforeAll(async () => {
  app = createTestApp({
    endpoint: db.endpoint,
    idleSeconds: IDLE_SECONDS,
    absoluteSeconds: ABSOLUTE_SECONDS,
    now: clock.now,
  });
});

function expectHtmlHeaders(headers: Record<string, string>) {
  expect(headers['content-type']).toBe('text/html; charset=utf-8');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['cache-control']).toBe('no-store');
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['cross-origin-opener-policy']).toBe('same-origin');
}

describe('the tutorial flow through the handlers (payload 2.0 events)', () => {
  test('anonymous GET / says "not logged in" and links to /login, with no cookie', async () => {
    const response = await app.index(httpEvent());
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('You are not logged in');
    expect(response.body).toContain('<a href="/login">click here to log in</a>');
    expect(response.cookies).toEqual([]);
    expectHtmlHeaders(response.headers);
  });

  test('GET /login shows the form', async () => {
    const response = await app.login(httpEvent({ path: '/login' }));
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatch(/<form method="post" action="\/login">/);
    expect(response.body).toMatch(/<input type="text" id="username" name="username"/);
    expect(response.body).toContain('<button type="submit">Login</button>');
    expect(response.cookies).toEqual([]);
    expectHtmlHeaders(response.headers);
  });

  test('login, index, logout, replay over HTTPS', async () => {
    const login = await app.login(loginEvent('admin'));
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe('/');
    const setCookie = sessionSetCookie(login);
    expect(setCookie).toBeDefined();
    const attributes = (setCookie as string).split(';').map((part) => part.trim());
    expect(attributes[0]).toMatch(/^__Host-session=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
    expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'Secure', 'SameSite=Lax', 'Path=/']));
    expect(attributes.some((attribute) => /^domain=/i.test(attribute))).toBe(false);
    expect(attributes.some((attribute) => /^max-age=/i.test(attribute))).toBe(false);

    const cookie = cookieFrom(login);
    const index = await app.index(httpEvent({ cookies: [cookie] }));
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain('<p>Logged in as admin</p>');
    expect(index.body).toContain('<a href="/logout">click here to log out</a>');
    expect(index.cookies).toEqual([]);
    expectHtmlHeaders(index.headers);

    const id = itemIdOf(cookie);
    expect(await getItem(db, id)).toBeDefined();

    const logout = await app.logout(httpEvent({ path: '/logout', cookies: [cookie] }));
    expect(logout.statusCode).toBe(303);
    expect(logout.headers.location).toBe('/');
    // The session is deleted; its cookie is replaced by a new anonymous session's, which holds
    // only the flash "You were logged out." (see below).
    const replaced = sessionSetCookie(logout) as string;
    expect(replaced).toMatch(/^__Host-session=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43};/);
    expect(tokenOf(cookieFrom(logout))).not.toBe(tokenOf(cookie));
    expect(replaced).toContain('Secure');
    expect(replaced).toContain('Path=/');
    expect(replaced).not.toMatch(/max-age/i);
    expect(await getItem(db, id)).toBeUndefined();

    const replay = await app.index(httpEvent({ cookies: [cookie] }));
    expect(replay.statusCode).toBe(200);
    expect(shownUsername(replay)).toBeUndefined();
    expect(replay.body).toContain('<a href="/login">click here to log in</a>');
  });

  test('over plain HTTP the cookie is named "session" and has no Secure attribute', async () => {
    const login = await app.login(loginEvent('plain', { secure: false }));
    expect(login.statusCode).toBe(303);
    const setCookie = sessionSetCookie(login) as string;
    expect(setCookie).toMatch(/^session=/);
    expect(setCookie).not.toMatch(/secure/i);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(setCookie).toContain('Path=/');

    const cookie = cookieFrom(login);
    const index = await app.index(httpEvent({ cookies: [cookie], secure: false }));
    expect(shownUsername(index)).toBe('plain');

    // The plain-HTTP cookie name is not accepted over HTTPS (where only __Host-session counts).
    const overHttps = await app.index(httpEvent({ cookies: [cookie] }));
    expect(shownUsername(overHttps)).toBeUndefined();

    const logout = await app.logout(httpEvent({ path: '/logout', cookies: [cookie], secure: false }));
    expect(logout.statusCode).toBe(303);
    const replaced = sessionSetCookie(logout) as string;
    expect(replaced).toMatch(/^session=[^;]+;/);
    expect(replaced).not.toMatch(/secure/i);
    expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
    const flash = await app.index(httpEvent({ cookies: [cookieFrom(logout)], secure: false }));
    expect(flashesShown(flash)).toBe('You were logged out.');
    const cleared = sessionSetCookie(flash) as string;
    expect(cleared).toMatch(/^session=;/);
    expect(cleared).toContain('Max-Age=0');
    expect(cleared).not.toMatch(/secure/i);
    expect(shownUsername(await app.index(httpEvent({ cookies: [cookie], secure: false })))).toBeUndefined();
  });

  test('POST /logout (the sessions function) works like GET /logout', async () => {
    const cookie = cookieFrom(await app.login(loginEvent('poster')));
    const logout = await app.sessionsFunction(
      httpEvent({ method: 'POST', path: '/logout', cookies: [cookie] }),
    );
    expect(logout.statusCode).toBe(303);
    expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
    const start = await app.index(httpEvent({ cookies: [cookieFrom(logout)] }));
    expect(flashesShown(start)).toBe('You were logged out.');
  });

  test('logout: the start page says "You were logged out." once, in a status region, then never again', async () => {
    // Prepare: a browser's cookie jar, logged in.
    let jar = cookieAfter(undefined, await app.login(loginEvent('flash-once')));
    expect(jar).toBeDefined();
    const view = async () => {
      const page = await app.index(httpEvent(jar ? { cookies: [jar] } : {}));
      jar = cookieAfter(jar, page);
      return page;
    };
    expect(flashesShown(await view())).toBe('');

    // Act: log out, follow the redirect, reload twice.
    const logout = await app.logout(httpEvent({ path: '/logout', cookies: [jar as string] }));
    jar = cookieAfter(jar, logout);
    const redirected = await view();
    const reloaded = await view();
    const again = await view();

    // Assess
    expect(flashesShown(redirected)).toBe('You were logged out.');
    expect(redirected.body).toContain(
      '<div class="flashes" role="status" aria-live="polite">\n<p class="flash flash-message">You were logged out.</p>\n</div>',
    );
    expect(shownUsername(redirected)).toBeUndefined();
    // The page took the flash and left its anonymous session empty: deleted, cookie cleared.
    expect(jar).toBeUndefined();
    for (const page of [reloaded, again]) {
      expect(flashesShown(page)).toBe('');
      expect(page.body).not.toContain('role="status"');
      expect(shownUsername(page)).toBeUndefined();
    }
  });

  test('a logout without a session flashes nothing: no new session, the cookie just cleared', async () => {
    const before = (await scanItems(db)).length;
    const logout = await app.logout(httpEvent({ path: '/logout' }));
    expect(logout.statusCode).toBe(303);
    expect(sessionSetCookie(logout)).toContain('Max-Age=0');
    expect((await scanItems(db)).length).toBe(before);
  });

  test('"Keep me signed in": the cookie gets Max-Age, the absolute timeout; unticked, none', async () => {
    // Act
    const kept = await app.login(formEvent('/login', { username: 'keeper', remember: 'on' }));
    const notKept = await app.login(formEvent('/login', { username: 'leaver' }));

    // Assess
    expect(kept.statusCode).toBe(303);
    const attributes = (sessionSetCookie(kept) as string).split(';').map((part) => part.trim());
    expect(attributes.filter((attribute) => /^max-age=/i.test(attribute))).toEqual([
      `Max-Age=${ABSOLUTE_SECONDS}`,
    ]);
    expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'Secure', 'SameSite=Lax', 'Path=/']));
    expect(notKept.statusCode).toBe(303);
    expect(sessionSetCookie(notKept)).not.toMatch(/max-age/i);
    // Both log in alike.
    expect(shownUsername(await app.index(httpEvent({ cookies: [cookieFrom(kept)] })))).toBe('keeper');
    expect(shownUsername(await app.index(httpEvent({ cookies: [cookieFrom(notKept)] })))).toBe('leaver');
  });

  test('"Keep me signed in" holds the idle and absolute timeouts all the same', async () => {
    const kept = cookieFrom(await app.login(formEvent('/login', { username: 'kept-idle', remember: 'on' })));
    clock.advance(IDLE_SECONDS * 1000 + 1000);
    expect(shownUsername(await app.index(httpEvent({ cookies: [kept] })))).toBeUndefined();

    const refreshed = cookieFrom(
      await app.login(formEvent('/login', { username: 'kept-absolute', remember: 'on' })),
    );
    for (let elapsed = 0; elapsed < ABSOLUTE_SECONDS * 1000 - 500_000; elapsed += 500_000) {
      clock.advance(500_000);
      expect(shownUsername(await app.index(httpEvent({ cookies: [refreshed] })))).toBe('kept-absolute');
    }
    clock.advance(500_000);
    expect(shownUsername(await app.index(httpEvent({ cookies: [refreshed] })))).toBeUndefined();
  });

  test.each([
    ['"true"', 'true'],
    ['an empty value', ''],
    ['"1"', '1'],
  ])(
    'a "Keep me signed in" field holding %s is refused: 400, the form again, no cookie',
    async (_, value) => {
      const before = (await scanItems(db)).length;
      const response = await app.login(formEvent('/login', { username: 'junk', remember: value }));
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain(
        '<p class="error" id="remember-error">The field &quot;remember&quot; is a checkbox: send &quot;on&quot; or leave it out.</p>',
      );
      expect(response.body).toContain('aria-describedby="remember-error"');
      expect(response.cookies).toEqual([]);
      expect((await scanItems(db)).length).toBe(before);
    },
  );

  test('a script as username is stored as text and rendered escaped', async () => {
    const username = '<script>alert(1)</script>';
    const login = await app.login(loginEvent(username));
    expect(login.statusCode).toBe(303);
    const cookie = cookieFrom(login);
    const index = await app.index(httpEvent({ cookies: [cookie] }));
    expect(index.body).toContain('Logged in as &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(index.body).not.toContain('<script>');
    const item = await getItem(db, itemIdOf(cookie));
    expect(openedData(item, tokenOf(cookie))).toEqual({ username });
  });

  test('an invalid username gets the form again with 400 and no cookie', async () => {
    const response = await app.login(loginEvent('   '));
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('<form method="post" action="/login">');
    expect(response.cookies).toEqual([]);
  });

  test.each([
    ['a cross-site form post', loginEvent('mallory', { headers: { 'sec-fetch-site': 'cross-site' } }), 403],
    ['a foreign Origin', loginEvent('mallory', { headers: { origin: 'https://evil.example' } }), 403],
    [
      'JSON instead of a form',
      loginEvent('mallory', { headers: { 'content-type': 'application/json' } }),
      415,
    ],
    [
      'malformed percent-encoding',
      httpEvent({
        method: 'POST',
        path: '/login',
        body: 'username=%zz',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      400,
    ],
    ['an oversized form', loginEvent('x'.repeat(9000)), 413],
  ])('login with %s is refused without a cookie or a session', async (_, event, status) => {
    const before = (await scanItems(db)).length;
    const response = await app.login(event);
    expect(response.statusCode).toBe(status);
    expect(response.cookies).toEqual([]);
    expect((await scanItems(db)).length).toBe(before);
  });

  test('unknown methods get 405', async () => {
    const response = await app.index(httpEvent({ method: 'DELETE' }));
    expect(response.statusCode).toBe(405);
    expect(response.cookies).toEqual([]);
  });
});

describe('the stored item', () => {
  test('one item per session, keyed by the SHA-256 of the token, holding no token', async () => {
    const loginAt = clock.value;
    const login = await app.login(loginEvent('storage-check'));
    const cookie = cookieFrom(login);
    const token = tokenOf(cookie);
    const signature = cookieValue(cookie).split('.')[1];
    const expectedId = hashToken(token);
    expect(expectedId).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const mine = (await scanItems(db)).filter((item) => item.id === expectedId);
    expect(mine).toHaveLength(1);
    expect(openedData(mine[0], token)).toEqual({ username: 'storage-check' });

    // The token (and the signature) appear nowhere in the table, in any attribute.
    const everything = JSON.stringify(await scanRaw(db));
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(signature);
    expect(everything).not.toContain(cookieValue(cookie));

    // In the clear: the key, the times, the TTL, and the owner with its device label and public
    // id (for listing per user), bound to the token by the MAC; the data is a map of binary sealed
    // values under keyed-hash names.
    // Neither the name nor the value is readable.
    const raw = await getRawItem(db, expectedId);
    expect(Object.keys(raw ?? {}).sort()).toEqual([
      'absoluteExpiresAt',
      'createdAt',
      'device',
      'expiresAt',
      'id',
      'mac',
      'owner',
      'publicId',
      'refreshedAt',
      'sealed',
      'validUntil',
    ]);
    expect(raw?.expiresAt?.N).toBeDefined();
    const sealed = Object.entries(raw?.sealed?.M ?? {});
    expect(sealed).toHaveLength(1);
    expect(sealed[0][0]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sealed[0][1].B).toBeInstanceOf(Uint8Array);
    expect(raw?.owner).toEqual({ S: 'storage-check' });
    const text = rawText((await scanRaw(db)).map(({ owner: _owner, ...rest }) => rest));
    expect(text).not.toContain('storage-check');
    expect(text).not.toContain('username');

    const item = mine[0];
    const expiresAt = item.expiresAt as number;
    expect(Number.isInteger(expiresAt)).toBe(true);
    // Epoch seconds, not milliseconds: between login and login + absolute timeout.
    expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(loginAt / 1000));
    expect(expiresAt).toBeLessThanOrEqual(Math.floor(loginAt / 1000) + ABSOLUTE_SECONDS);
    expect(expiresAt).toBe(Math.floor(loginAt / 1000) + IDLE_SECONDS);
    expect(item.createdAt).toBe(loginAt);
    expect(item.absoluteExpiresAt).toBe(loginAt + ABSOLUTE_SECONDS * 1000);
    expect(item.validUntil).toBe(loginAt + IDLE_SECONDS * 1000);
  });

  test('the TTL never exceeds login + absolute timeout, even after many refreshes', async () => {
    const local = new TestClock();
    const short = createTestApp({
      endpoint: db.endpoint,
      idleSeconds: 4,
      absoluteSeconds: 10,
      now: local.now,
    });
    const loginAt = local.value;
    const cookie = cookieFrom(await short.login(loginEvent('ttl-cap')));
    const id = itemIdOf(cookie);
    for (let step = 0; step < 9; step++) {
      local.advance(1000);
      expect(shownUsername(await short.index(httpEvent({ cookies: [cookie] })))).toBe('ttl-cap');
      const item = await getItem(db, id);
      expect(item?.expiresAt as number).toBeLessThanOrEqual(Math.floor(loginAt / 1000) + 10);
      expect(item?.validUntil as number).toBeLessThanOrEqual(loginAt + 10_000);
    }
  });

  test('50 concurrent sessions show no cross-talk', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `user-${i}-${i % 7 === 0 ? '<b>' : 'x'}`);
    const logins = await Promise.all(names.map((name) => app.login(loginEvent(name))));
    const cookies = logins.map((response) => {
      expect(response.statusCode).toBe(303);
      return cookieFrom(response);
    });
    expect(new Set(cookies.map(tokenOf)).size).toBe(50);

    const pages = await Promise.all(cookies.map((cookie) => app.index(httpEvent({ cookies: [cookie] }))));
    pages.forEach((page, i) => {
      expect(page.statusCode).toBe(200);
      const expected = names[i].replace('<', '&lt;').replace('>', '&gt;');
      expect(shownUsername(page)).toBe(expected);
      for (const [j, other] of names.entries()) {
        if (j !== i) expect(page.body).not.toContain(`Logged in as ${other.replace('<', '&lt;')}<`);
      }
    });

    // Exactly one item per session, each keyed by its own token's hash.
    const items = await scanItems(db);
    for (const [i, cookie] of cookies.entries()) {
      const matches = items.filter((item) => item.id === itemIdOf(cookie));
      expect(matches).toHaveLength(1);
      expect(openedData(matches[0], tokenOf(cookie))).toEqual({ username: names[i] });
    }

    // Half of them log out concurrently while the other half read: still no cross-talk.
    const results = await Promise.all(
      cookies.map((cookie, i) =>
        i % 2 === 0
          ? app.logout(httpEvent({ path: '/logout', cookies: [cookie] }))
          : app.index(httpEvent({ cookies: [cookie] })),
      ),
    );
    results.forEach((result, i) => {
      if (i % 2 === 0) expect(result.statusCode).toBe(303);
      else expect(shownUsername(result)).toBe(names[i].replace('<', '&lt;').replace('>', '&gt;'));
    });
    const after = await Promise.all(cookies.map((cookie) => app.index(httpEvent({ cookies: [cookie] }))));
    after.forEach((page, i) => {
      expect(shownUsername(page)).toBe(
        i % 2 === 0 ? undefined : names[i].replace('<', '&lt;').replace('>', '&gt;'),
      );
    });
  });
});
