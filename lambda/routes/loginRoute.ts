import { deviceLabel } from '@lambda-sessions/dynamodb';
import type { Route } from '../app/lambdaHandler.js';
import { validateUsername } from '../app/username.js';
import { refuseCrossSite } from '../http/crossSite.js';
import { readCheckbox, readForm } from '../http/form.js';
import { HttpError } from '../http/HttpError.js';
import { loginPage, REMEMBER_FIELD } from '../http/pages.js';
import { htmlResponse, redirect } from '../http/response.js';

/**
 * `GET /login`: the form. `POST /login`: a new session (new id, the old one deleted: no
 * fixation) holding the username, owned by it (with the browser's device label) so that it is
 * listed among the user's sessions, then 303 to `/`. With "Keep me signed in" ticked the session
 * is permanent: its cookie outlives the browser, up to the absolute timeout. No read: the old
 * session's contents (flashes included) are discarded.
 */
export const loginRoute: Route = {
  name: 'login',
  async handle(request, { scope, log }) {
    if (request.method === 'GET') return htmlResponse(200, loginPage());
    refuseCrossSite(request, 'form posts');
    let form: Map<string, string>;
    try {
      form = readForm(request);
    } catch (error) {
      // 400/413/415: show the form again with the reason, so the user can simply retry.
      if (!(error instanceof HttpError)) throw error;
      log.outcome = 'invalid-form';
      return htmlResponse(error.status, loginPage({ error: error.message }), { headers: error.headers });
    }
    let remember: boolean;
    try {
      remember = readCheckbox(form, REMEMBER_FIELD);
    } catch (error) {
      // Junk where the checkbox goes (no browser sends it): 400, the message next to the box.
      if (!(error instanceof HttpError)) throw error;
      log.outcome = 'invalid-form';
      return htmlResponse(error.status, loginPage({ error: error.message, errorField: REMEMBER_FIELD }));
    }
    const check = validateUsername(form.get('username'));
    if (!check.ok) {
      log.outcome = 'invalid-username';
      return htmlResponse(400, loginPage({ error: check.error, remember }));
    }
    const session = await scope.attach();
    session.regenerate({ owner: check.username, device: deviceLabel(request.headers['user-agent']) });
    session.clear();
    session.set('username', check.username);
    // Flask's session.permanent: the cookie gets a Max-Age (the absolute lifetime left), so it
    // survives a browser restart. Unticked, it stays a browser-session cookie.
    if (remember) session.permanent = true;
    log.outcome = 'logged-in';
    return redirect('/');
  },
};
