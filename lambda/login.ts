import { createLambdaHandler, type Route } from './app/lambdaHandler';
import { validateUsername } from './app/username';
import { isCrossSiteRequest } from './http/crossSite';
import { readForm } from './http/form';
import { HttpError } from './http/HttpError';
import { loginPage } from './http/pages';
import { htmlResponse, redirect } from './http/response';

/**
 * `GET /login`: the form. `POST /login`: a new session (new id, the old one deleted: no
 * fixation) holding the username, then 303 to `/`. No read: the old session's contents are discarded.
 */
export const loginRoute: Route = {
  name: 'login',
  methods: ['GET', 'POST'],
  async handle(request, { sessions, log }) {
    if (request.method === 'GET') return htmlResponse(200, loginPage());
    if (isCrossSiteRequest(request.headers))
      throw new HttpError(403, 'Cross-site form posts are not accepted.');
    const check = validateUsername(readForm(request).get('username'));
    if (!check.ok) {
      log.outcome = 'invalid-username';
      return htmlResponse(400, loginPage({ error: check.error }));
    }
    const session = sessions.attach(request);
    session.regenerate();
    session.clear();
    session.set('username', check.username);
    const cookies = await sessions.commit(session, request);
    log.outcome = 'logged-in';
    log.replacedSession = session.state.token !== undefined;
    return redirect('/', cookies);
  },
};

export const handler = createLambdaHandler(loginRoute);
