import type { HttpResponse } from '../../lambda/http/response';
import { formEvent } from '../../lib/local/httpApiEvents';
import type { TestClock } from './clock';
import { cookieFrom, sessionSetCookie } from './responses';
import type { TestApp } from './testApp';

/** User agents of the browsers the sessions tests log in from (their device labels differ). */
export const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
export const SAFARI_IOS =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

let counter = 0;
/** A distinct user name per test, so tests never see each other's sessions. */
export function uniqueUser(name: string): string {
  return `${name}-${++counter}`;
}

/**
 * Logs `username` in through the app's login handler from a browser with `userAgent`, `stepMs`
 * after the previous step on `clock`, with "Keep me signed in" ticked when `keep`; returns the
 * session cookie (`name=value`).
 */
export async function logIn(
  app: TestApp,
  clock: TestClock,
  username: string,
  {
    userAgent = FIREFOX,
    stepMs,
    keep = false,
  }: { userAgent?: string | undefined; stepMs: number; keep?: boolean },
): Promise<string> {
  clock.advance(stepMs);
  const fields: Record<string, string> = keep ? { username, remember: 'on' } : { username };
  const response = await app.login(formEvent('/login', fields, { headers: { 'user-agent': userAgent } }));
  expect(response.statusCode).toBe(303);
  return cookieFrom(response);
}

/**
 * The session cookie (`name=value`) a browser holds after `response`, given the one it held: the
 * response's when it sets a new one, none when it clears it (`Max-Age=0`), else the same.
 * @example cookie = cookieAfter(cookie, await app.index(httpEvent({ cookies: [cookie] })));
 */
export function cookieAfter(held: string | undefined, response: HttpResponse): string | undefined {
  const setCookie = sessionSetCookie(response);
  if (setCookie === undefined) return held;
  return /;\s*max-age=0(;|$)/i.test(setCookie) ? undefined : setCookie.split(';')[0];
}

/** The text of a page's flashed messages (its status region), tags and spacing dropped; '' for none. */
export function flashesShown(response: HttpResponse): string {
  const region = /<div class="flashes" role="status" aria-live="polite">([\s\S]*?)<\/div>/.exec(
    response.body,
  );
  return region
    ? region[1]
        .replace(/<[^>]*>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim()
    : '';
}
