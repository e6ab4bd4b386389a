import { MAX_SESSION_COOKIE_CANDIDATES } from '../../lambda/session/src/constants';
import { SessionCookie } from '../../lambda/session/src/SessionCookie';

const cookie = new SessionCookie();

const VALUE = 'dG9rZW4.c2lnbmF0dXJl';

/** The attributes of a Set-Cookie value, lower-cased names, in order. */
function attributes(setCookie: string): string[] {
  return setCookie
    .split(';')
    .slice(1)
    .map((part) => part.trim().split('=')[0].toLowerCase());
}

describe('nameFor', () => {
  it('uses the __Host- prefix only over HTTPS', () => {
    expect(cookie.nameFor(true)).toBe('__Host-session');
    expect(cookie.nameFor(false)).toBe('session');
  });

  it('uses the configured name, and no prefix when hostPrefix is false', () => {
    expect(new SessionCookie({ name: 'sid' }).nameFor(true)).toBe('__Host-sid');
    expect(new SessionCookie({ name: 'sid', hostPrefix: false }).nameFor(true)).toBe('sid');
  });
});

describe('options', () => {
  it.each([
    [{ name: '' }, /^cookie\.name: /],
    [{ name: 'a b' }, /^cookie\.name: /],
    [{ name: 'a;b' }, /^cookie\.name: /],
    [{ name: '__Host-sid' }, /^cookie\.name: /],
    [{ name: '__secure-sid' }, /^cookie\.name: /],
    [{ sameSite: 'always' }, /^cookie\.sameSite: /],
    [{ maxAgeSeconds: 0 }, /^cookie\.maxAgeSeconds: /],
    [{ maxAgeSeconds: 1.5 }, /^cookie\.maxAgeSeconds: /],
    [{ hostPrefix: 'yes' }, /^cookie\.hostPrefix: /],
  ])('refuses %o with a TypeError naming the option', (options, message) => {
    const make = () => new SessionCookie(options as never);
    expect(make).toThrow(TypeError);
    expect(make).toThrow(message);
  });

  it('sends the configured SameSite', () => {
    expect(new SessionCookie({ sameSite: 'strict' }).serialize(VALUE, true)).toContain('; SameSite=Strict');
    expect(new SessionCookie({ sameSite: 'none' }).clear(true)).toContain('; SameSite=None');
  });
});

describe('serialize', () => {
  it('over HTTPS: __Host-session, Secure, HttpOnly, Path=/, SameSite=Lax, no Domain, no Max-Age', () => {
    // Act
    const setCookie = cookie.serialize(VALUE, true);

    // Assess
    expect(setCookie.startsWith(`__Host-session=${VALUE};`)).toBe(true);
    expect(setCookie).toContain('; Secure');
    expect(setCookie).toContain('; HttpOnly');
    expect(setCookie).toContain('; Path=/');
    expect(setCookie).toContain('; SameSite=Lax');
    expect(attributes(setCookie)).not.toContain('domain');
    expect(attributes(setCookie)).not.toContain('max-age');
    expect(attributes(setCookie)).not.toContain('expires');
  });

  it('over plain HTTP: the bare name and no Secure (a browser would drop it)', () => {
    // Act
    const setCookie = cookie.serialize(VALUE, false);

    // Assess
    expect(setCookie.startsWith(`session=${VALUE};`)).toBe(true);
    expect(attributes(setCookie)).not.toContain('secure');
    expect(setCookie).toContain('; HttpOnly');
    expect(setCookie).toContain('; Path=/');
    expect(setCookie).toContain('; SameSite=Lax');
    expect(attributes(setCookie)).not.toContain('domain');
    expect(attributes(setCookie)).not.toContain('max-age');
  });

  it('adds Max-Age only when configured', () => {
    expect(new SessionCookie({ maxAgeSeconds: 3600 }).serialize(VALUE, true)).toContain('; Max-Age=3600');
    expect(new SessionCookie({ maxAgeSeconds: undefined }).serialize(VALUE, true)).not.toContain('Max-Age');
    expect(new SessionCookie({ maxAgeSeconds: 3600 }).clear(true)).toContain('; Max-Age=0');
  });

  it('keeps the signed value verbatim (no encoding of the dot)', () => {
    expect(cookie.serialize(VALUE, true).split(';')[0]).toBe(`__Host-session=${VALUE}`);
  });
});

describe('clear', () => {
  it.each([
    [true, '__Host-session'],
    [false, 'session'],
  ])('secure=%s: empties %s with Max-Age=0 and the same attributes', (secure, name) => {
    // Act
    const setCookie = cookie.clear(secure);

    // Assess
    expect(setCookie.startsWith(`${name}=;`)).toBe(true);
    expect(setCookie).toContain('; Max-Age=0');
    expect(setCookie).toContain('; Path=/');
    expect(setCookie).toContain('; HttpOnly');
    expect(setCookie).toContain('; SameSite=Lax');
    expect(attributes(setCookie).includes('secure')).toBe(secure);
    expect(attributes(setCookie)).not.toContain('domain');
  });
});

describe('read', () => {
  it('returns the value of our cookie', () => {
    expect(cookie.read([`__Host-session=${VALUE}`], true)).toEqual([VALUE]);
    expect(cookie.read([`session=${VALUE}`], false)).toEqual([VALUE]);
  });

  it('returns every value when the name appears twice, in order', () => {
    expect(cookie.read(['__Host-session=first', 'theme=dark', '__Host-session=second'], true)).toEqual([
      'first',
      'second',
    ]);
  });

  it('ignores other names, including the other scheme’s name and look-alikes', () => {
    // Prepare
    const cookies = [
      'theme=dark',
      'session=plain',
      'xsession=nope',
      'session2=nope',
      '__Host-sessionx=nope',
      '__host-session=wrong-case',
    ];

    // Act & Assess
    expect(cookie.read(cookies, true)).toEqual([]);
    expect(cookie.read(['__Host-session=secure-only', 'session=plain'], false)).toEqual(['plain']);
  });

  it('returns nothing without cookies', () => {
    expect(cookie.read([], true)).toEqual([]);
  });

  it(`stops after ${MAX_SESSION_COOKIE_CANDIDATES} candidates`, () => {
    // Prepare
    const cookies = Array.from({ length: 50 }, (_, index) => `__Host-session=v${index}`);

    // Act
    const values = cookie.read(cookies, true);

    // Assess
    expect(values).toEqual(cookies.slice(0, MAX_SESSION_COOKIE_CANDIDATES).map((c) => c.split('=')[1]));
  });

  it('skips malformed entries and never throws', () => {
    // Prepare
    const cookies = [
      '',
      '=',
      ';;;',
      '__Host-session',
      'garbage without equals',
      '\u0000',
      '😀=😀',
      '%E0%A4%A=x',
      null,
      undefined,
      42,
      { name: '__Host-session' },
      '__Host-session=good',
    ] as unknown as string[];

    // Act
    const read = () => cookie.read(cookies, true);

    // Assess
    expect(read).not.toThrow();
    expect(read()).toEqual(['good']);
  });

  it('does not throw on a malformed percent-encoding in our own cookie', () => {
    expect(() => cookie.read(['__Host-session=%E0%A4%A'], true)).not.toThrow();
  });
});
