import { BatchWriteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lambda/session/src/store/documentClient';
import { UserSessions } from '../../lambda/session/src/store/UserSessions';
import { httpEvent } from '../../lib/local/httpApiEvents';
import { FIREFOX, logIn, SAFARI_IOS, uniqueUser } from '../support/browsers';
import { TestClock } from '../support/clock';
import { itemIdOf, shownUsername } from '../support/responses';
import { slowDown, useStore } from '../support/store';
import { getItem, TABLE } from '../support/table';
import { useTestApp } from '../support/testApp';

// Sessions per user on a real (embedded) store: the login records the owner, the owner index
// lists and revokes, and the app's handlers see the result on the very next request.

const IDLE_SECONDS = 4;

const db = useStore();
const { proxy } = db;
const clock = new TestClock();
const app = useTestApp(db, { idleSeconds: IDLE_SECONDS, now: clock.now });
let users: UserSessions;

beforeAll(() => {
  users = new UserSessions({
    client: createDocumentClient({ endpoint: proxy.endpoint }),
    tableName: TABLE,
    now: clock.now,
  });
});

const user = uniqueUser;

/** Logs `username` in, 10 ms after the previous step. */
const login = (username: string, userAgent?: string) =>
  logIn(app, clock, username, { userAgent, stepMs: 10 });

async function publicIdOf(cookie: string): Promise<string> {
  const item = await getItem(db, itemIdOf(cookie));
  expect(item?.publicId).toEqual(expect.any(String));
  return String(item?.publicId);
}

async function loggedInAs(cookie: string): Promise<string | undefined> {
  return shownUsername(await app.index(httpEvent({ cookies: [cookie] })));
}

describe('the login records the owner', () => {
  it('stores the username as owner, the browser as a coarse label, and a public id', async () => {
    // Act
    const alice = user('alice');
    const cookie = await login(alice, SAFARI_IOS);

    // Assess
    const item = await getItem(db, itemIdOf(cookie));
    expect(item).toMatchObject({
      owner: alice,
      device: 'Safari on iOS',
      publicId: expect.stringMatching(/^[\w-]{22}$/),
    });
    expect(JSON.stringify(item)).not.toContain('iPhone OS 18_1');
  });

  it('an owned session’s page view still costs exactly one GetItem, and never touches the index', async () => {
    const cookie = await login(user('reader'));
    clock.advance(100);
    proxy.reset();
    expect(await loggedInAs(cookie)).toMatch(/^reader-/);
    expect(proxy.operations).toEqual(['GetItem']);
  });
});

describe('list', () => {
  it('shows the owner’s live sessions, most recently active first, with device and times', async () => {
    // Prepare: three logins of alice, one of bob; then the first of alice is refreshed.
    const alice = user('alice');
    const first = await login(alice, FIREFOX);
    const second = await login(alice, SAFARI_IOS);
    const third = await login(alice, FIREFOX);
    await login(user('bob'));
    clock.advance(1500); // past a quarter of the idle window: the next page view refreshes
    expect(await loggedInAs(first)).toBe(alice);

    // Act
    const { sessions, more } = await users.list(alice);

    // Assess
    expect(more).toBe(false);
    expect(sessions.map((session) => session.publicId)).toEqual([
      await publicIdOf(first),
      await publicIdOf(third),
      await publicIdOf(second),
    ]);
    expect(sessions.map((session) => session.device)).toEqual([
      'Firefox on Linux',
      'Firefox on Linux',
      'Safari on iOS',
    ]);
    expect(sessions[0].lastActiveAt).toBe(clock.value);
    expect(sessions[0].signedInAt).toBeLessThan(sessions[0].lastActiveAt);
    expect(sessions[2].validUntil).toBe(sessions[2].lastActiveAt + IDLE_SECONDS * 1000);
  });

  it('never lists an expired session, though its item is still in the table', async () => {
    const alice = user('alice');
    const old = await login(alice);
    clock.advance(IDLE_SECONDS * 1000);
    const fresh = await login(alice);
    expect(await getItem(db, itemIdOf(old))).toBeDefined();
    expect((await users.list(alice)).sessions.map((session) => session.publicId)).toEqual([
      await publicIdOf(fresh),
    ]);
  });

  it('is bounded, and says when there are more', async () => {
    const alice = user('alice');
    for (let n = 0; n < 4; n++) await login(alice);
    expect(await users.list(alice, { limit: 3 })).toMatchObject({ more: true, sessions: { length: 3 } });
    expect(await users.list(alice, { limit: 4 })).toMatchObject({ more: false, sessions: { length: 4 } });
  });

  it('holds no anonymous session: the index is sparse', async () => {
    // Prepare: a session with data but no login, next to a logged-in one.
    const request = { cookies: [], secure: true };
    const anonymous = await app.sessions.load(request);
    anonymous.set('cart', ['book']);
    const [anonymousCookie] = await app.sessions.commit(anonymous, request);
    const bob = await login(user('bob'));

    // Act: everything the index holds (a test may scan; the app never does).
    const { Items = [] } = await db.documents.send(
      new ScanCommand({ TableName: TABLE, IndexName: 'byOwner' }),
    );

    // Assess
    const ids = Items.map((item) => item.id);
    expect(ids).toContain(itemIdOf(bob));
    expect(ids).not.toContain(itemIdOf(anonymousCookie.split(';')[0]));
    expect(Items.every((item) => typeof item.owner === 'string')).toBe(true);
    expect(Object.keys(Items[0]).sort()).toEqual(
      ['createdAt', 'device', 'id', 'owner', 'publicId', 'refreshedAt', 'validUntil'].sort(),
    );
  });
});

describe('revoke', () => {
  it('revokes one session: it is logged out on its very next request, the others stay', async () => {
    const alice = user('alice');
    const phone = await login(alice, SAFARI_IOS);
    const laptop = await login(alice, FIREFOX);

    expect(await users.revoke(alice, await publicIdOf(phone))).toBe(true);

    expect(await loggedInAs(phone)).toBeUndefined();
    expect(await getItem(db, itemIdOf(phone))).toBeUndefined();
    expect(await loggedInAs(laptop)).toBe(alice);
    expect((await users.list(alice)).sessions).toHaveLength(1);
  });

  it('two users never revoke each other’s sessions: another user’s public id changes nothing', async () => {
    const alice = user('alice');
    const bob = user('bob');
    const aliceCookie = await login(alice);
    await login(bob);
    const alicesId = await publicIdOf(aliceCookie);
    const before = await getItem(db, itemIdOf(aliceCookie));

    expect(await users.revoke(bob, alicesId)).toBe(false);
    expect(await users.revokeAll(bob)).toBe(1);

    expect(await getItem(db, itemIdOf(aliceCookie))).toEqual(before);
    expect(await loggedInAs(aliceCookie)).toBe(alice);
    expect((await users.list(bob)).sessions).toEqual([]);
    expect((await users.list(alice)).sessions.map((session) => session.publicId)).toEqual([alicesId]);
  });

  it('revokes all but the current one', async () => {
    const alice = user('alice');
    const others = [await login(alice), await login(alice, SAFARI_IOS)];
    const current = await login(alice);
    const bobs = await login(user('bob'));

    expect(await users.revokeAll(alice, { except: await publicIdOf(current) })).toBe(2);

    for (const cookie of others) expect(await loggedInAs(cookie)).toBeUndefined();
    expect(await loggedInAs(current)).toBe(alice);
    expect(await loggedInAs(bobs)).toMatch(/^bob-/);
  });

  it('revokes all, expired sessions included', async () => {
    const alice = user('alice');
    const expired = await login(alice);
    clock.advance(IDLE_SECONDS * 1000);
    const live = [await login(alice), await login(alice)];

    expect(await users.revokeAll(alice)).toBe(3);

    expect(await getItem(db, itemIdOf(expired))).toBeUndefined();
    for (const cookie of live) expect(await loggedInAs(cookie)).toBeUndefined();
    expect(await users.list(alice)).toEqual({ sessions: [], more: false });
  });
});

describe('no resurrection: a revoke racing a refresh or a save', () => {
  /** A session of a new user whose sliding refresh is due (1.5 s after login, idle 4 s). */
  async function sessionWithRefreshDue(): Promise<{ owner: string; cookie: string; publicId: string }> {
    const owner = user('racer');
    const cookie = await login(owner);
    clock.advance(1500);
    return { owner, cookie, publicId: await publicIdOf(cookie) };
  }

  it('a refresh that reaches the store after the revoke finds nothing to update', async () => {
    const { owner, cookie, publicId } = await sessionWithRefreshDue();
    const gate = proxy.hold('UpdateItem');
    const pending = app.index(httpEvent({ cookies: [cookie] }));
    await gate.arrived; // the page view has read the session; its refresh is on the way

    expect(await users.revoke(owner, publicId)).toBe(true);
    gate.release();

    const page = await pending;
    expect(shownUsername(page)).toBeUndefined();
    expect(page.cookies).toEqual([]);
    expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
    expect(await loggedInAs(cookie)).toBeUndefined();
  });

  it('a save that reaches the store after a revoke-all finds nothing to update', async () => {
    const { owner, cookie } = await sessionWithRefreshDue();
    const request = { cookies: [cookie], secure: true };
    const session = await app.sessions.load(request);
    session.set('theme', 'dark');
    const gate = proxy.hold('UpdateItem');
    const pending = app.sessions.commit(session, request);
    await gate.arrived;

    expect(await users.revokeAll(owner)).toBe(1);
    gate.release();

    expect(await pending).toEqual([]);
    expect(session.writes).toEqual(['gone']);
    expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
  });

  it('a revoke and a refresh-due page view started together never leave the session alive (20 trials)', async () => {
    proxy.reset();
    for (let trial = 0; trial < 20; trial++) {
      const { owner, cookie, publicId } = await sessionWithRefreshDue();
      const [page, revoked] = await Promise.all([
        app.index(httpEvent({ cookies: [cookie] })),
        users.revoke(owner, publicId),
      ]);
      expect(page.statusCode).toBe(200);
      expect(revoked).toBe(true);
      expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
      expect(await loggedInAs(cookie)).toBeUndefined();
    }
    expect(proxy.count('UpdateItem')).toBeGreaterThan(0);
  });
});

describe('revoking all while sessions are refreshed and the store is slow', () => {
  it('a session refreshed while revokeAll pages is revoked in that same pass', async () => {
    // Prepare: 250 sessions of one owner, three index pages, 10 ms apart. Number 120, in the
    // middle (so on the first page in neither order), is a real login; the others are written
    // straight into the table, as a login would index them.
    const owner = user('busy');
    const moving = await login(owner);
    const at = clock.now();
    const others = Array.from({ length: 250 }, (_, n) => n)
      .filter((n) => n !== 120)
      .map((n) => ({
        id: `${owner}-item-${n}`,
        owner,
        publicId: `${String(n).padStart(3, '0')}${'A'.repeat(19)}`,
        device: 'Firefox on Linux',
        createdAt: at + (n - 120) * 10,
        refreshedAt: at + (n - 120) * 10,
        validUntil: at + (n - 120) * 10 + IDLE_SECONDS * 1000,
      }));
    for (let next = 0; next < others.length; next += 25) {
      await db.documents.send(
        new BatchWriteCommand({
          RequestItems: {
            [TABLE]: others.slice(next, next + 25).map((Item) => ({ PutRequest: { Item } })),
          },
        }),
      );
    }
    // Its sliding refresh due (a quarter of the idle timeout), and newer than every other session.
    clock.advance(1300);

    // Act: the index Queries are held one by one; once the first page is answered, session 120
    // is refreshed (it moves to the newest end of the index), then the paging goes on.
    const first = proxy.hold('Query');
    const revoking = users.revokeAll(owner);
    await first.arrived;
    const second = proxy.hold('Query');
    first.release();
    await second.arrived;
    expect(await loggedInAs(moving)).toBe(owner);
    expect((await getItem(db, itemIdOf(moving)))?.refreshedAt).toBe(clock.now());
    const third = proxy.hold('Query');
    second.release();
    await third.arrived;
    const secondPass = proxy.hold('Query');
    third.release();
    await secondPass.arrived;

    // Assess: the first pass is over and the refreshed session is already gone.
    expect(await getItem(db, itemIdOf(moving))).toBeUndefined();
    secondPass.release();
    expect(await revoking).toBe(250);
    expect(await loggedInAs(moving)).toBeUndefined();
    expect(await users.list(owner)).toEqual({ sessions: [], more: false });
  });

  it('with a budget and a slow store: stops at the budget, says it did not finish; a later call finishes', async () => {
    // Prepare: 40 sessions; every DeleteItem takes 100 ms (ten at a time).
    const owner = user('slow');
    for (let n = 0; n < 40; n++) await login(owner);
    const slow = slowDown(proxy, 'DeleteItem', 100, 40);

    // Act
    const started = performance.now();
    const partial = await users.revokeAllWithin(owner, { budgetMs: 250 });
    const took = performance.now() - started;
    slow.restore();

    // Assess: batches start at about 0, 100 and 200 ms; none at 300, past the budget.
    expect(partial.complete).toBe(false);
    expect(partial.revoked).toBeGreaterThan(0);
    expect(partial.revoked).toBeLessThan(40);
    expect(took).toBeLessThan(1000);
    const rest = await users.revokeAllWithin(owner, { budgetMs: 10_000 });
    expect(rest).toEqual({ revoked: 40 - partial.revoked, complete: true });
    expect(await users.list(owner)).toEqual({ sessions: [], more: false });
  });
});
