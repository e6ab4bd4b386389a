import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalApp, startLocalApp } from '../../lib/local/localServer';
import { cookiePair, postForm, postLogin, type RawResponse, send } from '../support/http';

// The whole app over real HTTP: the local server, the real handlers, an embedded dynalite.
let app: LocalApp;
let dataFolder: string;
const lines: string[] = [];

beforeAll(async () => {
  dataFolder = mkdtempSync(join(tmpdir(), 'sessions-server-'));
  app = await startLocalApp({ port: 0, dataFolder, log: (line) => lines.push(line) });
});

afterAll(async () => {
  await app?.close();
  rmSync(dataFolder, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string | string[]> = {}) =>
  send(app.url, 'GET', path, { headers });

async function login(username = 'admin', headers: Record<string, string> = {}): Promise<string> {
  const response = await postLogin(app.url, new URLSearchParams({ username }).toString(), headers);
  expect(response.status).toBe(303);
  expect(response.setCookies).toHaveLength(1);
  return cookiePair(response.setCookies[0]);
}

function expectHtmlHeaders(response: RawResponse) {
  expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.headers['content-security-policy']).toContain("default-src 'none'");
  expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(response.headers['referrer-policy']).toBe('no-referrer');
  expect(response.headers['x-frame-options']).toBe('DENY');
  expect(response.headers['cross-origin-opener-policy']).toBe('same-origin');
  // Plain HTTP: no HSTS (browsers ignore it there, and it would pin localhost to HTTPS).
  expect(response.headers['strict-transport-security']).toBeUndefined();
}

async function expectStillServing() {
  const response = await get('/');
  expect(response.status).toBe(200);
  expect(response.body).toContain('You are not logged in');
}

describe('the tutorial flow over HTTP', () => {
  it('shows an anonymous visitor a link to log in', async () => {
    const response = await get('/');
    expect(response.status).toBe(200);
    expect(response.body).toContain('You are not logged in');
    expect(response.body).toMatch(/<a href="\/login">click here to log in<\/a>/);
    expectHtmlHeaders(response);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.setCookies).toEqual([]);
  });

  it('serves the login form', async () => {
    const response = await get('/login');
    expect(response.status).toBe(200);
    expect(response.body).toMatch(/<form method="post" action="\/login">/);
    expect(response.body).toMatch(/name="username"/);
    expect(response.body).toMatch(/<button type="submit">Login<\/button>/);
  });

  it('logs in, shows the username, logs out and refuses the replayed cookie', async () => {
    const response = await postLogin(app.url, 'username=admin');
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/');
    expect(response.setCookies).toHaveLength(1);
    const [setCookie] = response.setCookies;
    expect(setCookie).toMatch(/^session=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).not.toContain('Domain');
    expect(setCookie).not.toContain('Secure'); // plain HTTP locally
    const cookie = cookiePair(setCookie);

    const page = await get('/', { cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('Logged in as admin');
    expect(page.body).toMatch(/<a href="\/logout">click here to log out<\/a>/);
    expect(page.headers['cache-control']).toBe('no-store');

    const logout = await get('/logout', { cookie });
    expect(logout.status).toBe(303);
    expect(logout.headers.location).toBe('/');
    expect(logout.setCookies).toHaveLength(1);
    // A new anonymous session's cookie, holding only the flash the start page shows once.
    expect(logout.setCookies[0]).toMatch(/^session=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);
    const flashCookie = cookiePair(logout.setCookies[0]);
    expect(flashCookie).not.toBe(cookie);
    const start = await get('/', { cookie: flashCookie });
    expect(start.body).toContain('You were logged out.');
    expect(start.setCookies[0]).toMatch(/^session=; Max-Age=0; /);

    const replay = await get('/', { cookie });
    expect(replay.body).toContain('You are not logged in');
  });

  it('logs out with POST as well', async () => {
    const cookie = await login('poster');
    const logout = await send(app.url, 'POST', '/logout', { headers: { cookie } });
    expect(logout.status).toBe(303);
    expect((await get('/', { cookie })).body).toContain('You are not logged in');
  });

  it('lists a user’s sessions at /sessions, logs out the other one, then everywhere', async () => {
    // Prepare: alice on a phone and on a laptop.
    const phone = await login('alice-devices', {
      'user-agent':
        'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Version/18.1 Mobile/15E148 Safari/604.1',
    });
    const laptop = await login('alice-devices', {
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
    });
    expect((await get('/', { cookie: laptop })).body).toContain('<a href="/sessions">');

    // Act + Assess: the page, from the laptop
    const page = await get('/sessions', { cookie: laptop });
    expect(page.status).toBe(200);
    expectHtmlHeaders(page);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('Firefox on Linux <strong>(This device)</strong>');
    expect(page.body).toContain('Safari on iOS');
    const ids = [...page.body.matchAll(/name="session" value="([\w-]{22})"/g)].map((match) => match[1]);
    expect(ids).toHaveLength(1);

    // A cross-site post changes nothing; the same-site one logs the phone out.
    const crossSite = await postForm(app.url, '/sessions/revoke', `session=${ids[0]}`, {
      cookie: laptop,
      'sec-fetch-site': 'cross-site',
    });
    expect(crossSite.status).toBe(403);
    expect((await get('/', { cookie: phone })).body).toContain('Logged in as alice-devices');
    const revoked = await postForm(app.url, '/sessions/revoke', `session=${ids[0]}`, {
      cookie: laptop,
      'sec-fetch-site': 'same-origin',
    });
    expect(revoked.status).toBe(303);
    expect(revoked.headers.location).toBe('/sessions');
    expect((await get('/', { cookie: phone })).body).toContain('You are not logged in');
    expect((await get('/', { cookie: laptop })).body).toContain('Logged in as alice-devices');

    // Everywhere: this session too, the cookie cleared.
    const again = await login('alice-devices');
    const everywhere = await postForm(app.url, '/logout', 'scope=everywhere', { cookie: laptop });
    expect(everywhere.status).toBe(303);
    expect(everywhere.headers.location).toBe('/');
    expect(cookiePair(everywhere.setCookies[0])).not.toBe(laptop); // the logout flash's session
    expect((await get('/', { cookie: laptop })).body).toContain('You are not logged in');
    expect((await get('/', { cookie: again })).body).toContain('You are not logged in');
  });

  it('sends an anonymous visitor from /sessions to the login form; refuses other methods there', async () => {
    const anonymous = await get('/sessions');
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.location).toBe('/login');
    const revokeByGet = await get('/sessions/revoke');
    expect(revokeByGet.status).toBe(405);
    expect(revokeByGet.headers.allow).toBe('POST');
    const anonymousRevoke = await postForm(app.url, '/sessions/revoke', 'session=others');
    expect(anonymousRevoke.status).toBe(303);
    expect(anonymousRevoke.headers.location).toBe('/login');
  });

  it('replaces a cookie planted before login with a new one', async () => {
    const planted = await login('attacker');
    const victim = await login('victim', { cookie: planted });
    expect(victim).not.toBe(planted);
    expect((await get('/', { cookie: victim })).body).toContain('Logged in as victim');
    // The planted session was destroyed at login.
    expect((await get('/', { cookie: planted })).body).toContain('You are not logged in');
  });

  it('renders a hostile username as text', async () => {
    const cookie = await login('<script>alert(1)</script>');
    const page = await get('/', { cookie });
    expect(page.body).toContain('Logged in as &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).not.toContain('<script>');
  });

  it('logs one line per request with method, path, status and milliseconds', async () => {
    await get('/?probe=1');
    expect(lines).toContainEqual(expect.stringMatching(/^GET \/\?probe=1 200 \d+(\.\d+)?ms$/));
  });
});

describe('cookies that are not ours to trust', () => {
  it('treats a cookie with any one character changed as not logged in', async () => {
    const cookie = await login('tamper');
    const value = cookie.slice('session='.length);
    // One position in each part: token start, token end, the dot, signature start, signature end.
    for (const position of [0, 42, 43, 44, value.length - 1]) {
      const replacement = value[position] === 'A' ? 'B' : 'A';
      const tampered = `session=${value.slice(0, position)}${replacement}${value.slice(position + 1)}`;
      const response = await get('/', { cookie: tampered });
      expect(response.status).toBe(200);
      expect(response.body).toContain('You are not logged in');
    }
    expect((await get('/', { cookie })).body).toContain('Logged in as tamper');
  });

  it.each([
    ['an empty value', 'session='],
    ['8 KB of junk', `session=${'x'.repeat(8 * 1024)}`],
    ['non-ASCII bytes', Buffer.from('session=\u00ff\u00fe\u00e9t\u00e9', 'latin1').toString('latin1')],
    ['hundreds of cookies', Array.from({ length: 300 }, (_, i) => `c${i}=${i}`).join('; ')],
    ['a dot only', 'session=.'],
    ['percent garbage', 'session=%ZZ%E2%82'],
  ])('never fails on %s', async (_name, cookie) => {
    const response = await get('/', { cookie });
    expect(response.status).toBe(200);
    expect(response.body).toContain('You are not logged in');
  });

  it('uses the valid one when the session cookie is sent twice', async () => {
    const cookie = await login('twice');
    const response = await get('/', { cookie: `session=forged.value; ${cookie}` });
    expect(response.status).toBe(200);
    expect(response.body).toContain('Logged in as twice');
  });
});

describe('bad login input gets a 4xx page, no cookie, and the server goes on', () => {
  it.each([
    ['a missing username', 'other=1', 400],
    ['an empty username', 'username=', 400],
    ['a whitespace-only username', 'username=%20%20%09', 400],
    ['a 65-character username', `username=${'a'.repeat(65)}`, 400],
    ['a control character', 'username=ad%07min', 400],
    ['malformed percent-encoding', 'username=%E0%A4%A', 400],
    ['invalid UTF-8', 'username=%C3%28', 400],
    ['a field sent twice', 'username=a&username=b', 400],
    ['a 1 MB body', `username=${'a'.repeat(1024 * 1024)}`, 413],
  ])('%s', async (_name, body, status) => {
    const response = await postLogin(app.url, body);
    expect(response.status).toBe(status);
    expect(response.setCookies).toEqual([]);
    expectHtmlHeaders(response);
    expect(response.body).toMatch(/<form method="post" action="\/login">/);
    await expectStillServing();
  });

  it('accepts exactly 64 characters', async () => {
    const response = await postLogin(app.url, `username=${'a'.repeat(64)}`);
    expect(response.status).toBe(303);
  });

  it('refuses a JSON body with 415', async () => {
    const response = await send(app.url, 'POST', '/login', {
      headers: { 'content-type': 'application/json' },
      body: '{"username":"admin"}',
    });
    expect(response.status).toBe(415);
    expect(response.setCookies).toEqual([]);
    await expectStillServing();
  });

  it('refuses a cross-site form post with 403', async () => {
    const response = await postLogin(app.url, 'username=admin', { origin: 'https://evil.example' });
    expect(response.status).toBe(403);
    expect(response.setCookies).toEqual([]);
    const fetchSite = await postLogin(app.url, 'username=admin', { 'sec-fetch-site': 'cross-site' });
    expect(fetchSite.status).toBe(403);
  });

  it('accepts a same-origin browser post', async () => {
    const host = new URL(app.url).host;
    const response = await postLogin(app.url, 'username=admin', {
      origin: app.url,
      host,
      'sec-fetch-site': 'same-origin',
    });
    expect(response.status).toBe(303);
  });
});

describe('routing', () => {
  it('answers unknown paths with a 404 page', async () => {
    for (const path of ['/nope', '/login/', '/index.html', `/${'a'.repeat(4000)}`]) {
      const response = await get(path);
      expect(response.status).toBe(404);
      expectHtmlHeaders(response);
    }
  });

  it.each(['HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])(
    'answers %s / with 405 and Allow',
    async (method) => {
      const response = await send(app.url, method, '/');
      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe('GET');
    },
  );

  it('serves the health check: 200 "ok" in plain text from its own store, no cookie', async () => {
    const response = await get('/health');
    expect(response.status).toBe(200);
    expect(response.body).toBe('ok');
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(response.setCookies).toEqual([]);
  });

  it('passes query strings through without breaking the page', async () => {
    const response = await get('/?a=1&a=2&b=%ZZ');
    expect(response.status).toBe(200);
  });
});
