import type { Session, SessionScope } from '@lambda-sessions/dynamodb';
import { refuseCrossSite } from '../http/crossSite.js';
import type { HttpRequest } from '../http/request.js';
import { type HttpResponse, redirect } from '../http/response.js';

/** The flash the start page shows after a logout, as in Flask's tutorial. */
export const LOGGED_OUT_MESSAGE = 'You were logged out.';

/**
 * Whether the request's cookie verified, so there was a session to end (alive or not). A logout
 * without one has nothing to tell: it flashes nothing, so it writes nothing.
 */
export function hadSessionCookie(session: Pick<Session, 'outcome'>): boolean {
  return session.outcome !== 'no-cookie' && session.outcome !== 'bad-signature';
}

/**
 * Ends `session` (deleted, cookie cleared at the commit) and, when there was one, flashes
 * "You were logged out.": the commit then leaves a new anonymous session holding only that
 * message, whose cookie replaces the old one, for the next page that shows flashes to take.
 */
export function endSession(session: Session): void {
  session.destroy();
  if (hadSessionCookie(session)) session.flash(LOGGED_OUT_MESSAGE);
}

/**
 * Logs this browser out: deletes the session item (no read), flashes "You were logged out."
 * when the cookie verified (else clears the cookie), then 303 to `/`. `GET /logout` and a
 * `POST /logout` without `scope=everywhere` both end here.
 */
export async function logOutBrowser(request: HttpRequest, scope: SessionScope): Promise<HttpResponse> {
  // GET too: SameSite=Lax sends the cookie on a cross-site link, so another site could log users out.
  refuseCrossSite(request, 'logout requests');
  endSession(await scope.attach());
  return redirect('/');
}
