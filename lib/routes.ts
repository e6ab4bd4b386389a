import { HttpError } from '../lambda/http/HttpError';
import type { SessionAccess } from './ServerSessions';

/**
 * The one route table: the CDK stack makes API Gateway routes from it and the local server
 * dispatches with it, so the two cannot drift.
 */
/** Each function's handler module, and what it does with sessions (so what it may do to the table). */
export const FUNCTIONS = {
  index: { entry: 'lambda/index.ts', access: 'read-refresh' },
  login: { entry: 'lambda/login.ts', access: 'login' },
  logout: { entry: 'lambda/logout.ts', access: 'logout' },
} as const satisfies Record<string, { entry: string; access: SessionAccess }>;

export type FunctionName = keyof typeof FUNCTIONS;

export interface RouteDefinition {
  method: 'GET' | 'POST';
  path: string;
  function: FunctionName;
}

export const ROUTES: readonly RouteDefinition[] = [
  { method: 'GET', path: '/', function: 'index' },
  { method: 'GET', path: '/login', function: 'login' },
  { method: 'POST', path: '/login', function: 'login' },
  { method: 'GET', path: '/logout', function: 'logout' },
  { method: 'POST', path: '/logout', function: 'logout' },
];

/** API Gateway's route key, e.g. `POST /login`. */
export function routeKey(route: RouteDefinition): string {
  return `${route.method} ${route.path}`;
}

/**
 * API Gateway's catch-all route key. The stack sends requests no route matches to the index
 * function, which answers them with `unmatchedRouteError` before touching any session.
 */
export const DEFAULT_ROUTE_KEY = '$default';
export const DEFAULT_ROUTE_FUNCTION: FunctionName = 'index';

/** The answer to a request no route matches: 404, or 405 with the methods its path accepts. */
export function unmatchedRouteError(path: string): HttpError {
  const methods = ROUTES.filter((route) => route.path === path).map((route) => route.method);
  if (methods.length === 0) return new HttpError(404, 'There is no page at this address.');
  return new HttpError(405, 'This address does not accept that method.', { allow: methods.join(', ') });
}
