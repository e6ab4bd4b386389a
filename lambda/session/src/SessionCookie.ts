import { parse, serialize } from 'cookie';
import { DEFAULT_COOKIE_NAME, HOST_PREFIX, MAX_SESSION_COOKIE_CANDIDATES } from './constants.js';

export interface SessionCookieOptions {
  /** The cookie's name; over HTTPS it is sent as `__Host-<name>` unless `hostPrefix` is false. @default 'session' */
  name?: string;
  /** @default 'lax' */
  sameSite?: 'lax' | 'strict' | 'none';
  /** The cookie's lifetime in seconds. @default undefined - a browser-session cookie */
  maxAgeSeconds?: number;
  /**
   * Over HTTPS, prefix the name with `__Host-`: the browser then accepts the cookie only with
   * `Secure`, `Path=/` and no `Domain`, so no subdomain can plant or overwrite it. @default true
   */
  hostPrefix?: boolean;
}

/** RFC 6265 token characters: what a cookie name may hold. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const SAME_SITE = ['lax', 'strict', 'none'] as const;

/**
 * The session cookie's name and attributes: `HttpOnly`, `Path=/`, `SameSite`, and over HTTPS
 * `Secure` (and the `__Host-` prefix). Options are checked once, each bad one a `TypeError` naming it.
 * @example
 * const cookie = new SessionCookie({ sameSite: 'strict' });
 * cookie.serialize('token.signature', true); // '__Host-session=token.signature; Path=/; HttpOnly; Secure; SameSite=Strict'
 */
export class SessionCookie {
  private readonly name: string;
  private readonly sameSite: 'lax' | 'strict' | 'none';
  private readonly maxAgeSeconds: number | undefined;
  private readonly hostPrefix: boolean;

  constructor(options: SessionCookieOptions = {}) {
    const { name = DEFAULT_COOKIE_NAME, sameSite = 'lax', maxAgeSeconds, hostPrefix = true } = options;
    if (typeof name !== 'string' || !COOKIE_NAME.test(name) || /^__(host|secure)-/i.test(name)) {
      throw new TypeError(
        `cookie.name: expected a cookie name without a __Host-/__Secure- prefix, got ${JSON.stringify(name)}`,
      );
    }
    if (!SAME_SITE.includes(sameSite)) {
      throw new TypeError(
        `cookie.sameSite: expected 'lax', 'strict' or 'none', got ${JSON.stringify(sameSite)}`,
      );
    }
    if (maxAgeSeconds !== undefined && !(Number.isSafeInteger(maxAgeSeconds) && maxAgeSeconds > 0)) {
      throw new TypeError(`cookie.maxAgeSeconds: expected a positive whole number, got ${maxAgeSeconds}`);
    }
    if (typeof hostPrefix !== 'boolean') throw new TypeError('cookie.hostPrefix: expected true or false');
    this.name = name;
    this.sameSite = sameSite;
    this.maxAgeSeconds = maxAgeSeconds;
    this.hostPrefix = hostPrefix;
  }

  /** The name the cookie is sent under: `__Host-session` over HTTPS, `session` over plain HTTP. */
  nameFor(secure: boolean): string {
    return secure && this.hostPrefix ? `${HOST_PREFIX}${this.name}` : this.name;
  }

  /**
   * Every value sent under the cookie's name, in order, at most a few. A browser can hold the
   * name twice (different paths, a planted cookie), so all are candidates. Never throws.
   */
  read(cookies: readonly string[], secure: boolean): string[] {
    const name = this.nameFor(secure);
    const values: string[] = [];
    for (const entry of cookies) {
      if (values.length === MAX_SESSION_COOKIE_CANDIDATES) break;
      if (typeof entry !== 'string' || !entry.trimStart().startsWith(`${name}=`)) continue;
      const value = parse(entry)[name];
      if (value !== undefined) values.push(value);
    }
    return values;
  }

  /**
   * The `Set-Cookie` value carrying a signed session id; `maxAgeSeconds` (a permanent session's
   * remaining lifetime) overrides the option's.
   */
  serialize(value: string, secure: boolean, maxAgeSeconds: number | undefined = this.maxAgeSeconds): string {
    return serialize(this.nameFor(secure), value, {
      ...this.attributes(secure),
      ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }),
    });
  }

  /** The `Set-Cookie` value that removes the cookie. */
  clear(secure: boolean): string {
    return serialize(this.nameFor(secure), '', { ...this.attributes(secure), maxAge: 0 });
  }

  private attributes(secure: boolean) {
    return { httpOnly: true, path: '/', sameSite: this.sameSite, secure } as const;
  }
}
