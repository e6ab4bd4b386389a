import { loginEvent } from '../../lib/local/httpApiEvents';
import type { TestClock } from './clock';
import { cookieFrom } from './responses';
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
 * after the previous step on `clock`; returns the session cookie (`name=value`).
 */
export async function logIn(
  app: TestApp,
  clock: TestClock,
  username: string,
  { userAgent = FIREFOX, stepMs }: { userAgent?: string | undefined; stepMs: number },
): Promise<string> {
  clock.advance(stepMs);
  const response = await app.login(loginEvent(username, { headers: { 'user-agent': userAgent } }));
  expect(response.statusCode).toBe(303);
  return cookieFrom(response);
}
