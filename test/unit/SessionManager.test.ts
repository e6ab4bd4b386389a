import 'aws-sdk-client-mock-jest';
import {
  ConditionalCheckFailedException,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  SessionDataError,
  SessionNotLoadedError,
  SessionRejectedError,
  SessionUnavailableError,
  SigningKeyError,
} from '../../lambda/session/src/errors';
import { KeyRing } from '../../lambda/session/src/keys/KeyRing';
import { StaticKeys } from '../../lambda/session/src/keys/keyProvider';
import { type Session, sessionOver, sessionState } from '../../lambda/session/src/Session';
import {
  type SessionCommitEvent,
  SessionManager,
  type SessionRequest,
} from '../../lambda/session/src/SessionManager';
import { DataValidator } from '../../lambda/session/src/schema';
import {
  initialSessionState,
  loaded as markLoaded,
  type SessionState,
} from '../../lambda/session/src/sessionState';
import { newToken } from '../../lambda/session/src/tokens';
import { T0 } from '../support/clock';
import { testKey } from '../support/keys';
import {
  CURRENT_KEY,
  documentClient,
  IDLE_MS,
  makeManager,
  OLD_KEY,
  sha256Base64Url,
  storedItem,
  useMockedStore,
} from '../support/mockedStore';
import { bound, sealFor } from '../support/sealed';
import { TABLE } from '../support/table';

const { ddb, clock } = useMockedStore();
const current = new KeyRing([CURRENT_KEY]);

function throttled(): ThrottlingException {
  return new ThrottlingException({
    message: 'Rate of requests exceeds the allowed throughput',
    $metadata: {},
  });
}

/** A request carrying `values` under the session cookie's name. */
function request(values: string[] = [], secure = true): SessionRequest {
  const name = secure ? '__Host-session' : 'session';
  return { cookies: values.map((value) => `${name}=${value}`), secure };
}

/** The token inside a Set-Cookie value, checked against the current key only. */
function tokenIn(setCookie: string): string {
  const value = setCookie.split(';')[0].split('=').slice(1).join('=');
  const verified = current.verify(value);
  if (!verified) throw new Error(`not signed with the current key: ${setCookie}`);
  return verified.token;
}

function expectNoWrites(): void {
  expect(ddb).toHaveReceivedCommandTimes(PutCommand, 0);
  expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 0);
  expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 0);
}

/** The data a sealed map holds, opened with `token`. */
function opened(token: string, sealed: unknown): Record<string, unknown> {
  const { data, rejected } = sealFor(token).openAll(sealed as Record<string, Uint8Array>);
  expect(rejected).toBe(0);
  return { ...data };
}

/** The input of the one command of `type` the mock received. */
function onlyInput<T>(type: new (...args: never[]) => { input: T }): T {
  const calls = ddb.commandCalls(type as never);
  expect(calls).toHaveLength(1);
  return (calls[0].args[0] as unknown as { input: T }).input;
}

/** A copy of the session's data as the manager would commit it. */
function snapshot(session: Session): Record<string, unknown> {
  return { ...sessionState(session).data };
}

describe('SessionManager', () => {
  describe('load + commit', () => {
    it('without a cookie: no command at all, an empty session, no Set-Cookie', async () => {
      // Prepare
      const sessions = makeManager(clock);

      // Act
      const session = await sessions.load(request());
      const cookies = await sessions.commit(session, request());

      // Assess
      expect(ddb.calls()).toHaveLength(0);
      expect(session.outcome).toBe('no-cookie');
      expect(session.get('username')).toBeUndefined();
      expect(cookies).toEqual([]);
    });

    it('with a badly signed cookie: no command of any kind', async () => {
      // Prepare
      const sessions = makeManager(clock);
      const token = newToken();
      const forged = `${token}.${new KeyRing([testKey('attacker')]).sign(token).split('.')[1]}`;

      // Act
      const session = await sessions.load(request([forged]));
      const cookies = await sessions.commit(session, request([forged]));

      // Assess
      expect(ddb.calls()).toHaveLength(0);
      expect(session.outcome).toBe('bad-signature');
      expect(sessionState(session).token).toBeUndefined();
      expect(session.get('username')).toBeUndefined();
      expect(cookies).toEqual([]);
    });

    it('with an unchanged session whose refresh is not due: exactly one GetCommand, no write', async () => {
      // Prepare
      const token = newToken();
      ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
      clock.advance(IDLE_MS / 4 - 1);
      const sessions = makeManager(clock);
      const req = request([current.sign(token)]);

      // Act
      const session = await sessions.load(req);
      const username = session.get('username');
      const cookies = await sessions.commit(session, req);

      // Assess
      expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1);
      expect(ddb).toHaveReceivedCommandWith(GetCommand, {
        TableName: TABLE,
        Key: { id: sha256Base64Url(token) },
        ConsistentRead: true,
      });
      expectNoWrites();
      expect(ddb.calls()).toHaveLength(1);
      expect(username).toBe('admin');
      expect(session.outcome).toBe('found');
      expect(cookies).toEqual([]);
    });

    it('when the refresh is due: one UpdateCommand, and no Set-Cookie (same token, same key)', async () => {
      // Prepare
      const token = newToken();
      ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
      clock.advance(IDLE_MS / 4);
      const sessions = makeManager(clock);
      const req = request([current.sign(token)]);

      // Act
      const session = await sessions.load(req);
      const cookies = await sessions.commit(session, req);

      // Assess
      expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1);
      expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
      expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
        Key: { id: sha256Base64Url(token) },
        ConditionExpression: 'attribute_exists(#id) AND #validUntil > :now',
      });
      expect(ddb).toHaveReceivedCommandTimes(PutCommand, 0);
      expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 0);
      expect(cookies).toEqual([]);
      expect(session.get('username')).toBe('admin');
    });

    it('when the refresh finds the item gone: the data is emptied, no cookie, no throw', async () => {
      // Prepare
      const token = newToken();
      ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
      ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'x', $metadata: {} }));
      clock.advance(IDLE_MS / 2);
      const sessions = makeManager(clock);
      const req = request([current.sign(token)]);
      const session = await sessions.load(req);

      // Act
      const cookies = await sessions.commit(session, req);

      // Assess
      expect(cookies).toEqual([]);
      expect(session.get('username')).toBeUndefined();
      expect(session.has('username')).toBe(false);
      expect(session.isModified).toBe(false);
      expect(ddb).toHaveReceivedCommandTimes(PutCommand, 0);
    });

    it('when a save finds the item gone: the data is emptied, no cookie, no new session', async () => {
      // Prepare
      const token = newToken();
      ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
      ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'x', $metadata: {} }));
      const sessions = makeManager(clock);
      const req = request([current.sign(token)]);
      const session = await sessions.load(req);
      session.set('visits', 1);

      // Act
      const cookies = await sessions.commit(session, req);

      // Assess
      expect(cookies).toEqual([]);
      expect(session.get('visits')).toBeUndefined();
      expect(ddb).toHaveReceivedCommandTimes(PutCommand, 0);
    });

    it('a changed session writes only the key set: one conditional UpdateCommand, SET of its path', async () => {
      // Prepare
      const token = newToken();
      ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
      const sessions = makeManager(clock);
      const req = request([current.sign(token)]);
      const session = await sessions.load(req);

      // Act
      session.set('theme', 'dark');
      const cookies = await sessions.commit(session, req);

      // Assess
      const seal = sealFor(token);
      const input = onlyInput(UpdateCommand);
      expect(input).toEqual({
        TableName: TABLE,
        Key: { id: sha256Base64Url(token) },
        UpdateExpression:
          'SET #sealed.#k0 = :k0, #refreshedAt = :now, #validUntil = :validUntil, #ttl = :ttl, #mac = :mac',
        ConditionExpression: 'attribute_exists(#id) AND #validUntil > :now',
        ExpressionAttributeNames: {
          '#id': 'id',
          '#refreshedAt': 'refreshedAt',
          '#validUntil': 'validUntil',
          '#ttl': 'expiresAt',
          '#mac': 'mac',
          '#sealed': 'sealed',
          '#k0': seal.nameTag('theme'),
        },
        ExpressionAttributeValues: {
          ':now': clock.value,
          ':validUntil': clock.value + IDLE_MS,
          ':ttl': Math.floor((clock.value + IDLE_MS) / 1000),
          ':mac': expect.any(String),
          ':k0': expect.any(Uint8Array),
        },
      });
      expect(seal.open(seal.nameTag('theme'), input.ExpressionAttributeValues?.[':k0'])).toEqual({
        name: 'theme',
        value: 'dark',
      });
      expect(ddb).toHaveReceivedCommandTimes(PutCommand, 0);
      expect(session.writes).toEqual(['saved']);
      expect(cookies).toEqual([]);
    });

    it('a popped key is one REMOVE of its path; the other keys are not written', async () => {
      // Prepare
      const token = newToken();
      ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin', cart: ['book'] }) });
      const sessions = makeManager(clock);
      const req = request([current.sign(token)]);
      const session = await sessions.load(req);

      // Act
      session.pop('cart');
      await sessions.commit(session, req);

      // Assess
      const input = onlyInput(UpdateCommand);
      expect(input.UpdateExpression).toBe(
        'SET #refreshedAt = :now, #validUntil = :validUntil, #ttl = :ttl, #mac = :mac REMOVE #sealed.#k0',
      );
      expect(input.ExpressionAttributeNames).toMatchObject({ '#k0': sealFor(token).nameTag('cart') });
      expect(Object.keys(input.ExpressionAttributeValues ?? {}).sort()).toEqual([
        ':mac',
        ':now',
        ':ttl',
        ':validUntil',
      ]);
    });

    it('a key set then popped in one request is removed; one popped then set is set', async () => {
      // Prepare
      const token = newToken();
      ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
      const sessions = makeManager(clock);
      const req = request([current.sign(token)]);
      const session = await sessions.load(req);
      const seal = sealFor(token);

      // Act
      session.set('flash', 'saved!');
      session.pop('flash');
      session.pop('username');
      session.set('username', 'other');
      await sessions.commit(session, req);

      // Assess
      const input = onlyInput(UpdateCommand);
      expect(input.UpdateExpression).toBe(
        'SET #sealed.#k0 = :k0, #refreshedAt = :now, #validUntil = :validUntil, #ttl = :ttl, #mac = :mac REMOVE #sealed.#k1',
      );
      expect(input.ExpressionAttributeNames).toMatchObject({
        '#k0': seal.nameTag('username'),
        '#k1': seal.nameTag('flash'),
      });
      expect(seal.open(seal.nameTag('username'), input.ExpressionAttributeValues?.[':k0'])?.value).toBe(
        'other',
      );
    });

    it('clear() replaces the whole sealed map with what is set after it', async () => {
      // Prepare
      const token = newToken();
      ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin', cart: ['book'] }) });
      const sessions = makeManager(clock);
      const req = request([current.sign(token)]);
      const session = await sessions.load(req);

      // Act
      session.clear();
      session.set('theme', 'dark');
      await sessions.commit(session, req);

      // Assess
      const input = onlyInput(UpdateCommand);
      expect(input.UpdateExpression).toBe(
        'SET #sealed = :sealed, #refreshedAt = :now, #validUntil = :validUntil, #ttl = :ttl, #mac = :mac',
      );
      expect(input.ConditionExpression).toBe('attribute_exists(#id) AND #validUntil > :now');
      expect(opened(token, input.ExpressionAttributeValues?.[':sealed'])).toEqual({ theme: 'dark' });
    });

    it('a save when the refresh is also due is still one UpdateCommand, pushing the expiry forward', async () => {
      // Prepare
      const token = newToken();
      ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
      clock.advance(IDLE_MS / 2);
      const sessions = makeManager(clock);
      const req = request([current.sign(token)]);
      const session = await sessions.load(req);

      // Act
      session.set('theme', 'dark');
      await sessions.commit(session, req);

      // Assess
      const input = onlyInput(UpdateCommand);
      expect(input.UpdateExpression).toBe(
        'SET #sealed.#k0 = :k0, #refreshedAt = :now, #validUntil = :validUntil, #ttl = :ttl, #mac = :mac',
      );
      expect(input.ExpressionAttributeValues).toMatchObject({
        ':now': clock.value,
        ':validUntil': clock.value + IDLE_MS,
      });
      expect(session.writes).toEqual(['saved']);
    });

    it('more than 100 keys changed in one request replace the whole map (the expression stays small)', async () => {
      // Prepare
      const token = newToken();
      ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
      const sessions = makeManager(clock);
      const req = request([current.sign(token)]);
      const session = await sessions.load(req);

      // Act
      for (let i = 0; i < 101; i++) session.set(`k${i}`, i);
      await sessions.commit(session, req);

      // Assess
      const input = onlyInput(UpdateCommand);
      expect(input.UpdateExpression).toBe(
        'SET #sealed = :sealed, #refreshedAt = :now, #validUntil = :validUntil, #ttl = :ttl, #mac = :mac',
      );
      const data = opened(token, input.ExpressionAttributeValues?.[':sealed']);
      expect(Object.keys(data)).toHaveLength(102);
      expect(data.username).toBe('admin');
    });

    it('a stored value that does not authenticate reads as absent and is counted in the commit event', async () => {
      // Prepare: a value sealed for another session, copied under this session's tag for `role`
      const token = newToken();
      const item = storedItem(token, { username: 'admin' });
      item.sealed[sealFor(token).nameTag('role')] = sealFor(newToken()).seal('role', 'root');
      ddb.on(GetCommand).resolves({ Item: item });
      const events: SessionCommitEvent[] = [];
      const sessions = makeManager(clock, { onCommit: (event) => events.push(event) });
      const req = request([current.sign(token)]);

      // Act
      const session = await sessions.load(req);
      await sessions.commit(session, req);

      // Assess
      expect(session.outcome).toBe('found');
      expect(session.get('role')).toBeUndefined();
      expect(session.keys()).toEqual(['username']);
      expect(events).toEqual([expect.objectContaining({ outcome: 'found', writes: [], rejectedValues: 1 })]);
      expectNoWrites();
    });

    it('an item whose clear fields fail their MAC (relabelled) reads as absent: counted, nothing written', async () => {
      // Prepare: mallory's own item, relabelled in the table as alice's; a refresh would be due
      const token = newToken();
      const item = storedItem(token, { username: 'mallory' }, T0, T0, {
        owner: 'mallory',
        device: 'Firefox on Linux',
        publicId: 'AAAAAAAAAAAAAAAAAAAAAA',
      });
      ddb.on(GetCommand).resolves({ Item: { ...item, owner: 'alice' } });
      const events: SessionCommitEvent[] = [];
      const sessions = makeManager(clock, { onCommit: (event) => events.push(event) });
      const req = request([current.sign(token)]);
      clock.advance(IDLE_MS / 2);

      // Act
      const session = await sessions.load(req);
      await sessions.commit(session, req);

      // Assess
      expect([session.outcome, session.owner, session.publicId, session.keys()]).toEqual([
        'absent',
        undefined,
        undefined,
        [],
      ]);
      expect(events).toEqual([expect.objectContaining({ outcome: 'absent', writes: [], rejectedValues: 1 })]);
      expectNoWrites();
    });

    it('an item written before sealing (plain data) reads as absent, and nothing is written to it', async () => {
      // Prepare
      const token = newToken();
      const { sealed: _sealed, ...legacy } = storedItem(token, {});
      ddb.on(GetCommand).resolves({ Item: { ...legacy, data: { username: 'admin' } } });
      clock.advance(IDLE_MS / 2); // a refresh would be due on a live session
      const sessions = makeManager(clock);
      const req = request([current.sign(token)]);

      // Act
      const session = await sessions.load(req);
      const cookies = await sessions.commit(session, req);

      // Assess
      expect(session.outcome).toBe('absent');
      expect(session.get('username')).toBeUndefined();
      expect(cookies).toEqual([]);
      expectNoWrites();
    });

    it.each([
      ['absent', () => ({})],
      ['expired', (token: string) => ({ Item: storedItem(token, { username: 'admin' }, 0) })],
    ])('a cookie whose session is %s gives an empty session and no write', async (outcome, output) => {
      // Prepare
      const token = newToken();
      ddb.on(GetCommand).resolves(output(token));
      const sessions = makeManager(clock);
      const req = request([current.sign(token)]);

      // Act
      const session = await sessions.load(req);
      const cookies = await sessions.commit(session, req);

      // Assess
      expect(session.outcome).toBe(outcome);
      expect(session.get('username')).toBeUndefined();
      expect(cookies).toEqual([]);
      expect(ddb.calls()).toHaveLength(1);
    });

    it('setting data on an empty session creates a new session with a new id', async () => {
      // Prepare
      const sessions = makeManager(clock);
      const session = await sessions.load(request());
      session.set('cart', ['apple']);

      // Act
      const cookies = await sessions.commit(session, request());

      // Assess
      expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
      expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 0);
      expect(cookies).toHaveLength(1);
      const token = tokenIn(cookies[0]);
      const { Item } = onlyInput(PutCommand);
      expect(Item?.id).toBe(sha256Base64Url(token));
      expect(opened(token, Item?.sealed)).toEqual({ cart: ['apple'] });
    });

    it('a cookie signed with the old key is re-signed with the current key, same token, and its item refreshed once', async () => {
      // Prepare
      const token = newToken();
      ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
      const sessions = makeManager(clock);
      const req = request([new KeyRing([OLD_KEY]).sign(token)]);

      // Act
      const session = await sessions.load(req);
      const cookies = await sessions.commit(session, req);

      // Assess: the refresh rewrites the clear fields' MAC under the current key, so the session
      // outlives the old key as its cookie does.
      expect(sessionState(session).signedWithOldKey).toBe(true);
      expect(cookies).toHaveLength(1);
      expect(cookies[0].startsWith(`__Host-session=${current.sign(token)};`)).toBe(true);
      expect(tokenIn(cookies[0])).toBe(token);
      expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
      expect(session.writes).toEqual(['refreshed']);
    });

    it('an item whose MAC the old key made reads while that key verifies; its refresh rewrites the MAC with the current key', async () => {
      // Prepare: a session last written before the rotation, its clear fields MACed under OLD_KEY
      const token = newToken();
      const item = storedItem(token, { username: 'admin' });
      const beforeRotation = bound(item, token, new KeyRing([OLD_KEY]));
      ddb.on(GetCommand).resolves({ Item: beforeRotation });
      clock.advance(IDLE_MS / 4);
      const events: SessionCommitEvent[] = [];
      const sessions = makeManager(clock, { onCommit: (event) => events.push(event) });
      const req = request([current.sign(token)]);

      // Act
      const session = await sessions.load(req);
      await sessions.commit(session, req);
      const retired = makeManager(clock, { keys: [CURRENT_KEY] });
      const afterRetirement = await retired.load(req);

      // Assess: found and refreshed, its new MAC the current key's; absent once OLD_KEY is gone
      expect(session.get('username')).toBe('admin');
      expect(events).toEqual([expect.objectContaining({ outcome: 'found', writes: ['refreshed'] })]);
      const { ExpressionAttributeValues: values } = onlyInput(UpdateCommand);
      const refreshedAt = clock.now();
      const validUntil = Math.min(refreshedAt + IDLE_MS, item.absoluteExpiresAt);
      expect(values?.[':mac']).toBe(bound({ ...item, refreshedAt, validUntil }, token).mac);
      expect(sessionState(afterRetirement).outcome).toBe('absent');
      expect(sessionState(afterRetirement).rejectedValues).toBe(1);
    });

    it('a cookie signed with a retired key is refused without a read', async () => {
      // Prepare
      const sessions = makeManager(clock, { keys: [CURRENT_KEY] });
      const req = request([new KeyRing([OLD_KEY]).sign(newToken())]);

      // Act
      const session = await sessions.load(req);

      // Assess
      expect(session.outcome).toBe('bad-signature');
      expect(ddb.calls()).toHaveLength(0);
    });

    it('uses the validly signed value when the cookie name appears twice', async () => {
      // Prepare
      const token = newToken();
      ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
      const sessions = makeManager(clock);
      const req = request([`${newToken()}.forged`, current.sign(token)]);

      // Act
      const session = await sessions.load(req);

      // Assess
      expect(sessionState(session).token).toBe(token);
      expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1);
      expect(ddb).toHaveReceivedCommandWith(GetCommand, { Key: { id: sha256Base64Url(token) } });
    });

    it('ignores a cookie of the other scheme’s name', async () => {
      // Prepare: a plain `session` cookie on an HTTPS request (a planted or stale cookie)
      const sessions = makeManager(clock);
      const req: SessionRequest = { cookies: [`session=${current.sign(newToken())}`], secure: true };

      // Act
      const session = await sessions.load(req);

      // Assess
      expect(session.outcome).toBe('no-cookie');
      expect(ddb.calls()).toHaveLength(0);
    });

    it('a store failure on load propagates as SessionUnavailableError', async () => {
      // Prepare
      ddb.on(GetCommand).rejects(throttled());
      const sessions = makeManager(clock);

      // Act & Assess
      await expect(sessions.load(request([current.sign(newToken())]))).rejects.toBeInstanceOf(
        SessionUnavailableError,
      );
    });

    it('a store failure on refresh propagates (never a silent logout)', async () => {
      // Prepare
      const token = newToken();
      ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
      ddb.on(UpdateCommand).rejects(throttled());
      clock.advance(IDLE_MS / 2);
      const sessions = makeManager(clock);
      const req = request([current.sign(token)]);
      const session = await sessions.load(req);

      // Act & Assess
      await expect(sessions.commit(session, req)).rejects.toBeInstanceOf(SessionUnavailableError);
    });
  });

  describe('login-style commit (attach + regenerate + clear + set)', () => {
    async function login(sessions: ReturnType<typeof makeManager>, req: SessionRequest) {
      const session = await sessions.attach(req);
      session.regenerate();
      session.clear();
      session.set('username', 'admin');
      return { session, commit: sessions.commit(session, req) };
    }

    it('with a validly signed cookie: one PutCommand, then one DeleteCommand of the old hashed id, and a new token', async () => {
      // Prepare
      const oldToken = newToken();
      const sessions = makeManager(clock);
      const req = request([current.sign(oldToken)]);

      // Act
      const { commit } = await login(sessions, req);
      const cookies = await commit;

      // Assess
      expect(ddb).toHaveReceivedCommandTimes(GetCommand, 0);
      expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
      expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 1);
      expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
        TableName: TABLE,
        Key: { id: sha256Base64Url(oldToken) },
      });
      expect(ddb.calls().map((call) => call.args[0].constructor)).toEqual([PutCommand, DeleteCommand]);
      expect(cookies).toHaveLength(1);
      const fresh = tokenIn(cookies[0]);
      expect(fresh).not.toBe(oldToken);
      const put = onlyInput(PutCommand);
      expect(put.ConditionExpression).toBe('attribute_not_exists(#id)');
      expect(put.Item?.id).toBe(sha256Base64Url(fresh));
      expect(opened(fresh, put.Item?.sealed)).toEqual({ username: 'admin' });
    });

    it('without a cookie: one PutCommand and no DeleteCommand', async () => {
      // Act
      const cookies = await (await login(makeManager(clock), request())).commit;

      // Assess
      expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
      expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 0);
      expect(ddb.calls()).toHaveLength(1);
      expect(tokenIn(cookies[0])).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it('with a badly signed cookie: no DeleteCommand (nothing the client proved it owns)', async () => {
      // Prepare
      const victim = newToken();
      const req = request([`${victim}.${'A'.repeat(43)}`]);

      // Act
      const cookies = await (await login(makeManager(clock), req)).commit;

      // Assess
      expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
      expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 0);
      expect(tokenIn(cookies[0])).not.toBe(victim);
    });

    it('with a cookie signed by the old key: deletes the old id and signs the new one with the current key', async () => {
      // Prepare
      const oldToken = newToken();
      const req = request([new KeyRing([OLD_KEY]).sign(oldToken)]);

      // Act
      const cookies = await (await login(makeManager(clock), req)).commit;

      // Assess
      expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: { id: sha256Base64Url(oldToken) } });
      expect(tokenIn(cookies[0])).not.toBe(oldToken);
    });

    it('the Set-Cookie carries the secure attributes and the configured Max-Age', async () => {
      // Act
      const cookies = await (await login(makeManager(clock, { cookie: { maxAgeSeconds: 600 } }), request()))
        .commit;

      // Assess
      expect(cookies[0]).toMatch(/^__Host-session=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}; /);
      expect(cookies[0]).toContain('Max-Age=600');
      expect(cookies[0]).toContain('Secure');
      expect(cookies[0]).toContain('HttpOnly');
    });

    it('over plain HTTP the cookie is named session and is not Secure', async () => {
      // Act
      const cookies = await (await login(makeManager(clock), request([], false))).commit;

      // Assess
      expect(cookies[0]).toMatch(/^session=/);
      expect(cookies[0]).not.toContain('Secure');
    });

    it('a store failure on the put propagates, deletes nothing and returns no cookie', async () => {
      // Prepare
      ddb.on(PutCommand).rejects(throttled());
      const req = request([current.sign(newToken())]);

      // Act & Assess
      await expect((await login(makeManager(clock), req)).commit).rejects.toBeInstanceOf(
        SessionUnavailableError,
      );
      expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 0);
    });
  });

  describe('regenerate on a loaded session', () => {
    it('moves the data to a new id, deletes the old item and sends the new cookie', async () => {
      // Prepare
      const oldToken = newToken();
      ddb.on(GetCommand).resolves({ Item: storedItem(oldToken, { username: 'admin', theme: 'dark' }) });
      const sessions = makeManager(clock);
      const req = request([current.sign(oldToken)]);
      const session = await sessions.load(req);

      // Act
      session.regenerate();
      const cookies = await sessions.commit(session, req);

      // Assess
      const fresh = tokenIn(cookies[0]);
      expect(fresh).not.toBe(oldToken);
      expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 0);
      const { Item } = onlyInput(PutCommand);
      expect(Item?.id).toBe(sha256Base64Url(fresh));
      // Sealed again under the new token: the old token's keys open none of it.
      expect(opened(fresh, Item?.sealed)).toEqual({ username: 'admin', theme: 'dark' });
      expect(sealFor(oldToken).openAll(Item?.sealed).rejected).toBe(2);
      expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: { id: sha256Base64Url(oldToken) } });
    });
  });

  describe('regenerate() without options (security review, finding 3)', () => {
    it('on a loaded owned session keeps its owner and device label, with a new public id', async () => {
      // Prepare
      const oldToken = newToken();
      const publicId = 'AAAAAAAAAAAAAAAAAAAAAA';
      ddb.on(GetCommand).resolves({
        Item: storedItem(oldToken, { username: 'alice' }, T0, T0, {
          owner: 'alice',
          device: 'Safari on iOS',
          publicId,
        }),
      });
      const sessions = makeManager(clock);
      const req = request([current.sign(oldToken)]);
      const session = await sessions.load(req);

      // Act
      session.regenerate();
      const cookies = await sessions.commit(session, req);

      // Assess: still in alice's listing, so her "log out everywhere" ends it
      const { Item } = onlyInput(PutCommand);
      expect(Item).toMatchObject({
        id: sha256Base64Url(tokenIn(cookies[0])),
        owner: 'alice',
        device: 'Safari on iOS',
      });
      expect(Item?.publicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Item?.publicId).not.toBe(publicId);
      expect(opened(tokenIn(cookies[0]), Item?.sealed)).toEqual({ username: 'alice' });
    });

    it('with options on a loaded owned session, records the owner and device the call gives', async () => {
      const token = newToken();
      ddb.on(GetCommand).resolves({
        Item: storedItem(token, {}, T0, T0, {
          owner: 'alice',
          device: 'Safari on iOS',
          publicId: 'AAAAAAAAAAAAAAAAAAAAAA',
        }),
      });
      const sessions = makeManager(clock);
      const req = request([current.sign(token)]);
      const session = await sessions.load(req);

      session.regenerate({ owner: 'bob' });
      await sessions.commit(session, req);

      expect(onlyInput(PutCommand).Item).toMatchObject({ owner: 'bob', device: 'Unknown device' });
    });

    it('on an attached session keeps no owner: nothing was read, so the new session is anonymous', async () => {
      const sessions = makeManager(clock);
      const req = request([current.sign(newToken())]);
      const session = await sessions.attach(req);

      session.regenerate();
      await sessions.commit(session, req);

      expect(onlyInput(PutCommand).Item).not.toHaveProperty('owner');
    });
  });

  describe('logout-style commit (attach + destroy)', () => {
    it('deletes the hashed id without reading and clears the cookie', async () => {
      // Prepare
      const token = newToken();
      const sessions = makeManager(clock);
      const req = request([current.sign(token)]);

      // Act
      const session = await sessions.attach(req);
      session.destroy();
      const cookies = await sessions.commit(session, req);

      // Assess
      expect(ddb.calls()).toHaveLength(1);
      expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 1);
      expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
        TableName: TABLE,
        Key: { id: sha256Base64Url(token) },
      });
      expect(cookies).toHaveLength(1);
      expect(cookies[0]).toMatch(/^__Host-session=;/);
      expect(cookies[0]).toContain('Max-Age=0');
    });

    it('with a well-formed cookie no key verifies (a key this process does not hold yet): deletes its hashed id', async () => {
      // Prepare: signed with a key that is not in this manager's ring, as during a rotation.
      const token = newToken();
      const req = request([new KeyRing([testKey('distributed-elsewhere')]).sign(token)]);
      const sessions = makeManager(clock);

      // Act
      const session = await sessions.attach(req);
      session.destroy();
      const cookies = await sessions.commit(session, req);

      // Assess
      expect(ddb.calls()).toHaveLength(1);
      expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
        TableName: TABLE,
        Key: { id: sha256Base64Url(token) },
      });
      expect(session.outcome).toBe('bad-signature');
      expect(session.writes).toEqual(['destroyed']);
      expect(cookies[0]).toContain('Max-Age=0');
    });

    it('deletes the verified session and every other well-formed candidate, each once', async () => {
      // Prepare
      const verified = newToken();
      const unverified = newToken();
      const req = request([
        current.sign(verified),
        `${unverified}.${'A'.repeat(43)}`,
        `${verified}.${'B'.repeat(43)}`,
      ]);
      const sessions = makeManager(clock);

      // Act
      const session = await sessions.attach(req);
      session.destroy();
      await sessions.commit(session, req);

      // Assess
      const deleted = ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input.Key?.id);
      expect(deleted).toEqual([sha256Base64Url(verified), sha256Base64Url(unverified)]);
    });

    it('a page view with a well-formed but unverified cookie still reads and writes nothing', async () => {
      const req = request([`${newToken()}.${'A'.repeat(43)}`]);
      const sessions = makeManager(clock);
      const session = await sessions.load(req);
      await sessions.commit(session, req);
      expect(ddb.calls()).toHaveLength(0);
    });

    it.each([
      ['no cookie', []],
      ['a malformed cookie', ['not-a-signed-value', `${newToken()}.short`, `${newToken()}`]],
    ])('with %s: no command, still clears the cookie', async (_label, values) => {
      // Prepare
      const sessions = makeManager(clock);
      const req = request(values);

      // Act
      const session = await sessions.attach(req);
      session.destroy();
      const cookies = await sessions.commit(session, req);

      // Assess
      expect(ddb.calls()).toHaveLength(0);
      expect(cookies).toHaveLength(1);
      expect(cookies[0]).toContain('Max-Age=0');
    });

    it('a store failure propagates instead of clearing the cookie', async () => {
      // Prepare
      ddb.on(DeleteCommand).rejects(throttled());
      const sessions = makeManager(clock);
      const req = request([current.sign(newToken())]);
      const session = await sessions.attach(req);
      session.destroy();

      // Act & Assess
      await expect(sessions.commit(session, req)).rejects.toBeInstanceOf(SessionUnavailableError);
    });
  });

  describe('attach', () => {
    it('reads nothing and refuses get/has/pop/set before clear', async () => {
      // Prepare
      const sessions = makeManager(clock);

      // Act
      const session = await sessions.attach(request([current.sign(newToken())]));

      // Assess
      expect(ddb.calls()).toHaveLength(0);
      expect(session.outcome).toBe('not-read');
      expect(() => session.get('username')).toThrow(SessionNotLoadedError);
      expect(() => session.has('username')).toThrow(SessionNotLoadedError);
      expect(() => session.pop('username')).toThrow(SessionNotLoadedError);
      expect(() => session.set('username', 'x')).toThrow(SessionNotLoadedError);
    });

    it('reports no-cookie and bad-signature as load does', async () => {
      const sessions = makeManager(clock);
      expect((await sessions.attach(request())).outcome).toBe('no-cookie');
      expect((await sessions.attach(request(['garbage']))).outcome).toBe('bad-signature');
    });

    it('allows regenerate(), clear() then set() without a read', async () => {
      // Prepare
      const session = await makeManager(clock).attach(request([current.sign(newToken())]));

      // Act
      session.regenerate();
      session.clear();
      session.set('username', 'admin');

      // Assess
      expect(session.get('username')).toBe('admin');
    });

    it('refuses clear() unread without regenerate(): it would write nothing, or replace the session unasked', async () => {
      // Prepare
      const sessions = makeManager(clock);
      const session = await sessions.attach(request([current.sign(newToken())]));

      // Act & Assess
      expect(() => session.clear()).toThrow(SessionNotLoadedError);
      expect(() => session.clear()).toThrow(
        /load\(\) the session to read or change it, or regenerate\(\) and clear\(\)/,
      );
      expect(() => session.set('username', 'admin')).toThrow(SessionNotLoadedError);
      expect(await sessions.commit(session, request())).toEqual([]);
      expect(ddb.calls()).toHaveLength(0);
    });
  });
});

describe('Session', () => {
  /** A session whose read found `data`, built through the state's own transition. */
  function loaded(data: Record<string, unknown> = {}): Session {
    const state: SessionState = initialSessionState(current);
    const record = {
      id: 'id',
      sealed: {},
      createdAt: 0,
      refreshedAt: 0,
      absoluteExpiresAt: 1,
      validUntil: 1,
      expiresAt: 0,
      mac: 'mac',
    };
    markLoaded(state, undefined, { status: 'found', record, data, rejectedValues: 0 });
    return sessionOver(state, new DataValidator(undefined));
  }

  it('get returns a value, undefined when absent', () => {
    const session = loaded({ username: 'admin' });
    expect(session.get('username')).toBe('admin');
    expect(session.get('missing')).toBeUndefined();
    expect(session.isModified).toBe(false);
  });

  it('has tells present from absent, including a present undefined-like value', () => {
    const session = loaded({ username: 'admin', empty: null });
    expect(session.has('username')).toBe(true);
    expect(session.has('empty')).toBe(true);
    expect(session.has('missing')).toBe(false);
  });

  it('set stores and marks modified', () => {
    // Prepare
    const session = loaded();

    // Act
    session.set('username', 'admin');

    // Assess
    expect(session.get('username')).toBe('admin');
    expect(session.isModified).toBe(true);
    expect(snapshot(session)).toEqual({ username: 'admin' });
  });

  it('pop removes and returns a value, marking modified', () => {
    // Prepare
    const session = loaded({ username: 'admin', theme: 'dark' });

    // Act
    const popped = session.pop('username');

    // Assess
    expect(popped).toBe('admin');
    expect(session.has('username')).toBe(false);
    expect(session.isModified).toBe(true);
    expect(snapshot(session)).toEqual({ theme: 'dark' });
  });

  it('pop of an absent key returns undefined and changes nothing', () => {
    const session = loaded({ theme: 'dark' });
    expect(session.pop('username')).toBeUndefined();
    expect(session.isModified).toBe(false);
  });

  it('clear empties a non-empty session and marks modified', () => {
    const session = loaded({ username: 'admin' });
    session.clear();
    expect(snapshot(session)).toEqual({});
    expect(session.isModified).toBe(true);
  });

  it('clear of an already empty session is not a modification', () => {
    const session = loaded({});
    session.clear();
    expect(session.isModified).toBe(false);
  });

  it('does not share its data with the state it was built from', () => {
    // Prepare
    const data = { username: 'admin' };
    const session = loaded(data);

    // Act
    session.set('username', 'other');
    const copy = snapshot(session);
    copy.username = 'third';

    // Assess
    expect(data.username).toBe('admin');
    expect(session.get('username')).toBe('other');
  });

  it('regenerate and destroy only set flags', () => {
    const session = loaded({ username: 'admin' });
    session.regenerate();
    session.destroy();
    expect(session.isRegenerated).toBe(true);
    expect(session.isDestroyed).toBe(true);
    expect(session.isModified).toBe(false);
    expect(session.get('username')).toBe('admin');
  });

  it('returns nothing from Object.prototype for keys that were never set', () => {
    const session = loaded();
    expect(session.get('constructor')).toBeUndefined();
    expect(session.get('toString')).toBeUndefined();
    expect(session.get('__proto__')).toBeUndefined();
    expect(session.has('constructor')).toBe(false);
  });

  it('stores __proto__ as an ordinary key instead of replacing the prototype', () => {
    // Prepare
    const session = loaded();

    // Act
    session.set('__proto__', { username: 'admin' });

    // Assess
    expect(session.get('username')).toBeUndefined();
    expect(session.has('__proto__')).toBe(true);
    expect(session.get('__proto__')).toEqual({ username: 'admin' });
    expect(JSON.parse(JSON.stringify(snapshot(session)))).toEqual(
      JSON.parse('{"__proto__":{"username":"admin"}}'),
    );
  });
});

describe('SessionManager options', () => {
  const valid = () => ({ client: documentClient(), tableName: TABLE, keys: new StaticKeys([CURRENT_KEY]) });

  it.each([
    ['tableName', { tableName: '' }],
    ['client', { client: {} }],
    ['keys', { keys: [CURRENT_KEY] }],
    ['idleTimeoutSeconds', { idleTimeoutSeconds: 0 }],
    ['idleTimeoutSeconds', { idleTimeoutSeconds: 1.5 }],
    ['absoluteTimeoutSeconds', { absoluteTimeoutSeconds: 10 * 365 * 24 * 3600 + 1 }],
    ['maxDataBytes', { maxDataBytes: 400 * 1024 }],
    ['cookie.name', { cookie: { name: '__Host-x' } }],
    ['expiry', { expiry: 'scan' }],
  ])('refuses a bad %s with a TypeError naming it', (name, bad) => {
    const make = () => new SessionManager({ ...valid(), ...bad } as never);
    expect(make).toThrow(TypeError);
    expect(make).toThrow(new RegExp(`^${name.replace('.', '\\.')}: `));
  });

  it.each([
    ['sweeper', true],
    ['ttl', false],
    [undefined, false],
  ] as const)('expiry %s: a new session’s put carries an expiry bucket: %s', async (expiry, bucketed) => {
    // Act
    const sessions = makeManager(clock, { ...(expiry === undefined ? {} : { expiry }) });
    const session = await sessions.load(request());
    session.set('username', 'admin');
    await sessions.commit(session, request());

    // Assess
    const { Item } = onlyInput(PutCommand) as { Item: Record<string, unknown> };
    expect('expiryBucket' in Item).toBe(bucketed);
    if (bucketed) expect(Item.expiryBucket).toMatch(/^\d+\.[0-7]$/);
  });

  it('names the cookie as configured', () => {
    const sessions = new SessionManager({ ...valid(), cookie: { name: 'sid' } });
    expect(sessions.cookieName(true)).toBe('__Host-sid');
    expect(sessions.cookieName(false)).toBe('sid');
  });
});

describe('checkStore', () => {
  /** A manager whose key provider must never be asked: the check needs no keys. */
  function keyless(): { sessions: SessionManager; getKeys: jest.Mock } {
    const getKeys = jest.fn(async (): Promise<readonly string[]> => {
      throw new Error('the check asked for the signing keys');
    });
    return {
      sessions: new SessionManager({ client: documentClient(), tableName: TABLE, keys: { getKeys } }),
      getKeys,
    };
  }

  it('sends one strongly consistent GetItem of a fixed key no session can have, the key alone projected, and nothing else', async () => {
    // Prepare
    const { sessions, getKeys } = keyless();

    // Act
    await expect(sessions.checkStore()).resolves.toBeUndefined();

    // Assess
    expect(ddb.calls()).toHaveLength(1);
    expect(onlyInput(GetCommand)).toEqual({
      TableName: TABLE,
      Key: { id: 'health-check' },
      ConsistentRead: true,
      ProjectionExpression: '#id',
      ExpressionAttributeNames: { '#id': 'id' },
    });
    expect(getKeys).not.toHaveBeenCalled();
  });

  it('resolves when the table holds an item under that key too: the table answered', async () => {
    ddb.on(GetCommand).resolves({ Item: { id: 'health-check' } });
    await expect(keyless().sessions.checkStore()).resolves.toBeUndefined();
  });

  it.each([
    ['does not answer (throttled): SessionUnavailableError', throttled, SessionUnavailableError, true],
    [
      'refuses (no such table): SessionRejectedError',
      () =>
        new ResourceNotFoundException({
          message: 'Requested resource not found',
          $metadata: { httpStatusCode: 400 },
        }),
      SessionRejectedError,
      false,
    ],
  ] as const)('a table that %s, operation check, with the cause', async (_label, make, type, retryable) => {
    // Prepare
    const cause = make();
    ddb.on(GetCommand).rejects(cause);

    // Act
    const failure = keyless().sessions.checkStore();

    // Assess
    await expect(failure).rejects.toBeInstanceOf(type);
    await expect(failure).rejects.toMatchObject({
      dependency: 'store',
      operation: 'check',
      retryable,
      cause,
    });
  });

  it('stops waiting when its signal aborts (SessionUnavailableError), and sends nothing once it has', async () => {
    // Prepare
    ddb.on(GetCommand).callsFake(() => new Promise(() => undefined)); // a table that never answers
    const { sessions } = keyless();
    const deadline = new AbortController();

    // Act
    const pending = sessions.checkStore({ signal: deadline.signal });
    deadline.abort(new DOMException('the health check took too long', 'TimeoutError'));
    const late = sessions.checkStore({ signal: deadline.signal });

    // Assess
    await expect(pending).rejects.toBeInstanceOf(SessionUnavailableError);
    await expect(late).rejects.toBeInstanceOf(SessionUnavailableError);
    expect(ddb.calls()).toHaveLength(1);
  });
});

describe('onCommit', () => {
  it('receives the request object, the outcome and the writes of each commit, once', async () => {
    // Prepare
    const events: SessionCommitEvent[] = [];
    const sessions = makeManager(clock, { onCommit: (event) => events.push(event) });
    const req = request();

    // Act
    const session = await sessions.attach(req);
    session.regenerate();
    session.clear();
    session.set('username', 'admin');
    await sessions.commit(session, req);

    // Assess
    expect(events).toHaveLength(1);
    expect(events[0].request).toBe(req);
    expect(events[0].outcome).toBe('no-cookie');
    expect(events[0].writes).toEqual(['created']);
    expect(events[0].rejectedValues).toBe(0);
  });

  it('is not called when the commit fails', async () => {
    // Prepare
    ddb.on(PutCommand).rejects(throttled());
    const onCommit = jest.fn();
    const sessions = makeManager(clock, { onCommit });
    const session = await sessions.attach(request());
    session.regenerate();
    session.clear();
    session.set('username', 'admin');

    // Act & Assess
    await expect(sessions.commit(session, request())).rejects.toBeInstanceOf(SessionUnavailableError);
    expect(onCommit).not.toHaveBeenCalled();
  });
});

describe('key providers', () => {
  it('a provider that fails: SessionUnavailableError with the cause, and no read', async () => {
    // Prepare
    const cause = new Error('vault sealed');
    const sessions = new SessionManager({
      client: documentClient(),
      tableName: TABLE,
      keys: { getKeys: async () => Promise.reject(cause) },
    });

    // Act
    const error = await sessions.load(request([current.sign(newToken())])).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SessionUnavailableError);
    expect((error as Error).cause).toBe(cause);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('a provider that hangs: the request stops waiting at its deadline (SessionUnavailableError)', async () => {
    // Prepare
    const sessions = new SessionManager({
      client: documentClient(),
      tableName: TABLE,
      keys: { getKeys: () => new Promise<readonly string[]>(() => undefined) },
    });
    const deadline = new AbortController();

    // Act
    const pending = sessions.load({ ...request([current.sign(newToken())]), signal: deadline.signal });
    deadline.abort(new Error('deadline'));
    const error = await pending.catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SessionUnavailableError);
    expect(((error as Error).cause as Error).message).toBe('deadline');
    expect(ddb.calls()).toHaveLength(0);
  });

  it.each([
    ['a read', 'GetCommand'],
    ['a save', 'UpdateCommand'],
    ['a logout', 'DeleteCommand'],
  ] as const)(
    '%s that hangs: the request stops waiting at its deadline (SessionUnavailableError)',
    async (_label, hanging) => {
      // Prepare: every call answers at once except the hanging kind, which never answers.
      const token = newToken();
      ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
      const never = () => new Promise<never>(() => undefined);
      if (hanging === 'GetCommand') ddb.on(GetCommand).callsFake(never);
      if (hanging === 'UpdateCommand') ddb.on(UpdateCommand).callsFake(never);
      if (hanging === 'DeleteCommand') ddb.on(DeleteCommand).callsFake(never);
      const deadline = new AbortController();
      const req = { ...request([current.sign(token)]), signal: deadline.signal };
      const sessions = makeManager(clock);

      // Act
      const pending = (async () => {
        if (hanging === 'DeleteCommand') {
          const attached = await sessions.attach(req);
          attached.destroy();
          return sessions.commit(attached, req);
        }
        const session = await sessions.load(req);
        session.set('theme', 'dark');
        return sessions.commit(session, req);
      })();
      await new Promise((resolve) => setImmediate(resolve));
      deadline.abort(new Error('deadline'));
      const error = await pending.catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(SessionUnavailableError);
      expect(((error as Error).cause as Error).message).toBe('deadline');
    },
  );

  it('a provider giving unusable keys: SigningKeyError, not "unavailable"', async () => {
    const sessions = new SessionManager({
      client: documentClient(),
      tableName: TABLE,
      keys: { getKeys: async () => [''] },
    });
    await expect(sessions.load(request())).rejects.toBeInstanceOf(SigningKeyError);
  });

  it('picks up a rotation: a new key list verifies cookies of the old first key and signs with the new', async () => {
    // Prepare
    let keys: readonly string[] = [OLD_KEY];
    const sessions = new SessionManager({
      client: documentClient(),
      tableName: TABLE,
      keys: { getKeys: async () => keys },
      now: clock.now,
    });
    const token = newToken();
    ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
    const cookie = new KeyRing([OLD_KEY]).sign(token);

    // Act
    keys = [CURRENT_KEY, OLD_KEY];
    const req = request([cookie]);
    const session = await sessions.load(req);
    const setCookies = await sessions.commit(session, req);

    // Assess
    expect(session.get('username')).toBe('admin');
    expect(tokenIn(setCookies[0])).toBe(token);
  });
});

describe('values that cannot be stored', () => {
  async function loadedSession() {
    const token = newToken();
    ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
    const req = request([current.sign(token)]);
    const sessions = makeManager(clock);
    return { sessions, req, session: await sessions.load(req) };
  }

  it.each<[string, unknown, RegExp]>([
    ['an integer beyond 2^53', 2 ** 60, /beyond 2\^53/],
    ['a BigInt', 10n, /a bigint/],
    ['NaN', Number.NaN, /finite/],
    ['Infinity inside an array', [1, Number.POSITIVE_INFINITY], /\[1\] is Infinity/],
    ['a number beyond DynamoDB’s range', 1e200, /number range/],
    ['a number too small for DynamoDB', 1.5e-200, /number range/],
    ['a Date', new Date(0), /Date/],
    ['a Map', new Map(), /Map/],
    ['a function', () => 1, /a function/],
    ['undefined', undefined, /pop\(\)/],
    ['a nested undefined', { a: { b: undefined } }, /cart\.a\.b is undefined/],
  ])(
    'refuses %s at set with SessionDataError naming the key, changing nothing',
    async (_label, value, message) => {
      // Prepare
      const { sessions, req, session } = await loadedSession();

      // Act
      const attempt = () => session.set('cart', value);

      // Assess
      expect(attempt).toThrow(SessionDataError);
      expect(attempt).toThrow(message);
      expect(session.has('cart')).toBe(false);
      expect(session.isModified).toBe(false);
      await sessions.commit(session, req);
      expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 0);
    },
  );

  it('refuses a value that refers to itself', async () => {
    const { session } = await loadedSession();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => session.set('cyclic', cyclic)).toThrow(/refers to itself/);
  });

  it('accepts JSON data with exact numbers, and the same object twice', async () => {
    const { session } = await loadedSession();
    const shared = { sku: 'book' };
    expect(() =>
      session.set('cart', { items: [shared, shared], total: 12.5, count: 2 ** 53 - 1, note: null, tiny: 0 }),
    ).not.toThrow();
  });

  it('refuses at commit a value changed in place after set, before anything is written', async () => {
    // Prepare
    const { sessions, req, session } = await loadedSession();
    const cart: Record<string, unknown> = { count: 1 };
    session.set('cart', cart);
    cart.count = 2 ** 60;

    // Act & Assess
    await expect(sessions.commit(session, req)).rejects.toBeInstanceOf(SessionDataError);
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 0);
  });
});

describe('sessions with an owner', () => {
  async function loginAs(options?: Parameters<Session['regenerate']>[0]) {
    const sessions = makeManager(clock);
    const req = request();
    const session = await sessions.attach(req);
    session.regenerate(options);
    session.clear();
    session.set('username', 'alice');
    const cookies = await sessions.commit(session, req);
    return { cookies, put: onlyInput(PutCommand) };
  }

  it('regenerate({ owner, device }) puts the owner, the device label and a new public id in the clear', async () => {
    // Act
    const { cookies, put } = await loginAs({ owner: 'alice', device: 'Firefox on Linux' });

    // Assess: the item is in the owner index (owner and refreshedAt), with a random public id.
    const fresh = tokenIn(cookies[0]);
    expect(put.Item).toMatchObject({
      id: sha256Base64Url(fresh),
      owner: 'alice',
      device: 'Firefox on Linux',
      publicId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      refreshedAt: expect.any(Number),
    });
    // The public id is neither the token nor the table key, nor derived from either.
    const publicId = String(put.Item?.publicId);
    expect(fresh).not.toContain(publicId);
    expect(sha256Base64Url(fresh)).not.toContain(publicId);
    ddb.resetHistory();
    const again = await loginAs({ owner: 'alice', device: 'Firefox on Linux' });
    expect(again.put.Item?.publicId).not.toBe(publicId);
  });

  it('without a device, the label is "Unknown device"', async () => {
    const { put } = await loginAs({ owner: 'alice' });
    expect(put.Item).toMatchObject({ owner: 'alice', device: 'Unknown device' });
  });

  it('regenerate() without an owner writes no owner, device or public id: the index is not written', async () => {
    const { put } = await loginAs();
    expect(Object.keys(put.Item ?? {}).sort()).toEqual(
      [
        'absoluteExpiresAt',
        'createdAt',
        'expiresAt',
        'id',
        'mac',
        'refreshedAt',
        'sealed',
        'validUntil',
      ].sort(),
    );
  });

  it.each([
    ['an empty owner', { owner: '' }, /^owner:/],
    ['an owner over 1024 bytes', { owner: 'é'.repeat(513) }, /^owner:/],
    ['a non-string owner', { owner: 42 }, /^owner:/],
    ['a blank device', { owner: 'alice', device: ' ' }, /^device:/],
    ['a device over 64 characters', { owner: 'alice', device: 'x'.repeat(65) }, /^device:/],
    ['a device with a control character', { owner: 'alice', device: 'Firefox\non Linux' }, /^device:/],
  ])('regenerate refuses %s, naming the option, and changes nothing', async (_label, options, message) => {
    const session = await makeManager(clock).attach(request());
    expect(() => session.regenerate(options as never)).toThrow(message);
    expect(session.isRegenerated).toBe(false);
  });

  it('a loaded session tells its owner and public id; an anonymous one tells neither', async () => {
    // Prepare
    const owned = newToken();
    const anonymous = newToken();
    const publicId = 'AAAAAAAAAAAAAAAAAAAAAA';
    ddb.on(GetCommand, { Key: { id: sha256Base64Url(owned) } }).resolves({
      Item: storedItem(owned, {}, T0, T0, { owner: 'alice', device: 'Unknown device', publicId }),
    });
    ddb
      .on(GetCommand, { Key: { id: sha256Base64Url(anonymous) } })
      .resolves({ Item: storedItem(anonymous, {}) });
    const sessions = makeManager(clock);

    // Act
    const mine = await sessions.load(request([current.sign(owned)]));
    const theirs = await sessions.load(request([current.sign(anonymous)]));

    // Assess
    expect([mine.owner, mine.publicId]).toEqual(['alice', publicId]);
    expect([theirs.owner, theirs.publicId]).toEqual([undefined, undefined]);
  });
});
