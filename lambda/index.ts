import { createLambdaHandler, type Route } from './app/lambdaHandler';
import { indexPage } from './http/pages';
import { htmlResponse } from './http/response';

/** `GET /`: who is logged in. One read; a write only when the sliding refresh is due. */
export const indexRoute: Route = {
  name: 'index',
  methods: ['GET'],
  async handle(request, { sessions, record }) {
    const session = await sessions.load(request);
    const cookies = await sessions.commit(session, request);
    record(session);
    const username = session.get('username');
    return htmlResponse(200, indexPage(typeof username === 'string' ? username : undefined), { cookies });
  },
};

export const handler = createLambdaHandler(indexRoute);
