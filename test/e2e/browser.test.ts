import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AxeResults } from 'axe-core';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { type LocalApp, startLocalApp } from '../../lib/local/localServer';
import { type MemoryStore, startMemoryStore } from '../../lib/local/memoryStore';
import { SAFARI_IOS } from '../support/browsers';
import { launchChromium, launchPersistentChromium } from '../support/chromium';
import { TestClock } from '../support/clock';
import { CURRENT_KEY } from '../support/keys';
import { createTestApp, type ServedTestApp, serveTestApp } from '../support/testApp';

// The tutorial in a real browser: headless Chromium against the local server (the real
// handlers on an embedded dynalite in a fresh temp folder). One browser for the whole file;
// every test opens its own contexts, so cookies never leak from one test into another. The
// "Keep me signed in" tests restart browsers on profiles of their own, against the same handlers
// served with a clock they move.

const SLOW = 60_000;
const SCREENSHOTS = resolve(__dirname, '../../test-results/screenshots');

let app: LocalApp;
let dataFolder: string;
let browser: Browser;

/** Anything a page must never do: console errors, uncaught errors, CSP violations, dialogs. */
const problems: string[] = [];
const problemWaiters: Array<() => void> = [];
function report(problem: string) {
  problems.push(problem);
  for (const wake of problemWaiters.splice(0)) wake();
}
/** Resolves once a problem starting with `prefix` has been reported (the test timeout bounds it). */
async function problemReported(prefix: string): Promise<void> {
  while (!problems.some((problem) => problem.startsWith(prefix))) {
    await new Promise<void>((wake) => problemWaiters.push(wake));
  }
}
const dialogs: string[] = [];
const openContexts: BrowserContext[] = [];

beforeAll(async () => {
  dataFolder = mkdtempSync(join(tmpdir(), 'sessions-e2e-'));
  app = await startLocalApp({ port: 0, dataFolder });
  browser = await launchChromium();
  mkdirSync(SCREENSHOTS, { recursive: true });
}, SLOW);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (dataFolder) rmSync(dataFolder, { recursive: true, force: true });
}, SLOW);

afterEach(async () => {
  for (const context of openContexts.splice(0)) await context.close();
  const seen = problems.splice(0);
  const opened = dialogs.splice(0);
  expect(seen).toEqual([]);
  expect(opened).toEqual([]);
});

// A securitypolicyviolation listener installed before any page script (init scripts are not
// subject to the page's CSP) that reports through a binding, so violations that Chromium does
// not print to the console are caught too.
const REPORT_CSP = `document.addEventListener('securitypolicyviolation', (event) => {
  window.reportCspViolation(event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline'));
});`;

/** `context`, closed after the test, its pages (those open already and those to come) reporting every problem. */
async function watchContext(context: BrowserContext): Promise<BrowserContext> {
  openContexts.push(context);
  await context.exposeBinding('reportCspViolation', (_source, detail: string) => {
    report(`CSP violation: ${detail}`);
  });
  await context.addInitScript(REPORT_CSP);
  context.on('page', watch);
  for (const page of context.pages()) watch(page);
  return context;
}

/** A fresh browser context (its own cookie jar) whose pages report every problem. */
async function newContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
  return watchContext(await browser.newContext(options));
}

function watch(page: Page) {
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    report(`console error on ${message.location().url || page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => report(`page error on ${page.url()}: ${error.message}`));
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
}

async function newPage(options: BrowserContextOptions = {}): Promise<Page> {
  return (await newContext(options)).newPage();
}

/** The address of `path` on the local server, or on the server at `base`. */
const at = (path: string, base = app.url) => `${base}${path}`;

/** The visible text of the page's main element, whitespace collapsed. */
async function mainText(page: Page): Promise<string> {
  return ((await page.locator('main').textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

interface LogInOptions {
  /** How the form is sent. @default 'enter' */
  submit?: 'enter' | 'button';
  /** Tick "Keep me signed in". @default false */
  keep?: boolean;
  /** The server. @default the local server */
  base?: string;
}

/** From the start page, through the link and the form, to the logged-in page. */
async function logIn(page: Page, username: string, options: LogInOptions = {}) {
  const { submit = 'enter', keep = false, base = app.url } = options;
  await page.goto(at('/', base));
  await page.getByRole('link', { name: 'click here to log in' }).click();
  await page.waitForURL(at('/login', base));
  await page.getByLabel('Username').pressSequentially(username);
  if (keep) await page.getByRole('checkbox', { name: 'Keep me signed in' }).check();
  if (submit === 'enter') await page.getByLabel('Username').press('Enter');
  else await page.getByRole('button', { name: 'Login' }).click();
  await page.waitForURL(at('/', base));
}

async function logOut(page: Page) {
  await page.getByRole('link', { name: 'click here to log out' }).click();
  await page.waitForURL(at('/'));
  await page.getByText('You are not logged in').waitFor();
}

/** The text of the page's flashed messages (its status region), whitespace collapsed; '' for none. */
async function flashText(page: Page): Promise<string> {
  const region = page.getByRole('status');
  if ((await region.count()) === 0) return '';
  return ((await region.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/**
 * Submitting a refused username answers 400 by design, and Chromium logs every 4xx document as
 * a console error: take exactly that one expected message off the list.
 */
function acceptRefusalMessage() {
  const expected = `console error on ${at('/login')}: Failed to load resource: the server responded with a status of 400 (Bad Request)`;
  const index = problems.indexOf(expected);
  expect(index).toBeGreaterThanOrEqual(0);
  problems.splice(index, 1);
}

/** What the page's own scripts would see of the focused element. */
const focused = (page: Page) =>
  page.evaluate<string>(
    "(() => { const e = document.activeElement; return e === document.body ? 'body' : e ? e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' + e.textContent.trim() : ''; })()",
  );

describe('the tutorial flow in a browser', () => {
  it(
    'logs in with Enter, keeps the session on reload and logs out',
    async () => {
      const page = await newPage();
      await page.goto(at('/'));
      expect(await mainText(page)).toBe('Sessions You are not logged in click here to log in');

      await logIn(page, 'admin', { submit: 'enter' });
      expect(await mainText(page)).toBe(
        'Sessions Logged in as admin click here to log out your sessions on other devices',
      );

      await page.reload();
      expect(await mainText(page)).toContain('Logged in as admin');

      await logOut(page);
      expect(await mainText(page)).toBe(
        'Sessions You were logged out. You are not logged in click here to log in',
      );
      // The flash's anonymous session ended when the page took it: no cookie is left.
      expect(await page.context().cookies()).toEqual([]);
    },
    SLOW,
  );

  it(
    'logs in with the Login button',
    async () => {
      const page = await newPage();
      await logIn(page, 'admin', { submit: 'button' });
      expect(await mainText(page)).toContain('Logged in as admin');
      await page.reload();
      expect(await mainText(page)).toContain('Logged in as admin');
      await logOut(page);
    },
    SLOW,
  );

  it(
    'keeps the session cookie away from scripts and cross-site requests',
    async () => {
      const page = await newPage();
      await logIn(page, 'admin');
      const cookies = await page.context().cookies();
      expect(cookies).toHaveLength(1);
      expect(cookies[0]).toMatchObject({
        name: 'session',
        httpOnly: true,
        sameSite: 'Lax',
        path: '/',
        secure: false, // plain HTTP locally
      });
      expect(cookies[0].value).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
      expect(await page.evaluate<string>('document.cookie')).toBe('');
    },
    SLOW,
  );

  it(
    'shows a hostile username as text and runs nothing',
    async () => {
      const hostile = '<img src=x onerror=alert(1)>';
      const page = await newPage();
      await logIn(page, hostile);
      expect(await mainText(page)).toContain(`Logged in as ${hostile}`);
      expect(await page.locator('main img').count()).toBe(0);
      await page.reload();
      expect(await page.locator('img').count()).toBe(0);
      // afterEach checks that no dialog opened and nothing was blocked by the CSP.
    },
    SLOW,
  );

  it(
    'never shows the logged-in page again after logout, with Back, Forward or reload',
    async () => {
      const page = await newPage();
      await logIn(page, 'admin');
      await logOut(page);
      // History now: / (anonymous), /login, / (logged in), / (after logout).
      for (let step = 0; step < 3; step += 1) {
        await page.goBack();
        expect(await mainText(page)).not.toContain('Logged in');
        await page.reload();
        expect(await mainText(page)).not.toContain('Logged in');
      }
      for (let step = 0; step < 3; step += 1) {
        await page.goForward();
        expect(await mainText(page)).not.toContain('Logged in');
      }
      expect(await mainText(page)).toContain('You are not logged in');
    },
    SLOW,
  );

  it(
    'keeps two browsers’ sessions apart',
    async () => {
      const alice = await newPage();
      const bob = await newPage();
      await logIn(alice, 'alice');
      await logIn(bob, 'bob');
      await alice.reload();
      await bob.reload();
      expect(await mainText(alice)).toContain('Logged in as alice');
      expect(await mainText(bob)).toContain('Logged in as bob');
      const [aliceCookie] = await alice.context().cookies();
      const [bobCookie] = await bob.context().cookies();
      expect(aliceCookie.value).not.toBe(bobCookie.value);

      await logOut(alice);
      await bob.reload();
      expect(await mainText(bob)).toContain('Logged in as bob');
      await alice.reload();
      expect(await mainText(alice)).toContain('You are not logged in');
    },
    SLOW,
  );

  it(
    'shows the refusal next to the field and lets the user retry',
    async () => {
      const page = await newPage();
      await page.goto(at('/login'));
      await page.getByLabel('Username').fill('   ');
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url() === at('/login') && r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Login' }).click(),
      ]);
      expect(response.status()).toBe(400);
      const field = page.getByLabel('Username');
      await page.locator('#username-error').waitFor();
      expect(await field.getAttribute('aria-invalid')).toBe('true');
      expect(await field.getAttribute('aria-describedby')).toBe('username-error');
      expect(await page.context().cookies()).toEqual([]);
      acceptRefusalMessage();

      await field.fill('admin');
      await field.press('Enter');
      await page.waitForURL(at('/'));
      expect(await mainText(page)).toContain('Logged in as admin');
    },
    SLOW,
  );
});

describe('keyboard only', () => {
  it(
    'reaches the link, the username field and the Login button with Tab',
    async () => {
      const page = await newPage();
      await page.goto(at('/'));
      await page.keyboard.press('Tab');
      expect(await focused(page)).toBe('a click here to log in');
      await page.keyboard.press('Enter');
      await page.waitForURL(at('/login'));
      // autofocus puts the caret in the field; Tab from the top of the page reaches it as well.
      expect(await focused(page)).toBe('input#username ');
      await page.keyboard.press('Shift+Tab');
      expect(await focused(page)).toBe('body');
      await page.keyboard.press('Tab');
      expect(await focused(page)).toBe('input#username ');
      await page.keyboard.type('admin');
      await page.keyboard.press('Tab');
      expect(await focused(page)).toBe('input#remember ');
      await page.keyboard.press('Tab');
      expect(await focused(page)).toBe('button Login');
      await page.keyboard.press('Enter');
      await page.waitForURL(at('/'));
      expect(await mainText(page)).toContain('Logged in as admin');

      await page.keyboard.press('Tab');
      expect(await focused(page)).toBe('a click here to log out');
      await page.keyboard.press('Enter');
      await page.getByText('You are not logged in').waitFor();
    },
    SLOW,
  );
});

describe('sessions per user in a browser', () => {
  it(
    'two browsers as one user: the first sees both and logs the other out, which is logged out on reload',
    async () => {
      const laptop = await newPage();
      const phone = await newPage({ userAgent: SAFARI_IOS });
      await logIn(phone, 'two-devices');
      await logIn(laptop, 'two-devices');

      await laptop.getByRole('link', { name: 'your sessions on other devices' }).click();
      await laptop.waitForURL(at('/sessions'));
      const items = laptop.locator('main li');
      expect(await items.count()).toBe(2);
      expect(await items.filter({ hasText: 'This device' }).getByRole('button').count()).toBe(0);
      const other = items.filter({ hasText: 'Safari on iOS' });
      expect(await other.locator('time').count()).toBe(2);
      await other.getByRole('button', { name: 'Log out' }).click();
      await laptop.waitForURL(at('/sessions'));
      expect(await laptop.locator('main li').count()).toBe(1);
      expect(await flashText(laptop)).toBe('Signed out Safari on iOS.');

      await phone.reload();
      await phone.getByText('You are not logged in').waitFor();
      await laptop.goto(at('/'));
      await laptop.getByText('Logged in as two-devices').waitFor();
    },
    SLOW,
  );

  it(
    'log out everywhere: both browsers are logged out',
    async () => {
      const laptop = await newPage();
      const phone = await newPage({ userAgent: SAFARI_IOS });
      await logIn(phone, 'everywhere');
      await logIn(laptop, 'everywhere');

      await laptop.goto(at('/sessions'));
      await laptop.getByRole('button', { name: 'Log out everywhere' }).click();
      await laptop.waitForURL(at('/'));
      await laptop.getByText('You are not logged in').waitFor();
      await phone.reload();
      await phone.getByText('You are not logged in').waitFor();
    },
    SLOW,
  );

  it(
    'log out other devices keeps this one',
    async () => {
      const laptop = await newPage();
      const phone = await newPage({ userAgent: SAFARI_IOS });
      await logIn(phone, 'others');
      await logIn(laptop, 'others');

      await laptop.goto(at('/sessions'));
      await laptop.getByRole('button', { name: 'Log out other devices' }).click();
      await laptop.waitForURL(at('/sessions'));
      expect(await laptop.locator('main li').count()).toBe(1);
      expect(await flashText(laptop)).toBe('Signed out 1 other device.');
      await phone.reload();
      await phone.getByText('You are not logged in').waitFor();
      await laptop.getByRole('button', { name: 'Log out other devices' }).click();
      await laptop.waitForURL(at('/sessions'));
      expect(await flashText(laptop)).toBe('No other devices were signed in.');
    },
    SLOW,
  );
});

describe('flashed messages', () => {
  it(
    'survive exactly one redirect: the start page after a logout says so in a status region, a reload does not',
    async () => {
      const page = await newPage();
      await logIn(page, 'flashed');
      expect(await flashText(page)).toBe('');

      await logOut(page);
      const region = page.getByRole('status');
      expect(await region.count()).toBe(1);
      expect(await region.getAttribute('aria-live')).toBe('polite');
      expect(await flashText(page)).toBe('You were logged out.');
      expect(await page.context().cookies()).toEqual([]);

      await page.reload();
      await page.getByText('You are not logged in').waitFor();
      expect(await page.getByRole('status').count()).toBe(0);
      await page.goto(at('/'));
      expect(await flashText(page)).toBe('');
    },
    SLOW,
  );
});

describe('"Keep me signed in" across browser restarts', () => {
  // The handlers as npm start builds them, on a store of their own, with a clock the tests move:
  // it starts at the real time and stands still until moved.
  const IDLE_SECONDS = 3600;
  const ABSOLUTE_SECONDS = 4 * 3600;
  const clock = new TestClock(Date.now());
  let store: MemoryStore;
  let served: ServedTestApp;
  const profiles: string[] = [];

  beforeAll(async () => {
    store = await startMemoryStore({ tableName: 'kept-sessions' });
    served = await serveTestApp(
      createTestApp({
        endpoint: store.endpoint,
        tableName: store.tableName,
        secret: CURRENT_KEY,
        idleSeconds: IDLE_SECONDS,
        absoluteSeconds: ABSOLUTE_SECONDS,
        now: clock.now,
      }),
    );
  }, SLOW);

  afterAll(async () => {
    await served?.close();
    await store?.close();
    for (const profile of profiles) rmSync(profile, { recursive: true, force: true });
  }, SLOW);

  /** Chromium on the profile in `profile` (a folder that outlives it), on its one page. */
  async function launchOn(profile: string): Promise<Page> {
    const context = await watchContext(await launchPersistentChromium(profile));
    return context.pages()[0] ?? context.newPage();
  }

  /** A new profile folder and Chromium on it. */
  async function freshBrowser(): Promise<{ page: Page; profile: string }> {
    const profile = mkdtempSync(join(tmpdir(), 'sessions-profile-'));
    profiles.push(profile);
    return { page: await launchOn(profile), profile };
  }

  /** Closes the browser `page` is in (its profile written to disk) and starts it again on `profile`. */
  async function restart(page: Page, profile: string): Promise<Page> {
    await page.context().close();
    return launchOn(profile);
  }

  /** The start page's text on the kept-sessions server, after (re)loading it. */
  async function startPage(page: Page): Promise<string> {
    await page.goto(at('/', served.url));
    return mainText(page);
  }

  it(
    'ticked: the cookie expires with the absolute timeout, and the user is still logged in after a restart',
    async () => {
      // Prepare
      let { page, profile } = await freshBrowser();

      // Act
      const before = Date.now() / 1000;
      await logIn(page, 'kept', { keep: true, base: served.url });
      const after = Date.now() / 1000;
      const cookies = await page.context().cookies();
      page = await restart(page, profile);

      // Assess: Max-Age is the absolute timeout at login, so the browser keeps it that long.
      expect(cookies).toHaveLength(1);
      expect(cookies[0].expires).toBeGreaterThanOrEqual(Math.floor(before) + ABSOLUTE_SECONDS - 1);
      expect(cookies[0].expires).toBeLessThanOrEqual(Math.ceil(after) + ABSOLUTE_SECONDS + 1);
      expect(await startPage(page)).toContain('Logged in as kept');
    },
    SLOW,
  );

  it(
    'unticked: a browser-session cookie, logged out after a restart',
    async () => {
      let { page, profile } = await freshBrowser();
      await logIn(page, 'not-kept', { base: served.url });
      const cookies = await page.context().cookies();
      expect(cookies).toHaveLength(1);
      expect(cookies[0].expires).toBe(-1);
      expect(await startPage(page)).toContain('Logged in as not-kept');

      page = await restart(page, profile);

      expect(await page.context().cookies()).toEqual([]);
      expect(await startPage(page)).toContain('You are not logged in');
    },
    SLOW,
  );

  it(
    'ticked: kept across idle refreshes, and no longer logs in once the server’s clock passes the absolute timeout',
    async () => {
      // Prepare: a kept login, then views less than an idle timeout apart (each refreshes it).
      const page = await newPage();
      await logIn(page, 'expiring', { keep: true, base: served.url });
      const step = (IDLE_SECONDS * 1000 * 3) / 4;
      let elapsed = 0;
      while (elapsed + step < ABSOLUTE_SECONDS * 1000) {
        clock.advance(step);
        elapsed += step;
        expect(await startPage(page)).toContain('Logged in as expiring');
      }

      // Act: one second past the absolute timeout, the cookie still in the browser.
      clock.advance(ABSOLUTE_SECONDS * 1000 - elapsed + 1000);
      expect(await page.context().cookies()).toHaveLength(1);

      // Assess
      expect(await startPage(page)).toContain('You are not logged in');
    },
    SLOW,
  );
});

describe('the watchers themselves', () => {
  it(
    'notice a CSP violation and a console error when there is one',
    async () => {
      const page = await newPage();
      await page.goto(at('/'));
      // An inline script added through the DOM: the CSP must block it and the listener must see it.
      await page.evaluate(
        "document.body.appendChild(Object.assign(document.createElement('script'), { textContent: 'alert(1)' }))",
      );
      await problemReported('CSP violation');
      await problemReported('console error');
      expect(dialogs).toEqual([]);
      problems.splice(0);
    },
    SLOW,
  );
});

describe('accessibility (axe-core) and screenshots', () => {
  const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

  /** Serious or critical axe violations on the current page, as readable lines. */
  async function seriousViolations(page: Page): Promise<string[]> {
    // The page's CSP allows no script at all, so this context bypasses it for axe only.
    await page.addScriptTag({ content: axeSource });
    const results = await page.evaluate<AxeResults>('axe.run(document, { resultTypes: ["violations"] })');
    return results.violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  }

  it.each(['light', 'dark'] as const)(
    'finds no serious or critical violation on any page (%s scheme)',
    async (colorScheme) => {
      const page = await newPage({ bypassCSP: true, colorScheme });
      const check = async (name: string) => {
        await page.screenshot({ path: join(SCREENSHOTS, `${name}-${colorScheme}.png`), fullPage: true });
        expect({ page: name, violations: await seriousViolations(page) }).toEqual({
          page: name,
          violations: [],
        });
      };

      await page.goto(at('/'));
      await check('anonymous');

      await page.goto(at('/login'));
      await check('login');

      await page.getByLabel('Username').fill('   ');
      await page.getByRole('button', { name: 'Login' }).click();
      await page.locator('#username-error').waitFor();
      acceptRefusalMessage();
      await check('login-error');

      await page.goto(at('/login'));
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Username').press('Enter');
      await page.waitForURL(at('/'));
      await page.getByText('Logged in as admin').waitFor();
      await check('logged-in');

      // The sessions page with another device, kept signed in, to log out: a user of its own per
      // scheme (docs/sessions.png is the light one).
      const user = colorScheme === 'light' ? 'carol' : 'dave';
      await logIn(await newPage({ userAgent: SAFARI_IOS }), user, { keep: true });
      await page.goto(at('/login'));
      await page.getByLabel('Username').fill(user);
      await page.getByLabel('Username').press('Enter');
      await page.waitForURL(at('/'));
      await page.goto(at('/sessions'));
      await page.getByText('This device').waitFor();
      await page.getByText('Kept signed in').waitFor();
      await check('sessions');

      // The flashed messages: after logging the other device out, and on the start page after a logout.
      await page.getByRole('button', { name: 'Log out', exact: true }).click();
      await page.getByRole('status').waitFor();
      await check('sessions-flash');
      await page.goto(at('/'));
      await logOut(page);
      await page.getByRole('status').waitFor();
      await check('logged-out');
    },
    SLOW,
  );
});
