import { parse, serialize } from 'cookie';
import { INSECURE_COOKIE_NAME, MAX_SESSION_COOKIE_CANDIDATES, SECURE_COOKIE_NAME } from './constants';

export interface SessionCookieOptions {
  /** Over HTTPS: `Secure` and the `__Host-` prefix. */
  secure: boolean;
  /** Omit for a browser-session cookie. */
  maxAgeSeconds?: number | undefined;
}

/** The cookie's name: `__Host-session` over HTTPS, `session` over plain HTTP. */
export function sessionCookieName(secure: boolean): string {
  return secure ? SECURE_COOKIE_NAME : INSECURE_COOKIE_NAME;
}

/**
 * Every value sent under the session cookie's name, in order, at most a few.
 * A browser can hold the name twice (different paths, a planted cookie), so all are candidates.
 * Never throws: a malformed entry is skipped.
 */
export function readSessionCookieValues(cookies: readonly string[], secure: boolean): string[] {
  const name = sessionCookieName(secure);
  const values: string[] = [];
  for (const entry of cookies) {
    if (values.length === MAX_SESSION_COOKIE_CANDIDATES) break;
    if (typeof entry !== 'string' || !entry.trimStart().startsWith(`${name}=`)) continue;
    const value = parse(entry)[name];
    if (value !== undefined) values.push(value);
  }
  return values;
}

/** `Set-Cookie` value carrying a signed session id. */
export function serializeSessionCookie(value: string, options: SessionCookieOptions): string {
  return serialize(sessionCookieName(options.secure), value, {
    httpOnly: true,
    path: '/',
    sameSite: 'lax',
    secure: options.secure,
    ...(options.maxAgeSeconds === undefined ? {} : { maxAge: options.maxAgeSeconds }),
  });
}

/** `Set-Cookie` value that removes the session cookie. */
export function clearSessionCookie(secure: boolean): string {
  return serialize(sessionCookieName(secure), '', {
    httpOnly: true,
    path: '/',
    sameSite: 'lax',
    secure,
    maxAge: 0,
  });
}
