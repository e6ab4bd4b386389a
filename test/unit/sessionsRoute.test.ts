import 'aws-sdk-client-mock-jest';
import { ThrottlingException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createLambdaHandler } from '../../lambda/app/lambdaHandler';
import { REVOKE_BUDGET_MS, sessionsRoute } from '../../lambda/routes/sessionsRoute';
import { newPublicId, newToken } from '../../lambda/session/src/tokens';
import { formEvent, httpEvent } from '../../lib/local/httpApiEvents';
import { IDLE_MS, ownedItem, sha256Base64Url, useMockedApp } from '../support/mockedStore';
import { TABLE } from '../support/table';

// The sessions function's DynamoDB commands, exactly: the owner always comes from the stored
// session, never from the request, and every delete is conditional on it.
const { ddb, clock, manageApp, cookieFor } = useMockedApp();
const SAME_SITE = { 'sec-fetch-site': 'same-origin' };
const token = newToken();
const currentId = newPublicId();
const otherId = newPublicId();

const handler = () => createLambdaHandler(sessionsRoute, manageApp);

beforeEach(() => {
  ddb.on(GetCommand).resolves({
    Item: ownedItem(token, 'alice', currentId),
  });
  ddb.on(QueryCommand).resolves({
    Items: [
      { id: 'current-key', publicId: currentId },
      { id: 'other-key', publicId: otherId },
    ],
  });
});

function post(path: string, fields: Record<string, string>) {
  return handler()(formEvent(path, fields, { cookies: [cookieFor(token)], headers: SAME_SITE }));
}

describe('POST /sessions/revoke', () => {
  it('one id: finds it among the stored owner’s sessions, deletes it on condition of owner and id', async () => {
    // Prepare: the index finds the other session's item.
    ddb.on(QueryCommand).resolves({ Items: [{ id: 'other-key' }] });

    // Act: a forged owner field is ignored.
    const response = await post('/sessions/revoke', { session: otherId, owner: 'bob' });

    // Assess
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/sessions');
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { Key: { id: sha256Base64Url(token) } });
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      IndexName: 'byOwner',
      KeyConditionExpression: '#owner = :owner',
      FilterExpression: '#publicId = :publicId',
      ExpressionAttributeValues: { ':owner': 'alice', ':publicId': otherId },
    });
    expect(ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Key: { id: 'other-key' },
        ConditionExpression: '#owner = :owner AND #publicId = :publicId',
        ExpressionAttributeNames: { '#owner': 'owner', '#publicId': 'publicId' },
        ExpressionAttributeValues: { ':owner': 'alice', ':publicId': otherId },
      },
    ]);
  });

  it('others: deletes every other session on condition of the owner, never this one', async () => {
    const response = await post('/sessions/revoke', { session: 'others' });

    expect(response.statusCode).toBe(303);
    expect(response.cookies).toEqual([]);
    const deletes = ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input);
    // The first pass deletes the other; later passes find nothing new.
    expect(deletes).toEqual([
      {
        TableName: TABLE,
        Key: { id: 'other-key' },
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': 'alice' },
      },
    ]);
    for (const call of ddb.commandCalls(QueryCommand)) {
      expect(call.args[0].input).toMatchObject({
        IndexName: 'byOwner',
        ExpressionAttributeValues: { ':owner': 'alice' },
      });
    }
  });

  it.each([
    ['no session field', {}],
    ['an empty one', { session: '' }],
    ['one with other characters', { session: 'a b' }],
    ['one too long', { session: 'a'.repeat(65) }],
  ])('refuses %s with 400 before any command', async (_, fields) => {
    const response = await post('/sessions/revoke', fields);
    expect(response.statusCode).toBe(400);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('an anonymous visitor: 303 to /login, no Query, no delete', async () => {
    const response = await handler()(
      formEvent('/sessions/revoke', { session: 'others' }, { headers: SAME_SITE }),
    );
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/login');
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('POST /logout scope=everywhere', () => {
  it('deletes this session first, by its key, before any Query; then the others on condition of the owner, never this one again', async () => {
    const response = await post('/logout', { scope: 'everywhere' });

    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/');
    expect(response.cookies).toHaveLength(1);
    expect(response.cookies[0]).toContain('Max-Age=0');
    expect(ddb.calls().map((call) => call.args[0].constructor.name)).toEqual([
      'GetCommand',
      'DeleteCommand', // this session, before the index is read
      'QueryCommand',
      'DeleteCommand', // the other one
      'QueryCommand', // a pass that finds nothing new: done
    ]);
    const deletes = ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input);
    expect(deletes).toEqual([
      { TableName: TABLE, Key: { id: sha256Base64Url(token) } },
      {
        TableName: TABLE,
        Key: { id: 'other-key' },
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': 'alice' },
      },
    ]);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'byOwner',
      ScanIndexForward: true,
      ExpressionAttributeValues: { ':owner': 'alice' },
    });
  });

  it('a store failure after this session was deleted: this browser is logged out all the same, cookie cleared, told the rest may not be', async () => {
    ddb.on(QueryCommand).rejects(new ThrottlingException({ message: 'slow down', $metadata: {} }));

    const response = await post('/logout', { scope: 'everywhere' });

    expect(response.statusCode).toBe(200);
    expect(response.cookies).toHaveLength(1);
    expect(response.cookies[0]).toContain('Max-Age=0');
    expect(response.body).toContain('You are logged out on this device');
    expect(response.body).toContain('may still be logged in');
    expect(ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Key: { id: sha256Base64Url(token) } },
    ]);
  });

  it('a store failure before this session was deleted: 503, nothing deleted, still logged in', async () => {
    ddb.on(DeleteCommand).rejects(new ThrottlingException({ message: 'slow down', $metadata: {} }));
    const response = await post('/logout', { scope: 'everywhere' });
    expect(response.statusCode).toBe(503);
    expect(response.cookies).toEqual([]);
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 0);
  });

  describe('with many sessions and a slow store', () => {
    let elapsed = 0;
    beforeEach(() => {
      elapsed = 0;
      jest.spyOn(performance, 'now').mockImplementation(() => elapsed);
      // 40 other sessions; each delete takes a tenth of the budget, ten at a time.
      ddb.on(QueryCommand).resolves({
        Items: [
          { id: 'current-key', publicId: currentId },
          ...Array.from({ length: 40 }, (_, n) => ({ id: `other-${n}`, publicId: newPublicId() })),
        ],
      });
      ddb.on(DeleteCommand).callsFake(() => {
        elapsed += REVOKE_BUDGET_MS / 10;
        return {};
      });
    });
    afterEach(() => jest.restoreAllMocks());

    it('everywhere: stops at the budget, logged out here with the cookie cleared, told the rest may not be', async () => {
      const response = await post('/logout', { scope: 'everywhere' });

      expect(response.statusCode).toBe(200);
      expect(response.cookies[0]).toContain('Max-Age=0');
      expect(response.body).toContain('You are logged out on this device');
      // This session (a tenth of the budget), then the first batch of ten: no batch after the budget.
      const deleted = ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input.Key?.id);
      expect(deleted).toHaveLength(11);
      expect(deleted[0]).toBe(sha256Base64Url(token));
      expect(deleted).not.toContain('current-key');
    });

    it('others: stops at the budget and shows the list, where what is left is listed; this one stays', async () => {
      const response = await post('/sessions/revoke', { session: 'others' });

      expect(response.statusCode).toBe(303);
      expect(response.headers.location).toBe('/sessions');
      expect(response.cookies).toEqual([]);
      expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 10);
    });
  });
});

describe('GET /sessions', () => {
  it('one GetItem, then one Query on the owner index for the stored owner', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [
        {
          publicId: otherId,
          device: 'Safari on iOS',
          createdAt: 1,
          refreshedAt: 2,
          validUntil: clock.now() + IDLE_MS,
        },
      ],
    });
    const response = await handler()(httpEvent({ path: '/sessions', cookies: [cookieFor(token)] }));
    expect(response.statusCode).toBe(200);
    expect(ddb.calls().map((call) => call.args[0].constructor.name)).toEqual(['GetCommand', 'QueryCommand']);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'byOwner',
      ExpressionAttributeValues: { ':owner': 'alice' },
      Limit: 101,
    });
  });
});
