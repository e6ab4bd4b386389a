import type { Context } from 'aws-lambda';
import {
  type LambdaHttpEvent,
  type LambdaHttpResult,
  resultWithCookies,
  sessionRequestFromEvent,
} from './httpEvents.js';
import type { Session } from './Session.js';
import type { SessionManager } from './SessionManager.js';
import type { SessionScope } from './SessionScope.js';
import type { SessionData } from './store/SessionStore.js';
import { type SessionMiddlewareOptions, sessionOpener } from './withSession.js';

export type { SessionMiddlewareOptions } from './withSession.js';

/** The handler's context once the middleware ran: `context.session`. */
export interface SessionContext<Data extends object = SessionData> extends Context {
  session: Session<Data>;
}

/**
 * What the handler may return for `Event`: its source's structured result, or a bare body
 * (payload 2.0's 200 JSON; made into that result for the other sources, which take none).
 */
export type SessionHandlerResult<Event extends LambdaHttpEvent = LambdaHttpEvent> =
  | LambdaHttpResult<Event>
  | string
  | undefined
  | null;

/**
 * The part of Middy's request object the middleware uses. Declared here rather than imported:
 * `@middy/core` ships ES modules only, and this way the library needs it neither to build nor to
 * type-check; Middy's own `Request` is assignable to it, for any `LambdaHttpEvent`.
 */
export interface SessionMiddlewareRequest<Data extends object = SessionData> {
  event: LambdaHttpEvent;
  context: SessionContext<Data>;
  response: SessionHandlerResult;
}

/** A Middy middleware object (`before`/`after`/`onError`), as `middy().use()` takes it. */
export interface SessionMiddleware<Data extends object = SessionData> {
  before: (request: SessionMiddlewareRequest<Data>) => Promise<void>;
  after: (request: SessionMiddlewareRequest<Data>) => Promise<void>;
  /** Only ends the request's deadline: the error goes on to your own error handling. */
  onError: (request: SessionMiddlewareRequest<Data>) => Promise<void>;
}

/**
 * A Middy middleware for Lambda HTTP handlers of any source (`LambdaHttpEvent`): loads the session
 * into `context.session` before the handler, commits it after, and puts the `Set-Cookie` values
 * where the event's source wants them (`resultWithCookies`). When the handler (or a later
 * middleware) throws, nothing is committed and the error goes to your own error handling; so do
 * the library's errors thrown by the load or the commit. The same lifecycle as `withSession`
 * (`SessionScope`), driven by Middy's steps.
 * @example
 * export const handler = middy<ALBEvent, SessionHandlerResult<ALBEvent>, Error, SessionContext>()
 *   .use(sessionMiddleware(sessions))
 *   .handler(async (_event, { session }) => ({ statusCode: 200, body: String(session.get('username')) }));
 */
export function sessionMiddleware<Data extends object = SessionData>(
  sessions: SessionManager<Data>,
  options: SessionMiddlewareOptions = {},
): SessionMiddleware<Data> {
  const openSession = sessionOpener(options);
  // Each request's scope, from `before` to the end of `after` or `onError`.
  const scopes = new WeakMap<SessionMiddlewareRequest<Data>, SessionScope<Data>>();
  return {
    before: async (request) => {
      const scope = sessions.open(sessionRequestFromEvent(request.event), request.context, options);
      scopes.set(request, scope);
      request.context.session = await openSession(scope);
    },
    after: async (request) => {
      const scope = scopes.get(request);
      if (scope === undefined) return;
      scopes.delete(request);
      try {
        request.response = resultWithCookies(request.event, request.response, await scope.commit());
      } finally {
        scope.end();
      }
    },
    onError: async (request) => {
      scopes.get(request)?.end();
      scopes.delete(request);
    },
  };
}
