import {
  createDocumentClient,
  SessionManager,
  type SessionRequest,
  type SessionWrite,
  StaticKeys,
  UserSessions,
} from '@lambda-sessions/dynamodb';
import { uniqueUser } from '../support/browsers';
import { TestClock } from '../support/clock';
import { CURRENT_KEY } from '../support/keys';
import { type RegionName, type RegionsFixture, useRegions } from '../support/replication';
import { TABLE } from '../support/table';

// The evidence for refusing multi-Region eventually consistent (MREC) global tables: the library's
// two promises, "a revoked session is never served again" and "no resurrection", hold on one
// linearizable store (what a strongly consistent, MRSC, table is) and fail across two Regions
// whose replication is delayed and resolved by last writer wins. Each scenario runs once per
// model through the public API only: one SessionManager (and UserSessions) per Region, the same
// table name and signing keys, each on its Region's endpoint.

/** Idle 4 s: the sliding refresh is due a quarter of that, 1 s, after the last one. */
const IDLE_SECONDS = 4;
const REFRESH_DUE_MS = 1500;

const clock = new TestClock();
const eventual = useRegions('eventual');
const strong = useRegions('strong');
/** The eventual model with a replication delay of zero: each write reaches the other Region before it returns. */
const instant = useRegions('eventual', { delivery: 'immediate' });

/** One Region's deployment of the app: a manager and a UserSessions on the Region's endpoint. */
interface Site {
  region: RegionName;
  sessions: SessionManager;
  users: UserSessions;
}

/** Runs `scenario` with a site in each Region of `regions`, and closes their clients afterwards. */
async function withSites<T>(
  regions: RegionsFixture,
  scenario: (sites: Record<RegionName, Site>) => Promise<T>,
): Promise<T> {
  const clients = [regions.regionA, regions.regionB].map(({ endpoint }) =>
    createDocumentClient({ endpoint }),
  );
  const site = (region: RegionName, client: (typeof clients)[number]): Site => ({
    region,
    sessions: new SessionManager({
      client,
      tableName: TABLE,
      keys: new StaticKeys([CURRENT_KEY]),
      idleTimeoutSeconds: IDLE_SECONDS,
      now: clock.now,
    }),
    users: new UserSessions({ client, tableName: TABLE, now: clock.now }),
  });
  try {
    return await scenario({ A: site('A', clients[0]), B: site('B', clients[1]) });
  } finally {
    for (const client of clients) client.destroy();
  }
}

/** A browser's request: its session cookie (`name=value`), over HTTPS. */
const requestOf = (cookie: string): SessionRequest => ({ cookies: [cookie], secure: true });

/** Logs `owner` in at `site` from `device`, as a login handler does; the browser's cookie. */
async function logIn(site: Site, owner: string, device: string): Promise<string> {
  const request: SessionRequest = { cookies: [], secure: true };
  const session = await site.sessions.attach(request);
  session.regenerate({ owner, device });
  session.clear();
  session.set('username', owner);
  const name = site.sessions.cookieName(true);
  const setCookie = (await site.sessions.commit(session, request)).find((each) =>
    each.startsWith(`${name}=`),
  );
  if (setCookie === undefined) throw new Error(`the login at ${site.region} set no ${name} cookie`);
  return setCookie.split(';')[0];
}

/** Logs the browser out at `site`, as a logout handler does: attach, destroy, commit. */
async function logOut(site: Site, cookie: string): Promise<void> {
  const session = await site.sessions.attach(requestOf(cookie));
  session.destroy();
  await site.sessions.commit(session, requestOf(cookie));
}

/** Whom `site` serves the browser as: the username of a live session, or undefined. Reads only. */
async function servedAs(site: Site, cookie: string): Promise<string | undefined> {
  const session = await site.sessions.load(requestOf(cookie));
  return session.outcome === 'found' ? String(session.get('username')) : undefined;
}

/** What replication did, one line per delivery: `A→B delete superseded`. */
function deliveries(regions: RegionsFixture): string[] {
  return regions.delivered().map(({ from, to, kind, outcome }) => `${from}→${to} ${kind} ${outcome}`);
}

/**
 * Revocation. A user has a laptop and a phone session, made in Region A and replicated. In A the
 * laptop logs out, then revokes the phone (UserSessions, "Log out" on the sessions page). Right
 * after both returned, and again once replication settled, each Region serves each browser's next
 * request. The violations of "a revoked session is never served after its revoke returned".
 */
function revocation(regions: RegionsFixture): Promise<string[]> {
  return withSites(regions, async ({ A, B }) => {
    const owner = uniqueUser('alice');
    const laptop = await logIn(A, owner, 'Firefox on Linux');
    const phone = await logIn(A, owner, 'Safari on iOS');
    await regions.settle();
    for (const site of [A, B]) {
      // Before anything is revoked both are alive in both Regions: the logins replicated.
      expect([await servedAs(site, laptop), await servedAs(site, phone)]).toEqual([owner, owner]);
    }
    const phoneId = (await A.sessions.load(requestOf(phone))).publicId;

    await logOut(A, laptop);
    expect(await A.users.revoke(owner, String(phoneId))).toBe(true);

    const violations: string[] = [];
    for (const when of ['returned', 'returned and replication settled']) {
      if (when !== 'returned') await regions.settle();
      for (const site of [A, B]) {
        if ((await servedAs(site, laptop)) !== undefined) {
          violations.push(`${site.region} served the laptop after its logout ${when}`);
        }
        if ((await servedAs(site, phone)) !== undefined) {
          violations.push(`${site.region} served the phone after its revoke ${when}`);
        }
      }
    }
    return violations;
  });
}

/** What races the logout in Region B: a due sliding refresh of an unchanged session, or a save. */
type Racer = 'refresh' | 'save';

/**
 * No resurrection. A session made in A is replicated. Region B reads it for a request (its
 * sliding refresh due, or a value to save); meanwhile A logs the browser out, and the logout
 * returns; then B's request commits, conditional on the item being alive in B. Once replication
 * settles, each Region serves the browser's next request. B's commit, and the violations of "after
 * the logout returned and replication settled, the session is gone in every Region".
 */
function noResurrection(
  regions: RegionsFixture,
  racer: Racer,
): Promise<{ committedInB: readonly SessionWrite[]; violations: string[] }> {
  return withSites(regions, async ({ A, B }) => {
    const owner = uniqueUser('bob');
    const browser = await logIn(A, owner, 'Firefox on Linux');
    await regions.settle();
    expect(await servedAs(B, browser)).toBe(owner);
    clock.advance(racer === 'refresh' ? REFRESH_DUE_MS : 10);

    const inB = await B.sessions.load(requestOf(browser));
    expect(inB.outcome).toBe('found');
    if (racer === 'save') inB.set('cart', ['book']);
    await logOut(A, browser);
    await B.sessions.commit(inB, requestOf(browser));
    await regions.settle();

    const violations: string[] = [];
    for (const site of [A, B]) {
      if ((await servedAs(site, browser)) !== undefined) {
        violations.push(
          `${site.region} served the session after its logout returned and replication settled`,
        );
      }
    }
    return { committedInB: inB.writes, violations };
  });
}

describe('the replication model itself', () => {
  test('eventual: a write reaches the other Region only when replication settles, in both directions', async () => {
    await withSites(eventual, async ({ A, B }) => {
      const owner = uniqueUser('carol');
      const browser = await logIn(A, owner, 'Firefox on Linux');
      expect(eventual.pending()).toEqual([expect.objectContaining({ from: 'A', to: 'B', kind: 'put' })]);
      expect(await servedAs(B, browser)).toBeUndefined();
      await eventual.settle();
      expect(eventual.pending()).toEqual([]);
      expect(await servedAs(B, browser)).toBe(owner);

      clock.advance(10);
      const inB = await B.sessions.load(requestOf(browser));
      inB.set('theme', 'dark');
      await B.sessions.commit(inB, requestOf(browser));
      expect((await A.sessions.load(requestOf(browser))).get('theme')).toBeUndefined();
      await eventual.settle();
      expect((await A.sessions.load(requestOf(browser))).get('theme')).toBe('dark');
      expect(deliveries(eventual)).toEqual(['A→B put applied', 'B→A put applied']);
    });
  });

  test('eventual with a delay of zero: every write is in the other Region before it returns', async () => {
    await withSites(instant, async ({ A, B }) => {
      const owner = uniqueUser('dave');
      const browser = await logIn(A, owner, 'Firefox on Linux');
      expect(instant.pending()).toEqual([]);
      expect(await servedAs(B, browser)).toBe(owner);
      await logOut(B, browser);
      expect(await servedAs(A, browser)).toBeUndefined();
      expect(deliveries(instant)).toEqual(['A→B put applied', 'B→A delete applied']);
    });
  });

  test('strong: both Regions are one store, nothing to replicate', async () => {
    await withSites(strong, async ({ A, B }) => {
      const owner = uniqueUser('erin');
      const browser = await logIn(A, owner, 'Firefox on Linux');
      expect(await servedAs(B, browser)).toBe(owner);
      expect([strong.pending(), strong.delivered()]).toEqual([[], []]);
    });
  });
});

describe('revocation: a revoked session is never served after the revoke returned', () => {
  test('eventual (MREC model): Region B serves both revoked sessions until replication settles', async () => {
    expect(await revocation(eventual)).toEqual([
      'B served the laptop after its logout returned',
      'B served the phone after its revoke returned',
    ]);
    // Both logins, then the logout's and the revoke's deletes, all reached B: late, not lost.
    expect(deliveries(eventual)).toEqual([
      'A→B put applied',
      'A→B put applied',
      'A→B delete applied',
      'A→B delete applied',
    ]);
  });

  test('strong (MRSC model): no Region serves either after its revoke returned', async () => {
    expect(await revocation(strong)).toEqual([]);
  });

  test('eventual with a delay of zero: holds, so the violation above is the delay’s', async () => {
    expect(await revocation(instant)).toEqual([]);
  });
});

describe('no resurrection: once the logout returned and replication settled, the session is gone everywhere', () => {
  test.each<Racer>(['refresh', 'save'])(
    'eventual (MREC model): a %s in B racing a logout in A brings the session back in both Regions',
    async (racer) => {
      expect(await noResurrection(eventual, racer)).toEqual({
        // B had not seen the delete: its conditional update found the item alive, and succeeded.
        committedInB: [racer === 'refresh' ? 'refreshed' : 'saved'],
        violations: [
          'A served the session after its logout returned and replication settled',
          'B served the session after its logout returned and replication settled',
        ],
      });
      // Last writer wins: B's later update beat A's delete in B, and replaced the deleted item in A.
      expect(deliveries(eventual)).toEqual(['A→B put applied', 'A→B delete superseded', 'B→A put applied']);
    },
  );

  test.each<Racer>(['refresh', 'save'])(
    'strong (MRSC model): a %s in B racing a logout in A finds the item gone',
    async (racer) => {
      expect(await noResurrection(strong, racer)).toEqual({ committedInB: ['gone'], violations: [] });
    },
  );

  test.each<Racer>(['refresh', 'save'])(
    'eventual with a delay of zero: a %s in B after the logout returned finds the item gone',
    async (racer) => {
      expect(await noResurrection(instant, racer)).toEqual({ committedInB: ['gone'], violations: [] });
      expect(deliveries(instant)).toEqual(['A→B put applied', 'A→B delete applied']);
    },
  );
});
