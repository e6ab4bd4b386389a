import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { readAppConfig } from '../../lambda/app/config';
import { createAppContext } from '../../lambda/app/context';
import { createLambdaHandler } from '../../lambda/app/lambdaHandler';
import { ROUTES, routeKey } from '../../lambda/contract';
import { indexRoute } from '../../lambda/routes/indexRoute';
import { loginRoute } from '../../lambda/routes/loginRoute';
import { logoutRoute } from '../../lambda/routes/logoutRoute';
import { sessionsRoute } from '../../lambda/routes/sessionsRoute';
import { useStore } from '../support/store';

// The sample events for `sam local invoke` and `npm run invoke`, run through their handlers with
// events/env.json's environment against dynalite, so the samples cannot rot.
const EVENTS = join(__dirname, '../../events');
const routes = { index: indexRoute, login: loginRoute, logout: logoutRoute, sessions: sessionsRoute };

const expected: Record<string, { status: number; text?: string; cookie?: RegExp; location?: string }> = {
  'index.json': { status: 200, text: 'You are not logged in' },
  'login-form.json': { status: 200, text: '<button type="submit">Login</button>' },
  'login.json': {
    status: 303,
    cookie: /^__Host-session=[\w-]{43}\.[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
  },
  'login-invalid.json': { status: 400, text: 'Enter a username.' },
  'logout.json': { status: 303, cookie: /^__Host-session=; Max-Age=0;/ },
  // No cookie (see sam.test.ts): the page sends an anonymous visitor to the login form.
  'sessions.json': { status: 303, location: '/login' },
};

const eventFiles = readdirSync(EVENTS).filter((file) => file.endsWith('.json') && file !== 'env.json');
// env.json's TABLE_NAME.
const db = useStore({ tableName: 'sessions' });

it('every sample event has an expected outcome here', () => {
  expect(eventFiles.sort()).toEqual(Object.keys(expected).sort());
});

it.each(eventFiles)('%s runs through its handler', async (file) => {
  // Prepare: the handler the route table assigns to the event's route key, env.json's environment.
  const event = JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as APIGatewayProxyEventV2;
  const route = ROUTES.find((candidate) => routeKey(candidate) === event.routeKey);
  expect(route).toBeDefined();
  const { Parameters } = JSON.parse(readFileSync(join(EVENTS, 'env.json'), 'utf8'));
  const config = readAppConfig({ ...Parameters, DYNAMODB_ENDPOINT: db.endpoint });
  const name = route?.function ?? 'index';
  const context = createAppContext(config, { userSessions: name === 'sessions' });
  const handler = createLambdaHandler(routes[name], context);

  // Act
  const result = await handler(event);

  // Assess
  const { status, text, cookie, location } = expected[file];
  expect(result.statusCode).toBe(status);
  if (location) expect(result.headers.location).toBe(location);
  if (text) expect(result.body).toContain(text);
  if (cookie) {
    expect(result.cookies).toHaveLength(1);
    expect(result.cookies[0]).toMatch(cookie);
  } else {
    expect(result.cookies).toEqual([]);
  }
});

it('env.json points SAM at a local endpoint with a local-only key, never a real table', () => {
  const { Parameters } = JSON.parse(readFileSync(join(EVENTS, 'env.json'), 'utf8'));
  expect(Parameters.DYNAMODB_ENDPOINT).toMatch(
    /^http:\/\/(host\.docker\.internal|127\.0\.0\.1|localhost):\d+$/,
  );
  expect(Parameters.SESSION_SECRET).toContain('local');
});
