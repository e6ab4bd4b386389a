import {
  SessionError,
  SessionRejectedError,
  type SessionScope,
  SessionUnavailableError,
  SigningKeyError,
  type UserSessions,
} from '@lambda-sessions/dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import {
  DEFAULT_ROUTE_KEY,
  FUNCTIONS,
  type FunctionName,
  methodsAt,
  methodsOf,
  SESSION_METRICS,
} from '../contract.js';
import { HttpError } from '../http/HttpError.js';
import { type HttpRequest, parseRequest } from '../http/request.js';
import { errorResponse, type HttpResponse, withTransportSecurity } from '../http/response.js';
import { type AppContext, containerAppContext } from './context.js';
import { revokedMetricNames, sessionMetricNames } from './metrics.js';
import type { LogFields } from './requestLog.js';

/** Seconds a client is asked to wait after a 503. */
export const RETRY_AFTER_SECONDS = 5;

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
 * when the site runs behind one (403, before anything else), refuses other methods (405), turns
 * `HttpError` into its page and an unavailable store or key provider into a 503 with
 * `Retry-After`, and writes one structured line per request, which also counts the session's
 * outcome and writes as CloudWatch metrics (EMF). Nothing internal ever reaches the page.
 * @example const handler = createLambdaHandler(indexRoute, createAppContext(readAppConfig(env)));
 */
export function createLambdaHandler(route: Route, app: AppContext) {
  const methods = methodsOf(route.name);
  return async (event: APIGatewayProxyEventV2, context?: Context): Promise<HttpResponse> => {
    const request = parseRequest(event);
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

/** The name of the error's cause (an SDK error, the deadline's `TimeoutError`), for the log. */
function causeName(error: unknown): string | undefined {
  const cause: unknown = error instanceof Error ? error.cause : undefined;
  const name = typeof cause === 'object' && cause !== null ? (cause as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? name : undefined;
}

/** Failures that may pass (the store or the key provider did not answer in time): a 503. */
function isUnavailable(error: unknown): error is SessionError {
  return error instanceof SessionError && error.retryable;
}

function errorToResponse(error: unknown, app: AppContext, route: Route, request: HttpRequest): HttpResponse {
  if (error instanceof HttpError) return errorResponse(error.status, error.message, error.headers);
  const fields = {
    route: route.name,
    requestId: request.requestId,
    errorName: error instanceof Error ? error.name : typeof error,
    cause: causeName(error),
  };
  if (isUnavailable(error)) {
    const operation = error instanceof SessionUnavailableError ? error.operation : undefined;
    app.logger.error(operation === undefined ? 'session keys unavailable' : 'session store unavailable', {
      ...fields,
      ...(operation === undefined ? {} : { operation }),
    });
    return errorResponse(503, 'The service is busy. Please try again in a few seconds.', {
      'retry-after': String(RETRY_AFTER_SECONDS),
    });
  }
  if (error instanceof SessionRejectedError && error.dependency === 'store') {
    // A missing table or permission: no retry will help, so no Retry-After; the log says which.
    app.logger.error('session store rejected the request', { ...fields, operation: error.operation });
  } else if (error instanceof SessionRejectedError) {
    // No secret, no permission to read it or to use its KMS key: a deployment fault, as above.
    app.logger.error('session keys refused', fields);
  } else if (error instanceof SigningKeyError) {
    // The secret holds keys the library refuses (none, or one too short): a deployment fault too.
    // The message says which rule and which key by position, never the key.
    app.logger.error('session keys unusable', { ...fields, reason: error.message });
  } else {
    app.logger.error('unexpected error', {
      ...fields,
      error: error instanceof Error ? error : String(error),
    });
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
