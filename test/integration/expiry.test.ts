import { httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { TestClock } from '../support/clock';
import { cookieFrom, itemIdOf, shownUsername } from '../support/responses';
import { useStore } from '../support/store';
import { getItem } from '../support/table';
import { createTestApp } from '../support/testApp';

const db = useStore();
const { proxy } = db;

/** A fresh app on its own clock, logged in as `username`. */
async function loggedIn(username: string, idleSeconds: number, absoluteSeconds?: number) {
  const clock = new TestClock();
  const app = createTestApp({ endpoint: proxy.endpoint, idleSeconds, absoluteSeconds, now: clock.now });
  const cookie = cookieFrom(await app.login(loginEvent(username)));
  const id = itemIdOf(cookie);
  const index = () => app.index(httpEvent({ cookies: [cookie] }));
  return { clock, app, cookie, id, index };
}

describe('expiry, with the injected clock', () => {
  test('idle timeout: untouched for longer than the idle window, the session is gone', async () => {
    const { clock, index } = await loggedIn('idle', 2);
    clock.advance(1999);
    // Reading at 1.999 s is still inside the window (and refreshes it: start again from here).
    expect(shownUsername(await index())).toBe('idle');
    clock.advance(3000);
    expect(shownUsername(await index())).toBeUndefined();
  });

  test('idle timeout: exactly at the idle boundary the session is over', async () => {
    const { clock, index } = await loggedIn('boundary', 2);
    clock.advance(2000);
    expect(shownUsername(await index())).toBeUndefined();
  });

  test('an expired item that dynalite still holds is treated as absent, and nothing revives it', async () => {
    const { clock, id, index, app, cookie } = await loggedIn('stale', 2);
    clock.advance(3000);
    const before = await getItem(db, id);
    expect(before).toBeDefined(); // dynalite never deletes: the item is still there
    expect(before?.validUntil as number).toBeLessThan(clock.value);

    proxy.reset();
    const response = await index();
    expect(response.statusCode).toBe(200);
    expect(shownUsername(response)).toBeUndefined();
    expect(response.cookies).toEqual([]);
    expect(proxy.count('GetItem')).toBe(1);
    expect(proxy.writes()).toBe(0);
    // The item was not refreshed back to life.
    expect(await getItem(db, id)).toEqual(before);

    // Going back in time is not something the app can do, but a later request must not revive it either.
    clock.advance(60_000);
    expect(shownUsername(await app.index(httpEvent({ cookies: [cookie] })))).toBeUndefined();
    expect(await getItem(db, id)).toEqual(before);
  });

  test('sliding: a request every second keeps a 3 s idle session alive for 10 s', async () => {
    const { clock, id, index } = await loggedIn('slider', 3);
    let previous = (await getItem(db, id))?.validUntil as number;
    for (let second = 1; second <= 10; second++) {
      clock.advance(1000);
      expect(shownUsername(await index())).toBe('slider');
      const item = await getItem(db, id);
      const validUntil = item?.validUntil as number;
      expect(validUntil).toBeGreaterThan(previous);
      expect(validUntil).toBe(clock.value + 3000);
      expect(item?.expiresAt).toBe(Math.floor(validUntil / 1000));
      expect(item?.refreshedAt).toBe(clock.value);
      previous = validUntil;
    }
    // And once the requests stop, it ends after the idle window.
    clock.advance(3000);
    expect(shownUsername(await index())).toBeUndefined();
  });

  test('the refresh is throttled: requests within a quarter of the idle window write nothing', async () => {
    // Idle 4 s: a quarter is 1 s.
    const { clock, id, index } = await loggedIn('throttled', 4);
    const created = await getItem(db, id);
    proxy.reset();
    for (let step = 1; step <= 4; step++) {
      clock.advance(200); // 0.2 s … 0.8 s after login
      expect(shownUsername(await index())).toBe('throttled');
    }
    expect(proxy.count('GetItem')).toBe(4);
    expect(proxy.count('UpdateItem')).toBe(0);
    expect(proxy.writes()).toBe(0);
    expect(await getItem(db, id)).toEqual(created);

    clock.advance(200); // 1.0 s: a quarter has passed, the refresh is due
    expect(shownUsername(await index())).toBe('throttled');
    expect(proxy.count('UpdateItem')).toBe(1);
    const refreshed = await getItem(db, id);
    expect(refreshed?.validUntil).toBe(clock.value + 4000);

    proxy.reset();
    for (let step = 1; step <= 4; step++) {
      clock.advance(240); // again within a quarter of the last refresh
      expect(shownUsername(await index())).toBe('throttled');
    }
    expect(proxy.count('UpdateItem')).toBe(0);
    expect(proxy.writes()).toBe(0);
  });

  test('a busy session costs few writes: 10 s of requests every 100 ms with a 4 s idle window', async () => {
    const { clock, index } = await loggedIn('busy', 4);
    proxy.reset();
    for (let step = 1; step <= 100; step++) {
      clock.advance(100);
      expect(shownUsername(await index())).toBe('busy');
    }
    expect(proxy.count('GetItem')).toBe(100);
    // One refresh per second (a quarter of 4 s), not one per request.
    expect(proxy.count('UpdateItem')).toBe(10);
    expect(proxy.writes()).toBe(10);
  });

  test('absolute timeout: 5 s after login the session ends whatever the activity', async () => {
    const { clock, id, index } = await loggedIn('absolute', 3, 5);
    const loginAt = clock.value;
    for (let second = 1; second <= 4; second++) {
      clock.advance(1000);
      expect(shownUsername(await index())).toBe('absolute');
      const item = await getItem(db, id);
      expect(item?.validUntil as number).toBeLessThanOrEqual(loginAt + 5000);
      expect(item?.expiresAt as number).toBeLessThanOrEqual(Math.floor((loginAt + 5000) / 1000));
    }
    clock.advance(1000); // 5 s
    expect(shownUsername(await index())).toBeUndefined();
    clock.advance(1000); // 6 s
    expect(shownUsername(await index())).toBeUndefined();
    expect((await getItem(db, id))?.absoluteExpiresAt).toBe(loginAt + 5000);
  });

  test('no refresh is written once the absolute limit caps the expiry', async () => {
    // Idle 4 s, absolute 5 s: the refresh at 1 s moves the expiry to 5 s, the absolute limit.
    const { clock, id, index } = await loggedIn('capped', 4, 5);
    const loginAt = clock.value;
    clock.advance(1000);
    proxy.reset();
    expect(shownUsername(await index())).toBe('capped');
    expect(proxy.count('UpdateItem')).toBe(1);
    expect((await getItem(db, id))?.validUntil).toBe(loginAt + 5000);
    // From then on the expiry cannot move: no more writes, however much time passes.
    proxy.reset();
    for (let step = 0; step < 3; step++) {
      clock.advance(1000);
      expect(shownUsername(await index())).toBe('capped');
    }
    expect(proxy.count('UpdateItem')).toBe(0);
    expect(proxy.writes()).toBe(0);
  });
});
