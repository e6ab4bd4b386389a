import { createLambdaHandler, type Route } from './app/lambdaHandler';
import { isCrossSiteRequest } from './http/crossSite';
import { HttpError } from './http/HttpError';
import { redirect } from './http/response';

/** `GET`/`POST /logout` from this site: deletes the session item (no read) and clears the cookie, then 303 to `/`. */
export const logoutRoute: Route = {
  name: 'logout',
  methods: ['GET', 'POST'],
  async handle(request, { sessions, record }) {
    // GET too: SameSite=Lax sends the cookie on a cross-site link, so another site could log users out.
    if (isCrossSiteRequest(request.headers))
      throw new HttpError(403, 'Cross-site logout requests are not accepted.');
    const session = sessions.attach(request);
    session.destroy();
    const cookies = await sessions.commit(session, request);
    record(session);
    return redirect('/', cookies);
  },
};

export const handler = createLambdaHandler(logoutRoute);
