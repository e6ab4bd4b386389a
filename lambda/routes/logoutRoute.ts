import type { Route } from '../app/lambdaHandler.js';
import { logOutBrowser } from './logOutBrowser.js';

/**
 * `GET /logout` from this site (the page's link): deletes the session item (no read) and clears
 * the cookie, then 303 to `/`. `POST /logout` runs in the sessions function, since its
 * `scope=everywhere` needs the owner index.
 */
export const logoutRoute: Route = {
  name: 'logout',
  handle: (request, { scope }) => logOutBrowser(request, scope),
};
