import type { SessionScope, UserSessions } from '@lambda-sessions/dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import {
  DEFAULT_ROUTE_KEY,
  FUNCTIONS,
  type FunctionName,
  HEALTH_CHECK_PATH,
  methodsAt,
  methodsOf,
  ROUTES,
  SESSION_METRICS,
} from '../contract.js';
import { HttpError } from '../http/HttpError.js';
import { type HttpRequest, parseRequest } from '../http/request.js';
import { errorResponse, type HttpResponse, withTransportSecurity } from '../http/response.js';
import { checkHealth } from '../routes/healthRoute.js';
import { type AppContext, containerAppContext } from './context.js';
import { isUnavailable, RETRY_AFTER_HEADERS, reportFailure } from './failures.js';
import { revokedMetricNames, sessionMetricNames } from './metrics.js';
import type { LogFields } from './requestLog.js';

export { RETRY_AFTER_SECONDS } from './failures.js';

/** How much of an unmatched request's path its log line keeps (its length is the caller's choice). */
export const LOGGED_PATH_LENGTH = 200;

export interface RouteContext {
  /**
   * The request's session, opened by the route when it needs it (`load` or `attach`) and
   * committed by the wrapper after the route answers, its cookies added to the response. A route
   * that refuses the request before opening it costs no store call.
   */
  scope: SessionScope;
  /** The owner index: only for the function whose access is `manage`. */
  users?: UserSessions;
  /** Fields the route adds to the request's log line (never tokens, cookies or keys). */
  log: LogFields;
}

/** One Lambda function's behaviour; the methods it answers come from the route table. */
export interface Route {
  name: FunctionName;
  handle(request: HttpRequest, context: RouteContext): Promise<HttpResponse>;
}

/** The answer to a request no route matches: 404, or 405 with the methods its path accepts. */
export function unmatchedRouteError(path: string): HttpError {
  const methods = methodsAt(path);
  if (methods.length === 0) return new HttpError(404, 'There is no page at this address.');
  return new HttpError(405, 'This address does not accept that method.', { allow: methods.join(', ') });
}

/**
 * Wraps a route as a Lambda handler: parses the event, refuses a request that bypassed the edge
 * when the site runs behind one (403, before anything else but a health check), refuses other
 * methods (405), turns `HttpError` into its page and an unavailable store or key provider into a
 * 503 with `Retry-After`, and writes one structured line per request, which also counts the
 * session's outcome and writes as CloudWatch metrics (EMF). Nothing internal ever reaches the
 * page. In the function the route table gives `GET /health`, that request is answered first, by
 * `checkHealth`, with no session.
 * @example const handler = createLambdaHandler(indexRoute, createAppContext(readAppConfig(env)));
 */
export function createLambdaHandler(route: Route, app: AppContext) {
  const methods = methodsOf(route.name);
  const answersHealthChecks = ROUTES.some(
    (candidate) =>
      candidate.method === 'GET' && candidate.path === HEALTH_CHECK_PATH && candidate.function === route.name,
  );
  return async (event: APIGatewayProxyEventV2, context?: Context): Promise<HttpResponse> => {
    const request = parseRequest(event);
    // Route 53's health checkers ask each region's API directly, without the edge's header: a
    // health check is answered before that check, and before any session work.
    if (answersHealthChecks && request.method === 'GET' && request.path === HEALTH_CHECK_PATH) {
      const health = await checkHealth(app, { route: route.name, requestId: request.requestId });
      app.requestLog(
        { requestId: request.requestId },
        health.unavailable ? [SESSION_METRICS.storeError] : [],
      );
      return withTransportSecurity(health.response, request.secure);
    }
    const scope = app.sessions.open(request, context);
    // The same deadline for the route's other store calls (the owner index).
    request.signal = scope.request.signal;
    const log: LogFields = {};
    let unavailable = false;
    let response: HttpResponse;
    try {
      // Behind the edge, a request that bypassed CloudFront (and so its WAF) gets nothing more.
      if (app.viaEdge && !app.viaEdge(request.headers)) {
        log.refused = 'not via the edge';
        throw new HttpError(403, 'This site answers only at its public address.');
      }
      // API Gateway's catch-all: no route matched this method and path (no session is read). Its
      // access line says only `$default`: this line says what was asked (the path cut short).
      if (event?.routeKey === DEFAULT_ROUTE_KEY) {
        log.method = request.method;
        log.path = request.path.slice(0, LOGGED_PATH_LENGTH);
        throw unmatchedRouteError(request.path);
      }
      if (!(methods as string[]).includes(request.method)) {
        // Allow: what the address accepts, whichever function answers each method.
        const allowed = methodsAt(request.path);
        throw new HttpError(405, 'This address does not accept that method.', {
          allow: (allowed.length > 0 ? allowed : methods).join(', '),
        });
      }
      response = await route.handle(request, { scope, ...(app.users ? { users: app.users } : {}), log });
      response = { ...response, cookies: [...response.cookies, ...(await scope.commit())] };
    } catch (error) {
      response = errorToResponse(error, app, route, request);
      unavailable = isUnavailable(error);
    } finally {
      scope.end();
    }
    response = withTransportSecurity(response, request.secure);
    const commit = app.committed(scope.request);
    if (commit) {
      // How many stored values failed authentication: a count only, nothing of what they held.
      if (commit.rejectedValues > 0) log.sessionRejectedValues = commit.rejectedValues;
      // How many stored values failed their schema (read as absent): a count only, as above.
      if (commit.invalidValues > 0) log.sessionInvalidValues = commit.invalidValues;
    }
    // What the cookie led to and what was written are the metrics' names (SessionHit,
    // SessionCreated, …), on the line as members: no field repeats them. The route is the log
    // group, the status and the latency are in the API's access line, joined by the request id.
    const metricNames = unavailable
      ? [SESSION_METRICS.storeError]
      : [...(commit ? sessionMetricNames(commit) : []), ...revokedMetricNames(log.revoked)];
    app.requestLog({ requestId: request.requestId, ...log }, metricNames);
    return response;
  };
}

function errorToResponse(error: unknown, app: AppContext, route: Route, request: HttpRequest): HttpResponse {
  if (error instanceof HttpError) return errorResponse(error.status, error.message, error.headers);
  if (reportFailure(error, app.logger, { route: route.name, requestId: request.requestId }) === 503) {
    return errorResponse(503, 'The service is busy. Please try again in a few seconds.', RETRY_AFTER_HEADERS);
  }
  return errorResponse(500, 'Something went wrong on our side. Please try again.');
}

/**
 * A function's Lambda handler, its app context built once per container from the environment
 * (`process.env`, Lambda's): bad configuration fails at init, naming the variable. The one place
 * a handler reads the environment; tests and the local server build theirs from a configuration.
 * @example export const handler = lambdaEntry(indexRoute);
 */
export function lambdaEntry(route: Route) {
  return createLambdaHandler(
    route,
    containerAppContext({ userSessions: FUNCTIONS[route.name].access === 'manage' }),
  );
}
