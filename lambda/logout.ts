import { createLambdaHandler, type Route } from './app/lambdaHandler.js';
import { isCrossSiteRequest } from './http/crossSite.js';
import { HttpError } from './http/HttpError.js';
import { redirect } from './http/response.js';

/** `GET`/`POST /logout` from this site: deletes the session item (no read) and clears the cookie, then 303 to `/`. */
export const logoutRoute: Route = {
  name: 'logout',
  async handle(request, { sessions }) {
    // GET too: SameSite=Lax sends the cookie on a cross-site link, so another site could log users out.
    if (isCrossSiteRequest(request.headers))
      throw new HttpError(403, 'Cross-site logout requests are not accepted.');
    const session = await sessions.attach(request);
    session.destroy();
    const cookies = await sessions.commit(session, request);
    return redirect('/', cookies);
  },
};

export const handler = createLambdaHandler(logoutRoute);
