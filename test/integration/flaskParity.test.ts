import { PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  createDocumentClient,
  type Session,
  type SessionCommitEvent,
  type SessionData,
  SessionDataError,
  SessionManager,
  type SessionManagerOptions,
  type SessionRequest,
  StaticKeys,
  UserSessions,
} from '@lambda-sessions/dynamodb';
import * as v from 'valibot';
import { z } from 'zod';
import { TestClock } from '../support/clock';
import { CURRENT_KEY } from '../support/keys';
import { cookieValue, itemIdOf, tokenOf } from '../support/responses';
import { sealFor } from '../support/sealed';
import { useStore } from '../support/store';
import { getItem, TABLE } from '../support/table';

// Flask's neighbours of `session` through the library's public API against dynalite: flash
// messages (shown once, surviving one redirect, nothing written when there are none), permanent
// sessions (a cookie that outlives the browser, and still expires on time), and validated,
// typed data (a stored value that fails its schema reads as absent and is counted).

const db = useStore();
const { proxy } = db;
const ABSOLUTE_SECONDS = 7200;
const IDLE_SECONDS = 1800;

let clock: TestClock;
let commits: SessionCommitEvent[];

beforeEach(() => {
  clock = new TestClock();
  commits = [];
});

function manager<Data extends object = SessionData>(
  options: Partial<SessionManagerOptions<Data>> = {},
): SessionManager<Data> {
  return new SessionManager<Data>({
    client: createDocumentClient({ endpoint: proxy.endpoint }),
    tableName: TABLE,
    keys: new StaticKeys([CURRENT_KEY]),
    idleTimeoutSeconds: IDLE_SECONDS,
    absoluteTimeoutSeconds: ABSOLUTE_SECONDS,
    now: clock.now,
    onCommit: (event) => commits.push(event),
    ...options,
  });
}

/** A browser: it keeps the session cookie the responses set, as the browser would. */
class Browser {
  cookie: string | undefined;
  /** The `Set-Cookie` values of the last request. */
  lastSetCookies: string[] = [];

  request(): SessionRequest {
    return { cookies: this.cookie === undefined ? [] : [this.cookie], secure: true };
  }

  /** One request: open the session (`load` or `attach`), let `handle` act, commit, keep the cookie. */
  async visit<Data extends object, T>(
    sessions: SessionManager<Data>,
    mode: 'load' | 'attach',
    handle: (session: Session<Data>) => T,
  ): Promise<T> {
    const request = this.request();
    const session = mode === 'load' ? await sessions.load(request) : await sessions.attach(request);
    const result = handle(session);
    this.lastSetCookies = await sessions.commit(session, request);
    for (const setCookie of this.lastSetCookies) {
      const pair = setCookie.split(';')[0];
      this.cookie = /Max-Age=0(;|$)/.test(setCookie) ? undefined : pair;
    }
    return result;
  }

  async logIn<Data extends object>(
    sessions: SessionManager<Data>,
    permanent = false,
    owner = 'admin',
  ): Promise<void> {
    await this.visit(sessions, 'attach', (session) => {
      session.regenerate({ owner, device: 'Firefox on Linux' });
      session.clear();
      (session as Session).set('username', 'admin');
      session.permanent = permanent;
    });
  }
}

describe('flash messages', () => {
  it('a flash given at logout is shown on the next page, once, and nothing of the old session is left', async () => {
    // Prepare
    const sessions = manager();
    const browser = new Browser();
    await browser.logIn(sessions);
    const loggedIn = browser.cookie as string;

    // Act: the logout attaches (no read), destroys, flashes; the redirect's page reads the flashes.
    proxy.reset();
    await browser.visit(sessions, 'attach', (session) => {
      session.destroy();
      session.flash('You were logged out.');
    });
    const logoutOperations = [...proxy.operations];
    const shown = await browser.visit(sessions, 'load', (session) => session.flashedMessages());
    const shownAgain = await browser.visit(sessions, 'load', (session) => session.flashedMessages());

    // Assess
    expect(logoutOperations.sort()).toEqual(['DeleteItem', 'PutItem']); // sent together
    expect(await getItem(db, itemIdOf(loggedIn))).toBeUndefined();
    expect(shown).toEqual([{ category: 'message', message: 'You were logged out.' }]);
    expect(shownAgain).toEqual([]);
  });

  it('a store that fails to take a logout’s flashes loses them, not the logout: the cookie is cleared', async () => {
    // Prepare
    const sessions = manager();
    const browser = new Browser();
    await browser.logIn(sessions);
    const loggedIn = browser.cookie as string;
    proxy.fault({ kind: 'internal', operations: ['PutItem'] });

    // Act
    await browser.visit(sessions, 'attach', (session) => {
      session.destroy();
      session.flash('You were logged out.');
    });

    // Assess
    expect(browser.lastSetCookies).toEqual([
      '__Host-session=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax',
    ]);
    expect(await getItem(db, itemIdOf(loggedIn))).toBeUndefined();
  });

  it('the page that shows the flash clears the cookie of the anonymous session it leaves empty: later views cost nothing', async () => {
    // Prepare
    const sessions = manager();
    const browser = new Browser();
    await browser.visit(sessions, 'attach', (session) => {
      session.destroy();
      session.flash('You were logged out.', 'info');
    });

    // Act
    proxy.reset();
    const shown = await browser.visit(sessions, 'load', (session) => session.flashedMessages());
    const afterShown = [...proxy.operations];
    proxy.reset();
    await browser.visit(sessions, 'load', (session) => session.get('username'));

    // Assess
    expect(shown).toEqual([{ category: 'info', message: 'You were logged out.' }]);
    expect(afterShown).toEqual(['GetItem', 'UpdateItem']);
    expect(browser.lastSetCookies).toEqual([]);
    expect(browser.cookie).toBeUndefined();
    expect(proxy.operations).toEqual([]);
  });

  it('a page view with no flashes stays one GetItem and no write', async () => {
    // Prepare
    const sessions = manager();
    const browser = new Browser();
    await browser.logIn(sessions);

    // Act
    proxy.reset();
    const shown = await browser.visit(sessions, 'load', (session) => session.flashedMessages());

    // Assess
    expect(shown).toEqual([]);
    expect(proxy.operations).toEqual(['GetItem']);
    expect(browser.lastSetCookies).toEqual([]);
  });

  it('flashes in a signed-in session keep their order and categories, survive one redirect and keep the data', async () => {
    // Prepare
    const sessions = manager();
    const browser = new Browser();
    await browser.logIn(sessions);

    // Act
    await browser.visit(sessions, 'load', (session) => {
      session.flash('Signed out Safari on iOS.');
      session.flash('Could not reach one device.', 'error');
    });
    const shown = await browser.visit(sessions, 'load', (session) => session.flashedMessages());
    const later = await browser.visit(sessions, 'load', (session) => [
      session.flashedMessages(),
      session.get('username'),
    ]);

    // Assess
    expect(shown).toEqual([
      { category: 'message', message: 'Signed out Safari on iOS.' },
      { category: 'error', message: 'Could not reach one device.' },
    ]);
    expect(later).toEqual([[], 'admin']);
  });

  it('flashes are sealed like any value: the item shows neither the message nor that there is a flash', async () => {
    const sessions = manager();
    const browser = new Browser();
    await browser.logIn(sessions);
    await browser.visit(sessions, 'load', (session) => session.flash('Signed out Safari on iOS.'));
    const item = await getItem(db, itemIdOf(browser.cookie as string));
    expect(JSON.stringify(item)).not.toContain('Safari');
    expect(
      Buffer.concat(Object.values(item?.sealed as Record<string, Uint8Array>)).toString('latin1'),
    ).not.toContain('Safari');
  });

  it('keeps flashes apart from the data: not a key, not settable, not counted', async () => {
    const sessions = manager();
    const browser = new Browser();
    await browser.logIn(sessions);
    const keys = await browser.visit(sessions, 'load', (session) => {
      session.flash('hello');
      return session.keys();
    });
    expect(keys).toEqual(['username']);
    await browser.visit(sessions, 'load', (session) => {
      expect(() => (session as Session).set('\u0000flashes', [])).toThrow(TypeError);
      expect((session as Session).get('\u0000flashes')).toBeUndefined();
    });
  });

  it('refuses an empty message or category with a TypeError, and changes nothing', async () => {
    const sessions = manager();
    const browser = new Browser();
    await browser.logIn(sessions);
    await browser.visit(sessions, 'load', (session) => {
      expect(() => session.flash('')).toThrow(TypeError);
      expect(() => session.flash('hello', '')).toThrow(TypeError);
      expect(session.isModified).toBe(false);
    });
  });
});

describe('permanent sessions', () => {
  const maxAgeOf = (setCookie: string | undefined) => /Max-Age=(\d+)/.exec(setCookie ?? '')?.[1];

  it('a permanent login gets a cookie with Max-Age = the absolute lifetime; a plain one a browser-session cookie', async () => {
    const sessions = manager();
    const kept = new Browser();
    await kept.logIn(sessions, true);
    const plain = new Browser();
    await plain.logIn(sessions, false);

    expect(maxAgeOf(kept.lastSetCookies[0])).toBe(String(ABSOLUTE_SECONDS));
    expect(plain.lastSetCookies[0]).not.toContain('Max-Age');
    expect((await getItem(db, itemIdOf(kept.cookie as string)))?.permanent).toBe(true);
    expect((await getItem(db, itemIdOf(plain.cookie as string)))?.permanent).toBeUndefined();
  });

  it('the permanence is listed with the session', async () => {
    // Prepare
    const sessions = manager();
    await new Browser().logIn(sessions, true, 'listed');
    await new Browser().logIn(sessions, false, 'listed');
    const users = new UserSessions({
      client: createDocumentClient({ endpoint: proxy.endpoint }),
      tableName: TABLE,
      now: clock.now,
    });

    // Act
    const { sessions: listed } = await users.list('listed');

    // Assess
    expect(listed.map((summary) => summary.permanent).sort()).toEqual([false, true]);
  });

  it('a table writer who makes a session permanent gets it read as absent (the MAC covers it)', async () => {
    // Prepare
    const sessions = manager();
    const browser = new Browser();
    await browser.logIn(sessions, false);
    const id = itemIdOf(browser.cookie as string);
    const item = await getItem(db, id);
    await db.documents.send(new PutCommand({ TableName: TABLE, Item: { ...item, permanent: true } }));

    // Act
    const username = await browser.visit(sessions, 'load', (session) => session.get('username'));

    // Assess
    expect(username).toBeUndefined();
    expect(commits.at(-1)?.rejectedValues).toBe(1);
  });

  it('idle and absolute timeouts hold for a permanent session: it expires on time whatever the cookie', async () => {
    // Prepare
    const sessions = manager();
    const idle = new Browser();
    await idle.logIn(sessions, true);
    const active = new Browser();
    await active.logIn(sessions, true);

    // Act: one stays active (a view every 10 minutes) up to the absolute timeout; the other idles.
    const seen: unknown[] = [];
    for (let elapsed = 0; elapsed < ABSOLUTE_SECONDS; elapsed += 600) {
      clock.advance(600_000);
      seen.push(await active.visit(sessions, 'load', (session) => session.get('username')));
    }
    const idleAfter = await idle.visit(sessions, 'load', (session) => session.get('username'));

    // Assess: the last view is at the absolute timeout, and so logged out.
    expect(seen.slice(0, -1).every((username) => username === 'admin')).toBe(true);
    expect(seen.at(-1)).toBeUndefined();
    expect(idleAfter).toBeUndefined();
  });

  it('turning permanence off re-sends the cookie without Max-Age; on, with the remaining lifetime', async () => {
    // Prepare
    const sessions = manager();
    const browser = new Browser();
    await browser.logIn(sessions, false);
    clock.advance(1000_000);

    // Act
    await browser.visit(sessions, 'load', (session) => {
      session.permanent = true;
    });
    const on = browser.lastSetCookies[0];
    await browser.visit(sessions, 'load', (session) => {
      session.permanent = false;
    });
    const off = browser.lastSetCookies[0];

    // Assess
    expect(maxAgeOf(on)).toBe(String(ABSOLUTE_SECONDS - 1000));
    expect(off).toBeDefined();
    expect(off).not.toContain('Max-Age');
    expect(cookieValue((off as string).split(';')[0])).toBe(cookieValue(browser.cookie as string));
  });

  it('a permanent session re-signed after a key rotation keeps its remaining lifetime', async () => {
    // Prepare
    const browser = new Browser();
    await browser.logIn(manager(), true);
    clock.advance(60_000);
    const rotated = manager({ keys: new StaticKeys([`${CURRENT_KEY}-next-0123456789`, CURRENT_KEY]) });

    // Act
    await browser.visit(rotated, 'load', () => undefined);

    // Assess
    expect(browser.lastSetCookies).toHaveLength(1);
    expect(maxAgeOf(browser.lastSetCookies[0])).toBe(String(ABSOLUTE_SECONDS - 60));
  });
});

describe('validated, typed data', () => {
  /** Stores `username: 42` in the session behind `browser`'s cookie, as a writer of old code would. */
  async function storeRaw(browser: Browser, name: string, value: unknown): Promise<void> {
    const untyped = manager();
    await browser.visit(untyped, 'load', (session) => session.set(name, value));
  }

  it('per key (zod): a stored value that fails its schema reads as absent, is counted, and never throws', async () => {
    // Prepare
    const typed = manager({ schema: { keys: { username: z.string(), visits: z.number().int() } } });
    const browser = new Browser();
    await browser.logIn(typed);
    await storeRaw(browser, 'visits', 'many');

    // Act
    const read = await browser.visit(typed, 'load', (session) => [
      session.get('username'),
      session.get('visits'),
    ]);

    // Assess
    expect(read).toEqual(['admin', undefined]);
    expect(commits.at(-1)).toMatchObject({ invalidValues: 1, rejectedValues: 0 });
  });

  it('whole data (valibot): the values the issues point at are left out, the rest read', async () => {
    // Prepare
    const schema = v.object({
      username: v.optional(v.string()),
      theme: v.optional(v.picklist(['light', 'dark'])),
    });
    const typed = manager({ schema: { whole: schema } });
    const browser = new Browser();
    await browser.logIn(typed);
    await storeRaw(browser, 'theme', 'sepia');

    // Act
    const read = await browser.visit(typed, 'load', (session) => [
      session.get('username'),
      session.get('theme'),
    ]);

    // Assess
    expect(read).toEqual(['admin', undefined]);
    expect(commits.at(-1)?.invalidValues).toBe(1);
  });

  it('set() with an invalid value throws SessionDataError naming the key, with the issues, and changes nothing', async () => {
    const typed = manager({ schema: { keys: { visits: z.number().int().nonnegative() } } });
    const browser = new Browser();
    await browser.logIn(typed);
    const error = await browser.visit(typed, 'load', (session) => {
      try {
        session.set('visits', -1);
      } catch (caught) {
        expect(session.isModified).toBe(false);
        return caught;
      }
      return undefined;
    });
    expect(error).toBeInstanceOf(SessionDataError);
    expect(error).toMatchObject({ key: 'visits', retryable: false });
    expect((error as SessionDataError).issues?.length).toBeGreaterThan(0);
    expect((error as Error).message).toMatch(/^visits does not match its schema: /);
  });

  it('keeps the schema’s output (a transform) at set and at the read', async () => {
    const typed = manager({ schema: { keys: { username: z.string().trim().toLowerCase() } } });
    const browser = new Browser();
    await browser.visit(typed, 'load', (session) => session.set('username', '  Admin '));
    const read = await browser.visit(typed, 'load', (session) => session.get('username'));
    expect(read).toBe('admin');
    const item = await getItem(db, itemIdOf(browser.cookie as string));
    expect(sealFor(tokenOf(browser.cookie as string)).openAll(item?.sealed as never).data).toEqual({
      username: 'admin',
    });
  });

  it('an unvalidated page view costs what it did: one GetItem, nothing counted', async () => {
    const sessions = manager();
    const browser = new Browser();
    await browser.logIn(sessions);
    proxy.reset();
    await browser.visit(sessions, 'load', (session) => session.get('username'));
    expect(proxy.operations).toEqual(['GetItem']);
    expect(commits.at(-1)).toMatchObject({ invalidValues: 0, rejectedValues: 0 });
  });

  it('refuses a schema that validates asynchronously, and two kinds of schema at once, with a TypeError', async () => {
    const asyncSchema = z.string().refine(async () => true);
    const typed = manager({ schema: { keys: { username: asyncSchema } } });
    const browser = new Browser();
    await browser.visit(typed, 'load', (session) => {
      expect(() => session.set('username', 'admin')).toThrow(/asynchronously/);
    });
    expect(() => manager({ schema: { whole: z.object({}), keys: {} } as never })).toThrow(TypeError);
    expect(() => manager({ schema: { keys: { username: 'string' } } as never })).toThrow(
      /schema\.keys\.username/,
    );
  });
});
