import { isDeepStrictEqual } from 'node:util';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { untilAborted } from './abort.js';
import { MAX_SESSION_DATA_BYTES, REFRESH_FRACTION, TABLE_SCHEMA } from './constants.js';
import {
  SessionIdCollisionError,
  SessionStoreRejectedError,
  SessionStoreUnavailableError,
  SessionTooLargeError,
} from './errors.js';
import { hashToken } from './KeyRing.js';
import { isRejection } from './sdkErrors.js';
import { assertStorable } from './storableValue.js';

/** JSON-serialisable session data. */
export type SessionData = Record<string, unknown>;

/** A session as stored. Times are epoch milliseconds except the TTL attribute. */
export interface SessionRecord {
  id: string;
  data: SessionData;
  createdAt: number;
  refreshedAt: number;
  /** Created + absolute timeout: never extended. */
  absoluteExpiresAt: number;
  /** min(refreshed + idle, absolute): the session is dead from this instant on. */
  validUntil: number;
  /** TTL attribute, epoch seconds (floor of validUntil): only DynamoDB's garbage collector. */
  expiresAt: number;
}

export type LoadResult =
  | { status: 'found'; record: SessionRecord }
  | { status: 'absent' }
  | { status: 'expired' };

export interface SessionStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  idleTimeoutSeconds: number;
  absoluteTimeoutSeconds: number;
  /** Epoch milliseconds; injectable so tests can move time. */
  now?: () => number;
  maxDataBytes?: number;
}

const KEY = TABLE_SCHEMA.partitionKey;
const TTL = TABLE_SCHEMA.ttlAttribute;
/** Updates apply only to an item that still exists and has not expired: no resurrection. */
const LIVE_ITEM_CONDITION = 'attribute_exists(#id) AND #validUntil > :now';

function isConditionalCheckFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** Internal: a write's condition did not hold. Each caller turns it into its own outcome. */
class ConditionFailed extends Error {}

/**
 * The one DynamoDB access path for sessions. Items are keyed by the SHA-256 of the token;
 * expiry is checked on every read; every update is conditional on the item being alive.
 * SDK errors are translated here into the module's own errors.
 * @example
 * const store = new SessionStore({ client, tableName: 'sessions', idleTimeoutSeconds: 3600, absoluteTimeoutSeconds: 43200 });
 * const result = await store.load(token);
 */
export class SessionStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly idleMs: number;
  private readonly absoluteMs: number;
  private readonly maxDataBytes: number;
  readonly now: () => number;

  constructor(options: SessionStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.idleMs = options.idleTimeoutSeconds * 1000;
    this.absoluteMs = options.absoluteTimeoutSeconds * 1000;
    this.maxDataBytes = options.maxDataBytes ?? MAX_SESSION_DATA_BYTES;
    this.now = options.now ?? Date.now;
  }

  /** One strongly consistent `GetItem`; an item past its expiry counts as absent. */
  async load(token: string, signal?: AbortSignal): Promise<LoadResult> {
    const output = await this.send('load', signal, () =>
      this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { [KEY]: hashToken(token) }, ConsistentRead: true }),
      ),
    );
    const record = output.Item as SessionRecord | undefined;
    if (record === undefined) return { status: 'absent' };
    if (!(record.validUntil > this.now())) return { status: 'expired' };
    return { status: 'found', record };
  }

  /**
   * A new item for `token` (a conditional put); fails with `SessionIdCollisionError` if the id
   * already holds another session. Costs one extra read only when the condition fails.
   */
  async create(token: string, data: SessionData, signal?: AbortSignal): Promise<SessionRecord> {
    const now = this.now();
    const absoluteExpiresAt = now + this.absoluteMs;
    const validUntil = Math.min(now + this.idleMs, absoluteExpiresAt);
    const record: SessionRecord = {
      id: hashToken(token),
      data: this.serialisable(data),
      createdAt: now,
      refreshedAt: now,
      absoluteExpiresAt,
      validUntil,
      expiresAt: Math.floor(validUntil / 1000),
    };
    try {
      await this.send('create', signal, () =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: record,
            ConditionExpression: 'attribute_not_exists(#id)',
            ExpressionAttributeNames: { '#id': KEY },
          }),
        ),
      );
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
      // The SDK retries a put whose answer was lost (a timeout, a reset) even when DynamoDB had
      // applied it; the retry then fails its own condition. That item is ours: the session exists.
      if (await this.holdsRecord(record, signal)) return record;
      throw new SessionIdCollisionError();
    }
    return record;
  }

  /** True once a quarter of the idle window has passed and the expiry can still move forward. */
  isRefreshDue(record: SessionRecord): boolean {
    const now = this.now();
    return (
      now - record.refreshedAt >= this.idleMs * REFRESH_FRACTION &&
      this.nextValidUntil(record, now) > record.validUntil
    );
  }

  /** Pushes the idle expiry forward. Returns undefined when the session is gone (logged out). */
  async refresh(record: SessionRecord, signal?: AbortSignal): Promise<SessionRecord | undefined> {
    return this.update(record, record.data, false, signal);
  }

  /** Replaces the data and refreshes the expiry. Returns undefined when the session is gone. */
  async save(
    record: SessionRecord,
    data: SessionData,
    signal?: AbortSignal,
  ): Promise<SessionRecord | undefined> {
    return this.update(record, this.serialisable(data), true, signal);
  }

  /** Deletes the session for `token` (idempotent). */
  async destroy(token: string, signal?: AbortSignal): Promise<void> {
    await this.send('destroy', signal, () =>
      this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { [KEY]: hashToken(token) } })),
    );
  }

  private async update(
    record: SessionRecord,
    data: SessionData,
    writeData: boolean,
    signal: AbortSignal | undefined,
  ): Promise<SessionRecord | undefined> {
    const now = this.now();
    const validUntil = this.nextValidUntil(record, now);
    const next: SessionRecord = {
      ...record,
      data,
      refreshedAt: now,
      validUntil,
      expiresAt: Math.floor(validUntil / 1000),
    };
    try {
      await this.send(writeData ? 'save' : 'refresh', signal, () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { [KEY]: record.id },
            UpdateExpression: `SET ${writeData ? '#data = :data, ' : ''}#refreshedAt = :now, #validUntil = :validUntil, #ttl = :ttl`,
            ConditionExpression: LIVE_ITEM_CONDITION,
            ExpressionAttributeNames: {
              '#id': KEY,
              '#refreshedAt': 'refreshedAt',
              '#validUntil': 'validUntil',
              '#ttl': TTL,
              ...(writeData ? { '#data': 'data' } : {}),
            },
            ExpressionAttributeValues: {
              ':now': now,
              ':validUntil': validUntil,
              ':ttl': next.expiresAt,
              ...(writeData ? { ':data': data } : {}),
            },
          }),
        ),
      );
    } catch (error) {
      if (error instanceof ConditionFailed) return undefined;
      throw error;
    }
    return next;
  }

  /** True when the stored item for `record.id` is `record` as this store just wrote it. */
  private async holdsRecord(record: SessionRecord, signal: AbortSignal | undefined): Promise<boolean> {
    const output = await this.send('create', signal, () =>
      this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { [KEY]: record.id }, ConsistentRead: true }),
      ),
    );
    return isDeepStrictEqual(output?.Item, record);
  }

  private nextValidUntil(record: SessionRecord, now: number): number {
    return Math.min(now + this.idleMs, record.absoluteExpiresAt);
  }

  /** A JSON copy of `data`, or SessionDataError / SessionTooLargeError before anything reaches DynamoDB. */
  private serialisable(data: SessionData): SessionData {
    // Checked again here: a value may have been changed in place after `set`.
    for (const [key, value] of Object.entries(data)) assertStorable(key, value);
    const json = JSON.stringify(data);
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > this.maxDataBytes) throw new SessionTooLargeError(bytes, this.maxDataBytes);
    return JSON.parse(json) as SessionData;
  }

  /**
   * Runs one SDK call, waited for until the request's deadline at most: a failed condition becomes
   * `ConditionFailed`, a refusal for good "rejected", anything else (the deadline too) "unavailable".
   * The deadline is raced here rather than handed to the SDK as its `abortSignal`, which costs
   * every call far more (docs/performance.md); a call left behind still ends at its own timeout.
   */
  private async send<T>(
    operation: string,
    signal: AbortSignal | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    try {
      return await untilAborted(call(), signal);
    } catch (error) {
      if (isConditionalCheckFailure(error)) throw new ConditionFailed();
      if (isRejection(error)) throw new SessionStoreRejectedError(operation, { cause: error });
      throw new SessionStoreUnavailableError(operation, { cause: error });
    }
  }
}
