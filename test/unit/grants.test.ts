import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createLambdaHandler, type Route } from '../../lambda/app/lambdaHandler';
import { FUNCTIONS, type FunctionName } from '../../lambda/contract';
import { indexRoute } from '../../lambda/index';
import { loginRoute } from '../../lambda/login';
import { logoutRoute } from '../../lambda/logout';
import { newToken } from '../../lambda/session/KeyRing';
import { httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { SESSION_TABLE_ACTIONS } from '../../lib/ServerSessions';
import { IDLE_MS, storedItem, useMockedApp } from '../support/mockedStore';

// Every DynamoDB call a handler can make must be one its function is granted (lib/ServerSessions.ts):
// in AWS a missing grant is an AccessDenied, which only shows up on the path that needs it.
const { ddb, clock, app, cookieFor } = useMockedApp();
const ACTIONS = new Map<unknown, string>([
  [GetCommand, 'dynamodb:GetItem'],
  [PutCommand, 'dynamodb:PutItem'],
  [UpdateCommand, 'dynamodb:UpdateItem'],
  [DeleteCommand, 'dynamodb:DeleteItem'],
]);

const ROUTES: Record<FunctionName, Route> = { index: indexRoute, login: loginRoute, logout: logoutRoute };

/** The table actions the function's handler used for `event`, after asserting it did not fail. */
async function actionsUsed(name: FunctionName, event: APIGatewayProxyEventV2): Promise<string[]> {
  const response = await createLambdaHandler(ROUTES[name], app)(event);
  expect(response.statusCode).toBeLessThan(400);
  return ddb.calls().map((call) => ACTIONS.get(call.args[0].constructor) ?? call.args[0].constructor.name);
}

test('index: reading a session and refreshing it', async () => {
  const token = newToken();
  ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
  clock.advance(IDLE_MS / 2);
  const used = await actionsUsed('index', httpEvent({ cookies: [cookieFor(token)] }));
  expect(used).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
  expect(SESSION_TABLE_ACTIONS[FUNCTIONS.index.access]).toEqual(expect.arrayContaining(used));
});

test('login: replacing a session, and recognising its own retried put', async () => {
  // The SDK retried a put DynamoDB had applied: the retry fails its condition, a read finds our item.
  let written: unknown;
  ddb.on(PutCommand).callsFake((input: { Item: unknown }) => {
    written = input.Item;
    throw new ConditionalCheckFailedException({ message: 'exists', $metadata: {} });
  });
  ddb.on(GetCommand).callsFake(() => ({ Item: written }));
  const used = await actionsUsed('login', loginEvent('admin', { cookies: [cookieFor(newToken())] }));
  expect(used).toEqual(['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem']);
  expect(SESSION_TABLE_ACTIONS[FUNCTIONS.login.access]).toEqual(expect.arrayContaining(used));
});

test('logout: deleting the session', async () => {
  const used = await actionsUsed('logout', httpEvent({ path: '/logout', cookies: [cookieFor(newToken())] }));
  expect(used).toEqual(['dynamodb:DeleteItem']);
  expect(SESSION_TABLE_ACTIONS[FUNCTIONS.logout.access]).toEqual(expect.arrayContaining(used));
});
