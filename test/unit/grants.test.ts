import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { OWNER_INDEX_ACTIONS, SESSION_TABLE_ACTIONS } from '@lambda-sessions/cdk';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createLambdaHandler, type Route } from '../../lambda/app/lambdaHandler';
import { FUNCTIONS, type FunctionName } from '../../lambda/contract';
import { indexRoute } from '../../lambda/routes/indexRoute';
import { loginRoute } from '../../lambda/routes/loginRoute';
import { logoutRoute } from '../../lambda/routes/logoutRoute';
import { sessionsRoute } from '../../lambda/routes/sessionsRoute';
import { FLASHES_KEY } from '../../lambda/session/src/constants';
import { newPublicId, newToken } from '../../lambda/session/src/tokens';
import { formEvent, httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { IDLE_MS, ownedItem, storedItem, useMockedApp } from '../support/mockedStore';

// Every DynamoDB call a handler can make must be one its function is granted (lib/ServerSessions.ts):
// in AWS a missing grant is an AccessDenied, which only shows up on the path that needs it.
const { ddb, clock, app, manageApp, cookieFor } = useMockedApp();
const ACTIONS = new Map<unknown, string>([
  [GetCommand, 'dynamodb:GetItem'],
  [PutCommand, 'dynamodb:PutItem'],
  [UpdateCommand, 'dynamodb:UpdateItem'],
  [DeleteCommand, 'dynamodb:DeleteItem'],
  [QueryCommand, 'dynamodb:Query'],
]);

const ROUTES: Record<FunctionName, Route> = {
  index: indexRoute,
  login: loginRoute,
  logout: logoutRoute,
  sessions: sessionsRoute,
};

/**
 * The actions the function's handler used for `event`, after asserting it did not fail: table
 * actions by name, and index actions as `index:<action>` after asserting they went to the owner index.
 */
async function actionsUsed(name: FunctionName, event: APIGatewayProxyEventV2): Promise<string[]> {
  const context = FUNCTIONS[name].access === 'manage' ? manageApp : app;
  const response = await createLambdaHandler(ROUTES[name], context)(event);
  expect(response.statusCode).toBeLessThan(400);
  return ddb.calls().map((call) => {
    const command = call.args[0] as { constructor: unknown; input: { IndexName?: string } };
    const action = ACTIONS.get(command.constructor) ?? String(command.constructor);
    if (command.input.IndexName === undefined) return action;
    expect(command.input.IndexName).toBe('byOwner');
    return `index:${action}`;
  });
}

/** Whether every action used is granted: table actions on the table, index actions on the owner index. */
function granted(name: FunctionName, used: string[]): void {
  const access = FUNCTIONS[name].access;
  const grants = [
    ...SESSION_TABLE_ACTIONS[access],
    ...OWNER_INDEX_ACTIONS[access].map((action) => `index:${action}`),
  ];
  expect(grants).toEqual(expect.arrayContaining(used));
}

test('index: reading a session and refreshing it', async () => {
  const token = newToken();
  ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
  clock.advance(IDLE_MS / 2);
  const used = await actionsUsed('index', httpEvent({ cookies: [cookieFor(token)] }));
  expect(used).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
  granted('index', used);
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
  granted('login', used);
});

test('index: taking a logout flash out of its anonymous session', async () => {
  // The session a logout leaves: anonymous, holding only "You were logged out.".
  const token = newToken();
  ddb.on(GetCommand).resolves({
    Item: storedItem(token, { [FLASHES_KEY]: [{ category: 'message', message: 'You were logged out.' }] }),
  });
  const used = await actionsUsed('index', httpEvent({ cookies: [cookieFor(token)] }));
  expect(used[0]).toBe('dynamodb:GetItem');
  expect(used).toHaveLength(2);
  granted('index', used);
});

test('logout: deleting the session, and putting the anonymous one that holds its flash', async () => {
  const used = await actionsUsed('logout', httpEvent({ path: '/logout', cookies: [cookieFor(newToken())] }));
  expect(used.sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:PutItem']);
  granted('logout', used);
});

test('logout without a cookie: nothing', async () => {
  const used = await actionsUsed('logout', httpEvent({ path: '/logout' }));
  expect(used).toEqual([]);
});

describe('sessions', () => {
  const SAME_SITE = { 'sec-fetch-site': 'same-origin' };
  const token = newToken();
  const currentId = newPublicId();
  const otherId = newPublicId();

  beforeEach(() => {
    // alice's session, due for its sliding refresh, and one other session in the owner index.
    ddb.on(GetCommand).resolves({
      Item: ownedItem(token, 'alice', currentId),
    });
    ddb.on(QueryCommand).resolves({
      Items: [
        {
          id: 'other-key',
          publicId: otherId,
          device: 'Safari on iOS',
          createdAt: 1,
          refreshedAt: clock.now(),
          validUntil: clock.now() + IDLE_MS,
        },
      ],
    });
    clock.advance(IDLE_MS / 2);
  });

  test('GET /sessions: reading and refreshing the session, listing through the index', async () => {
    const used = await actionsUsed('sessions', httpEvent({ path: '/sessions', cookies: [cookieFor(token)] }));
    expect(used).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'index:dynamodb:Query']);
    granted('sessions', used);
  });

  test.each([otherId, 'others'])(
    'POST /sessions/revoke %s: finding the session through the index, deleting it',
    async (target) => {
      const event = formEvent(
        '/sessions/revoke',
        { session: target },
        { cookies: [cookieFor(token)], headers: SAME_SITE },
      );
      const used = await actionsUsed('sessions', event);
      expect(used).toEqual(
        expect.arrayContaining([
          'dynamodb:GetItem',
          'index:dynamodb:Query',
          'dynamodb:DeleteItem',
          'dynamodb:UpdateItem', // this session, holding the flash
        ]),
      );
      granted('sessions', used);
    },
  );

  test('POST /logout scope=everywhere: every session through the index, deleted', async () => {
    const event = formEvent(
      '/logout',
      { scope: 'everywhere' },
      { cookies: [cookieFor(token)], headers: SAME_SITE },
    );
    const used = await actionsUsed('sessions', event);
    expect(used).toEqual(
      expect.arrayContaining([
        'dynamodb:GetItem',
        'index:dynamodb:Query',
        'dynamodb:DeleteItem',
        'dynamodb:PutItem', // the anonymous session holding the logout's flash
      ]),
    );
    granted('sessions', used);
  });

  test('POST /logout without a scope: deleting the session, as GET /logout does', async () => {
    const event = httpEvent({
      method: 'POST',
      path: '/logout',
      cookies: [cookieFor(token)],
      headers: SAME_SITE,
    });
    const used = await actionsUsed('sessions', event);
    expect(used.sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:PutItem']);
    granted('sessions', used);
  });
});
