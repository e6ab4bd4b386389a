import type { Route } from '../app/lambdaHandler.js';
import { indexPage } from '../http/pages.js';
import { htmlResponse } from '../http/response.js';

/**
 * `GET /`: who is logged in, under the flashed messages (taken out of the session: shown once).
 * One read; a write only when the sliding refresh is due or there were flashes to take.
 */
export const indexRoute: Route = {
  name: 'index',
  async handle(_request, { scope }) {
    const session = await scope.load();
    // Taken before the commit, which writes their removal (none pending: nothing to write).
    const flashes = session.flashedMessages();
    // Committed before the page is made: a refresh that finds the session gone shows it logged out.
    await scope.commit();
    const username = session.get('username');
    return htmlResponse(200, indexPage(typeof username === 'string' ? username : undefined, flashes));
  },
};
