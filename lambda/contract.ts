/**
 * What the deployed stack (`lib/`), the local server and the handlers (`lambda/`) must agree on:
 * the functions, the routes each answers, the environment variables and the metric names.
 * Imports one type and nothing else, so runtime code may import it without pulling in any
 * infrastructure code.
 */

import type { SessionAccess } from '@lambda-sessions/dynamodb/table';

/** Each function's handler module and its session access. */
export const FUNCTIONS = {
  index: { entry: 'lambda/index.ts', access: 'read-refresh' },
  login: { entry: 'lambda/login.ts', access: 'login' },
  logout: { entry: 'lambda/logout.ts', access: 'logout' },
  sessions: { entry: 'lambda/manageSessions.ts', access: 'manage' },
} as const satisfies Record<string, { entry: string; access: SessionAccess }>;

export type FunctionName = keyof typeof FUNCTIONS;

export const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];

export type HttpMethod = 'GET' | 'POST';

export interface RouteDefinition {
  method: HttpMethod;
  path: string;
  function: FunctionName;
}

/**
 * The path health checks ask for (Route 53's, of each region's API, in a multi-region deployment):
 * the function the route table gives it answers it before any other check, the edge's included
 * (lambda/routes/healthRoute.ts).
 */
export const HEALTH_CHECK_PATH = '/health';

/** The one route table: the stack makes API Gateway routes from it, the local server dispatches with it. */
export const ROUTES: readonly RouteDefinition[] = [
  { method: 'GET', path: '/', function: 'index' },
  // Whether this region can serve sessions: one strongly consistent read, which `read-refresh` may make.
  { method: 'GET', path: HEALTH_CHECK_PATH, function: 'index' },
  { method: 'GET', path: '/login', function: 'login' },
  { method: 'POST', path: '/login', function: 'login' },
  { method: 'GET', path: '/logout', function: 'logout' },
  // POST may carry scope=everywhere, which lists and deletes the user's sessions: the function
  // that may query the index. GET (the link) stays with logout, which may only delete.
  { method: 'POST', path: '/logout', function: 'sessions' },
  { method: 'GET', path: '/sessions', function: 'sessions' },
  { method: 'POST', path: '/sessions/revoke', function: 'sessions' },
];

/** API Gateway's route key, e.g. `POST /login`. */
export function routeKey(route: RouteDefinition): string {
  return `${route.method} ${route.path}`;
}

/** The methods a function answers, from the route table. */
export function methodsOf(fn: FunctionName): HttpMethod[] {
  return [...new Set(ROUTES.filter((route) => route.function === fn).map((route) => route.method))];
}

/** The methods a path accepts (empty: no such page). */
export function methodsAt(path: string): HttpMethod[] {
  return ROUTES.filter((route) => route.path === path).map((route) => route.method);
}

/**
 * API Gateway's catch-all route key. The stack sends requests no route matches to this function,
 * which answers them 404 or 405 before touching any session.
 */
export const DEFAULT_ROUTE_KEY = '$default';
export const DEFAULT_ROUTE_FUNCTION: FunctionName = 'index';

/** The CloudWatch namespace of the session metrics, unless `METRICS_NAMESPACE` says otherwise. */
export const DEFAULT_METRICS_NAMESPACE = 'ServerSessions';

/** The metric names the request log lines count (EMF), by what they count. */
export const SESSION_METRICS = {
  hit: 'SessionHit',
  miss: 'SessionMiss',
  expired: 'SessionExpired',
  badSignature: 'SessionBadSignature',
  created: 'SessionCreated',
  destroyed: 'SessionDestroyed',
  saved: 'SessionSaved',
  refreshed: 'SessionRefreshed',
  gone: 'SessionGone',
  /** A request's session held a stored value that failed authentication (tampered, or copied): read as absent. */
  valueRejected: 'SessionValueRejected',
  /**
   * A request's session held a stored value that authenticated but failed the schema it is read
   * with (a flash list the library would never write): read as absent.
   */
  valueInvalid: 'SessionValueInvalid',
  /** Sessions a user logged out from the sessions page or everywhere, counted one by one. */
  revoked: 'SessionRevoked',
  /** The store or the signing keys were unavailable and the request ended in a 503. */
  storeError: 'SessionStoreError',
} as const;

/**
 * The optional edge (`cdk deploy -c edge=true`): CloudFront adds `header`, with a secret value, to
 * every request it forwards to the API, and the functions, given the same value in the
 * environment variable `variable`, refuse any request without it. So the site answers only
 * through CloudFront and its WAF. Without the variable (edge off, locally) nothing is checked.
 */
export const ORIGIN_VERIFY = { header: 'x-origin-verify', variable: 'ORIGIN_VERIFY_SECRET' } as const;

/**
 * The environment variables the handlers read (lambda/app/config.ts) and the stack and the local
 * server set (lib/): one name each, in one place. `ServerSessions` (@lambda-sessions/cdk) sets
 * `tableName`, `secretArn` and, on a multi-region table, `expiry` itself, under the names its
 * `SESSION_ENVIRONMENT` gives (a stack test checks that they are these).
 */
export const ENVIRONMENT = {
  tableName: 'TABLE_NAME',
  endpoint: 'DYNAMODB_ENDPOINT',
  secret: 'SESSION_SECRET',
  secretArn: 'SESSION_SECRET_ARN',
  idleTimeoutSeconds: 'SESSION_IDLE_TIMEOUT_SECONDS',
  absoluteTimeoutSeconds: 'SESSION_ABSOLUTE_TIMEOUT_SECONDS',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'METRICS_NAMESPACE',
  originSecret: ORIGIN_VERIFY.variable,
  expiry: 'SESSION_EXPIRY',
} as const;
