import { InternalServerError, ReplicatedWriteConflictException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lambda/session/src/store/documentClient';
import type { FaultKind } from '../../lib/local/storeProxy';
import { cookiePair } from '../support/http';
import { itemIdOf } from '../support/responses';
import { expect503, shownUser, useServerBehindProxy } from '../support/serverBehindProxy';
import { getItem, scanItems, TABLE } from '../support/table';

// The two faults of a multi-Region strongly consistent (MRSC) global table, injected by the proxy
// in front of the local server's store: a write that conflicts with another Region's write, and a
// Region that lost its quorum (only eventually consistent reads still answer).
const server = useServerBehindProxy();
const { db } = server;
const { proxy } = db;
const { get, post, login, loggedIn } = server;

const MRSC_FAULTS = ['replicated-write-conflict', 'lost-quorum'] as const satisfies FaultKind[];

/** The ids of every item in the table, sorted: what a test compares before and after a fault. */
async function itemIds(): Promise<unknown[]> {
  return (await scanItems(db)).map((item) => item.id).sort();
}

/** The public ids of the other sessions `/sessions` lists for `cookie`'s user. */
async function otherSessionIds(cookie: string): Promise<string[]> {
  const page = await get('/sessions', cookie);
  expect(page.status).toBe(200);
  return [...page.body.matchAll(/name="session" value="([\w-]{22})"/g)].map((match) => match[1]);
}

describe("the proxy's MRSC faults, through the library's SDK client (its retries)", () => {
  const key = { id: 'proxy-probe' };
  /** A fresh client per test (the SDK's retry quota is per client), destroyed after it. */
  let documents: DynamoDBDocumentClient;
  beforeEach(() => {
    documents = createDocumentClient({ endpoint: proxy.endpoint });
  });
  afterEach(() => documents.destroy());

  test('replicated-write-conflict: reads pass, each write gets the retryable 400 three times', async () => {
    proxy.fault({ kind: 'replicated-write-conflict' });
    await documents.send(new GetCommand({ TableName: TABLE, Key: key, ConsistentRead: true }));
    const error = await documents.send(new PutCommand({ TableName: TABLE, Item: key })).catch((e) => e);
    expect(error).toBeInstanceOf(ReplicatedWriteConflictException);
    expect(error.$metadata).toMatchObject({ httpStatusCode: 400, attempts: 3 });
    expect(proxy.operations).toEqual(['GetItem', 'PutItem', 'PutItem', 'PutItem']);
  });

  test('lost-quorum: an eventually consistent read passes and does not use up `count`', async () => {
    proxy.fault({ kind: 'lost-quorum', count: 1 });
    await documents.send(new GetCommand({ TableName: TABLE, Key: key }));
    // The one counted fault is this read's first attempt; its retry is forwarded.
    const read = await documents.send(new GetCommand({ TableName: TABLE, Key: key, ConsistentRead: true }));
    expect(read.$metadata.attempts).toBe(2);
    expect(proxy.operations).toEqual(['GetItem', 'GetItem', 'GetItem']);

    proxy.fault({ kind: 'lost-quorum' });
    const error = await documents.send(new DeleteCommand({ TableName: TABLE, Key: key })).catch((e) => e);
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error.$metadata).toMatchObject({ httpStatusCode: 500, attempts: 3 });
  });
});

describe('the local server on an MRSC table', () => {
  test('two write conflicts, then success: the write is retried and the login, or the logout, goes through', async () => {
    proxy.fault({ kind: 'replicated-write-conflict', count: 2 });
    const response = await login('conflicted');
    expect(response.status).toBe(303);
    expect(proxy.operations).toEqual(['PutItem', 'PutItem', 'PutItem']);
    const cookie = cookiePair(response.setCookies[0]);
    expect(shownUser(await get('/', cookie))).toBe('conflicted');

    proxy.reset();
    proxy.fault({ kind: 'replicated-write-conflict', count: 2, operations: ['DeleteItem'] });
    const logout = await get('/logout', cookie);
    expect(logout.status).toBe(303);
    expect(proxy.count('DeleteItem')).toBe(3);
    expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
    expect(shownUser(await get('/', cookie))).toBeUndefined();
  });

  test('persistent write conflicts: pages still show, every write answers 503, nothing is lost or half made', async () => {
    const laptop = await loggedIn('steady');
    const phone = await loggedIn('steady');
    const [phoneId] = await otherSessionIds(laptop);
    const before = await getItem(db, itemIdOf(laptop));
    const idsBefore = await itemIds();
    proxy.reset();
    proxy.fault({ kind: 'replicated-write-conflict' });

    // A page view writes nothing (no refresh is due): it reads, and reads still work.
    expect(shownUser(await get('/', laptop))).toBe('steady');
    const writes = await Promise.all([
      login('newcomer'),
      login('switch-user', laptop),
      get('/logout', phone),
      post('/sessions/revoke', `session=${phoneId}`, laptop),
    ]);
    for (const response of writes) expect503(response);
    // Each write was tried three times: two logins' puts, the logout's delete and its flash's put,
    // the revoke's delete.
    expect(proxy.count('PutItem')).toBe(9);
    expect(proxy.count('DeleteItem')).toBe(6);

    proxy.heal();
    expect(await getItem(db, itemIdOf(laptop))).toEqual(before);
    expect(await itemIds()).toEqual(idsBefore); // no session of the 503 logins, no flash's session
    expect(shownUser(await get('/', laptop))).toBe('steady');
    expect(shownUser(await get('/', phone))).toBe('steady'); // neither logged out nor revoked
  });

  test('lost quorum: 503 wherever the store is needed, never a session shown alive or logged out', async () => {
    const laptop = await loggedIn('quorum');
    const phone = await loggedIn('quorum');
    const ended = await loggedIn('quorum');
    expect((await get('/logout', ended)).status).toBe(303);
    const [phoneId] = await otherSessionIds(laptop);
    const idsBefore = await itemIds();
    proxy.reset();
    proxy.fault({ kind: 'lost-quorum' });

    // The page view's strongly consistent read fails: a 503 that keeps the cookie, not the
    // logged-out page.
    expect503(await get('/', laptop));
    expect(proxy.operations).toEqual(['GetItem', 'GetItem', 'GetItem']);
    // Nor is an ended session shown alive (a stale read could): it too waits for the quorum.
    expect503(await get('/', ended));
    // Only what needs no store still works.
    expect(shownUser(await get('/'))).toBeUndefined();
    for (const response of await Promise.all([
      get('/sessions', laptop),
      get('/logout', phone), // as for any store failure: 503, the cookie kept, the session alive
      post('/logout', 'scope=everywhere', laptop),
      post('/sessions/revoke', `session=${phoneId}`, laptop),
      post('/sessions/revoke', 'session=others', laptop),
      login('quorum-newcomer'),
      login('quorum-switch', laptop),
    ])) {
      expect503(response); // a logout or a revoke never reports a success it did not have
    }

    proxy.heal();
    expect(await itemIds()).toEqual(idsBefore);
    expect(shownUser(await get('/', laptop))).toBe('quorum');
    expect(shownUser(await get('/', phone))).toBe('quorum');
    expect(shownUser(await get('/', ended))).toBeUndefined();
    // The user's retries now do what the 503s did not.
    expect((await post('/sessions/revoke', `session=${phoneId}`, laptop)).status).toBe(303);
    expect(shownUser(await get('/', phone))).toBeUndefined();
    expect((await get('/logout', laptop)).status).toBe(303);
    expect(shownUser(await get('/', laptop))).toBeUndefined();
  });

  test('lost quorum: the health check answers 503, where an anonymous page view still answers 200', async () => {
    // Route 53 then takes this region out of the latency records; `GET /` alone would not notice.
    proxy.fault({ kind: 'lost-quorum' });
    expect(shownUser(await get('/'))).toBeUndefined();
    const failed = await get('/health');
    expect(failed.status).toBe(503);
    expect(failed.body).toBe('unavailable');
    expect(failed.headers['retry-after']).toBe('5');
    expect(failed.setCookies).toEqual([]);
    expect(proxy.operations).toEqual(['GetItem', 'GetItem', 'GetItem']); // one check, three attempts

    proxy.heal();
    const healed = await get('/health');
    expect([healed.status, healed.body]).toEqual([200, 'ok']);
  });

  test.each(MRSC_FAULTS)('recovers at once after a persistent %s: log in, view, log out', async (kind) => {
    proxy.fault({ kind });
    expect503(await login(`after-${kind}`));
    proxy.heal();
    const cookie = await loggedIn(`after-${kind}`);
    expect(shownUser(await get('/', cookie))).toBe(`after-${kind}`);
    expect((await get('/logout', cookie)).status).toBe(303);
    expect(shownUser(await get('/', cookie))).toBeUndefined();
  });
});
