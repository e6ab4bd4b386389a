import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { DEFAULT_ROUTE_KEY, unmatchedRouteError } from '../../lib/routes';
import { HttpError } from '../http/HttpError';
import { type HttpRequest, parseRequest } from '../http/request';
import { errorResponse, type HttpResponse } from '../http/response';
import { SessionStoreRejectedError, SessionStoreUnavailableError } from '../session/errors';
import type { Session } from '../session/Session';
import type { SessionManager } from '../session/SessionManager';
import { type AppContext, containerAppContext } from './context';
import { metricFields, STORE_ERROR_METRIC, sessionMetricNames } from './metrics';

/** Seconds a client is asked to wait after a 503. */
export const RETRY_AFTER_SECONDS = 5;

/** Fields a route adds to the request's log line (never tokens, cookies or keys). */
export type LogFields = Record<string, string | number | boolean>;

export interface RouteContext {
  sessions: SessionManager;
  log: LogFields;
  /** Reports the request's session once committed: its outcome and writes are logged and counted. */
  record(session: Session): void;
}

/** One Lambda function's behaviour: the methods it answers and what it does. */
export interface Route {
  name: string;
  methods: readonly string[];
  handle(request: HttpRequest, context: RouteContext): Promise<HttpResponse>;
}

/**
 * Wraps a route as a Lambda handler: parses the event, refuses other methods (405), turns
 * `HttpError` into its page and an unavailable store into a 503 with `Retry-After`, logs one
 * structured line per request, which also counts the session's outcome as CloudWatch metrics
 * (EMF). Nothing internal ever reaches the page.
 * @example export const handler = createLambdaHandler(indexRoute);
 */
export function createLambdaHandler(route: Route, app: AppContext = containerAppContext()) {
  const { logger } = app;
  return async (event: APIGatewayProxyEventV2, context?: Context): Promise<HttpResponse> => {
    const started = performance.now();
    const request = parseRequest(event);
    const log: LogFields = {};
    let recorded: Session | undefined;
    let storeUnavailable = false;
    let response: HttpResponse;
    try {
      // API Gateway's catch-all: no route matched this method and path (no session is read).
      if (event?.routeKey === DEFAULT_ROUTE_KEY) throw unmatchedRouteError(request.path);
      if (!route.methods.includes(request.method)) {
        throw new HttpError(405, 'This address does not accept that method.', {
          allow: route.methods.join(', '),
        });
      }
      const sessions = typeof app.sessions === 'function' ? await app.sessions() : app.sessions;
      response = await route.handle(request, {
        sessions,
        log,
        record: (session) => {
          recorded = session;
        },
      });
    } catch (error) {
      response = errorToResponse(error, app, route, request);
      storeUnavailable = error instanceof SessionStoreUnavailableError;
    }
    if (recorded) {
      log.session = recorded.state.outcome;
      if (recorded.writes.length > 0) log.sessionWrites = recorded.writes.join(',');
    }
    const metricNames = storeUnavailable
      ? [STORE_ERROR_METRIC]
      : recorded
        ? sessionMetricNames(recorded)
        : [];
    logger.info('request', {
      route: route.name,
      method: request.method,
      path: request.path,
      status: response.statusCode,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      requestId: request.requestId,
      ...(context?.awsRequestId ? { lambdaRequestId: context.awsRequestId } : {}),
      ...log,
      ...metricFields(app.metricsNamespace, metricNames),
    });
    return response;
  };
}

function errorToResponse(error: unknown, app: AppContext, route: Route, request: HttpRequest): HttpResponse {
  if (error instanceof HttpError) return errorResponse(error.status, error.message, error.headers);
  const fields = {
    route: route.name,
    requestId: request.requestId,
    errorName: error instanceof Error ? error.name : typeof error,
    cause: error instanceof Error && error.cause instanceof Error ? error.cause.name : undefined,
  };
  if (error instanceof SessionStoreUnavailableError) {
    app.logger.error('session store unavailable', { ...fields, operation: error.operation });
    return errorResponse(503, 'The service is busy. Please try again in a few seconds.', {
      'retry-after': String(RETRY_AFTER_SECONDS),
    });
  }
  if (error instanceof SessionStoreRejectedError) {
    // A missing table or permission: no retry will help, so no Retry-After; the log says which.
    app.logger.error('session store rejected the request', { ...fields, operation: error.operation });
  } else {
    app.logger.error('unexpected error', {
      ...fields,
      error: error instanceof Error ? error : String(error),
    });
  }
  return errorResponse(500, 'Something went wrong on our side. Please try again.');
}
