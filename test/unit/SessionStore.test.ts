import 'aws-sdk-client-mock-jest';
import {
  ConditionalCheckFailedException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  SessionRejectedError,
  SessionTooLargeError,
  SessionUnavailableError,
} from '../../lambda/session/src/errors';
import type { SessionSeal } from '../../lambda/session/src/SessionSeal';
import {
  type DataChange,
  PROBE_KEY,
  type SessionRecord,
  SessionStore,
} from '../../lambda/session/src/store/SessionStore';
import { newToken } from '../../lambda/session/src/tokens';
import { T0 } from '../support/clock';
import {
  ABSOLUTE_MS,
  documentClient,
  IDLE_MS,
  makeStore,
  sha256Base64Url,
  storedItem,
  useMockedStore,
} from '../support/mockedStore';
import { bound, sealFor } from '../support/sealed';
import { TABLE } from '../support/table';

const { ddb, clock } = useMockedStore();

const LIVE = 'attribute_exists(#id) AND #validUntil > :now';

/** A seal for a new random token. */
function anySeal(): SessionSeal {
  return sealFor(newToken());
}

/** Bytes a value takes in the item: its 43-character name tag, format byte, IV, GCM tag and the JSON of [name, value]. */
function storedBytes(name: string, value: unknown): number {
  return 43 + 1 + 12 + 16 + Buffer.byteLength(JSON.stringify([name, value]));
}

/** The data the sealed map holds, opened with `token`; fails the test when a value does not open. */
function opened(token: string, sealed: unknown): Record<string, unknown> {
  const { data, rejected } = sealFor(token).openAll(sealed as Record<string, Uint8Array>);
  expect(rejected).toBe(0);
  return { ...data };
}

/**
 * The record `load` gives for `storedItem(token, data, createdAt, refreshedAt)`, so the store knows
 * its seal (as the manager's refresh needs); the mock's history is cleared after the read.
 */
async function loadedRecord(
  store: SessionStore,
  token: string,
  data: Record<string, unknown> = {},
  createdAt = T0,
  refreshedAt = createdAt,
): Promise<SessionRecord> {
  ddb.on(GetCommand).resolves({ Item: storedItem(token, data, createdAt, refreshedAt) });
  const result = await store.load(sealFor(token));
  if (result.status !== 'found') throw new Error(`the test's item reads as ${result.status}`);
  ddb.resetHistory();
  return result.record;
}

function keys(set: Record<string, unknown>, removed: string[] = []): DataChange {
  return { kind: 'keys', set, removed };
}

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

/** Every command input the mock received, in order. */
function sentInputs(): unknown[] {
  return ddb.calls().map((call) => (call.args[0] as { input: unknown }).input);
}

/** SDK failures that must all become "store unavailable". */
const unavailableErrors: Array<[string, () => Error]> = [
  [
    'ProvisionedThroughputExceededException',
    () =>
      new ProvisionedThroughputExceededException({
        message: 'The level of configured provisioned throughput for the table was exceeded',
        $metadata: { httpStatusCode: 400 },
      }),
  ],
  [
    'ThrottlingException',
    () =>
      new ThrottlingException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: {} }),
  ],
  [
    'InternalServerError (500)',
    () => new InternalServerError({ message: 'Internal server error', $metadata: { httpStatusCode: 500 } }),
  ],
  [
    'a generic 503',
    () =>
      Object.assign(new Error('Service Unavailable'), {
        name: 'ServiceUnavailable',
        $metadata: { httpStatusCode: 503 },
        $fault: 'server',
      }),
  ],
  [
    'TimeoutError',
    () => Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' }),
  ],
  [
    'a network error',
    () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' }),
  ],
];

/** DynamoDB answered 4xx and no retry can help: a deployment or code fault, not an outage. */
const rejectedErrors: Array<[string, () => Error]> = [
  [
    'ResourceNotFoundException (no such table)',
    () =>
      new ResourceNotFoundException({
        message: 'Requested resource not found',
        $metadata: { httpStatusCode: 400 },
      }),
  ],
  [
    'AccessDeniedException',
    () =>
      Object.assign(new Error('User is not authorized to perform: dynamodb:GetItem'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
        $fault: 'client',
      }),
  ],
  [
    'ValidationException',
    () =>
      Object.assign(new Error('One or more parameter values were invalid'), {
        name: 'ValidationException',
        $metadata: { httpStatusCode: 400 },
        $fault: 'client',
      }),
  ],
];

describe('SessionStore', () => {
  describe('load', () => {
    it('sends exactly one strongly consistent GetCommand keyed by SHA-256(token)', async () => {
      // Prepare
      const token = newToken();
      ddb.on(GetCommand).resolves({});
      const store = makeStore(clock);

      // Act
      await store.load(sealFor(token));

      // Assess
      expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1);
      expect(ddb.calls()).toHaveLength(1);
      expect(sentInputs()).toEqual([
        { TableName: TABLE, Key: { id: sha256Base64Url(token) }, ConsistentRead: true },
      ]);
      expect(JSON.stringify(sentInputs())).not.toContain(token);
    });

    it('returns absent when there is no item', async () => {
      ddb.on(GetCommand).resolves({});
      await expect(makeStore(clock).load(anySeal())).resolves.toEqual({ status: 'absent' });
    });

    it('returns the record and its opened data when it is still valid', async () => {
      // Prepare
      const token = newToken();
      const item = storedItem(token, { username: 'admin', cart: ['book'] });
      ddb.on(GetCommand).resolves({ Item: item });
      clock.advance(IDLE_MS - 1);

      // Act
      const result = await makeStore(clock).load(sealFor(token));

      // Assess
      expect(result).toEqual({
        status: 'found',
        record: item,
        data: { username: 'admin', cart: ['book'] },
        rejectedValues: 0,
      });
    });

    it('reads an item written before sealing (a plain data map) as absent', async () => {
      // Prepare
      const token = newToken();
      const { sealed: _sealed, ...rest } = storedItem(token, {});
      ddb.on(GetCommand).resolves({ Item: { ...rest, data: { username: 'admin' } } });

      // Act & Assess
      await expect(makeStore(clock).load(sealFor(token))).resolves.toEqual({ status: 'absent' });
    });

    it('leaves out, and counts, a value that does not authenticate', async () => {
      // Prepare: one value of another session copied in beside the session's own
      const token = newToken();
      const item = storedItem(token, { username: 'admin' });
      const other = sealFor(newToken());
      item.sealed[sealFor(token).nameTag('role')] = other.seal('role', 'root');
      ddb.on(GetCommand).resolves({ Item: item });

      // Act
      const result = await makeStore(clock).load(sealFor(token));

      // Assess
      expect(result).toMatchObject({ status: 'found', data: { username: 'admin' }, rejectedValues: 1 });
    });

    describe('the clear fields, bound to the token by their MAC', () => {
      const owned = { owner: 'alice', device: 'Firefox on Linux', publicId: 'AAAAAAAAAAAAAAAAAAAAAA' };

      /** What `load` makes of alice's stored session with `change` applied behind the library's back. */
      async function loadChanged(change: Record<string, unknown>) {
        const token = newToken();
        const item = { ...storedItem(token, { username: 'alice' }, T0, T0, owned), ...change };
        ddb.on(GetCommand).resolves({ Item: item });
        return makeStore(clock).load(sealFor(token));
      }

      it('returns an owned item whose fields are as the library wrote them', async () => {
        await expect(loadChanged({})).resolves.toMatchObject({
          status: 'found',
          record: owned,
          data: { username: 'alice' },
          rejectedValues: 0,
        });
      });

      it.each([
        ['the owner relabelled', { owner: 'mallory' }],
        ['the owner removed (out of the owner index)', { owner: undefined }],
        ['the device label changed', { device: 'Chrome on Windows' }],
        ['the public id changed', { publicId: 'BBBBBBBBBBBBBBBBBBBBBB' }],
        ['the login time moved', { createdAt: T0 - 1 }],
        ['the lifetime raised', { absoluteExpiresAt: T0 + 10 * ABSOLUTE_MS }],
        ['the idle expiry raised', { validUntil: T0 + ABSOLUTE_MS }],
        ['the last refresh moved', { refreshedAt: T0 + 1 }],
        [
          'the MAC of another item',
          { mac: storedItem(newToken(), { username: 'alice' }, T0, T0, owned).mac },
        ],
        ['the MAC cut short', { mac: 'AAAA' }],
        ['a MAC that is not a string', { mac: 42 }],
        ['an owner that is not a string', { owner: 42 }],
      ])('reads an item with %s as absent, counted as one rejected value', async (_label, change) => {
        await expect(loadChanged(change)).resolves.toEqual({ status: 'absent', rejectedValues: 1 });
      });

      it('reads an anonymous item given an owner as absent, counted', async () => {
        const token = newToken();
        ddb.on(GetCommand).resolves({ Item: { ...storedItem(token, {}), ...owned } });
        await expect(makeStore(clock).load(sealFor(token))).resolves.toEqual({
          status: 'absent',
          rejectedValues: 1,
        });
      });

      it('reads an item copied whole under another key as absent, counted: the MAC binds the item key', async () => {
        ddb.on(GetCommand).resolves({ Item: storedItem(newToken(), { username: 'alice' }, T0, T0, owned) });
        await expect(makeStore(clock).load(anySeal())).resolves.toEqual({
          status: 'absent',
          rejectedValues: 1,
        });
      });

      it('reads an item written before the MAC (none) as absent, uncounted: its user logs in again', async () => {
        const token = newToken();
        const { mac: _mac, ...before } = storedItem(token, { username: 'alice' }, T0, T0, owned);
        ddb.on(GetCommand).resolves({ Item: before });
        await expect(makeStore(clock).load(sealFor(token))).resolves.toEqual({
          status: 'absent',
        });
      });

      it('enforces the absolute expiry from the bound value, whatever validUntil says', async () => {
        // Prepare: an authentic item whose validUntil lies past its absolute expiry
        const token = newToken();
        const item = bound({ ...storedItem(token, {}), validUntil: T0 + 2 * ABSOLUTE_MS }, token);
        ddb.on(GetCommand).resolves({ Item: item });
        clock.value = item.absoluteExpiresAt;

        // Act & Assess
        await expect(makeStore(clock).load(sealFor(token))).resolves.toEqual({ status: 'expired' });
      });

      it('leaves the TTL attribute unbound: it decides nothing a read does', async () => {
        await expect(loadChanged({ expiresAt: 1 })).resolves.toMatchObject({
          status: 'found',
          rejectedValues: 0,
        });
      });
    });

    it.each([
      ['exactly at validUntil', 0],
      ['after validUntil', 1],
      ['long after (TTL has not deleted it yet)', 3 * 24 * 3600 * 1000],
    ])('treats an item as expired %s', async (_label, offset) => {
      // Prepare
      const token = newToken();
      const item = storedItem(token, { username: 'admin' });
      ddb.on(GetCommand).resolves({ Item: item });
      clock.value = item.validUntil + offset;

      // Act
      const result = await makeStore(clock).load(sealFor(token));

      // Assess
      expect(result).toEqual({ status: 'expired' });
    });

    it.each(unavailableErrors)('maps %s to SessionUnavailableError with the cause', async (_label, make) => {
      // Prepare
      const sdkError = make();
      ddb.on(GetCommand).rejects(sdkError);

      // Act
      const failure = makeStore(clock).load(anySeal());

      // Assess
      await expect(failure).rejects.toBeInstanceOf(SessionUnavailableError);
      await expect(failure).rejects.toMatchObject({ operation: 'load', cause: sdkError });
    });
  });

  describe('create', () => {
    it('puts the full item, keyed by SHA-256(token), its data sealed, with a not-exists condition', async () => {
      // Prepare
      const token = newToken();
      ddb.on(PutCommand).resolves({});
      const store = makeStore(clock);

      // Act
      const record = await store.create(sealFor(token), { username: 'admin' });

      // Assess
      const validUntil = T0 + IDLE_MS;
      const tag = sealFor(token).nameTag('username');
      const times = { createdAt: T0, refreshedAt: T0, absoluteExpiresAt: T0 + ABSOLUTE_MS, validUntil };
      const expected: SessionRecord = {
        id: sha256Base64Url(token),
        sealed: { [tag]: expect.any(Uint8Array) },
        ...times,
        expiresAt: Math.floor(validUntil / 1000),
        mac: sealFor(token).fieldsMac(times),
      };
      expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
      expect(ddb.calls()).toHaveLength(1);
      expect(sentInputs()).toEqual([
        {
          TableName: TABLE,
          Item: expected,
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': 'id' },
        },
      ]);
      expect(record).toEqual(expected);
      expect(opened(token, record.sealed)).toEqual({ username: 'admin' });
      expect(expected.expiresAt).not.toBe(validUntil / 1000); // T0 is not a whole second: floor matters
    });

    it('puts `permanent: true` for a permanent session, covered by the MAC; nothing for one that is not', async () => {
      // Prepare
      ddb.on(PutCommand).resolves({});
      const token = newToken();

      // Act
      const record = await makeStore(clock).create(sealFor(token), {}, undefined, {}, true);

      // Assess
      const item = (sentInputs()[0] as { Item: SessionRecord }).Item;
      expect(item.permanent).toBe(true);
      expect(item.mac).toBe(sealFor(token).fieldsMac(item));
      expect(item.mac).not.toBe(sealFor(token).fieldsMac({ ...item, permanent: undefined }));
      expect(record.permanent).toBe(true);
    });

    it('puts an empty sealed map for an empty session: later per-key writes need the map', async () => {
      // Act
      await makeStore(clock).create(anySeal(), {});

      // Assess
      expect(ddb).toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ sealed: {} }) });
    });

    it('never stores the raw token, a name or a value anywhere in the item', async () => {
      // Prepare
      const token = newToken();
      ddb.on(PutCommand).resolves({});

      // Act
      await makeStore(clock).create(sealFor(token), {
        username: 'admin',
        nested: { list: [1, 'two'] },
      });

      // Assess
      const [input] = sentInputs() as [{ Item: SessionRecord }];
      const raw = Buffer.concat(
        Object.entries(input.Item.sealed).flatMap(([tag, value]) => [Buffer.from(tag), Buffer.from(value)]),
      );
      expect(Object.keys(input.Item.sealed)).toHaveLength(2);
      for (const secret of [token, 'username', 'admin', 'nested', 'list', 'two']) {
        expect(raw.includes(secret)).toBe(false);
      }
      expect(JSON.stringify(input)).not.toContain(token);
    });

    it('caps the first expiry at the absolute timeout when that is shorter than the idle one', async () => {
      // Prepare
      ddb.on(PutCommand).resolves({});
      const store = new SessionStore({
        client: documentClient(),
        tableName: TABLE,
        idleTimeoutSeconds: 3600,
        absoluteTimeoutSeconds: 60,
        now: clock.now,
      });

      // Act
      const record = await store.create(anySeal(), {});

      // Assess
      expect(record.validUntil).toBe(T0 + 60_000);
      expect(record.absoluteExpiresAt).toBe(T0 + 60_000);
      expect(record.expiresAt).toBe(Math.floor((T0 + 60_000) / 1000));
    });

    it('turns a failed condition into SessionRejectedError', async () => {
      // Prepare
      ddb.on(PutCommand).rejects(conditionFailed());

      // Act & Assess
      await expect(makeStore(clock).create(anySeal(), { username: 'admin' })).rejects.toBeInstanceOf(
        SessionRejectedError,
      );
    });

    it.each(unavailableErrors)('maps %s to SessionUnavailableError with the cause', async (_label, make) => {
      // Prepare
      const sdkError = make();
      ddb.on(PutCommand).rejects(sdkError);

      // Act
      const failure = makeStore(clock).create(anySeal(), { username: 'admin' });

      // Assess
      await expect(failure).rejects.toBeInstanceOf(SessionUnavailableError);
      await expect(failure).rejects.toMatchObject({ operation: 'create', cause: sdkError });
    });

    it('refuses data over the size limit with SessionTooLargeError and sends nothing', async () => {
      // Prepare
      ddb.on(PutCommand).resolves({});
      const store = makeStore(clock, { maxDataBytes: 100 });

      // Act
      const failure = store.create(anySeal(), { blob: 'x'.repeat(200) });

      // Assess
      await expect(failure).rejects.toBeInstanceOf(SessionTooLargeError);
      await expect(failure).rejects.toMatchObject({ limit: 100 });
      expect(ddb.calls()).toHaveLength(0);
    });

    it('accepts data exactly at the size limit, counted as stored: tag, sealing and JSON of [name, value]', async () => {
      // Prepare
      ddb.on(PutCommand).resolves({});
      const data = { a: 'x'.repeat(20) }; // 43 + 29 + ["a","…"] = 43 + 29 + 8 + 20 bytes
      expect(storedBytes('a', data.a)).toBe(100);

      // Act & Assess
      await expect(makeStore(clock, { maxDataBytes: 100 }).create(anySeal(), data)).resolves.toBeDefined();
      expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    });

    it('refuses data one byte over the size limit', async () => {
      // Prepare
      ddb.on(PutCommand).resolves({});
      const data = { a: 'x'.repeat(21) };
      expect(storedBytes('a', data.a)).toBe(101);

      // Act & Assess
      await expect(makeStore(clock, { maxDataBytes: 100 }).create(anySeal(), data)).rejects.toMatchObject({
        name: 'SessionTooLargeError',
        bytes: 101,
        limit: 100,
      });
      expect(ddb.calls()).toHaveLength(0);
    });

    it('counts bytes, not characters, against the limit', async () => {
      // Prepare: 10 three-byte characters are 30 bytes
      ddb.on(PutCommand).resolves({});
      expect(storedBytes('a', '€'.repeat(10))).toBe(110);

      // Act & Assess
      await expect(
        makeStore(clock, { maxDataBytes: 100 }).create(anySeal(), { a: '€'.repeat(10) }),
      ).rejects.toMatchObject({ bytes: 110 });
      expect(ddb.calls()).toHaveLength(0);
    });

    it('enforces the default 64 KB limit', async () => {
      ddb.on(PutCommand).resolves({});
      await expect(
        makeStore(clock).create(anySeal(), { blob: 'x'.repeat(64 * 1024) }),
      ).rejects.toBeInstanceOf(SessionTooLargeError);
      expect(ddb.calls()).toHaveLength(0);
    });
  });

  describe('isRefreshDue', () => {
    const record = storedItem('token', { username: 'admin' });

    it('is false before a quarter of the idle window has passed', () => {
      clock.advance(IDLE_MS / 4 - 1);
      expect(makeStore(clock).isRefreshDue(record)).toBe(false);
    });

    it('is false right after the refresh', () => {
      expect(makeStore(clock).isRefreshDue(record)).toBe(false);
    });

    it('is true once a quarter of the idle window has passed', () => {
      clock.advance(IDLE_MS / 4);
      expect(makeStore(clock).isRefreshDue(record)).toBe(true);
    });

    it('is true later in the window', () => {
      clock.advance(IDLE_MS - 1);
      expect(makeStore(clock).isRefreshDue(record)).toBe(true);
    });

    it('is false when the absolute expiry caps the session: there is nothing to extend', () => {
      // Prepare: refreshed so late that validUntil already equals absoluteExpiresAt
      const lateRefresh = T0 + ABSOLUTE_MS - IDLE_MS / 2;
      const capped = storedItem('token', {}, T0, lateRefresh);
      expect(capped.validUntil).toBe(capped.absoluteExpiresAt);
      clock.value = lateRefresh + IDLE_MS / 4 + 1;

      // Act & Assess
      expect(makeStore(clock).isRefreshDue(capped)).toBe(false);
    });
  });

  describe('refresh', () => {
    it('sends the exact conditional UpdateCommand, the times’ new MAC included, and returns the pushed-forward record', async () => {
      // Prepare
      const token = newToken();
      const store = makeStore(clock);
      const record = await loadedRecord(store, token, { username: 'admin' });
      ddb.on(UpdateCommand).resolves({});
      clock.advance(IDLE_MS / 2 + 7);
      const now = clock.value;

      // Act
      const updated = await store.refresh(record);

      // Assess
      const validUntil = now + IDLE_MS;
      expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
      expect(ddb.calls()).toHaveLength(1);
      expect(sentInputs()).toEqual([
        {
          TableName: TABLE,
          Key: { id: sha256Base64Url(token) },
          UpdateExpression: 'SET #refreshedAt = :now, #validUntil = :validUntil, #ttl = :ttl, #mac = :mac',
          ConditionExpression: LIVE,
          ExpressionAttributeNames: {
            '#id': 'id',
            '#refreshedAt': 'refreshedAt',
            '#validUntil': 'validUntil',
            '#ttl': 'expiresAt',
            '#mac': 'mac',
          },
          ExpressionAttributeValues: {
            ':now': now,
            ':validUntil': validUntil,
            ':ttl': Math.floor(validUntil / 1000),
            ':mac': updated?.mac,
          },
        },
      ]);
      expect(updated).toEqual({
        ...record,
        refreshedAt: now,
        validUntil,
        expiresAt: Math.floor(validUntil / 1000),
        mac: sealFor(token).fieldsMac({ ...record, refreshedAt: now, validUntil }),
      });
      expect(updated?.mac).not.toBe(record.mac);
      expect(JSON.stringify(sentInputs())).not.toContain(token);
    });

    it('never extends the expiry past absoluteExpiresAt', async () => {
      // Prepare
      const store = makeStore(clock);
      const record = await loadedRecord(store, newToken(), {}, T0, T0 + ABSOLUTE_MS - IDLE_MS);
      ddb.on(UpdateCommand).resolves({});
      clock.value = T0 + ABSOLUTE_MS - IDLE_MS / 2;

      // Act
      const updated = await store.refresh(record);

      // Assess
      expect(updated?.validUntil).toBe(record.absoluteExpiresAt);
      expect(updated?.absoluteExpiresAt).toBe(record.absoluteExpiresAt);
      expect(updated?.createdAt).toBe(record.createdAt);
      expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
        ExpressionAttributeValues: {
          ':now': clock.value,
          ':validUntil': record.absoluteExpiresAt,
          ':ttl': Math.floor(record.absoluteExpiresAt / 1000),
          ':mac': updated?.mac,
        },
      });
    });

    it('returns undefined when the condition fails (the session is gone): no resurrection', async () => {
      // Prepare
      const store = makeStore(clock);
      const record = await loadedRecord(store, newToken());
      ddb.on(UpdateCommand).rejects(conditionFailed());
      clock.advance(IDLE_MS / 2);

      // Act & Assess
      await expect(store.refresh(record)).resolves.toBeUndefined();
    });

    it('refuses, sending nothing, a record this store did not read or write: it could not bind the new times', async () => {
      await expect(makeStore(clock).refresh(storedItem(newToken(), {}))).rejects.toThrow(TypeError);
      expect(ddb.calls()).toHaveLength(0);
    });

    it.each(unavailableErrors)('maps %s to SessionUnavailableError with the cause', async (_label, make) => {
      // Prepare
      const sdkError = make();
      const store = makeStore(clock);
      const record = await loadedRecord(store, newToken());
      ddb.on(UpdateCommand).rejects(sdkError);

      // Act
      const failure = store.refresh(record);

      // Assess
      await expect(failure).rejects.toBeInstanceOf(SessionUnavailableError);
      await expect(failure).rejects.toMatchObject({ operation: 'refresh', cause: sdkError });
    });
  });

  describe('save', () => {
    /**
     * The times every save writes beside the data (the sliding refresh shares the update), with
     * their MAC for `token`'s item as `storedItem` made it.
     */
    function timesAt(now: number, token: string) {
      const validUntil = now + IDLE_MS;
      const mac = sealFor(token).fieldsMac({
        ...storedItem(token, {}),
        refreshedAt: now,
        validUntil,
      });
      return {
        names: {
          '#id': 'id',
          '#refreshedAt': 'refreshedAt',
          '#validUntil': 'validUntil',
          '#ttl': 'expiresAt',
          '#mac': 'mac',
        },
        values: {
          ':now': now,
          ':validUntil': validUntil,
          ':ttl': Math.floor(validUntil / 1000),
          ':mac': mac,
        },
        record: { refreshedAt: now, validUntil, expiresAt: Math.floor(validUntil / 1000), mac },
      };
    }

    it('a key set is one SET of its path in the sealed map, with the times, conditional on a live item', async () => {
      // Prepare
      const token = newToken();
      const seal = sealFor(token);
      const record = storedItem(token, { username: 'admin' });
      clock.advance(1000);
      const times = timesAt(clock.value, token);

      // Act
      const updated = await makeStore(clock).save(seal, record, keys({ visits: 2 }));

      // Assess
      const tag = seal.nameTag('visits');
      expect(sentInputs()).toEqual([
        {
          TableName: TABLE,
          Key: { id: sha256Base64Url(token) },
          UpdateExpression:
            'SET #sealed.#k0 = :k0, #refreshedAt = :now, #validUntil = :validUntil, #ttl = :ttl, #mac = :mac',
          ConditionExpression: LIVE,
          ExpressionAttributeNames: { ...times.names, '#sealed': 'sealed', '#k0': tag },
          ExpressionAttributeValues: { ...times.values, ':k0': expect.any(Uint8Array) },
        },
      ]);
      const sent = (sentInputs()[0] as { ExpressionAttributeValues: Record<string, Uint8Array> })
        .ExpressionAttributeValues[':k0'];
      expect(seal.open(tag, sent)).toEqual({ name: 'visits', value: 2 });
      expect(updated).toEqual({ ...record, ...times.record, sealed: { ...record.sealed, [tag]: sent } });
      expect(opened(token, updated?.sealed)).toEqual({ username: 'admin', visits: 2 });
      expect(JSON.stringify(sentInputs())).not.toContain(token);
    });

    it('a key popped is one REMOVE of its path, with the times', async () => {
      // Prepare
      const token = newToken();
      const seal = sealFor(token);
      const record = storedItem(token, { username: 'admin', theme: 'dark' });
      const times = timesAt(clock.value, token);

      // Act
      const updated = await makeStore(clock).save(seal, record, keys({}, ['theme']));

      // Assess
      expect(sentInputs()).toEqual([
        {
          TableName: TABLE,
          Key: { id: sha256Base64Url(token) },
          UpdateExpression:
            'SET #refreshedAt = :now, #validUntil = :validUntil, #ttl = :ttl, #mac = :mac REMOVE #sealed.#k0',
          ConditionExpression: LIVE,
          ExpressionAttributeNames: { ...times.names, '#sealed': 'sealed', '#k0': seal.nameTag('theme') },
          ExpressionAttributeValues: times.values,
        },
      ]);
      expect(opened(token, updated?.sealed)).toEqual({ username: 'admin' });
    });

    it('keys set and popped together: one update, each key its own path', async () => {
      // Prepare
      const token = newToken();
      const seal = sealFor(token);
      const record = storedItem(token, { username: 'admin', theme: 'dark' });
      const times = timesAt(clock.value, token);

      // Act
      const updated = await makeStore(clock).save(seal, record, keys({ a: 1, b: [2] }, ['theme']));

      // Assess
      expect(ddb.calls()).toHaveLength(1);
      expect(sentInputs()).toEqual([
        expect.objectContaining({
          UpdateExpression:
            'SET #sealed.#k0 = :k0, #sealed.#k1 = :k1, #refreshedAt = :now, #validUntil = :validUntil, #ttl = :ttl, #mac = :mac REMOVE #sealed.#k2',
          ConditionExpression: LIVE,
          ExpressionAttributeNames: {
            ...times.names,
            '#sealed': 'sealed',
            '#k0': seal.nameTag('a'),
            '#k1': seal.nameTag('b'),
            '#k2': seal.nameTag('theme'),
          },
          ExpressionAttributeValues: {
            ...times.values,
            ':k0': expect.any(Uint8Array),
            ':k1': expect.any(Uint8Array),
          },
        }),
      ]);
      expect(opened(token, updated?.sealed)).toEqual({ username: 'admin', a: 1, b: [2] });
    });

    it('a whole change (clear) replaces the sealed map in one SET', async () => {
      // Prepare
      const token = newToken();
      const seal = sealFor(token);
      const record = storedItem(token, { username: 'admin', theme: 'dark' });
      const times = timesAt(clock.value, token);

      // Act
      await makeStore(clock).save(seal, record, { kind: 'whole', data: { username: 'other' } });

      // Assess
      expect(sentInputs()).toEqual([
        {
          TableName: TABLE,
          Key: { id: sha256Base64Url(token) },
          UpdateExpression:
            'SET #sealed = :sealed, #refreshedAt = :now, #validUntil = :validUntil, #ttl = :ttl, #mac = :mac',
          ConditionExpression: LIVE,
          ExpressionAttributeNames: { ...times.names, '#sealed': 'sealed' },
          ExpressionAttributeValues: {
            ...times.values,
            ':sealed': { [seal.nameTag('username')]: expect.any(Uint8Array) },
          },
        },
      ]);
      const sent = (sentInputs()[0] as { ExpressionAttributeValues: Record<string, unknown> })
        .ExpressionAttributeValues[':sealed'];
      expect(opened(token, sent)).toEqual({ username: 'other' });
    });

    it('a whole change to nothing writes an empty map, never removes it', async () => {
      const token = newToken();
      await makeStore(clock).save(sealFor(token), storedItem(token, { a: 1 }), {
        kind: 'whole',
        data: {},
      });
      expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
        ExpressionAttributeValues: expect.objectContaining({ ':sealed': {} }),
      });
    });

    it('caps the expiry at absoluteExpiresAt', async () => {
      // Prepare
      const token = newToken();
      const record = storedItem(token, {}, T0, T0 + ABSOLUTE_MS - IDLE_MS);
      clock.value = T0 + ABSOLUTE_MS - 1000;

      // Act
      const updated = await makeStore(clock).save(sealFor(token), record, keys({ a: 1 }));

      // Assess
      expect(updated?.validUntil).toBe(record.absoluteExpiresAt);
    });

    it('refuses, sending nothing, the seal of another token: the MAC it wrote would not hold', async () => {
      await expect(
        makeStore(clock).save(anySeal(), storedItem(newToken(), {}), keys({ a: 1 })),
      ).rejects.toThrow(TypeError);
      expect(ddb.calls()).toHaveLength(0);
    });

    it('returns undefined when the condition fails', async () => {
      ddb.on(UpdateCommand).rejects(conditionFailed());
      const token = newToken();
      await expect(
        makeStore(clock).save(sealFor(token), storedItem(token, {}), keys({ a: 1 })),
      ).resolves.toBeUndefined();
    });

    it('checks the size limit on the map as it becomes: what was read, with the change applied', async () => {
      // Prepare: 100 bytes stored; adding a 90-byte value goes over 150, replacing the big one does not
      const token = newToken();
      const seal = sealFor(token);
      const record = storedItem(token, { big: 'x'.repeat(100 - storedBytes('big', '')) });
      const store = makeStore(clock, { maxDataBytes: 150 });
      const small = 'y'.repeat(90 - storedBytes('s', ''));

      // Act & Assess
      await expect(store.save(seal, record, keys({ s: small }))).rejects.toMatchObject({
        name: 'SessionTooLargeError',
        bytes: 190,
        limit: 150,
      });
      expect(ddb.calls()).toHaveLength(0);
      await expect(store.save(seal, record, keys({ s: small }, ['big']))).resolves.toBeDefined();
      expect(ddb.calls()).toHaveLength(1);
    });

    it('refuses a whole change over the size limit and sends nothing', async () => {
      // Prepare
      const token = newToken();

      // Act & Assess
      await expect(
        makeStore(clock, { maxDataBytes: 50 }).save(sealFor(token), storedItem(token, {}), {
          kind: 'whole',
          data: { blob: 'x'.repeat(100) },
        }),
      ).rejects.toBeInstanceOf(SessionTooLargeError);
      expect(ddb.calls()).toHaveLength(0);
    });

    describe('permanence', () => {
      it('made permanent: a SET of `permanent` with the times, whose MAC now covers it', async () => {
        // Prepare
        const token = newToken();
        const record = storedItem(token, { username: 'admin' });
        const times = timesAt(clock.value, token);
        const mac = sealFor(token).fieldsMac({ ...record, ...times.record, permanent: true });

        // Act
        const updated = await makeStore(clock).save(
          sealFor(token),
          record,
          keys({}),
          {},
          { permanent: true },
        );

        // Assess
        expect(sentInputs()).toEqual([
          {
            TableName: TABLE,
            Key: { id: sha256Base64Url(token) },
            UpdateExpression:
              'SET #permanent = :permanent, #refreshedAt = :now, #validUntil = :validUntil, #ttl = :ttl, #mac = :mac',
            ConditionExpression: LIVE,
            ExpressionAttributeNames: { ...times.names, '#permanent': 'permanent' },
            ExpressionAttributeValues: { ...times.values, ':mac': mac, ':permanent': true },
          },
        ]);
        expect(updated).toMatchObject({ permanent: true, mac });
      });

      it('no longer permanent: a REMOVE of `permanent`, and a MAC without it', async () => {
        // Prepare
        const token = newToken();
        const permanentRecord = { ...storedItem(token, {}), permanent: true as const };
        const record = { ...permanentRecord, mac: sealFor(token).fieldsMac(permanentRecord) };
        const times = timesAt(clock.value, token);

        // Act
        const updated = await makeStore(clock).save(
          sealFor(token),
          record,
          keys({}),
          {},
          { permanent: false },
        );

        // Assess
        expect(sentInputs()).toEqual([
          {
            TableName: TABLE,
            Key: { id: sha256Base64Url(token) },
            UpdateExpression:
              'SET #refreshedAt = :now, #validUntil = :validUntil, #ttl = :ttl, #mac = :mac REMOVE #permanent',
            ConditionExpression: LIVE,
            ExpressionAttributeNames: { ...times.names, '#permanent': 'permanent' },
            ExpressionAttributeValues: times.values,
          },
        ]);
        expect(updated?.permanent).toBeUndefined();
      });

      it('unchanged: nothing about it is sent', async () => {
        const token = newToken();
        await makeStore(clock).save(
          sealFor(token),
          storedItem(token, {}),
          keys({ a: 1 }),
          {},
          { permanent: false },
        );
        expect(JSON.stringify(sentInputs())).not.toContain('permanent');
      });
    });

    it('readBack asks for the item as written (ALL_NEW) and returns its stored map, other requests’ keys included', async () => {
      // Prepare
      const token = newToken();
      const seal = sealFor(token);
      const record = storedItem(token, { theme: 'dark' });
      const theirs = seal.sealAll({ cart: ['book'] });
      ddb.on(UpdateCommand).resolves({ Attributes: { ...record, sealed: theirs } });

      // Act
      const updated = await makeStore(clock).save(seal, record, keys({}, ['theme']), {}, { readBack: true });

      // Assess
      expect(sentInputs()).toEqual([expect.objectContaining({ ReturnValues: 'ALL_NEW' })]);
      expect(updated?.sealed).toEqual(theirs);
    });

    it.each(unavailableErrors)('maps %s to SessionUnavailableError', async (_label, make) => {
      // Prepare
      const sdkError = make();
      ddb.on(UpdateCommand).rejects(sdkError);
      const token = newToken();

      // Act
      const failure = makeStore(clock).save(sealFor(token), storedItem(token, {}), keys({ a: 1 }));

      // Assess
      await expect(failure).rejects.toBeInstanceOf(SessionUnavailableError);
      await expect(failure).rejects.toMatchObject({ operation: 'save', cause: sdkError });
    });
  });

  describe('destroy', () => {
    it('sends one DeleteCommand keyed by SHA-256(token)', async () => {
      // Prepare
      const token = newToken();
      ddb.on(DeleteCommand).resolves({});

      // Act
      await makeStore(clock).destroy(token);

      // Assess
      expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 1);
      expect(sentInputs()).toEqual([{ TableName: TABLE, Key: { id: sha256Base64Url(token) } }]);
      expect(JSON.stringify(sentInputs())).not.toContain(token);
    });

    it.each(unavailableErrors)('maps %s to SessionUnavailableError', async (_label, make) => {
      // Prepare
      const sdkError = make();
      ddb.on(DeleteCommand).rejects(sdkError);

      // Act
      const failure = makeStore(clock).destroy(newToken());

      // Assess
      await expect(failure).rejects.toBeInstanceOf(SessionUnavailableError);
      await expect(failure).rejects.toMatchObject({ operation: 'destroy', cause: sdkError });
    });
  });

  describe('probe', () => {
    it('sends exactly one strongly consistent GetCommand of a key no session can have, projecting the key alone', async () => {
      // Prepare
      ddb.on(GetCommand).resolves({});

      // Act
      await makeStore(clock).probe();

      // Assess
      expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1);
      expect(ddb.calls()).toHaveLength(1);
      expect(sentInputs()).toEqual([
        {
          TableName: TABLE,
          Key: { id: PROBE_KEY },
          ConsistentRead: true,
          ProjectionExpression: '#id',
          ExpressionAttributeNames: { '#id': 'id' },
        },
      ]);
      // A session's key is the 43 base64url characters of a SHA-256: this one never is.
      expect(PROBE_KEY).toBe('health-check');
      expect(PROBE_KEY).not.toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it('resolves, item or none: the table answered', async () => {
      ddb.on(GetCommand).resolves({ Item: { id: PROBE_KEY } });
      await expect(makeStore(clock).probe()).resolves.toBeUndefined();
      ddb.on(GetCommand).resolves({});
      await expect(makeStore(clock).probe()).resolves.toBeUndefined();
    });

    it.each(unavailableErrors)('maps %s to SessionUnavailableError', async (_label, make) => {
      // Prepare
      const sdkError = make();
      ddb.on(GetCommand).rejects(sdkError);

      // Act
      const failure = makeStore(clock).probe();

      // Assess
      await expect(failure).rejects.toBeInstanceOf(SessionUnavailableError);
      await expect(failure).rejects.toMatchObject({
        dependency: 'store',
        operation: 'check',
        cause: sdkError,
      });
    });

    it('sends nothing past the deadline: SessionUnavailableError at once', async () => {
      // Prepare
      const deadline = new AbortController();
      deadline.abort(new DOMException('the request deadline passed', 'TimeoutError'));

      // Act
      const failure = makeStore(clock).probe({ signal: deadline.signal });

      // Assess
      await expect(failure).rejects.toBeInstanceOf(SessionUnavailableError);
      await expect(failure).rejects.toMatchObject({ operation: 'check' });
      expect(ddb.calls()).toHaveLength(0);
    });
  });
});

describe('SessionStore: a request DynamoDB refuses for good', () => {
  /** Each operation, prepared (a refresh needs a record its store read) before the store refuses. */
  const operations: Array<[string, (store: SessionStore) => Promise<() => Promise<unknown>>]> = [
    ['load', async (store) => () => store.load(anySeal())],
    ['create', async (store) => () => store.create(anySeal(), { username: 'admin' })],
    [
      'refresh',
      async (store) => {
        const record = await loadedRecord(store, newToken());
        return () => store.refresh(record);
      },
    ],
    [
      'save',
      async (store) => {
        const token = newToken();
        return () => store.save(sealFor(token), storedItem(token, {}), keys({ a: 1 }));
      },
    ],
    ['destroy', async (store) => () => store.destroy(newToken())],
    ['check', async (store) => () => store.probe()],
  ];

  describe.each(rejectedErrors)('%s', (_label, make) => {
    it.each(operations)(
      '%s: SessionRejectedError with the cause (a 500, not "try again")',
      async (operation, prepare) => {
        // Prepare
        const sdkError = make();
        const call = await prepare(makeStore(clock));
        ddb.rejects(sdkError); // every command

        // Act
        const failure = call();

        // Assess
        await expect(failure).rejects.toBeInstanceOf(SessionRejectedError);
        await expect(failure).rejects.toMatchObject({ operation, cause: sdkError });
      },
    );
  });
});

describe("SessionStore with expiry: 'sweeper' (a table without TTL)", () => {
  /** The bucket an item keyed `id` expiring at `validUntil` goes in, computed here: `<hour>.<shard>`. */
  function bucketOf(id: string, validUntil: number): string {
    const base64url = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    return `${Math.floor(Math.floor(validUntil / 1000) / 3600)}.${base64url.indexOf(id[0]) % 8}`;
  }

  it('create puts the item with its expiry bucket; the record it returns is the session’s, without it', async () => {
    // Prepare
    const token = newToken();
    const id = sha256Base64Url(token);

    // Act
    const record = await makeStore(clock, { expiry: 'sweeper' }).create(sealFor(token), {});

    // Assess
    const validUntil = T0 + IDLE_MS;
    const times = { createdAt: T0, refreshedAt: T0, absoluteExpiresAt: T0 + ABSOLUTE_MS, validUntil };
    const expected: SessionRecord = {
      id,
      sealed: {},
      ...times,
      expiresAt: Math.floor(validUntil / 1000),
      mac: sealFor(token).fieldsMac(times),
    };
    expect(sentInputs()).toEqual([
      {
        TableName: TABLE,
        Item: { ...expected, expiryBucket: bucketOf(id, validUntil) },
        ConditionExpression: 'attribute_not_exists(#id)',
        ExpressionAttributeNames: { '#id': 'id' },
      },
    ]);
    expect(record).toEqual(expected);
    expect(record).not.toHaveProperty('expiryBucket');
  });

  it("expiry 'ttl' sends exactly what the default sends: no bucket anywhere", async () => {
    // Prepare: an empty session is written without randomness, so two stores' puts can be compared
    const seal = anySeal();

    // Act
    await makeStore(clock).create(seal, {});
    await makeStore(clock, { expiry: 'ttl' }).create(seal, {});

    // Assess
    const [byDefault, byTtl] = sentInputs();
    expect(JSON.stringify(byTtl)).toBe(JSON.stringify(byDefault));
    expect(JSON.stringify(byDefault)).not.toContain('expiryBucket');
  });

  it('a retried put that meets its own item, bucket included, is the session created', async () => {
    // Prepare: the first put landed but its answer was lost; the retry fails its condition
    const token = newToken();
    const id = sha256Base64Url(token);
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).callsFake(() => ({ Item: (sentInputs()[0] as { Item: unknown }).Item }));

    // Act
    const record = await makeStore(clock, { expiry: 'sweeper' }).create(sealFor(token), {});

    // Assess
    expect(record.id).toBe(id);
    expect(sentInputs()[1]).toEqual({ TableName: TABLE, Key: { id }, ConsistentRead: true });
  });

  it('an item under the new id that differs, if only by its bucket, is another session: rejected', async () => {
    // Prepare
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).callsFake(() => {
      const { Item } = sentInputs()[0] as { Item: Record<string, unknown> };
      return { Item: { ...Item, expiryBucket: '1.0' } };
    });

    // Act & Assess
    await expect(makeStore(clock, { expiry: 'sweeper' }).create(anySeal(), {})).rejects.toBeInstanceOf(
      SessionRejectedError,
    );
  });

  it('refresh sets the bucket of the new expiry in the same conditional update', async () => {
    // Prepare
    const token = newToken();
    const id = sha256Base64Url(token);
    const store = makeStore(clock, { expiry: 'sweeper' });
    const record = await loadedRecord(store, token);
    clock.advance(IDLE_MS - 1); // late in the window: the new expiry is in a later hour
    const now = clock.value;

    // Act
    const updated = await store.refresh(record);

    // Assess
    const validUntil = now + IDLE_MS;
    expect(sentInputs()).toEqual([
      {
        TableName: TABLE,
        Key: { id },
        UpdateExpression:
          'SET #refreshedAt = :now, #validUntil = :validUntil, #ttl = :ttl, #mac = :mac, #expiryBucket = :expiryBucket',
        ConditionExpression: LIVE,
        ExpressionAttributeNames: {
          '#id': 'id',
          '#refreshedAt': 'refreshedAt',
          '#validUntil': 'validUntil',
          '#ttl': 'expiresAt',
          '#mac': 'mac',
          '#expiryBucket': 'expiryBucket',
        },
        ExpressionAttributeValues: {
          ':now': now,
          ':validUntil': validUntil,
          ':ttl': Math.floor(validUntil / 1000),
          ':mac': updated?.mac,
          ':expiryBucket': bucketOf(id, validUntil),
        },
      },
    ]);
    expect(bucketOf(id, validUntil)).not.toBe(bucketOf(id, record.validUntil)); // the hour moved
    expect(updated).not.toHaveProperty('expiryBucket');
  });

  it('save writes the data, the times and the bucket in one update', async () => {
    // Prepare
    const token = newToken();
    const id = sha256Base64Url(token);
    const seal = sealFor(token);
    const record = storedItem(token, {});
    clock.advance(1000);
    const validUntil = clock.value + IDLE_MS;

    // Act
    await makeStore(clock, { expiry: 'sweeper' }).save(seal, record, keys({ visits: 2 }));

    // Assess
    expect(sentInputs()).toEqual([
      expect.objectContaining({
        UpdateExpression:
          'SET #sealed.#k0 = :k0, #refreshedAt = :now, #validUntil = :validUntil, #ttl = :ttl, #mac = :mac, #expiryBucket = :expiryBucket',
        ExpressionAttributeNames: expect.objectContaining({ '#expiryBucket': 'expiryBucket' }),
        ExpressionAttributeValues: expect.objectContaining({ ':expiryBucket': bucketOf(id, validUntil) }),
      }),
    ]);
  });

  it('load reads an item with a bucket as the same session: the bucket is not part of the record', async () => {
    // Prepare
    const token = newToken();
    const item = storedItem(token, {});
    ddb.on(GetCommand).resolves({ Item: { ...item, expiryBucket: bucketOf(item.id, item.validUntil) } });

    // Act
    const result = await makeStore(clock, { expiry: 'sweeper' }).load(sealFor(token));

    // Assess
    expect(result).toEqual({ status: 'found', record: item, data: {}, rejectedValues: 0 });
  });
});
