import type { UserSessions } from '@lambda-sessions/dynamodb';
import { DEFAULT_SESSION_LIST_LIMIT } from '@lambda-sessions/dynamodb/table';
import { type Route, type RouteContext, unmatchedRouteError } from '../app/lambdaHandler.js';
import { refuseCrossSite } from '../http/crossSite.js';
import { readForm } from '../http/form.js';
import { HttpError } from '../http/HttpError.js';
import { sessionsPage } from '../http/pages.js';
import type { HttpRequest } from '../http/request.js';
import { type HttpResponse, htmlResponse, redirect } from '../http/response.js';
import { logOutBrowser } from './logOutBrowser.js';

/** What the revoke form's `session` field may hold besides `others`: a public id's characters. */
const PUBLIC_ID_FIELD = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The user's sessions, in the one function granted the owner index (Query) and deletes:
 * - `GET /sessions`: the list (one `GetItem`, one index `Query`); anonymous: 303 to `/login`;
 * - `POST /sessions/revoke`: `session=<public id>` logs out that session, `session=others` all
 *   but this one; then 303 to `/sessions`. Same-site, form-encoded, logged in only;
 * - `POST /logout`: with `scope=everywhere` deletes every session of the user, this one
 *   included; otherwise as `GET /logout`. Then the cookie is cleared and 303 to `/`.
 */
export const sessionsRoute: Route = {
  name: 'sessions',
  async handle(request, context) {
    const users = context.users;
    if (users === undefined) throw new Error('the sessions function needs the owner index (UserSessions)');
    if (request.method === 'POST' && request.path === '/logout') return logOutScoped(request, context, users);
    if (request.method === 'POST' && request.path === '/sessions/revoke')
      return revoke(request, context, users);
    if (request.method === 'GET' && request.path === '/sessions') return listPage(request, context, users);
    throw unmatchedRouteError(request.path);
  },
};

async function listPage(
  request: HttpRequest,
  { scope }: RouteContext,
  users: UserSessions,
): Promise<HttpResponse> {
  const session = await scope.load();
  // Committed before the list is read: a session logged out meanwhile lists nothing.
  await scope.commit();
  const username = session.get('username');
  // Sessions from before owners were recorded are not in the index: logging in again lists them.
  if (typeof username !== 'string' || session.owner === undefined) return redirect('/login');
  const list = await users.list(session.owner, { limit: DEFAULT_SESSION_LIST_LIMIT, signal: request.signal });
  return htmlResponse(200, sessionsPage(username, list, session.publicId));
}

async function revoke(
  request: HttpRequest,
  { scope, log }: RouteContext,
  users: UserSessions,
): Promise<HttpResponse> {
  refuseCrossSite(request, 'form posts');
  const target = readForm(request).get('session');
  if (target === undefined || !(target === 'others' || PUBLIC_ID_FIELD.test(target))) {
    log.outcome = 'invalid-revoke';
    throw new HttpError(400, 'Choose a session from the list to log out.');
  }
  const session = await scope.load();
  const owner = session.owner;
  if (owner === undefined) return redirect('/login');
  if (target === 'others') {
    log.revoked = await users.revokeAll(owner, { except: session.publicId, signal: request.signal });
  } else if (target === session.publicId) {
    // This device's own id (the page offers no form for it): an ordinary logout, cookie cleared.
    session.destroy();
    log.revoked = 1;
  } else {
    // An id that is not one of this user's sessions deletes nothing (every delete is conditional on the owner).
    log.revoked = (await users.revoke(owner, target, { signal: request.signal })) ? 1 : 0;
  }
  return redirect('/sessions');
}

async function logOutScoped(
  request: HttpRequest,
  { scope, log }: RouteContext,
  users: UserSessions,
): Promise<HttpResponse> {
  refuseCrossSite(request, 'logout requests');
  // Only a form may ask for more than this browser; a bare POST logs out as the link does.
  const isForm = /^\s*application\/x-www-form-urlencoded\s*(;|$)/i.test(
    request.headers['content-type'] ?? '',
  );
  if (!isForm || readForm(request).get('scope') !== 'everywhere') return logOutBrowser(request, scope);
  const session = await scope.load();
  const owner = session.owner;
  if (owner !== undefined) log.revoked = await users.revokeAll(owner, { signal: request.signal });
  // Deletes this session too, should the index not show it yet, and clears the cookie.
  session.destroy();
  return redirect('/');
}
