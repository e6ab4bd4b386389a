import type { Session } from './Session.js';
import type { SessionManager } from './SessionManager.js';
import type { SessionRequest } from './SessionScope.js';
import type { SessionData } from './store/SessionStore.js';
import { type SessionMiddlewareOptions, sessionOpener } from './withSession.js';

export type { SessionMiddlewareOptions } from './withSession.js';

/**
 * The request store the middleware fills, as Powertools' `Router` types it: with
 * `new Router<SessionEnv>()` (or `SessionEnv<YourData>`), `reqCtx.get('session')` and
 * `sessionOf(reqCtx)` give a typed `Session`.
 */
export type SessionEnv<Data extends object = SessionData> = {
  store: { request: { session: Session<Data> } };
};

/**
 * The part of the Router's request context (`reqCtx`) the middleware uses. Declared here rather
 * than imported: the library needs `@aws-lambda-powertools/event-handler` neither to build nor to
 * type-check, and the Router's own `RequestContext` is assignable to it.
 */
export interface SessionRequestContext<Data extends object = SessionData> {
  /** The request, as the Router made it a Web `Request`: its `cookie` header and its URL's scheme. */
  readonly req: { readonly url: string; readonly headers: { get(name: string): string | null } };
  /** The Lambda context: the time left, for the request's deadline. */
  readonly context?: { getRemainingTimeInMillis?: () => number };
  /** The response being made: the `Set-Cookie` values are appended to its headers after the handler. */
  res: Response;
  /** The Router's request store: the session goes in under `session`. */
  set(key: 'session', value: Session<Data>): void;
}

/** A Router middleware, as `app.use()` and a route's middleware list take it. */
export type SessionMiddleware<Data extends object = SessionData> = (args: {
  reqCtx: SessionRequestContext<Data>;
  next: () => Promise<unknown>;
}) => Promise<void>;

/**
 * A middleware for the HTTP `Router` of Powertools for AWS Lambda
 * (`@aws-lambda-powertools/event-handler/http`): opens the request's session into the request
 * store (`reqCtx.get('session')`, or `sessionOf(reqCtx)`) before the handler, commits it after,
 * and appends the `Set-Cookie` values to the response's headers, which the Router turns into the
 * event source's own form. When the handler (or a later middleware) throws, nothing is committed
 * and the error goes on to the Router's error handlers; so do the library's errors from the load
 * or the commit (a commit that fails drops the handler's response, headers included, as if the
 * handler had thrown). The same lifecycle as `withSession` (`SessionScope`).
 * @example
 * const app = new Router<SessionEnv>();
 * app.use(sessionMiddleware(sessions));
 * app.get('/', (reqCtx) => ({ username: sessionOf(reqCtx).get('username') ?? null }));
 */
export function sessionMiddleware<Data extends object = SessionData>(
  sessions: SessionManager<Data>,
  options: SessionMiddlewareOptions = {},
): SessionMiddleware<Data> {
  const openSession = sessionOpener(options);
  return async ({ reqCtx, next }) => {
    const scope = sessions.open(sessionRequestOf(reqCtx.req), reqCtx.context, options);
    try {
      reqCtx.set('session', await openSession(scope));
      // The response before the handler: a failed commit puts it back, as a handler's error finds it.
      const beforeHandler = reqCtx.res;
      await next();
      let setCookies: string[];
      try {
        setCookies = await scope.commit();
      } catch (error) {
        reqCtx.res = beforeHandler;
        throw error;
      }
      reqCtx.res = withSetCookies(reqCtx.res, setCookies);
    } finally {
      scope.end();
    }
  };
}

/**
 * The request's session, as the middleware put it in the request store. Throws a `TypeError`
 * when there is none: the middleware did not run for this route.
 * @example app.post('/logout', (reqCtx) => { sessionOf(reqCtx).destroy(); ... });
 */
export function sessionOf<Data extends object = SessionData>(reqCtx: {
  get(key: 'session'): Session<Data> | undefined;
}): Session<Data> {
  const session = reqCtx.get('session');
  if (session === undefined) {
    throw new TypeError(
      'no session on this request: add sessionMiddleware(sessions) to the Router or to the route',
    );
  }
  return session;
}

/**
 * The session's view of the Router's Web `Request`: the `cookie` header as `name=value` entries,
 * and whether the client used HTTPS (the URL's scheme, which the Router takes from
 * `x-forwarded-proto`, `https` without one: API Gateway and function URLs always are). Several
 * `Cookie` headers reach the `Request` joined by `; ` (Node's `Headers` joins that one so). Never
 * throws.
 */
function sessionRequestOf(req: SessionRequestContext['req']): SessionRequest {
  const header = req.headers.get('cookie') ?? '';
  const cookies = header
    .split(';')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return { cookies, secure: !/^http:/i.test(req.url) };
}

/**
 * `res` with `setCookies` appended, one `Set-Cookie` header each. The Router's responses take
 * them in place; one whose headers are immutable (a `Response.redirect()` a later middleware put
 * there) is copied with them.
 */
function withSetCookies(res: Response, setCookies: readonly string[]): Response {
  if (setCookies.length === 0) return res;
  try {
    for (const value of setCookies) res.headers.append('set-cookie', value);
    return res;
  } catch {
    const headers = new Headers(res.headers);
    for (const value of setCookies) headers.append('set-cookie', value);
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  }
}
