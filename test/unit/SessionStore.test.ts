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
  SessionIdCollisionError,
  SessionStoreRejectedError,
  SessionStoreUnavailableError,
  SessionTooLargeError,
} from '../../lambda/session/errors';
import { newToken } from '../../lambda/session/KeyRing';
import { type SessionRecord, SessionStore } from '../../lambda/session/SessionStore';
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
import { TABLE } from '../support/table';

const { ddb, clock } = useMockedStore();

const LIVE = 'attribute_exists(#id) AND #validUntil > :now';

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
      await store.load(token);

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
      await expect(makeStore(clock).load(newToken())).resolves.toEqual({ status: 'absent' });
    });

    it('returns the record when it is still valid', async () => {
      // Prepare
      const token = newToken();
      const item = storedItem(token, { username: 'admin' });
      ddb.on(GetCommand).resolves({ Item: item });
      clock.advance(IDLE_MS - 1);

      // Act
      const result = await makeStore(clock).load(token);

      // Assess
      expect(result).toEqual({ status: 'found', record: item });
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
      const result = await makeStore(clock).load(token);

      // Assess
      expect(result).toEqual({ status: 'expired' });
    });

    it.each(unavailableErrors)(
      'maps %s to SessionStoreUnavailableError with the cause',
      async (_label, make) => {
        // Prepare
        const sdkError = make();
        ddb.on(GetCommand).rejects(sdkError);

        // Act
        const failure = makeStore(clock).load(newToken());

        // Assess
        await expect(failure).rejects.toBeInstanceOf(SessionStoreUnavailableError);
        await expect(failure).rejects.toMatchObject({ operation: 'load', cause: sdkError });
      },
    );
  });

  describe('create', () => {
    it('puts the full item, keyed by SHA-256(token), with a not-exists condition', async () => {
      // Prepare
      const token = newToken();
      ddb.on(PutCommand).resolves({});
      const store = makeStore(clock);

      // Act
      const record = await store.create(token, { username: 'admin' });

      // Assess
      const validUntil = T0 + IDLE_MS;
      const expected: SessionRecord = {
        id: sha256Base64Url(token),
        data: { username: 'admin' },
        createdAt: T0,
        refreshedAt: T0,
        absoluteExpiresAt: T0 + ABSOLUTE_MS,
        validUntil,
        expiresAt: Math.floor(validUntil / 1000),
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
      expect(expected.expiresAt).not.toBe(validUntil / 1000); // T0 is not a whole second: floor matters
    });

    it('never stores the raw token anywhere in the item', async () => {
      // Prepare
      const token = newToken();
      ddb.on(PutCommand).resolves({});

      // Act
      await makeStore(clock).create(token, { username: 'admin', nested: { list: [1, 'two'] } });

      // Assess
      expect(JSON.stringify(sentInputs())).not.toContain(token);
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
      const record = await store.create(newToken(), {});

      // Assess
      expect(record.validUntil).toBe(T0 + 60_000);
      expect(record.absoluteExpiresAt).toBe(T0 + 60_000);
      expect(record.expiresAt).toBe(Math.floor((T0 + 60_000) / 1000));
    });

    it('stores a JSON copy: later changes to the caller’s object do not leak in', async () => {
      // Prepare
      ddb.on(PutCommand).resolves({});
      const data = { list: [1] };

      // Act
      const record = await makeStore(clock).create(newToken(), data);
      data.list.push(2);

      // Assess
      expect(record.data).toEqual({ list: [1] });
    });

    it('turns a failed condition into SessionIdCollisionError', async () => {
      // Prepare
      ddb.on(PutCommand).rejects(conditionFailed());

      // Act & Assess
      await expect(makeStore(clock).create(newToken(), { username: 'admin' })).rejects.toBeInstanceOf(
        SessionIdCollisionError,
      );
    });

    it.each(unavailableErrors)(
      'maps %s to SessionStoreUnavailableError with the cause',
      async (_label, make) => {
        // Prepare
        const sdkError = make();
        ddb.on(PutCommand).rejects(sdkError);

        // Act
        const failure = makeStore(clock).create(newToken(), { username: 'admin' });

        // Assess
        await expect(failure).rejects.toBeInstanceOf(SessionStoreUnavailableError);
        await expect(failure).rejects.toMatchObject({ operation: 'create', cause: sdkError });
      },
    );

    it('refuses data over the size limit with SessionTooLargeError and sends nothing', async () => {
      // Prepare
      ddb.on(PutCommand).resolves({});
      const store = makeStore(clock, { maxDataBytes: 100 });

      // Act
      const failure = store.create(newToken(), { blob: 'x'.repeat(200) });

      // Assess
      await expect(failure).rejects.toBeInstanceOf(SessionTooLargeError);
      await expect(failure).rejects.toMatchObject({ limit: 100 });
      expect(ddb.calls()).toHaveLength(0);
    });

    it('accepts data exactly at the size limit', async () => {
      // Prepare
      ddb.on(PutCommand).resolves({});
      const data = { a: 'x'.repeat(92) }; // {"a":"…"} = 8 + 92 bytes
      expect(Buffer.byteLength(JSON.stringify(data))).toBe(100);

      // Act & Assess
      await expect(makeStore(clock, { maxDataBytes: 100 }).create(newToken(), data)).resolves.toBeDefined();
      expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    });

    it('refuses data one byte over the size limit', async () => {
      // Prepare
      ddb.on(PutCommand).resolves({});
      const data = { a: 'x'.repeat(93) };
      expect(Buffer.byteLength(JSON.stringify(data))).toBe(101);

      // Act & Assess
      await expect(makeStore(clock, { maxDataBytes: 100 }).create(newToken(), data)).rejects.toMatchObject({
        name: 'SessionTooLargeError',
        bytes: 101,
        limit: 100,
      });
      expect(ddb.calls()).toHaveLength(0);
    });

    it('counts bytes, not characters, against the limit', async () => {
      // Prepare: 40 three-byte characters are 120 bytes
      ddb.on(PutCommand).resolves({});

      // Act & Assess
      await expect(
        makeStore(clock, { maxDataBytes: 100 }).create(newToken(), { a: '€'.repeat(40) }),
      ).rejects.toBeInstanceOf(SessionTooLargeError);
      expect(ddb.calls()).toHaveLength(0);
    });

    it('enforces the default 64 KB limit', async () => {
      ddb.on(PutCommand).resolves({});
      await expect(
        makeStore(clock).create(newToken(), { blob: 'x'.repeat(64 * 1024) }),
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
    it('sends the exact conditional UpdateCommand and returns the pushed-forward record', async () => {
      // Prepare
      const token = newToken();
      const record = storedItem(token, { username: 'admin' });
      ddb.on(UpdateCommand).resolves({});
      clock.advance(IDLE_MS / 2 + 7);
      const now = clock.value;

      // Act
      const updated = await makeStore(clock).refresh(record);

      // Assess
      const validUntil = now + IDLE_MS;
      expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
      expect(ddb.calls()).toHaveLength(1);
      expect(sentInputs()).toEqual([
        {
          TableName: TABLE,
          Key: { id: sha256Base64Url(token) },
          UpdateExpression: 'SET #refreshedAt = :now, #validUntil = :validUntil, #ttl = :ttl',
          ConditionExpression: LIVE,
          ExpressionAttributeNames: {
            '#id': 'id',
            '#refreshedAt': 'refreshedAt',
            '#validUntil': 'validUntil',
            '#ttl': 'expiresAt',
          },
          ExpressionAttributeValues: {
            ':now': now,
            ':validUntil': validUntil,
            ':ttl': Math.floor(validUntil / 1000),
          },
        },
      ]);
      expect(updated).toEqual({
        ...record,
        refreshedAt: now,
        validUntil,
        expiresAt: Math.floor(validUntil / 1000),
      });
      expect(JSON.stringify(sentInputs())).not.toContain(token);
    });

    it('never extends the expiry past absoluteExpiresAt', async () => {
      // Prepare
      const record = storedItem(newToken(), {}, T0, T0 + ABSOLUTE_MS - IDLE_MS);
      ddb.on(UpdateCommand).resolves({});
      clock.value = T0 + ABSOLUTE_MS - IDLE_MS / 2;

      // Act
      const updated = await makeStore(clock).refresh(record);

      // Assess
      expect(updated?.validUntil).toBe(record.absoluteExpiresAt);
      expect(updated?.absoluteExpiresAt).toBe(record.absoluteExpiresAt);
      expect(updated?.createdAt).toBe(record.createdAt);
      expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
        ExpressionAttributeValues: {
          ':now': clock.value,
          ':validUntil': record.absoluteExpiresAt,
          ':ttl': Math.floor(record.absoluteExpiresAt / 1000),
        },
      });
    });

    it('returns undefined when the condition fails (the session is gone): no resurrection', async () => {
      // Prepare
      ddb.on(UpdateCommand).rejects(conditionFailed());
      clock.advance(IDLE_MS / 2);

      // Act & Assess
      await expect(makeStore(clock).refresh(storedItem(newToken(), {}))).resolves.toBeUndefined();
    });

    it.each(unavailableErrors)(
      'maps %s to SessionStoreUnavailableError with the cause',
      async (_label, make) => {
        // Prepare
        const sdkError = make();
        ddb.on(UpdateCommand).rejects(sdkError);

        // Act
        const failure = makeStore(clock).refresh(storedItem(newToken(), {}));

        // Assess
        await expect(failure).rejects.toBeInstanceOf(SessionStoreUnavailableError);
        await expect(failure).rejects.toMatchObject({ operation: 'refresh', cause: sdkError });
      },
    );
  });

  describe('save', () => {
    it('sends the exact conditional UpdateCommand with #data', async () => {
      // Prepare
      const token = newToken();
      const record = storedItem(token, { username: 'admin' });
      ddb.on(UpdateCommand).resolves({});
      clock.advance(1000);
      const now = clock.value;

      // Act
      const updated = await makeStore(clock).save(record, { username: 'other', visits: 2 });

      // Assess
      const validUntil = now + IDLE_MS;
      expect(ddb.calls()).toHaveLength(1);
      expect(sentInputs()).toEqual([
        {
          TableName: TABLE,
          Key: { id: sha256Base64Url(token) },
          UpdateExpression: 'SET #data = :data, #refreshedAt = :now, #validUntil = :validUntil, #ttl = :ttl',
          ConditionExpression: LIVE,
          ExpressionAttributeNames: {
            '#id': 'id',
            '#data': 'data',
            '#refreshedAt': 'refreshedAt',
            '#validUntil': 'validUntil',
            '#ttl': 'expiresAt',
          },
          ExpressionAttributeValues: {
            ':now': now,
            ':validUntil': validUntil,
            ':ttl': Math.floor(validUntil / 1000),
            ':data': { username: 'other', visits: 2 },
          },
        },
      ]);
      expect(updated).toEqual({
        ...record,
        data: { username: 'other', visits: 2 },
        refreshedAt: now,
        validUntil,
        expiresAt: Math.floor(validUntil / 1000),
      });
      expect(JSON.stringify(sentInputs())).not.toContain(token);
    });

    it('caps the expiry at absoluteExpiresAt', async () => {
      // Prepare
      const record = storedItem(newToken(), {}, T0, T0 + ABSOLUTE_MS - IDLE_MS);
      ddb.on(UpdateCommand).resolves({});
      clock.value = T0 + ABSOLUTE_MS - 1000;

      // Act
      const updated = await makeStore(clock).save(record, { a: 1 });

      // Assess
      expect(updated?.validUntil).toBe(record.absoluteExpiresAt);
    });

    it('returns undefined when the condition fails', async () => {
      ddb.on(UpdateCommand).rejects(conditionFailed());
      await expect(makeStore(clock).save(storedItem(newToken(), {}), { a: 1 })).resolves.toBeUndefined();
    });

    it('refuses data over the size limit and sends nothing', async () => {
      // Prepare
      ddb.on(UpdateCommand).resolves({});

      // Act & Assess
      await expect(
        makeStore(clock, { maxDataBytes: 50 }).save(storedItem(newToken(), {}), { blob: 'x'.repeat(100) }),
      ).rejects.toBeInstanceOf(SessionTooLargeError);
      expect(ddb.calls()).toHaveLength(0);
    });

    it.each(unavailableErrors)('maps %s to SessionStoreUnavailableError', async (_label, make) => {
      // Prepare
      const sdkError = make();
      ddb.on(UpdateCommand).rejects(sdkError);

      // Act
      const failure = makeStore(clock).save(storedItem(newToken(), {}), { a: 1 });

      // Assess
      await expect(failure).rejects.toBeInstanceOf(SessionStoreUnavailableError);
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

    it.each(unavailableErrors)('maps %s to SessionStoreUnavailableError', async (_label, make) => {
      // Prepare
      const sdkError = make();
      ddb.on(DeleteCommand).rejects(sdkError);

      // Act
      const failure = makeStore(clock).destroy(newToken());

      // Assess
      await expect(failure).rejects.toBeInstanceOf(SessionStoreUnavailableError);
      await expect(failure).rejects.toMatchObject({ operation: 'destroy', cause: sdkError });
    });
  });
});

describe('SessionStore: a request DynamoDB refuses for good', () => {
  const operations: Array<[string, (store: SessionStore) => Promise<unknown>]> = [
    ['load', (store) => store.load(newToken())],
    ['create', (store) => store.create(newToken(), { username: 'admin' })],
    ['refresh', (store) => store.refresh(storedItem(newToken(), {}))],
    ['save', (store) => store.save(storedItem(newToken(), {}), { a: 1 })],
    ['destroy', (store) => store.destroy(newToken())],
  ];

  describe.each(rejectedErrors)('%s', (_label, make) => {
    it.each(operations)(
      '%s: SessionStoreRejectedError with the cause (a 500, not "try again")',
      async (operation, call) => {
        // Prepare
        const sdkError = make();
        ddb.rejects(sdkError); // every command

        // Act
        const failure = call(makeStore(clock));

        // Assess
        await expect(failure).rejects.toBeInstanceOf(SessionStoreRejectedError);
        await expect(failure).rejects.toMatchObject({ operation, cause: sdkError });
      },
    );
  });
});
