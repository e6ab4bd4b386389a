import 'aws-sdk-client-mock-jest';
import { ThrottlingException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createLambdaHandler } from '../../lambda/app/lambdaHandler';
import {
  ALREADY_SIGNED_OUT_MESSAGE,
  deviceSignedOutMessage,
  othersIncompleteMessage,
  othersSignedOutMessage,
  REVOKE_BUDGET_MS,
  sessionsRoute,
} from '../../lambda/routes/sessionsRoute';
import { FLASHES_KEY } from '../../lambda/session/src/constants';
import { newPublicId, newToken } from '../../lambda/session/src/tokens';
import { formEvent, httpEvent } from '../../lib/local/httpApiEvents';
import { IDLE_MS, ownedItem, sha256Base64Url, useMockedApp } from '../support/mockedStore';
import { sealFor } from '../support/sealed';
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
  it('one id: lists the owner’s sessions (for its device label), finds it among them, deletes it on condition of owner and id, saves the flash', async () => {
    // Prepare: the listing shows the other session; the lookup finds its item.
    ddb.on(QueryCommand).callsFake((input: { FilterExpression?: string }) =>
      input.FilterExpression === undefined
        ? {
            Items: [
              {
                publicId: otherId,
                device: 'Safari on iOS',
                createdAt: 1,
                refreshedAt: 2,
                validUntil: clock.now() + IDLE_MS,
              },
            ],
          }
        : { Items: [{ id: 'other-key' }] },
    );

    // Act: a forged owner field is ignored.
    const response = await post('/sessions/revoke', { session: otherId, owner: 'bob' });

    // Assess
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/sessions');
    expect(response.cookies).toEqual([]);
    expect(ddb.calls().map((call) => call.args[0].constructor.name)).toEqual([
      'GetCommand',
      'QueryCommand', // the listing, for the flash's device label
      'QueryCommand', // the lookup of the item to delete
      'DeleteCommand',
      'UpdateCommand', // this session, holding the flash
    ]);
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { Key: { id: sha256Base64Url(token) } });
    expect(ddb.commandCalls(QueryCommand)[0].args[0].input).toMatchObject({
      IndexName: 'byOwner',
      ExpressionAttributeValues: { ':owner': 'alice' },
      Limit: 101,
    });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, { Key: { id: sha256Base64Url(token) } });
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
    // The cookie of a new anonymous session holding only "You were logged out.".
    expect(response.cookies).toHaveLength(1);
    expect(response.cookies[0]).toMatch(/^__Host-session=[\w-]{43}\.[\w-]{43};/);
    expect(response.cookies[0]).not.toContain(token);
    const commands = ddb.calls().map((call) => call.args[0].constructor.name);
    expect(commands[0]).toBe('GetCommand');
    // This session, and the anonymous one holding the flash (sent together), before the index is read.
    expect(commands.slice(1, 3).sort()).toEqual(['DeleteCommand', 'PutCommand']);
    expect(commands.slice(3)).toEqual([
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

  it('a store failure after this session was deleted: this browser is logged out all the same, its cookie replaced, told the rest may not be', async () => {
    ddb.on(QueryCommand).rejects(new ThrottlingException({ message: 'slow down', $metadata: {} }));

    const response = await post('/logout', { scope: 'everywhere' });

    expect(response.statusCode).toBe(200);
    expect(response.cookies).toHaveLength(1);
    expect(response.cookies[0]).toMatch(/^__Host-session=[\w-]{43}\.[\w-]{43};/);
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
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

    it('everywhere: stops at the budget, logged out here with the cookie replaced, told the rest may not be', async () => {
      const response = await post('/logout', { scope: 'everywhere' });

      expect(response.statusCode).toBe(200);
      expect(response.cookies[0]).toMatch(/^__Host-session=[\w-]{43}\.[\w-]{43};/);
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

describe('the flashed messages', () => {
  it.each([
    [0, 'No other devices were signed in.'],
    [1, 'Signed out 1 other device.'],
    [2, 'Signed out 2 other devices.'],
    [100, 'Signed out 100 other devices.'],
  ])('"Log out other devices" finished with %i signed out: "%s"', (revoked, message) => {
    expect(othersSignedOutMessage(revoked)).toBe(message);
  });

  it.each([
    [
      0,
      'The other devices could not all be signed out in time. Choose Log out other devices again to finish.',
    ],
    [
      1,
      'Signed out 1 other device; some may still be signed in. Choose Log out other devices again to finish.',
    ],
    [
      7,
      'Signed out 7 other devices; some may still be signed in. Choose Log out other devices again to finish.',
    ],
  ])('"Log out other devices" out of time after %i: says what to do', (revoked, message) => {
    expect(othersIncompleteMessage(revoked)).toBe(message);
  });

  it('one session: its device label, or a count when the listing did not show it', () => {
    expect(deviceSignedOutMessage('Safari on iOS')).toBe('Signed out Safari on iOS.');
    expect(deviceSignedOutMessage(undefined)).toBe('Signed out 1 other device.');
    expect(deviceSignedOutMessage('')).toBe('Signed out 1 other device.');
    expect(ALREADY_SIGNED_OUT_MESSAGE).toBe('That device was already signed out.');
  });
});

describe('POST /sessions/revoke: the flash it leaves', () => {
  /** The values the update that saved this session wrote, opened as the next page would read them. */
  function savedValues(): Record<string, unknown> {
    const update = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    const names = update?.ExpressionAttributeNames ?? {};
    const values = update?.ExpressionAttributeValues ?? {};
    const sealed: Record<string, Uint8Array> = {};
    for (const [placeholder, nameTag] of Object.entries(names)) {
      const value = values[placeholder.replace('#', ':')];
      if (/^#k\d+$/.test(placeholder) && value instanceof Uint8Array) sealed[nameTag] = value;
    }
    const { data, rejected } = sealFor(token).openAll(sealed);
    expect(rejected).toBe(0);
    return { ...data };
  }

  it('one id: "Signed out <its device label>."', async () => {
    ddb.on(QueryCommand).callsFake((input: { FilterExpression?: string }) =>
      input.FilterExpression === undefined
        ? {
            Items: [
              {
                publicId: otherId,
                device: 'Safari on iOS',
                createdAt: 1,
                refreshedAt: 2,
                validUntil: clock.now() + IDLE_MS,
              },
            ],
          }
        : { Items: [{ id: 'other-key' }] },
    );

    await post('/sessions/revoke', { session: otherId });

    expect(savedValues()).toEqual({
      [FLASHES_KEY]: [{ category: 'message', message: 'Signed out Safari on iOS.' }],
    });
  });

  it('one id no longer there: "That device was already signed out."', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });

    await post('/sessions/revoke', { session: otherId });

    expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 0);
    expect(savedValues()).toEqual({
      [FLASHES_KEY]: [{ category: 'message', message: 'That device was already signed out.' }],
    });
  });

  it('out of time on "others": a warning that says how many and what to do', async () => {
    let elapsed = 0;
    jest.spyOn(performance, 'now').mockImplementation(() => elapsed);
    ddb.on(QueryCommand).resolves({
      Items: Array.from({ length: 40 }, (_, n) => ({ id: `other-${n}`, publicId: newPublicId() })),
    });
    ddb.on(DeleteCommand).callsFake(() => {
      elapsed += REVOKE_BUDGET_MS / 10;
      return {};
    });

    const response = await post('/sessions/revoke', { session: 'others' });
    jest.restoreAllMocks();

    expect(response.statusCode).toBe(303);
    expect(savedValues()).toEqual({
      [FLASHES_KEY]: [{ category: 'warning', message: othersIncompleteMessage(10) }],
    });
  });
});
