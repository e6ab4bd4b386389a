import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AxeResults } from 'axe-core';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { type LocalApp, startLocalApp } from '../../lib/local/localServer';
import { launchChromium } from '../support/chromium';

// The tutorial in a real browser: headless Chromium against the local server (the real
// handlers on an embedded dynalite in a fresh temp folder). One browser for the whole file;
// every test opens its own contexts, so cookies never leak from one test into another.

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

/** A fresh browser context (its own cookie jar) whose pages report every problem. */
async function newContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  openContexts.push(context);
  await context.exposeBinding('reportCspViolation', (_source, detail: string) => {
    report(`CSP violation: ${detail}`);
  });
  await context.addInitScript(REPORT_CSP);
  context.on('page', watch);
  return context;
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

const at = (path: string) => `${app.url}${path}`;

/** The visible text of the page's main element, whitespace collapsed. */
async function mainText(page: Page): Promise<string> {
  return ((await page.locator('main').textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** From the start page, through the link and the form, to the logged-in page. */
async function logIn(page: Page, username: string, submit: 'enter' | 'button' = 'enter') {
  await page.goto(at('/'));
  await page.getByRole('link', { name: 'click here to log in' }).click();
  await page.waitForURL(at('/login'));
  await page.getByLabel('Username').pressSequentially(username);
  if (submit === 'enter') await page.getByLabel('Username').press('Enter');
  else await page.getByRole('button', { name: 'Login' }).click();
  await page.waitForURL(at('/'));
}

async function logOut(page: Page) {
  await page.getByRole('link', { name: 'click here to log out' }).click();
  await page.waitForURL(at('/'));
  await page.getByText('You are not logged in').waitFor();
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

      await logIn(page, 'admin', 'enter');
      expect(await mainText(page)).toBe(
        'Sessions Logged in as admin click here to log out your sessions on other devices',
      );

      await page.reload();
      expect(await mainText(page)).toContain('Logged in as admin');

      await logOut(page);
      expect(await mainText(page)).toBe('Sessions You are not logged in click here to log in');
      expect(await page.context().cookies()).toEqual([]);
    },
    SLOW,
  );

  it(
    'logs in with the Login button',
    async () => {
      const page = await newPage();
      await logIn(page, 'admin', 'button');
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

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

describe('sessions per user in a browser', () => {
  it(
    'two browsers as one user: the first sees both and logs the other out, which is logged out on reload',
    async () => {
      const laptop = await newPage();
      const phone = await newPage({ userAgent: IPHONE });
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
      const phone = await newPage({ userAgent: IPHONE });
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
      const phone = await newPage({ userAgent: IPHONE });
      await logIn(phone, 'others');
      await logIn(laptop, 'others');

      await laptop.goto(at('/sessions'));
      await laptop.getByRole('button', { name: 'Log out other devices' }).click();
      await laptop.waitForURL(at('/sessions'));
      expect(await laptop.locator('main li').count()).toBe(1);
      await phone.reload();
      await phone.getByText('You are not logged in').waitFor();
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

      // The sessions page with another device to log out: a user of its own per scheme (docs/sessions.png is the light one).
      const user = colorScheme === 'light' ? 'carol' : 'dave';
      await logIn(await newPage({ userAgent: IPHONE }), user);
      await page.goto(at('/login'));
      await page.getByLabel('Username').fill(user);
      await page.getByLabel('Username').press('Enter');
      await page.waitForURL(at('/'));
      await page.goto(at('/sessions'));
      await page.getByText('This device').waitFor();
      await check('sessions');
    },
    SLOW,
  );
});
