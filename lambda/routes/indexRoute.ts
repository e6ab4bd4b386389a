import type { Route } from '../app/lambdaHandler.js';
import { indexPage } from '../http/pages.js';
import { htmlResponse } from '../http/response.js';

/** `GET /`: who is logged in. One read; a write only when the sliding refresh is due. */
export const indexRoute: Route = {
  name: 'index',
  async handle(_request, { scope }) {
    const session = await scope.load();
    // Committed before the page is made: a refresh that finds the session gone shows it logged out.
    await scope.commit();
    const username = session.get('username');
    return htmlResponse(200, indexPage(typeof username === 'string' ? username : undefined));
  },
};
