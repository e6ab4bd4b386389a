import { createHash } from 'node:crypto';
import {
  CONTENT_SECURITY_POLICY,
  errorPage,
  flashRegion,
  indexPage,
  loginPage,
  MAX_USERNAME_LENGTH,
  sessionsPage,
} from '../../lambda/http/pages';

/** The text between <tag ...> and </tag>, for every occurrence. */
function contents(page: string, tag: string): string[] {
  return [...page.matchAll(new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]);
}

/** The href of the link whose text is `text`. */
function linkHref(page: string, text: string): string | undefined {
  return [...page.matchAll(/<a href="([^"]*)">([^<]*)<\/a>/g)].find((m) => m[2] === text)?.[1];
}

describe('indexPage', () => {
  it('logged out: "You are not logged in" and "click here to log in" linking /login', () => {
    // Act
    const page = indexPage(undefined);

    // Assess
    expect(page).toContain('You are not logged in');
    expect(linkHref(page, 'click here to log in')).toBe('/login');
    expect(page).not.toContain('Logged in as');
    expect(page).not.toContain('/logout');
  });

  it('logged in: "Logged in as <name>", a link to /sessions and "click here to log out" linking /logout', () => {
    // Act
    const page = indexPage('admin');

    // Assess
    expect(page).toContain('Logged in as admin');
    expect(linkHref(page, 'your sessions on other devices')).toBe('/sessions');
    expect(linkHref(page, 'click here to log out')).toBe('/logout');
    expect(page).not.toContain('You are not logged in');
  });

  it('escapes the username', () => {
    // Act
    const page = indexPage('<script>alert("x")</script>&');

    // Assess
    expect(page).toContain('Logged in as &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;');
    expect(page).not.toContain('<script>');
  });

  it('is a complete UTF-8 HTML document', () => {
    const page = indexPage(undefined);
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).toContain('<meta charset="utf-8">');
    expect(page).toContain('<html lang="en">');
    expect(contents(page, 'title')).toEqual(['Sessions']);
  });

  it('contains no script', () => {
    expect(indexPage('admin')).not.toMatch(/<script|\son[a-z]+=/i);
    expect(loginPage({ error: 'x' })).not.toMatch(/<script|\son[a-z]+=/i);
  });

  it('shows the flashed messages in a polite status region under the heading, logged in or not', () => {
    // Prepare
    const flashes = [{ category: 'message', message: 'You were logged out.' }];

    // Act
    const anonymous = indexPage(undefined, flashes);
    const loggedIn = indexPage('admin', flashes);

    // Assess
    for (const page of [anonymous, loggedIn]) {
      expect(page).toContain(
        '<h1>Sessions</h1>\n<div class="flashes" role="status" aria-live="polite">\n<p class="flash flash-message">You were logged out.</p>\n</div>\n<p>',
      );
    }
    expect(anonymous).toContain('You are not logged in');
    expect(loggedIn).toContain('Logged in as admin');
  });

  it('without flashes has no status region at all', () => {
    expect(indexPage(undefined)).not.toContain('role="status"');
    expect(indexPage('admin', [])).not.toContain('role="status"');
    expect(indexPage(undefined, [])).toBe(indexPage(undefined));
  });
});

describe('flashRegion', () => {
  it('renders each message, oldest first, escaped', () => {
    // Act
    const region = String(
      flashRegion([
        { category: 'message', message: 'Signed out <img src=x onerror=alert(1)> & "co".' },
        { category: 'message', message: 'second' },
      ]),
    );

    // Assess
    expect(contents(region, 'p')).toEqual([
      'Signed out &lt;img src=x onerror=alert(1)&gt; &amp; &quot;co&quot;.',
      'second',
    ]);
    expect(region).not.toMatch(/<img/);
  });

  it('styles the known categories and shows any other as a plain message, never as markup', () => {
    const region = String(
      flashRegion([
        { category: 'warning', message: 'w' },
        { category: '"><script>x</script>', message: 'm' },
      ]),
    );
    expect(region).toContain('<p class="flash flash-warning">w</p>');
    expect(region).toContain('<p class="flash flash-message">m</p>');
    expect(region).not.toContain('script');
  });

  it('is nothing for no messages', () => {
    expect(flashRegion([])).toBe('');
  });
});

describe('loginPage', () => {
  it('is a POST form to /login with a username field and a Login button', () => {
    // Act
    const page = loginPage();

    // Assess
    expect(page).toMatch(/<form method="post" action="\/login">/);
    expect(page).toMatch(/<input type="text" id="username" name="username" [^>]*required/);
    expect(page).toContain(`maxlength="${MAX_USERNAME_LENGTH}"`);
    expect(page).toMatch(/<button type="submit">Login<\/button>/);
    expect(page).toContain('<label for="username">');
    expect(page).not.toContain('aria-invalid="true"');
  });

  it('shows an error tied to the field, escaped', () => {
    // Act
    const page = loginPage({ error: 'Use <b>fewer</b> characters.' });

    // Assess
    expect(page).toContain('aria-invalid="true"');
    expect(page).toContain('aria-describedby="username-error"');
    expect(page).toContain(
      '<p class="error" id="username-error">Use &lt;b&gt;fewer&lt;/b&gt; characters.</p>',
    );
  });

  it('escapes a username put back into the value attribute', () => {
    const page = loginPage({ username: '"><script>x</script>' });
    expect(page).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
  });

  it('has a "Keep me signed in" checkbox with its label, between the username and the button, unchecked', () => {
    // Act
    const page = loginPage();

    // Assess
    expect(page).toContain(
      '<div class="check">\n<input type="checkbox" id="remember" name="remember" value="on">\n<label for="remember">Keep me signed in</label>\n</div>',
    );
    expect(page.indexOf('id="username"')).toBeLessThan(page.indexOf('id="remember"'));
    expect(page.indexOf('id="remember"')).toBeLessThan(page.indexOf('<button'));
  });

  it('keeps the box checked when the form comes back with a username error', () => {
    const page = loginPage({ error: 'Enter a username.', remember: true });
    expect(page).toContain('<input type="checkbox" id="remember" name="remember" value="on" checked>');
    expect(page).toContain('aria-describedby="username-error"');
  });

  it('ties an error about the checkbox to the checkbox, not to the username', () => {
    // Act
    const page = loginPage({ error: 'Send <on>.', errorField: 'remember' });

    // Assess
    expect(page).toContain(
      '<input type="checkbox" id="remember" name="remember" value="on" aria-invalid="true" aria-describedby="remember-error">',
    );
    expect(page).toContain('<p class="error" id="remember-error">Send &lt;on&gt;.</p>');
    expect(page).not.toContain('username-error');
    expect(page).toMatch(
      /<input type="text" id="username" name="username" value="" autocomplete="username" required maxlength="64" autofocus>/,
    );
  });
});

describe('sessionsPage', () => {
  const T = Date.UTC(2026, 10, 30, 20, 5, 9);
  const session = (
    publicId: string,
    device: string,
    signedInAt: number,
    lastActiveAt: number,
    permanent = false,
  ) => ({
    publicId,
    device,
    signedInAt,
    lastActiveAt,
    validUntil: lastActiveAt + 3_600_000,
    permanent,
  });
  const list = {
    sessions: [
      session('currentAAAAAAAAAAAAAAA', 'Firefox on Linux', T - 60_000, T),
      session('otherBBBBBBBBBBBBBBBBB', 'Safari on iOS', T - 7_200_000, T - 600_000),
    ],
    more: false,
  };

  it('marks this device, without a form; each other session with its revoke form; others and everywhere', () => {
    // Act
    const page = sessionsPage('alice', list, 'currentAAAAAAAAAAAAAAA');

    // Assess
    expect(page).toContain('Firefox on Linux <strong>(This device)</strong>');
    expect(page).not.toContain('value="currentAAAAAAAAAAAAAAA"');
    expect(page).toContain(
      '<form method="post" action="/sessions/revoke">\n<input type="hidden" name="session" value="otherBBBBBBBBBBBBBBBBB">\n<button type="submit" aria-describedby="device-1">Log out</button>',
    );
    expect(page).toContain(
      '<input type="hidden" name="session" value="others">\n<button type="submit">Log out other devices</button>',
    );
    expect(page).toContain(
      '<form method="post" action="/logout">\n<input type="hidden" name="scope" value="everywhere">\n<button type="submit">Log out everywhere</button>',
    );
    expect(page).toContain('<time datetime="2026-11-30T20:04:09.000Z">2026-11-30 20:04 UTC</time>');
    expect(page).toContain('<time datetime="2026-11-30T19:55:09.000Z">2026-11-30 19:55 UTC</time>');
    expect(page).not.toContain('you have more');
    expect(page).not.toContain('not listed yet');
  });

  it('says when the list is bounded, and when this device is not listed yet', () => {
    const page = sessionsPage('alice', { ...list, more: true }, 'missingCCCCCCCCCCCCCCC');
    expect(page).toContain('Only the 2 most recently active sessions are listed; you have more.');
    expect(page).toContain('This device is not listed yet');
    expect(page).not.toContain('(This device)');
  });

  it('marks each kept (permanent) session "Kept signed in" in words, in the line that names the device', () => {
    // Prepare
    const kept = {
      sessions: [
        session('currentAAAAAAAAAAAAAAA', 'Firefox on Linux', T - 60_000, T, true),
        session('otherBBBBBBBBBBBBBBBBB', 'Safari on iOS', T - 7_200_000, T - 600_000, true),
        session('thirdCCCCCCCCCCCCCCCCC', 'Chrome on Windows', T - 7_200_000, T - 900_000),
      ],
      more: false,
    };

    // Act
    const page = sessionsPage('alice', kept, 'currentAAAAAAAAAAAAAAA');

    // Assess: the device line is what each Log out button is described by, so it says it too.
    expect(page).toContain(
      '<p id="device-0">Firefox on Linux <strong>(This device)</strong> <span class="kept">Kept signed in</span></p>',
    );
    expect(page).toContain('<p id="device-1">Safari on iOS <span class="kept">Kept signed in</span></p>');
    expect(page).toContain('<p id="device-2">Chrome on Windows</p>');
    expect(page.match(/Kept signed in/g)).toHaveLength(2);
  });

  it('shows no "Kept signed in" when no session is kept', () => {
    expect(sessionsPage('alice', list, 'currentAAAAAAAAAAAAAAA')).not.toContain('Kept signed in');
  });

  it('shows the flashed messages in a status region under the heading', () => {
    const page = sessionsPage('alice', list, 'currentAAAAAAAAAAAAAAA', [
      { category: 'message', message: 'Signed out Safari on iOS.' },
    ]);
    expect(page).toContain(
      '<h1>Your sessions</h1>\n<div class="flashes" role="status" aria-live="polite">\n<p class="flash flash-message">Signed out Safari on iOS.</p>\n</div>\n<p>Signed in as',
    );
    expect(sessionsPage('alice', list, 'currentAAAAAAAAAAAAAAA')).not.toContain('role="status"');
  });

  it('escapes the username, the device label and the id', () => {
    const hostile = session('"><script>x</script>', '<img src=x onerror=alert(1)>', T, T);
    const page = sessionsPage('<b>alice</b>', { sessions: [hostile], more: false }, undefined);
    expect(page).toContain('&lt;b&gt;alice&lt;/b&gt;');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(page).not.toMatch(/<script|<img|<b>/);
  });
});

describe('errorPage', () => {
  it.each([
    [400, 'Bad request'],
    [403, 'Forbidden'],
    [404, 'Not found'],
    [405, 'Method not allowed'],
    [413, 'Request too large'],
    [415, 'Unsupported media type'],
    [500, 'Something went wrong'],
    [503, 'Service unavailable'],
    [418, 'Error'],
  ])('%i has the title "%s"', (status, title) => {
    const page = errorPage(status, 'message');
    expect(contents(page, 'h1')).toEqual([title]);
    expect(contents(page, 'title')).toEqual([title]);
  });

  it('shows the message escaped and links back to /', () => {
    const page = errorPage(400, 'Bad <input> & "quotes"');
    expect(page).toContain('<p>Bad &lt;input&gt; &amp; &quot;quotes&quot;</p>');
    expect(linkHref(page, 'Back to the start page')).toBe('/');
  });
});

describe('CONTENT_SECURITY_POLICY', () => {
  const directives = new Map(
    CONTENT_SECURITY_POLICY.split(';').map((directive) => {
      const [name, ...values] = directive.trim().split(/\s+/);
      return [name, values] as const;
    }),
  );

  it.each([
    ['index (logged out)', indexPage(undefined)],
    ['index (logged in)', indexPage('admin')],
    ['login', loginPage()],
    ['login with an error', loginPage({ error: 'Enter a username.' })],
    ['login with a checkbox error', loginPage({ error: 'x', errorField: 'remember', remember: true })],
    ['index with a flash', indexPage(undefined, [{ category: 'message', message: 'You were logged out.' }])],
    ['error', errorPage(503, 'busy')],
    ['sessions', sessionsPage('alice', { sessions: [], more: true }, undefined)],
    [
      'sessions with a kept session and a flash',
      sessionsPage(
        'alice',
        {
          sessions: [
            { publicId: 'a', device: 'd', signedInAt: 1, lastActiveAt: 2, validUntil: 3, permanent: true },
          ],
          more: false,
        },
        'a',
        [{ category: 'warning', message: 'w' }],
      ),
    ],
  ])('allows the %s page’s one <style> by its sha256 hash', (_label, page) => {
    // Prepare
    const styles = contents(page, 'style');
    expect(styles).toHaveLength(1);
    const hash = createHash('sha256').update(styles[0], 'utf8').digest('base64');

    // Assess
    expect(directives.get('style-src')).toEqual([`'sha256-${hash}'`]);
  });

  it('allows no script and no framing', () => {
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.has('script-src')).toBe(false);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('form-action')).toEqual(["'self'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
  });

  it('pages use no inline style attribute (the hash would not cover it)', () => {
    const sessions = sessionsPage('a', { sessions: [], more: true }, undefined, [
      { category: 'message', message: 'm' },
    ]);
    const login = loginPage({ error: 'e', errorField: 'remember', remember: true });
    for (const page of [indexPage('a'), login, errorPage(500, 'x'), sessions]) {
      expect(page).not.toMatch(/\sstyle=/);
    }
  });
});
