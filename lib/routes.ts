/**
 * The one route table: the CDK stack makes API Gateway routes from it and the local server
 * dispatches with it, so the two cannot drift.
 */
export const FUNCTIONS = {
  index: { entry: 'lambda/index.ts' },
  login: { entry: 'lambda/login.ts' },
  logout: { entry: 'lambda/logout.ts' },
} as const;

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
