import { MAX_SESSION_COOKIE_CANDIDATES } from '../../lambda/session/constants';
import {
  clearSessionCookie,
  readSessionCookieValues,
  serializeSessionCookie,
  sessionCookieName,
} from '../../lambda/session/sessionCookie';

const VALUE = 'dG9rZW4.c2lnbmF0dXJl';

/** The attributes of a Set-Cookie value, lower-cased names, in order. */
function attributes(setCookie: string): string[] {
  return setCookie
    .split(';')
    .slice(1)
    .map((part) => part.trim().split('=')[0].toLowerCase());
}

describe('sessionCookieName', () => {
  it('uses the __Host- prefix only over HTTPS', () => {
    expect(sessionCookieName(true)).toBe('__Host-session');
    expect(sessionCookieName(false)).toBe('session');
  });
});

describe('serializeSessionCookie', () => {
  it('over HTTPS: __Host-session, Secure, HttpOnly, Path=/, SameSite=Lax, no Domain, no Max-Age', () => {
    // Act
    const cookie = serializeSessionCookie(VALUE, { secure: true });

    // Assess
    expect(cookie.startsWith(`__Host-session=${VALUE};`)).toBe(true);
    expect(cookie).toContain('; Secure');
    expect(cookie).toContain('; HttpOnly');
    expect(cookie).toContain('; Path=/');
    expect(cookie).toContain('; SameSite=Lax');
    expect(attributes(cookie)).not.toContain('domain');
    expect(attributes(cookie)).not.toContain('max-age');
    expect(attributes(cookie)).not.toContain('expires');
  });

  it('over plain HTTP: the bare name and no Secure (a browser would drop it)', () => {
    // Act
    const cookie = serializeSessionCookie(VALUE, { secure: false });

    // Assess
    expect(cookie.startsWith(`session=${VALUE};`)).toBe(true);
    expect(attributes(cookie)).not.toContain('secure');
    expect(cookie).toContain('; HttpOnly');
    expect(cookie).toContain('; Path=/');
    expect(cookie).toContain('; SameSite=Lax');
    expect(attributes(cookie)).not.toContain('domain');
    expect(attributes(cookie)).not.toContain('max-age');
  });

  it('adds Max-Age only when configured', () => {
    expect(serializeSessionCookie(VALUE, { secure: true, maxAgeSeconds: 3600 })).toContain('; Max-Age=3600');
    expect(serializeSessionCookie(VALUE, { secure: true, maxAgeSeconds: undefined })).not.toContain(
      'Max-Age',
    );
  });

  it('keeps the signed value verbatim (no encoding of the dot)', () => {
    expect(serializeSessionCookie(VALUE, { secure: true }).split(';')[0]).toBe(`__Host-session=${VALUE}`);
  });
});

describe('clearSessionCookie', () => {
  it.each([
    [true, '__Host-session'],
    [false, 'session'],
  ])('secure=%s: empties %s with Max-Age=0 and the same attributes', (secure, name) => {
    // Act
    const cookie = clearSessionCookie(secure);

    // Assess
    expect(cookie.startsWith(`${name}=;`)).toBe(true);
    expect(cookie).toContain('; Max-Age=0');
    expect(cookie).toContain('; Path=/');
    expect(cookie).toContain('; HttpOnly');
    expect(cookie).toContain('; SameSite=Lax');
    expect(attributes(cookie).includes('secure')).toBe(secure);
    expect(attributes(cookie)).not.toContain('domain');
  });
});

describe('readSessionCookieValues', () => {
  it('returns the value of our cookie', () => {
    expect(readSessionCookieValues([`__Host-session=${VALUE}`], true)).toEqual([VALUE]);
    expect(readSessionCookieValues([`session=${VALUE}`], false)).toEqual([VALUE]);
  });

  it('returns every value when the name appears twice, in order', () => {
    expect(
      readSessionCookieValues(['__Host-session=first', 'theme=dark', '__Host-session=second'], true),
    ).toEqual(['first', 'second']);
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
    expect(readSessionCookieValues(cookies, true)).toEqual([]);
    expect(readSessionCookieValues(['__Host-session=secure-only', 'session=plain'], false)).toEqual([
      'plain',
    ]);
  });

  it('returns nothing without cookies', () => {
    expect(readSessionCookieValues([], true)).toEqual([]);
  });

  it(`stops after ${MAX_SESSION_COOKIE_CANDIDATES} candidates`, () => {
    // Prepare
    const cookies = Array.from({ length: 50 }, (_, index) => `__Host-session=v${index}`);

    // Act
    const values = readSessionCookieValues(cookies, true);

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
    const read = () => readSessionCookieValues(cookies, true);

    // Assess
    expect(read).not.toThrow();
    expect(read()).toEqual(['good']);
  });

  it('does not throw on a malformed percent-encoding in our own cookie', () => {
    expect(() => readSessionCookieValues(['__Host-session=%E0%A4%A'], true)).not.toThrow();
  });
});
