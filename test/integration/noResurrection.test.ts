import { httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { TestClock } from '../support/clock';
import { cookieFrom, itemIdOf, shownUsername } from '../support/responses';
import { useStore } from '../support/store';
import { getItem } from '../support/table';
import { useTestApp } from '../support/testApp';

const TRIALS = 30;
/** Idle 4 s: a quarter (the refresh threshold) is 1 s. */
const IDLE_SECONDS = 4;

const db = useStore();
const { proxy } = db;
const clock = new TestClock();
const app = useTestApp(db, { idleSeconds: IDLE_SECONDS, now: clock.now });

/** A logged-in cookie whose sliding refresh is due (1.5 s after login, idle 4 s). */
async function sessionWithRefreshDue(username: string): Promise<string> {
  const cookie = cookieFrom(await app.login(loginEvent(username)));
  clock.advance(1500);
  return cookie;
}

async function expectGone(cookie: string) {
  expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
  expect(shownUsername(await app.index(httpEvent({ cookies: [cookie] })))).toBeUndefined();
  expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
}

describe('no resurrection: writes racing a logout never bring the session back', () => {
  test(`a refresh-due GET / and a logout started together (${TRIALS} trials)`, async () => {
    proxy.reset();
    for (let trial = 0; trial < TRIALS; trial++) {
      const cookie = await sessionWithRefreshDue(`racer-${trial}`);
      const [index, logout] = await Promise.all([
        app.index(httpEvent({ cookies: [cookie] })),
        app.logout(httpEvent({ path: '/logout', cookies: [cookie] })),
      ]);
      expect(index.statusCode).toBe(200);
      expect(index.cookies).toEqual([]);
      expect(logout.statusCode).toBe(303);
      await expectGone(cookie);
    }
    // The race was real: refreshes were attempted, not skipped.
    expect(proxy.count('UpdateItem')).toBeGreaterThan(0);
  });

  test(`a data save and a logout started together (${TRIALS} trials)`, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const cookie = await sessionWithRefreshDue(`saver-${trial}`);
      const request = { cookies: [cookie], secure: true };
      const session = await app.sessions.load(request);
      expect(session.get('username')).toBe(`saver-${trial}`);
      session.set('cart', ['book']);
      const [cookies, logout] = await Promise.all([
        app.sessions.commit(session, request),
        app.logout(httpEvent({ path: '/logout', cookies: [cookie] })),
      ]);
      expect(cookies).toEqual([]);
      expect(logout.statusCode).toBe(303);
      await expectGone(cookie);
    }
  });

  test('a refresh that reaches the store after the logout finds nothing to update', async () => {
    const cookie = await sessionWithRefreshDue('late-refresh');
    const gate = proxy.hold('UpdateItem');
    const pending = app.index(httpEvent({ cookies: [cookie] }));
    await gate.arrived; // the GET / has read the session and its refresh is on the way
    const logout = await app.logout(httpEvent({ path: '/logout', cookies: [cookie] }));
    expect(logout.statusCode).toBe(303);
    expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
    gate.release();
    const index = await pending;
    expect(index.statusCode).toBe(200);
    // The request that lost the race shows the logged-out page, and sets no cookie.
    expect(shownUsername(index)).toBeUndefined();
    expect(index.cookies).toEqual([]);
    await expectGone(cookie);
  });

  test('a data save that reaches the store after the logout finds nothing to update', async () => {
    const cookie = await sessionWithRefreshDue('late-save');
    const request = { cookies: [cookie], secure: true };
    const session = await app.sessions.load(request);
    session.set('theme', 'dark');
    const gate = proxy.hold('UpdateItem');
    const pending = app.sessions.commit(session, request);
    await gate.arrived;
    await app.logout(httpEvent({ path: '/logout', cookies: [cookie] }));
    gate.release();
    expect(await pending).toEqual([]);
    expect(session.has('theme')).toBe(false);
    await expectGone(cookie);
  });

  test('a logout that reaches the store after the refresh still ends the session', async () => {
    const cookie = await sessionWithRefreshDue('late-logout');
    const gate = proxy.hold('DeleteItem');
    const pendingLogout = app.logout(httpEvent({ path: '/logout', cookies: [cookie] }));
    await gate.arrived;
    const index = await app.index(httpEvent({ cookies: [cookie] }));
    expect(shownUsername(index)).toBe('late-logout');
    expect((await getItem(db, itemIdOf(cookie)))?.refreshedAt).toBe(clock.value);
    gate.release();
    expect((await pendingLogout).statusCode).toBe(303);
    await expectGone(cookie);
  });
});

describe('no extension past the expiry: an update of an expired item finds nothing', () => {
  // The store's condition is `attribute_exists(id) AND validUntil > now`: an item DynamoDB's TTL
  // has not removed yet (it deletes late; dynalite never does) must not be extended or changed.
  test.each([
    ['a data save', true],
    ['a sliding refresh', false],
  ])('%s committed after the session expired writes nothing and extends nothing', async (_label, save) => {
    // Prepare: read while alive (refresh due), then the clock passes the idle expiry before the commit.
    const cookie = await sessionWithRefreshDue(save ? 'expired-save' : 'expired-refresh');
    const request = { cookies: [cookie], secure: true };
    const session = await app.sessions.load(request);
    expect(session.outcome).toBe('found');
    if (save) session.set('theme', 'dark');
    const before = await getItem(db, itemIdOf(cookie));
    clock.advance(IDLE_SECONDS * 1000);
    proxy.reset();

    // Act
    const cookies = await app.sessions.commit(session, request);

    // Assess: one conditional UpdateItem was sent and refused; the item is exactly as it was.
    expect(proxy.operations).toEqual(['UpdateItem']);
    expect(cookies).toEqual([]);
    expect(session.writes).toEqual(['gone']);
    expect(await getItem(db, itemIdOf(cookie))).toEqual(before);
    expect(shownUsername(await app.index(httpEvent({ cookies: [cookie] })))).toBeUndefined();
  });
});
