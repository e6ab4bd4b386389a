import { createHmac } from 'node:crypto';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { StaticKeys } from '../../lambda/session/src/keys/keyProvider';
import { type SessionCommitEvent, SessionManager } from '../../lambda/session/src/SessionManager';
import { type ClearFields, hkdfExpand, hkdfExtract } from '../../lambda/session/src/SessionSeal';
import { createDocumentClient } from '../../lambda/session/src/store/documentClient';
import { formEvent, httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { logIn, SAFARI_IOS, uniqueUser } from '../support/browsers';
import { TestClock } from '../support/clock';
import { cookieFrom, itemIdOf, shownUsername, tokenOf } from '../support/responses';
import { useStore } from '../support/store';
import { getItem, TABLE } from '../support/table';
import { useTestApp } from '../support/testApp';

// Security review, finding 2 (issue #20): what an item keeps in the clear (owner, device, public
// id, the times) is bound to the item by a MAC under the signing keys. These replay, on
// a real (embedded) store, what someone who can write the table and holds one ordinary session
// tried: relabel their item as another user's, rename a stolen session's owner, raise the expiry.
// Also finding 3: a session regenerated without options stays its owner's.

const IDLE_SECONDS = 600;
const SAME_SITE = { 'sec-fetch-site': 'same-origin' };
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

const db = useStore();
const { proxy } = db;
const clock = new TestClock();
const app = useTestApp(db, { idleSeconds: IDLE_SECONDS, now: clock.now });

const user = uniqueUser;

/** Logs `username` in, 1000 ms after the previous step. */
const login = (username: string, userAgent?: string) =>
  logIn(app, clock, username, { userAgent, stepMs: 1000 });

async function loggedInAs(cookie: string): Promise<string | undefined> {
  return shownUsername(await app.index(httpEvent({ cookies: [cookie] })));
}

/** Sets attributes of the item behind `cookie` as a writer of the table could, behind the library's back. */
async function rewrite(cookie: string, fields: Record<string, unknown>): Promise<void> {
  const names = Object.keys(fields);
  await db.documents.send(
    new UpdateCommand({
      TableName: db.tableName,
      Key: { id: itemIdOf(cookie) },
      UpdateExpression: `SET ${names.map((_, i) => `#f${i} = :f${i}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#f${i}`, name])),
      ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:f${i}`, fields[name]])),
    }),
  );
}

/** What a load and an empty commit of `cookie`'s session report: its outcome and the values rejected. */
async function readBack(cookie: string): Promise<Pick<SessionCommitEvent, 'outcome' | 'rejectedValues'>> {
  const events: SessionCommitEvent[] = [];
  const sessions = new SessionManager({
    client: createDocumentClient({ endpoint: proxy.endpoint }),
    tableName: TABLE,
    keys: new StaticKeys([process.env.SESSION_SECRET as string]),
    idleTimeoutSeconds: IDLE_SECONDS,
    now: clock.now,
    onCommit: (event) => events.push(event),
  });
  const request = { cookies: [cookie], secure: true };
  await sessions.commit(await sessions.load(request), request);
  const [{ outcome, rejectedValues }] = events;
  return { outcome, rejectedValues };
}

/**
 * The MAC a holder of `cookie` who can write the table computes for `fields` from what they hold,
 * the token: the token-derived scheme the library used before (HKDF key `clear fields key v1`,
 * format 1), or the same key over the current format's text.
 */
function tokenKeyedMac(cookie: string, fields: ClearFields, format: number): string {
  const key = hkdfExpand(hkdfExtract(tokenOf(cookie)), 'server-sessions clear fields key v1');
  const covered = JSON.stringify([
    format,
    itemIdOf(cookie),
    fields.createdAt,
    fields.absoluteExpiresAt,
    fields.refreshedAt,
    fields.validUntil,
    fields.owner ?? null,
    fields.device ?? null,
    fields.publicId ?? null,
  ]);
  return createHmac('sha256', key).update(covered, 'utf8').digest('base64url');
}

/** The stored item behind `cookie` with `fields` changed, as its clear fields. */
async function changedFields(cookie: string, fields: Partial<ClearFields>): Promise<ClearFields> {
  return { ...((await getItem(db, itemIdOf(cookie))) as unknown as ClearFields), ...fields };
}

function sessionsPage(cookie: string) {
  return app.sessionsFunction(httpEvent({ path: '/sessions', cookies: [cookie] }));
}

describe('a writer of the table cannot relabel, move or extend a session', () => {
  it('an item relabelled as another user’s reads as absent: its holder can neither list nor revoke that user’s sessions', async () => {
    // Prepare: alice on two devices; mallory, with write access to the table, relabels her own item
    const alice = user('alice');
    const phone = await login(alice, SAFARI_IOS);
    const laptop = await login(alice);
    const mallory = user('mallory');
    const own = await login(mallory);
    await rewrite(own, { owner: alice });

    // Act
    const page = await app.index(httpEvent({ cookies: [own] }));
    const listing = await sessionsPage(own);
    const revoke = await app.sessionsFunction(
      formEvent('/sessions/revoke', { session: 'others' }, { cookies: [own], headers: SAME_SITE }),
    );

    // Assess: mallory is logged out, sent to the login page, and alice's sessions are untouched
    expect(shownUsername(page)).toBeUndefined();
    expect([listing.statusCode, listing.headers.location]).toEqual([303, '/login']);
    expect(listing.body).not.toContain('Firefox on Linux');
    expect([revoke.statusCode, revoke.headers.location]).toEqual([303, '/login']);
    expect(await loggedInAs(phone)).toBe(alice);
    expect(await loggedInAs(laptop)).toBe(alice);
    expect(await readBack(own)).toEqual({ outcome: 'absent', rejectedValues: 1 });
  });

  it('a stolen session renamed to another owner reads as absent: "log out everywhere" leaves the victim no live session', async () => {
    // Prepare: the thief holds alice's phone cookie and renames its owner, out of alice's listing
    const alice = user('alice');
    const stolen = await login(alice, SAFARI_IOS);
    const laptop = await login(alice);
    await rewrite(stolen, { owner: user('nobody') });

    // Act
    const everywhere = await app.sessionsFunction(
      formEvent('/logout', { scope: 'everywhere' }, { cookies: [laptop], headers: SAME_SITE }),
    );

    // Assess
    expect(everywhere.statusCode).toBe(303);
    expect(await loggedInAs(laptop)).toBeUndefined();
    expect(await loggedInAs(stolen)).toBeUndefined();
    expect(await readBack(stolen)).toEqual({ outcome: 'absent', rejectedValues: 1 });
  });

  it.each([
    [
      'the idle expiry (validUntil and the TTL)',
      (now: number) => ({
        validUntil: now + TEN_YEARS_MS,
        expiresAt: Math.floor((now + TEN_YEARS_MS) / 1000),
      }),
    ],
    ['the lifetime (absoluteExpiresAt)', (now: number) => ({ absoluteExpiresAt: now + TEN_YEARS_MS })],
    [
      'every expiry field',
      (now: number) => ({
        validUntil: now + TEN_YEARS_MS,
        absoluteExpiresAt: now + TEN_YEARS_MS,
        expiresAt: Math.floor((now + TEN_YEARS_MS) / 1000),
      }),
    ],
    ['the last refresh (refreshedAt)', (now: number) => ({ refreshedAt: now + TEN_YEARS_MS })],
  ])('an item with %s raised reads as absent, and stays so through the lifetime', async (_label, raised) => {
    // Prepare
    const cookie = await login(user('extended'));
    await rewrite(cookie, raised(clock.now()));

    // Act: a page view every half idle window (each due for its refresh) until past the 12-hour lifetime
    const shown = new Set<string | undefined>();
    for (let elapsed = 0; elapsed <= 13 * 3600; elapsed += IDLE_SECONDS / 2) {
      shown.add(await loggedInAs(cookie));
      clock.advance((IDLE_SECONDS / 2) * 1000);
    }

    // Assess
    expect([...shown]).toEqual([undefined]);
    expect(await readBack(cookie)).toEqual({ outcome: 'absent', rejectedValues: 1 });
  });

  it.each([
    ['its device label', { device: 'Chrome on Windows' }],
    ['its public id', { publicId: 'AAAAAAAAAAAAAAAAAAAAAA' }],
    ['its login time', { createdAt: 1 }],
  ])('an item with %s changed reads as absent', async (_label, fields) => {
    const cookie = await login(user('changed'));
    await rewrite(cookie, fields);
    expect(await loggedInAs(cookie)).toBeUndefined();
    expect(await readBack(cookie)).toEqual({ outcome: 'absent', rejectedValues: 1 });
  });

  it('an item copied under another key (a planted session) reads as absent', async () => {
    // Prepare: mallory's item, fields and MAC and all, put under the key of a session alice holds
    const alice = user('alice');
    const victim = await login(alice);
    const mallory = await login(user('mallory'));
    const planted = await getItem(db, itemIdOf(mallory));
    await db.documents.send(
      new PutCommand({ TableName: db.tableName, Item: { ...planted, id: itemIdOf(victim) } }),
    );

    // Act & Assess
    expect(await loggedInAs(victim)).toBeUndefined();
    expect(await readBack(victim)).toEqual({ outcome: 'absent', rejectedValues: 1 });
  });

  it('what stays unbound: the TTL attribute alone changes nothing a read decides', async () => {
    const cookie = await login(user('ttl'));
    await rewrite(cookie, { expiresAt: 1 });
    expect(await loggedInAs(cookie)).toMatch(/^ttl-/);
    expect(await readBack(cookie)).toEqual({ outcome: 'found', rejectedValues: 0 });
  });
});

describe('a writer of the table who holds a session’s cookie cannot remake its MAC', () => {
  it.each([1, 2])(
    'their own item relabelled as another user’s, with a token-keyed MAC (format %i), reads as absent',
    async (format) => {
      // Prepare: mallory holds her own cookie (so its token) and writes the table
      const alice = user('alice');
      const phone = await login(alice, SAFARI_IOS);
      const mallory = user('mallory');
      const own = await login(mallory);
      const relabelled = await changedFields(own, { owner: alice });
      await rewrite(own, { owner: alice, mac: tokenKeyedMac(own, relabelled, format) });

      // Act
      const listing = await sessionsPage(own);
      const revoke = await app.sessionsFunction(
        formEvent('/sessions/revoke', { session: 'others' }, { cookies: [own], headers: SAME_SITE }),
      );

      // Assess: no listing, no revoke, alice untouched, the item counted
      expect(await loggedInAs(own)).toBeUndefined();
      expect([listing.statusCode, listing.headers.location]).toEqual([303, '/login']);
      expect([revoke.statusCode, revoke.headers.location]).toEqual([303, '/login']);
      expect(await loggedInAs(phone)).toBe(alice);
      expect(await readBack(own)).toEqual({ outcome: 'absent', rejectedValues: 1 });
    },
  );

  it.each([1, 2])(
    'a held session extended past its lifetime, with a token-keyed MAC (format %i), reads as absent',
    async (format) => {
      // Prepare: a stolen (or own) cookie; every expiry raised ten years, the MAC recomputed from the token
      const cookie = await login(user('extended'));
      const far = clock.now() + TEN_YEARS_MS;
      const extended = await changedFields(cookie, { validUntil: far, absoluteExpiresAt: far });
      await rewrite(cookie, {
        validUntil: far,
        absoluteExpiresAt: far,
        expiresAt: Math.floor(far / 1000),
        mac: tokenKeyedMac(cookie, extended, format),
      });

      // Act: past the 12-hour lifetime
      clock.advance(13 * 3600 * 1000);

      // Assess
      expect(await loggedInAs(cookie)).toBeUndefined();
      expect(await readBack(cookie)).toEqual({ outcome: 'absent', rejectedValues: 1 });
    },
  );
});

describe('the binding as the library keeps it', () => {
  it('the sliding refresh rewrites the MAC in its one conditional UpdateItem: the session stays readable', async () => {
    // Prepare
    const username = user('sliding');
    const cookie = await login(username);
    const before = await getItem(db, itemIdOf(cookie));
    expect(before?.mac).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // Act: refreshed three times, each when due
    for (let view = 0; view < 3; view++) {
      clock.advance((IDLE_SECONDS * 1000) / 2);
      proxy.reset();
      expect(await loggedInAs(cookie)).toBe(username);
      expect(proxy.operations).toEqual(['GetItem', 'UpdateItem']);
    }

    // Assess
    const after = await getItem(db, itemIdOf(cookie));
    expect(after?.mac).not.toBe(before?.mac);
    expect(after?.refreshedAt).toBe(clock.now());
    proxy.reset();
    expect(await loggedInAs(cookie)).toBe(username);
    expect(proxy.operations).toEqual(['GetItem']);
  });

  it('20 concurrent commits at different instants lose nothing, and leave a session that reads', async () => {
    // Prepare
    const username = user('concurrent');
    const cookie = await login(username);
    const request = { cookies: [cookie], secure: true };
    const sessions = await Promise.all(Array.from({ length: 20 }, () => app.sessions.load(request)));
    sessions.forEach((session, i) => {
      session.set(`key-${i}`, i);
    });

    // Act: each commit takes its own instant, so each writes other times and another MAC
    await Promise.all(
      sessions.map((session) => {
        clock.advance(7);
        return app.sessions.commit(session, request);
      }),
    );

    // Assess
    const page = await app.sessions.load(request);
    expect(page.outcome).toBe('found');
    expect(page.keys().sort()).toEqual(
      ['username', ...Array.from({ length: 20 }, (_, i) => `key-${i}`)].sort(),
    );
  });

  it('an item written before the binding (no MAC) reads as absent once, is not written to, and a login replaces it', async () => {
    // Prepare: a live session as the previous release wrote it
    const username = user('migrated');
    const cookie = await login(username);
    await db.documents.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: { id: itemIdOf(cookie) },
        UpdateExpression: 'REMOVE mac',
      }),
    );
    const before = await getItem(db, itemIdOf(cookie));
    clock.advance((IDLE_SECONDS * 1000) / 2); // a refresh would be due on a bound item
    proxy.reset();

    // Act
    const page = await app.index(httpEvent({ cookies: [cookie] }));
    const again = await app.login(loginEvent(username, { cookies: [cookie] }));

    // Assess: not counted as tampering (a format migration), and the next login works
    expect(shownUsername(page)).toBeUndefined();
    expect(proxy.operations.slice(0, 1)).toEqual(['GetItem']);
    expect(proxy.operations[1]).toBe('PutItem'); // the login; nothing written for the page view
    expect(before).not.toHaveProperty('mac');
    expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
    expect(await loggedInAs(cookieFrom(again))).toBe(username);
  });
});

describe('regenerate() without options keeps the owner (finding 3)', () => {
  it('the new session stays listed under its owner and ends with "log out everywhere"', async () => {
    // Prepare
    const alice = user('alice');
    const laptop = await login(alice);
    const phone = await login(alice, SAFARI_IOS);
    const request = { cookies: [phone], secure: true };
    const session = await app.sessions.load(request);

    // Act: a privilege change regenerates the id, with no options
    session.regenerate();
    const [setCookie] = await app.sessions.commit(session, request);
    const regenerated = setCookie.split(';')[0];

    // Assess
    expect(await getItem(db, itemIdOf(regenerated))).toMatchObject({ owner: alice, device: 'Safari on iOS' });
    expect((await sessionsPage(laptop)).body).toContain('Safari on iOS');
    await app.sessionsFunction(
      formEvent('/logout', { scope: 'everywhere' }, { cookies: [laptop], headers: SAME_SITE }),
    );
    expect(await loggedInAs(regenerated)).toBeUndefined();
  });
});
