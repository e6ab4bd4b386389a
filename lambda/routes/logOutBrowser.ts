import type { SessionScope } from '@lambda-sessions/dynamodb';
import { refuseCrossSite } from '../http/crossSite.js';
import type { HttpRequest } from '../http/request.js';
import { type HttpResponse, redirect } from '../http/response.js';

/**
 * Logs this browser out: deletes the session item (no read) and clears the cookie, then 303 to
 * `/`. `GET /logout` and a `POST /logout` without `scope=everywhere` both end here.
 */
export async function logOutBrowser(request: HttpRequest, scope: SessionScope): Promise<HttpResponse> {
  // GET too: SameSite=Lax sends the cookie on a cross-site link, so another site could log users out.
  refuseCrossSite(request, 'logout requests');
  (await scope.attach()).destroy();
  return redirect('/');
}
