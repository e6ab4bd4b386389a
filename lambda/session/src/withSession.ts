import type { Context } from 'aws-lambda';
import {
  type LambdaHttpEvent,
  type LambdaHttpResult,
  resultWithCookies,
  sessionRequestFromEvent,
} from './httpEvents.js';
import type { Session } from './Session.js';
import type { SessionManager } from './SessionManager.js';
import { deadlineMargin, type SessionScope } from './SessionScope.js';
import type { SessionData } from './store/SessionStore.js';

/**
 * A plain Lambda HTTP handler with a session, for any source (`LambdaHttpEvent`: REST API, HTTP
 * API, load balancer, function URL): the session is opened before `handler` runs (`load`, the
 * default, reads it; `attach` does not), committed after it returns, and its `Set-Cookie` values
 * put where the event's source wants them (`resultWithCookies`). When `handler` throws, nothing is
 * committed and the error goes on. Store and key calls run under a deadline (the function's
 * remaining time less `deadlineMarginMs`, default 500), so a store that hangs fails with a
 * `SessionUnavailableError` in time to answer. The handler's `event` type picks the result type.
 * @example
 * export const handler = withSession(sessions, async (_event: ALBEvent, _context, session) => ({
 *   statusCode: 200,
 *   body: `Logged in as ${session.get('username')}`,
 * }));
 */
export function withSession<
  Data extends object = SessionData,
  Event extends LambdaHttpEvent = LambdaHttpEvent,
  Result extends LambdaHttpResult<Event> | string | undefined | null = LambdaHttpResult<Event>,
>(
  sessions: SessionManager<Data>,
  handler: (event: Event, context: Context, session: Session<Data>) => Result | Promise<Result>,
  options: { mode?: 'load' | 'attach'; deadlineMarginMs?: number } = {},
): (event: Event, context: Context) => Promise<Result | LambdaHttpResult<Event>> {
  const openSession = sessionOpener(options);
  return async (event, context) => {
    const scope = sessions.open(sessionRequestFromEvent(event), context, options);
    try {
      const session = await openSession(scope);
      const result = await handler(event, context, session);
      return resultWithCookies(event, result, await scope.commit());
    } finally {
      scope.end();
    }
  };
}

/**
 * The adapters' options checked once, when the handler is made (a typo in `mode` must not
 * silently read, or not read, the session; a bad `deadlineMarginMs` is refused), and how each
 * request's scope then opens its session: `load` or `attach`.
 */
export function sessionOpener(
  options: SessionMiddlewareOptions,
): <Data extends object>(scope: SessionScope<Data>) => Promise<Session<Data>> {
  const mode: unknown = options.mode === undefined ? 'load' : options.mode;
  if (mode !== 'load' && mode !== 'attach') {
    throw new TypeError(`mode: expected 'load' or 'attach', got ${JSON.stringify(mode)}`);
  }
  deadlineMargin(options.deadlineMarginMs);
  return (scope) => (mode === 'load' ? scope.load() : scope.attach());
}

/** The options of the Middy and Powertools middlewares (`withSession` takes the same). */
export interface SessionMiddlewareOptions {
  /**
   * `load` (the default) reads the session before the handler: one `GetItem` when a cookie verifies.
   * `attach` reads nothing: enough for a handler that only calls `destroy()`, or `regenerate()`
   * and `clear()` before `set()`; `get` on it throws.
   */
  mode?: 'load' | 'attach';
  /**
   * The session's calls run under a deadline: the function's remaining time less this margin,
   * kept to answer. A store that hangs then fails the load or commit with
   * `SessionUnavailableError` in time for your error handling to answer. @default 500
   */
  deadlineMarginMs?: number;
}
