import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type RequestDeadline, requestDeadline } from './abort.js';
import { DEFAULT_DEADLINE_MARGIN_MS } from './constants.js';
import { sessionRequestFromEvent } from './httpApiEvent.js';
import type { Session } from './Session.js';
import type { SessionManager } from './SessionManager.js';

/** The handler's context once the middleware ran: `context.session`. */
export interface SessionContext extends Context {
  session: Session;
}

export type SessionHandlerResult = APIGatewayProxyStructuredResultV2 | string | undefined | null;

/**
 * The part of Middy's request object the middleware uses. Declared here rather than imported:
 * `@middy/core` ships ES modules only, and this way the library needs it neither to build nor to
 * type-check; Middy's own `Request` is assignable to it.
 */
export interface SessionMiddlewareRequest {
  event: APIGatewayProxyEventV2;
  context: SessionContext;
  response: SessionHandlerResult;
}

/** A Middy middleware object (`before`/`after`/`onError`), as `middy().use()` takes it. */
export interface SessionMiddleware {
  before: (request: SessionMiddlewareRequest) => Promise<void>;
  after: (request: SessionMiddlewareRequest) => Promise<void>;
  /** Only ends the request's deadline: the error goes on to your own error handling. */
  onError: (request: SessionMiddlewareRequest) => Promise<void>;
}

export interface SessionMiddlewareOptions {
  /**
   * `load` (the default) reads the session before the handler: one `GetItem` when a cookie verifies.
   * `attach` reads nothing: enough for a handler that only calls `destroy()` or
   * `regenerate()` + `clear()` + `set()`, and `get` on it throws.
   */
  mode?: 'load' | 'attach';
  /**
   * The session's calls run under a deadline: the function's remaining time less this margin,
   * kept to answer. A store that hangs then fails the load or commit with
   * `SessionUnavailableError` in time for your error handling to answer. @default 500
   */
  deadlineMarginMs?: number;
}

/**
 * A Middy middleware for API Gateway HTTP API handlers: loads the session into `context.session`
 * before the handler, commits it after, and appends the `Set-Cookie` values to the response's
 * `cookies`. When the handler (or a later middleware) throws, nothing is committed and the error
 * goes to your own error handling; so do the library's errors thrown by the load or the commit.
 * @example
 * export const handler = middy<APIGatewayProxyEventV2, SessionHandlerResult, Error, SessionContext>()
 *   .use(sessionMiddleware(sessions))
 *   .handler(async (_event, { session }) => ({ statusCode: 200, body: String(session.get('username')) }));
 */
export function sessionMiddleware(
  sessions: SessionManager,
  options: SessionMiddlewareOptions = {},
): SessionMiddleware {
  const mode = options.mode ?? 'load';
  if (mode !== 'load' && mode !== 'attach') {
    throw new TypeError(`mode: expected 'load' or 'attach', got ${JSON.stringify(mode)}`);
  }
  const margin = options.deadlineMarginMs ?? DEFAULT_DEADLINE_MARGIN_MS;
  if (!(Number.isFinite(margin) && margin >= 0)) {
    throw new TypeError(`deadlineMarginMs: expected a number of milliseconds, got ${margin}`);
  }
  // One deadline per request, from `before` to the end of `after` or `onError`.
  const deadlines = new WeakMap<SessionMiddlewareRequest, RequestDeadline>();
  const end = (request: SessionMiddlewareRequest) => {
    deadlines.get(request)?.clear();
    deadlines.delete(request);
  };
  return {
    before: async (request) => {
      const deadline = requestDeadline(request.context, margin);
      deadlines.set(request, deadline);
      const loaded = { ...sessionRequestFromEvent(request.event), signal: deadline.signal };
      request.context.session = mode === 'load' ? await sessions.load(loaded) : await sessions.attach(loaded);
    },
    after: async (request) => {
      try {
        const committed = {
          ...sessionRequestFromEvent(request.event),
          signal: deadlines.get(request)?.signal,
        };
        const setCookies = await sessions.commit(request.context.session, committed);
        request.response = withCookies(request.response, setCookies);
      } finally {
        end(request);
      }
    },
    onError: async (request) => end(request),
  };
}

/** The result with `setCookies` appended to its `cookies`; a bare string becomes what API Gateway makes of it. */
function withCookies(response: SessionHandlerResult, setCookies: string[]): SessionHandlerResult {
  if (setCookies.length === 0) return response;
  const structured: APIGatewayProxyStructuredResultV2 =
    typeof response === 'string' || response === undefined || response === null
      ? // API Gateway reads a bare string (or nothing) as a 200 JSON body.
        { statusCode: 200, headers: { 'content-type': 'application/json' }, body: response ?? '' }
      : response;
  return { ...structured, cookies: [...(structured.cookies ?? []), ...setCookies] };
}
