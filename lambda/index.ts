import { createLambdaHandler, type Route } from './app/lambdaHandler.js';
import { indexPage } from './http/pages.js';
import { htmlResponse } from './http/response.js';

/** `GET /`: who is logged in. One read; a write only when the sliding refresh is due. */
export const indexRoute: Route = {
  name: 'index',
  async handle(request, { sessions }) {
    const session = await sessions.load(request);
    const cookies = await sessions.commit(session, request);
    const username = session.get('username');
    return htmlResponse(200, indexPage(typeof username === 'string' ? username : undefined), { cookies });
  },
};

export const handler = createLambdaHandler(indexRoute);
