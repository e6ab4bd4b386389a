/**
 * The index function rebuilt on Middy with the library's session middleware, bundled and loaded
 * by the bench beside the deployed functions: what Middy adds to a function's bundle and load
 * time. It renders the same page; it leaves out the app wrapper's error pages and log line, so
 * the difference from `index` is Middy's cost minus that wrapper's.
 * An ES module file: `@middy/core` ships ES modules only.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { containerAppContext } from '../../lambda/app/context.js';
import { indexPage } from '../../lambda/http/pages.js';
import { htmlResponse } from '../../lambda/http/response.js';
import {
  type SessionContext,
  type SessionHandlerResult,
  sessionMiddleware,
} from '../../lambda/session/middy.js';

const app = containerAppContext();

export const handler = middy<APIGatewayProxyEventV2, SessionHandlerResult, Error, SessionContext>()
  .use(sessionMiddleware(app.sessions))
  .handler(async (_event, { session }) => {
    const username = session.get('username');
    return htmlResponse(200, indexPage(typeof username === 'string' ? username : undefined));
  });
