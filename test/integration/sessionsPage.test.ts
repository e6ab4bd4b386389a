import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { HttpResponse } from '../../lambda/http/response';
import { newPublicId } from '../../lambda/session/src/tokens';
import { localLambdaContext } from '../../lib/local/apiGateway';
import { formEvent, httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { cookieAfter, FIREFOX, flashesShown, logIn, SAFARI_IOS, uniqueUser } from '../support/browsers';
import { TestClock } from '../support/clock';
import { cookieFrom, itemIdOf, sessionSetCookie, shownUsername } from '../support/responses';
import { slowDown, useStore } from '../support/store';
import { getItem } from '../support/table';
import { useTestApp } from '../support/testApp';

// The sessions page and its forms, through the production handlers on a real (embedded) store:
// GET /sessions, POST /sessions/revoke and POST /logout scope=everywhere.

const SAME_SITE = { 'sec-fetch-site': 'same-origin' };

const db = useStore();
const { proxy } = db;
const clock = new TestClock();
const app = useTestApp(db, { idleSeconds: 600, now: clock.now });

const user = uniqueUser;

/** Logs `username` in, 1000 ms after the previous step; with "Keep me signed in" ticked when `keep`. */
const login = (username: string, userAgent?: string, keep = false) =>
  logIn(app, clock, username, { userAgent, stepMs: 1000, keep });

async function publicIdOf(cookie: string): Promise<string> {
  return String((await getItem(db, itemIdOf(cookie)))?.publicId);
}

function sessionsPage(cookie?: string): Promise<HttpResponse> {
  return app.sessionsFunction(httpEvent({ path: '/sessions', ...(cookie ? { cookies: [cookie] } : {}) }));
}

function revoke(cookie: string | undefined, session: string, headers: Record<string, string> = SAME_SITE) {
  return app.sessionsFunction(
    formEvent('/sessions/revoke', { session }, { headers, ...(cookie ? { cookies: [cookie] } : {}) }),
  );
}

/** The public ids the page offers a "Log out" form for (not "others"). */
function revocableIds(page: HttpResponse): string[] {
  return [...page.body.matchAll(/name="session" value="([^"]+)"/g)]
    .map((match) => match[1])
    .filter((value) => value !== 'others');
}

async function loggedInAs(cookie: string): Promise<string | undefined> {
  return shownUsername(await app.index(httpEvent({ cookies: [cookie] })));
}

describe('GET /sessions', () => {
  it('lists the live sessions: device, times, this device marked and without a form, the others with one', async () => {
    // Prepare
    const alice = user('alice');
    const phone = await login(alice, SAFARI_IOS);
    const phoneLogin = clock.now();
    const laptop = await login(alice, FIREFOX);

    // Act
    const page = await sessionsPage(laptop);

    // Assess
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('Firefox on Linux <strong>(This device)</strong>');
    expect(page.body).toContain('Safari on iOS');
    expect(revocableIds(page)).toEqual([await publicIdOf(phone)]);
    expect(page.body).toContain(
      `<form method="post" action="/sessions/revoke">\n<input type="hidden" name="session" value="${await publicIdOf(phone)}">`,
    );
    expect(page.body).not.toContain(await publicIdOf(laptop));
    const iso = new Date(phoneLogin).toISOString();
    expect(page.body).toContain(
      `<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC</time>`,
    );
    expect(page.body).toContain('<input type="hidden" name="session" value="others">');
    expect(page.body).toContain(
      '<form method="post" action="/logout">\n<input type="hidden" name="scope" value="everywhere">',
    );
    expect(page.body).not.toContain('<script');
    // The table key never reaches the page.
    expect(page.body).not.toContain(itemIdOf(phone));
  });

  it('anonymous, or with an unknown cookie: 303 to /login, nothing listed', async () => {
    const anonymous = await sessionsPage();
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toBe('/login');
    proxy.reset();
    const gone = await login(user('gone'));
    await app.logout(httpEvent({ path: '/logout', cookies: [gone] }));
    proxy.reset();
    const stale = await sessionsPage(gone);
    expect(stale.statusCode).toBe(303);
    expect(stale.headers.location).toBe('/login');
    expect(proxy.operations).toEqual(['GetItem']);
  });

  it('costs one GetItem and one index Query when no refresh is due', async () => {
    const cookie = await login(user('counted'));
    proxy.reset();
    expect((await sessionsPage(cookie)).statusCode).toBe(200);
    expect(proxy.operations).toEqual(['GetItem', 'Query']);
  });

  it('escapes what the user typed and what the table holds', async () => {
    const cookie = await login(user('<img src=x onerror=alert(1)>'));
    const page = await sessionsPage(cookie);
    expect(page.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page.body).not.toContain('<img');
  });

  it('lists the 100 most recently active and says there are more', async () => {
    const many = user('many');
    for (let login = 0; login < 100; login++) {
      await app.login(loginEvent(many, { headers: { 'user-agent': SAFARI_IOS } }));
    }
    const current = await login(many);

    const page = await sessionsPage(current);

    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('(This device)');
    expect(revocableIds(page)).toHaveLength(99);
    expect(page.body).toContain('Only the 100 most recently active sessions are listed; you have more.');
  });

  // Past Date's range (±8.64e15 ms) but within 2^53, the document client gives a number, and
  // formatting it threw a RangeError: a 500. 1e20 comes back as a BigInt, which was already skipped.
  it.each([
    ['createdAt', '9000000000000000'],
    ['createdAt', '-9000000000000000'],
    ['refreshedAt', '9000000000000000'],
    ['createdAt', '1e20'],
  ])(
    'skips an item in the index whose %s is %s, out of range, instead of failing the page (was a 500)',
    async (field, value) => {
      // Prepare: beside alice's session, an item of hers in the index holding a time no Date can hold
      const alice = user('alice');
      const laptop = await login(alice);
      const now = String(clock.now());
      await db.client.send(
        new PutItemCommand({
          TableName: db.tableName,
          Item: {
            id: { S: `out-of-range-${alice}` },
            owner: { S: alice },
            device: { S: 'Safari on iOS' },
            publicId: { S: newPublicId() },
            createdAt: { N: now },
            refreshedAt: { N: now },
            validUntil: { N: String(clock.now() + 600_000) },
            [field]: { N: value },
          },
        }),
      );

      // Act
      const page = await sessionsPage(laptop);

      // Assess
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('Firefox on Linux <strong>(This device)</strong>');
      expect(page.body).not.toContain('Safari on iOS');
      expect(revocableIds(page)).toEqual([]);
    },
  );

  it('two users never see each other’s sessions', async () => {
    const alice = user('alice');
    const bob = user('bob');
    const aliceCookie = await login(alice);
    await login(alice, SAFARI_IOS);
    const bobCookie = await login(bob);
    const bobPhone = await login(bob, SAFARI_IOS);

    const alicePage = await sessionsPage(aliceCookie);
    const bobPage = await sessionsPage(bobCookie);
    expect(revocableIds(alicePage)).toHaveLength(1);
    expect(revocableIds(bobPage)).toEqual([await publicIdOf(bobPhone)]);
    expect(alicePage.body).not.toContain(await publicIdOf(bobPhone));
  });
});

describe('POST /sessions/revoke', () => {
  it('logs out the chosen session: gone at its very next request; this one and the rest stay', async () => {
    // Prepare
    const alice = user('alice');
    const phone = await login(alice, SAFARI_IOS);
    const tablet = await login(alice, SAFARI_IOS);
    const laptop = await login(alice);

    // Act
    const response = await revoke(laptop, await publicIdOf(phone));

    // Assess
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/sessions');
    expect(sessionSetCookie(response)).toBeUndefined();
    expect(await loggedInAs(phone)).toBeUndefined();
    expect(await loggedInAs(tablet)).toBe(alice);
    expect(await loggedInAs(laptop)).toBe(alice);
    expect(revocableIds(await sessionsPage(laptop))).toEqual([await publicIdOf(tablet)]);
  });

  it('session=others logs out every other session of the user, not this one, not another user’s', async () => {
    const alice = user('alice');
    const bob = user('bob');
    const others = [await login(alice, SAFARI_IOS), await login(alice, SAFARI_IOS)];
    const bobCookie = await login(bob);
    const laptop = await login(alice);

    const response = await revoke(laptop, 'others');

    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/sessions');
    for (const cookie of others) expect(await loggedInAs(cookie)).toBeUndefined();
    expect(await loggedInAs(laptop)).toBe(alice);
    expect(await loggedInAs(bobCookie)).toBe(bob);
    expect(revocableIds(await sessionsPage(laptop))).toEqual([]);
  });

  it('an id of another user’s session, or a made-up one, changes nothing', async () => {
    const alice = user('alice');
    const bob = user('bob');
    const aliceCookie = await login(alice);
    const bobCookie = await login(bob);
    const bobItem = await getItem(db, itemIdOf(bobCookie));

    for (const id of [await publicIdOf(bobCookie), 'AAAAAAAAAAAAAAAAAAAAAA', itemIdOf(bobCookie)]) {
      const response = await revoke(aliceCookie, id);
      expect(response.statusCode).toBe(303);
      expect(response.headers.location).toBe('/sessions');
    }
    expect(await getItem(db, itemIdOf(bobCookie))).toEqual(bobItem);
    expect(await loggedInAs(bobCookie)).toBe(bob);
    expect(await loggedInAs(aliceCookie)).toBe(alice);
  });

  it('this device’s own id logs this browser out, as a logout: 303 to the start page, which says so', async () => {
    const cookie = await login(user('self'));
    const response = await revoke(cookie, await publicIdOf(cookie));
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/');
    expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
    const start = await app.index(httpEvent({ cookies: [cookieFrom(response)] }));
    expect(shownUsername(start)).toBeUndefined();
    expect(flashesShown(start)).toBe('You were logged out.');
  });

  it('refuses cross-site posts with 403 before touching the store', async () => {
    const alice = user('alice');
    const phone = await login(alice, SAFARI_IOS);
    const laptop = await login(alice);
    proxy.reset();

    const crossSite: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'https://evil.example' },
    ];
    for (const headers of crossSite) {
      expect((await revoke(laptop, 'others', headers)).statusCode).toBe(403);
    }
    expect(proxy.operations).toEqual([]);
    expect(await loggedInAs(phone)).toBe(alice);
  });

  it('bad input: a clear 4xx and nothing changed', async () => {
    const alice = user('alice');
    const phone = await login(alice, SAFARI_IOS);
    const laptop = await login(alice);
    proxy.reset();

    const missing = await app.sessionsFunction(
      formEvent('/sessions/revoke', {}, { cookies: [laptop], headers: SAME_SITE }),
    );
    const notForm = await app.sessionsFunction(
      httpEvent({
        method: 'POST',
        path: '/sessions/revoke',
        body: JSON.stringify({ session: 'others' }),
        cookies: [laptop],
        headers: { ...SAME_SITE, 'content-type': 'application/json' },
      }),
    );
    const malformed = await revoke(laptop, 'not an id!');

    expect(missing.statusCode).toBe(400);
    expect(notForm.statusCode).toBe(415);
    expect(malformed.statusCode).toBe(400);
    expect(malformed.body).toContain('Choose a session from the list to log out.');
    expect(proxy.operations).toEqual([]);
    expect(await loggedInAs(phone)).toBe(alice);
  });

  it('anonymous: 303 to /login, nothing deleted', async () => {
    const alice = user('alice');
    const phone = await login(alice, SAFARI_IOS);
    const response = await revoke(undefined, 'others');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/login');
    const forged = await revoke(undefined, await publicIdOf(phone));
    expect(forged.headers.location).toBe('/login');
    expect(await loggedInAs(phone)).toBe(alice);
  });

  it('a failing store: 503, and the session is still there after recovery', async () => {
    const alice = user('alice');
    const phone = await login(alice, SAFARI_IOS);
    const laptop = await login(alice);
    proxy.fault({ kind: 'throttling', operations: ['Query'] });

    const response = await revoke(laptop, 'others');

    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBeDefined();
    proxy.heal();
    expect(await loggedInAs(phone)).toBe(alice);
  });
});

describe('POST /logout', () => {
  it('scope=everywhere deletes every session of the user, this one included, its cookie replaced by the logout flash’s, 303 to /', async () => {
    const alice = user('alice');
    const bob = user('bob');
    const phone = await login(alice, SAFARI_IOS);
    const bobCookie = await login(bob);
    const laptop = await login(alice);

    const response = await app.sessionsFunction(
      formEvent('/logout', { scope: 'everywhere' }, { cookies: [laptop], headers: SAME_SITE }),
    );

    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/');
    expect(await loggedInAs(phone)).toBeUndefined();
    expect(await loggedInAs(laptop)).toBeUndefined();
    expect(await getItem(db, itemIdOf(laptop))).toBeUndefined();
    expect(await loggedInAs(bobCookie)).toBe(bob);
    // The cookie now holds only the flash, which the start page shows.
    expect(flashesShown(await app.index(httpEvent({ cookies: [cookieFrom(response)] })))).toBe(
      'You were logged out.',
    );
  });

  it.each([
    ['no scope', {}],
    ['another scope', { scope: 'here' }],
  ])('with %s: this browser only, as GET /logout', async (_, fields) => {
    const alice = user('alice');
    const phone = await login(alice, SAFARI_IOS);
    const laptop = await login(alice);
    proxy.reset();

    const response = await app.sessionsFunction(
      formEvent('/logout', fields, { cookies: [laptop], headers: SAME_SITE }),
    );

    expect(response.statusCode).toBe(303);
    // No read: the session deleted, and a new anonymous one holding "You were logged out.".
    expect([...proxy.operations].sort()).toEqual(['DeleteItem', 'PutItem']); // sent together
    expect(cookieFrom(response)).not.toBe(laptop);
    expect(await loggedInAs(laptop)).toBeUndefined();
    expect(await loggedInAs(phone)).toBe(alice);
  });

  it('scope=everywhere cross-site: 403, nothing deleted', async () => {
    const alice = user('alice');
    const laptop = await login(alice);
    const response = await app.sessionsFunction(
      formEvent(
        '/logout',
        { scope: 'everywhere' },
        { cookies: [laptop], headers: { 'sec-fetch-site': 'cross-site' } },
      ),
    );
    expect(response.statusCode).toBe(403);
    expect(await loggedInAs(laptop)).toBe(alice);
  });

  it('scope=everywhere anonymous: as a logout, the cookie cleared and 303 to /', async () => {
    const response = await app.sessionsFunction(
      formEvent('/logout', { scope: 'everywhere' }, { headers: SAME_SITE }),
    );
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/');
    expect(sessionSetCookie(response)).toContain('Max-Age=0');
  });
});

describe('POST /logout scope=everywhere: this device first, then the others within the deadline', () => {
  /** `POST /logout` `scope=everywhere` from the browser holding `cookie`, with `remainingMs` left in the function. */
  function logOutEverywhere(cookie: string, remainingMs = 15_000) {
    const context: Context = {
      ...localLambdaContext('sessions-test'),
      getRemainingTimeInMillis: () => remainingMs,
    };
    return app.sessionsFunction(
      formEvent('/logout', { scope: 'everywhere' }, { cookies: [cookie], headers: SAME_SITE }),
      context,
    );
  }

  it('deletes this session before it reads the index; a store failure after that still logs this browser out, its cookie replaced', async () => {
    // Prepare: the index fails every Query.
    const alice = user('alice');
    const phone = await login(alice, SAFARI_IOS);
    const laptop = await login(alice);
    proxy.fault({ kind: 'throttling', operations: ['Query'] });
    proxy.reset();

    // Act
    const response = await logOutEverywhere(laptop);

    // Assess: logged out here (the session deleted, the cookie now the flash's anonymous
    // session), told the rest may not be; the phone is still logged in.
    expect(proxy.operations[0]).toBe('GetItem');
    expect(proxy.operations.slice(1, 3).sort()).toEqual(['DeleteItem', 'PutItem']); // sent together
    expect(proxy.operations[3]).toBe('Query');
    expect(response.statusCode).toBe(200);
    expect(cookieFrom(response)).not.toBe(laptop);
    expect(response.body).toContain('You are logged out on this device');
    expect(response.body).toContain('may still be logged in');
    expect(await getItem(db, itemIdOf(laptop))).toBeUndefined();
    proxy.heal();
    expect(await loggedInAs(laptop)).toBeUndefined();
    expect(await loggedInAs(phone)).toBe(alice);
  });

  it('many sessions and a slow store: an answer inside the deadline, logged out here, told the rest is partial; logging in and again finishes', async () => {
    // Prepare: 100 other sessions; every DeleteItem takes 400 ms; 3 s left in the function (the
    // deadline is 500 ms before that).
    const owner = user('many');
    const phones: string[] = [];
    for (let n = 0; n < 100; n++) phones.push(await login(owner, SAFARI_IOS));
    const laptop = await login(owner);
    const slow = slowDown(proxy, 'DeleteItem', 400, 200);

    // Act
    const started = performance.now();
    const response = await logOutEverywhere(laptop, 3000);
    const took = performance.now() - started;
    slow.restore();

    // Assess
    expect(took).toBeLessThan(3000);
    expect(response.statusCode).toBe(200);
    expect(cookieFrom(response)).not.toBe(laptop);
    expect(response.body).toContain('You are logged out on this device');
    expect(response.body).toContain('may still be logged in');
    expect(await loggedInAs(laptop)).toBeUndefined();
    // The oldest sessions went first; the newest are still logged in.
    expect(await loggedInAs(phones[99])).toBe(owner);

    // Act again, as the page says: log in, then log out everywhere once more.
    const again = await login(owner);
    const finished = await logOutEverywhere(again);
    expect(finished.statusCode).toBe(303);
    expect(finished.headers.location).toBe('/');
    for (const cookie of [again, phones[0], phones[99]]) expect(await loggedInAs(cookie)).toBeUndefined();
    expect(revocableIds(await sessionsPage(await login(owner)))).toEqual([]);
  });
});

describe('flashed messages on the sessions page', () => {
  /** A browser's view of /sessions: the page, the cookie it leaves. */
  async function view(jar: string): Promise<{ page: HttpResponse; jar: string | undefined }> {
    const page = await sessionsPage(jar);
    return { page, jar: cookieAfter(jar, page) };
  }

  it('revoking one session: the next page names its device, once', async () => {
    // Prepare
    const alice = user('alice');
    const phone = await login(alice, SAFARI_IOS);
    const laptop = await login(alice, FIREFOX);

    // Act
    const response = await revoke(laptop, await publicIdOf(phone));
    const first = await view(laptop);
    const second = await view(first.jar as string);

    // Assess
    expect(response.headers.location).toBe('/sessions');
    expect(flashesShown(first.page)).toBe('Signed out Safari on iOS.');
    expect(first.page.body).toContain('<div class="flashes" role="status" aria-live="polite">');
    expect(first.jar).toBe(laptop);
    expect(flashesShown(second.page)).toBe('');
    expect(second.page.body).not.toContain('role="status"');
  });

  it('escapes the device label it flashes', async () => {
    // Prepare: a device label the table holds (labels come from deviceLabel, but the page must not trust that).
    const alice = user('alice');
    const laptop = await login(alice);
    const hostile = '<img src=x onerror=alert(1)>';
    const publicId = newPublicId();
    const now = String(clock.now());
    await db.client.send(
      new PutItemCommand({
        TableName: db.tableName,
        Item: {
          id: { S: `hostile-${alice}` },
          owner: { S: alice },
          device: { S: hostile },
          publicId: { S: publicId },
          createdAt: { N: now },
          refreshedAt: { N: now },
          validUntil: { N: String(clock.now() + 600_000) },
        },
      }),
    );

    // Act
    await revoke(laptop, publicId);
    const page = await sessionsPage(laptop);

    // Assess
    expect(flashesShown(page)).toBe('Signed out &lt;img src=x onerror=alert(1)&gt;.');
    expect(page.body).not.toContain('<img');
  });

  it.each([
    ['two other sessions', 2, 'Signed out 2 other devices.'],
    ['one other session', 1, 'Signed out 1 other device.'],
    ['no other session', 0, 'No other devices were signed in.'],
  ])('"Log out other devices" with %s: the next page says how many, once', async (_, others, message) => {
    const alice = user('alice');
    for (let n = 0; n < others; n++) await login(alice, SAFARI_IOS);
    const laptop = await login(alice);

    await revoke(laptop, 'others');
    const first = await view(laptop);
    const second = await view(first.jar as string);

    expect(flashesShown(first.page)).toBe(message);
    expect(flashesShown(second.page)).toBe('');
  });

  it('an id that is not (or no longer) one of the user’s: "That device was already signed out."', async () => {
    const alice = user('alice');
    const phone = await login(alice, SAFARI_IOS);
    const laptop = await login(alice);
    const phoneId = await publicIdOf(phone);
    await revoke(laptop, phoneId);
    await sessionsPage(laptop); // takes the first flash

    await revoke(laptop, phoneId);

    expect(flashesShown(await sessionsPage(laptop))).toBe('That device was already signed out.');
  });

  it('an anonymous visitor sent to /login keeps the flash for the start page', async () => {
    // Prepare: logged out, the flash pending in the anonymous session.
    const cookie = await login(user('leaving'));
    const logout = await app.logout(httpEvent({ path: '/logout', cookies: [cookie] }));
    const flashCookie = cookieFrom(logout);
    proxy.reset();

    // Act
    const sessions = await sessionsPage(flashCookie);

    // Assess: one read, nothing taken, nothing written; the start page then shows it.
    expect(sessions.statusCode).toBe(303);
    expect(sessions.headers.location).toBe('/login');
    expect(proxy.operations).toEqual(['GetItem']);
    expect(flashesShown(await app.index(httpEvent({ cookies: [flashCookie] })))).toBe('You were logged out.');
  });
});

describe('kept sessions ("Keep me signed in")', () => {
  it('the page marks each kept session "Kept signed in", and only those', async () => {
    // Prepare
    const alice = user('alice');
    await login(alice, SAFARI_IOS, true);
    const laptop = await login(alice, FIREFOX);

    // Act
    const page = await sessionsPage(laptop);

    // Assess
    expect(page.body).toContain('Safari on iOS <span class="kept">Kept signed in</span></p>');
    expect(page.body).toContain('Firefox on Linux <strong>(This device)</strong></p>');
    expect(page.body.match(/Kept signed in/g)).toHaveLength(1);
  });

  it('this device kept: marked too', async () => {
    const laptop = await login(user('alice'), FIREFOX, true);
    const page = await sessionsPage(laptop);
    expect(page.body).toContain(
      'Firefox on Linux <strong>(This device)</strong> <span class="kept">Kept signed in</span></p>',
    );
  });
});
