import {
  type SessionContext,
  type SessionHandlerResult,
  sessionMiddleware,
} from '@lambda-sessions/dynamodb/middy';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { AppContext } from '../../lambda/app/context';
import { indexPage } from '../../lambda/http/pages';
import { type HttpResponse, htmlResponse } from '../../lambda/http/response';

/**
 * `GET /` rebuilt on Middy with the library's session middleware, on `app`'s session manager:
 * the bench times it beside our page view and bundles it beside our functions (middyEntry.ts),
 * for what Middy adds. It renders the same page and leaves out the app wrapper's error pages
 * and log line, so compare it with our page view without the line.
 * `@middy/core` ships ES modules only: imported dynamically from this CommonJS module.
 * @example const index = await createMiddyIndex(createAppContext(config));
 */
export async function createMiddyIndex(
  app: AppContext,
): Promise<(event: APIGatewayProxyEventV2, context?: Context) => Promise<HttpResponse>> {
  const { default: middy } = await import('@middy/core');
  const handler = middy<APIGatewayProxyEventV2, SessionHandlerResult, Error, SessionContext>()
    .use(sessionMiddleware(app.sessions))
    .handler(async (_event, { session }) => {
      const username = session.get('username');
      return htmlResponse(200, indexPage(typeof username === 'string' ? username : undefined));
    });
  return async (event, context) => (await handler(event, context as SessionContext)) as HttpResponse;
}
