import type { HttpResponse } from '../../lambda/http/response';
import { hashToken } from '../../lambda/session/src/tokens';

/** The session `Set-Cookie` value of a response (the one carrying `session=`), or undefined. */
export function sessionSetCookie(response: HttpResponse): string | undefined {
  const cookies = response.cookies.filter((cookie) => /^(__Host-)?session=/.test(cookie));
  if (cookies.length > 1) throw new Error(`more than one session cookie: ${cookies.join(' | ')}`);
  return cookies[0];
}

/** `name=value` of the response's session cookie, ready for `cookies` of the next event. */
export function cookieFrom(response: HttpResponse): string {
  const setCookie = sessionSetCookie(response);
  if (setCookie === undefined) throw new Error(`no session cookie in response ${response.statusCode}`);
  return setCookie.split(';')[0];
}

/** The cookie value (`token.signature`) of a `name=value` pair. */
export function cookieValue(pair: string): string {
  return pair.slice(pair.indexOf('=') + 1);
}

/** The token part of a `name=value` session cookie. */
export function tokenOf(pair: string): string {
  return cookieValue(pair).split('.')[0];
}

/** The DynamoDB key of the item behind a `name=value` session cookie. */
export function itemIdOf(pair: string): string {
  return hashToken(tokenOf(pair));
}

/** The username an index page shows, or undefined for the "not logged in" page. */
export function shownUsername(response: HttpResponse): string | undefined {
  const match = /<p>Logged in as (.*)<\/p>/.exec(response.body);
  if (match) return match[1];
  if (response.body.includes('<p>You are not logged in</p>')) return undefined;
  throw new Error(`not an index page (${response.statusCode}): ${response.body.slice(0, 200)}`);
}
