import type { SessionManager } from '@lambda-sessions/dynamodb';
import { refuseCrossSite } from '../http/crossSite.js';
import type { HttpRequest } from '../http/request.js';
import { type HttpResponse, redirect } from '../http/response.js';

/**
 * Logs this browser out: deletes the session item (no read) and clears the cookie, then 303 to
 * `/`. `GET /logout` and a `POST /logout` without `scope=everywhere` both end here.
 */
export async function logOut(request: HttpRequest, sessions: SessionManager): Promise<HttpResponse> {
  // GET too: SameSite=Lax sends the cookie on a cross-site link, so another site could log users out.
  refuseCrossSite(request, 'logout requests');
  const session = await sessions.attach(request);
  session.destroy();
  const cookies = await sessions.commit(session, request);
  return redirect('/', cookies);
}
