import { createLambdaHandler, type Route } from './app/lambdaHandler';
import { indexPage } from './http/pages';
import { htmlResponse } from './http/response';

/** `GET /`: who is logged in. One read; a write only when the sliding refresh is due. */
export const indexRoute: Route = {
  name: 'index',
  methods: ['GET'],
  async handle(request, { sessions, log }) {
    const session = await sessions.load(request);
    const cookies = await sessions.commit(session, request);
    const username = session.get('username');
    log.session = session.state.outcome;
    return htmlResponse(200, indexPage(typeof username === 'string' ? username : undefined), { cookies });
  },
};

export const handler = createLambdaHandler(indexRoute);
