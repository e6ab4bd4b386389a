import { SessionError, type UserSessions } from '@lambda-sessions/dynamodb';
import { DEFAULT_SESSION_LIST_LIMIT } from '@lambda-sessions/dynamodb/table';
import { type Route, type RouteContext, unmatchedRouteError } from '../app/lambdaHandler.js';
import { refuseCrossSite } from '../http/crossSite.js';
import { readForm } from '../http/form.js';
import { HttpError } from '../http/HttpError.js';
import { partialLogoutPage, sessionsPage } from '../http/pages.js';
import type { HttpRequest } from '../http/request.js';
import { type HttpResponse, htmlResponse, redirect } from '../http/response.js';
import { endSession, logOutBrowser } from './logOutBrowser.js';

/** What the revoke form's `session` field may hold besides `others`: a public id's characters. */
const PUBLIC_ID_FIELD = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * How long "log out other devices" and "log out everywhere" may go on revoking, counted from the
 * start of the route: then no new index page or batch of deletes starts, and the page says what
 * is left. The function has 15 s (lib/SessionsStack.ts) and its deadline is 500 ms before that, so
 * the calls under way when the budget ends (each at most three 1 s attempts) still fit in it; the
 * deadline stops whatever would not.
 */
export const REVOKE_BUDGET_MS = 5000;

/** What is left of the revoke budget for a route that started at `started` (`performance.now()`). */
function budgetLeft(started: number): number {
  return Math.max(0, REVOKE_BUDGET_MS - (performance.now() - started));
}

/** The flash after "Log out other devices" signed out `revoked` sessions and finished. */
export function othersSignedOutMessage(revoked: number): string {
  if (revoked === 0) return 'No other devices were signed in.';
  return `Signed out ${revoked} other ${revoked === 1 ? 'device' : 'devices'}.`;
}

/** The flash when "Log out other devices" ran out of time after signing out `revoked` sessions. */
export function othersIncompleteMessage(revoked: number): string {
  const done =
    revoked === 0
      ? 'The other devices could not all be signed out in time.'
      : `Signed out ${revoked} other ${revoked === 1 ? 'device' : 'devices'}; some may still be signed in.`;
  return `${done} Choose Log out other devices again to finish.`;
}

/** The flash after one session was revoked: its device label, when the listing gave one. */
export function deviceSignedOutMessage(device: string | undefined): string {
  return device ? `Signed out ${device}.` : 'Signed out 1 other device.';
}

/** The flash when the session to revoke was not (or no longer) one of the user's. */
export const ALREADY_SIGNED_OUT_MESSAGE = 'That device was already signed out.';

/**
 * The user's sessions, in the one function granted the owner index (Query) and deletes:
 * - `GET /sessions`: the flashed messages (taken), then the list (one `GetItem`, one index
 *   `Query`, a write only to take flashes or refresh); anonymous: 303 to `/login`;
 * - `POST /sessions/revoke`: `session=<public id>` logs out that session (flashing its device
 *   label), `session=others` all but this one (flashing how many); then 303 to `/sessions`; this
 *   session's own id logs this browser out, 303 to `/`. Same-site, form-encoded, logged in only;
 * - `POST /logout`: with `scope=everywhere` deletes this session (flashing "You were logged out.":
 *   the anonymous session holding it replaces the cookie), then every other session of the user,
 *   within `REVOKE_BUDGET_MS`: 303 to `/` when all are gone, else a page that says some may be
 *   left. Otherwise as `GET /logout`.
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
  const listable = (): boolean => typeof session.get('username') === 'string' && session.owner !== undefined;
  // Taken only when this page will show them: a visitor sent to /login keeps theirs for `/`.
  const flashes = listable() ? session.flashedMessages() : [];
  // Committed before the list is read: a session logged out meanwhile lists nothing.
  await scope.commit();
  const username = session.get('username');
  const owner = session.owner;
  // Sessions from before owners were recorded are not in the index: logging in again lists them.
  if (typeof username !== 'string' || owner === undefined) return redirect('/login');
  const list = await users.list(owner, { limit: DEFAULT_SESSION_LIST_LIMIT, signal: request.signal });
  return htmlResponse(200, sessionsPage(username, list, session.publicId, flashes));
}

async function revoke(
  request: HttpRequest,
  { scope, log }: RouteContext,
  users: UserSessions,
): Promise<HttpResponse> {
  const started = performance.now();
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
    const { revoked, complete } = await users.revokeAllWithin(owner, {
      except: session.publicId,
      signal: request.signal,
      budgetMs: budgetLeft(started),
    });
    log.revoked = revoked;
    if (complete) {
      session.flash(othersSignedOutMessage(revoked));
    } else {
      // Out of time: the list it redirects to shows what is left, with the button to try again.
      log.revokeIncomplete = 'budget';
      session.flash(othersIncompleteMessage(revoked), 'warning');
    }
  } else if (target === session.publicId) {
    // This device's own id (the page offers no form for it): an ordinary logout, to the start
    // page that shows its "You were logged out.".
    endSession(session);
    log.revoked = 1;
    return redirect('/');
  } else {
    // Its device label as the list shows it, for the flash: read before the revoke removes it.
    const { sessions } = await users.list(owner, {
      limit: DEFAULT_SESSION_LIST_LIMIT,
      signal: request.signal,
    });
    const device = sessions.find((summary) => summary.publicId === target)?.device;
    // An id that is not one of this user's sessions deletes nothing (every delete is conditional on the owner).
    const revoked = await users.revoke(owner, target, { signal: request.signal });
    log.revoked = revoked ? 1 : 0;
    session.flash(revoked ? deviceSignedOutMessage(device) : ALREADY_SIGNED_OUT_MESSAGE);
  }
  return redirect('/sessions');
}

async function logOutScoped(
  request: HttpRequest,
  { scope, log }: RouteContext,
  users: UserSessions,
): Promise<HttpResponse> {
  const started = performance.now();
  refuseCrossSite(request, 'logout requests');
  // Only a form may ask for more than this browser; a bare POST logs out as the link does.
  const isForm = /^\s*application\/x-www-form-urlencoded\s*(;|$)/i.test(
    request.headers['content-type'] ?? '',
  );
  if (!isForm || readForm(request).get('scope') !== 'everywhere') return logOutBrowser(request, scope);
  const session = await scope.load();
  const { owner, publicId } = session;
  // This browser first, by its key whatever the index shows: its session is deleted and its
  // cookie replaced by an anonymous one holding "You were logged out." (the wrapper's commit adds
  // the same Set-Cookie) before the others are touched, so it is logged out even when they take
  // too long or the store fails.
  endSession(session);
  await scope.commit();
  if (owner === undefined) return redirect('/');
  try {
    const { revoked, complete } = await users.revokeAllWithin(owner, {
      except: publicId,
      signal: request.signal,
      budgetMs: budgetLeft(started),
    });
    log.revoked = revoked;
    if (complete) return redirect('/');
    log.revokeIncomplete = 'budget';
  } catch (error) {
    // The store failed or the deadline passed: the same page, not a 503 that would keep the
    // cleared cookie from the browser. A refusal for good (no permission) stays a 500.
    if (!(error instanceof SessionError && error.retryable)) throw error;
    log.revokeIncomplete = 'store';
    if (error.cause instanceof Error) log.revokeCause = error.cause.name;
  }
  // This device is logged out; some others may not be: the page says so, and how to finish.
  return htmlResponse(200, partialLogoutPage());
}
