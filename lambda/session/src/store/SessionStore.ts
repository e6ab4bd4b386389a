import { isDeepStrictEqual } from 'node:util';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  MAC_ATTRIBUTE,
  MAX_EPOCH_MS,
  MAX_SESSION_DATA_BYTES,
  PERMANENT_ATTRIBUTE,
  REFRESH_FRACTION,
  SEALED_ATTRIBUTE,
  TABLE_SCHEMA,
} from '../constants.js';
import { SessionRejectedError, SessionTooLargeError } from '../errors.js';
import type { ClearFields, SealedValues, SessionSeal } from '../SessionSeal.js';
import { assertStorable } from '../storableValue.js';
import { hashToken, newPublicId } from '../tokens.js';
import { attributeNames } from './attributes.js';
import { expiryBucket } from './expiryBucket.js';
import { ConditionFailed, type Deadline, storeCall } from './storeCall.js';

/** JSON-serialisable session data. */
export type SessionData = Record<string, unknown>;

/**
 * A session as stored. Times are epoch milliseconds except the TTL attribute. The values are
 * sealed (`SessionSeal`): the item alone reveals neither names nor values. The clear fields
 * (`ClearFields`: the times, the owner, the device, the public id) are bound, under the signing keys, to the
 * item by `mac`: changed, or copied from another item, they read as absent.
 */
export interface SessionRecord extends ClearFields {
  id: string;
  /** Name tag → sealed value. Always present, empty for an empty session. */
  sealed: SealedValues;
  createdAt: number;
  refreshedAt: number;
  /** Created + absolute timeout: never extended. */
  absoluteExpiresAt: number;
  /** min(refreshed + idle, absolute): the session is dead from this instant on. */
  validUntil: number;
  /** TTL attribute, epoch seconds (floor of validUntil): only DynamoDB's garbage collector. Not bound by `mac`. */
  expiresAt: number;
  /** `SessionSeal.fieldsMac` of the clear fields, rewritten by every update that changes a time. */
  mac: string;
  /** The user the session was created for at login: puts it in the owner index. Absent: anonymous. */
  owner?: string;
  /** A coarse label such as `Firefox on Linux`; only with an owner. */
  device?: string;
  /** The session's public id (random, neither token nor key), for listing and revoking; only with an owner. */
  publicId?: string;
  /** A permanent session: its cookie carries a `Max-Age` (the remaining absolute lifetime). */
  permanent?: true;
}

/** Who a session is created for: its owner and a device label (see `SessionOwnerOptions`). */
export interface SessionOwnership {
  owner: string;
  device: string;
}

export type LoadResult =
  | {
      status: 'found';
      record: SessionRecord;
      /** The values that opened, by their real names. */
      data: SessionData;
      /** Stored values that failed authentication (tampered, or moved): left out of `data`. */
      rejectedValues: number;
    }
  | {
      status: 'absent';
      /**
       * 1 when the item's clear fields failed their MAC (changed in the table, or the item copied
       * from another key) or hold what the library never writes: counted like a value that fails
       * its seal. Absent otherwise (no item, or one written before sealing or before the MAC).
       */
      rejectedValues?: number;
    }
  | { status: 'expired' };

/**
 * What a commit writes of the data: the keys set and removed (each one path in the stored map, so
 * concurrent commits of other keys are kept), or the whole map (after `clear()`).
 */
export type DataChange =
  | { kind: 'keys'; set: SessionData; removed: readonly string[] }
  | { kind: 'whole'; data: SessionData };

/**
 * How expired items leave the table: DynamoDB's TTL on `expiresAt`, or a scheduled sweep of the
 * `byExpiry` index (`sweepExpiredSessions`), for which every write of `expiresAt` also writes
 * the item's `expiryBucket`. Reads refuse an expired session either way.
 */
export type SessionExpiry = 'ttl' | 'sweeper';

export interface SessionStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  idleTimeoutSeconds: number;
  absoluteTimeoutSeconds: number;
  /** Epoch milliseconds; injectable so tests can move time. */
  now?: () => number;
  maxDataBytes?: number;
  /** @default 'ttl' */
  expiry?: SessionExpiry;
}

const KEY = TABLE_SCHEMA.partitionKey;
const EXPIRY_BUCKET = TABLE_SCHEMA.expiryIndex.partitionKey;
/** What a create puts: the record, and with `expiry: 'sweeper'` its expiry bucket. */
type StoredItem = SessionRecord & Partial<Record<typeof EXPIRY_BUCKET, string>>;
/**
 * The key `probe` reads: no session's, since a session's key is the 43 base64url characters of a
 * SHA-256, and this is not 43 characters long.
 */
export const PROBE_KEY = 'health-check';
/** Updates apply only to an item that still exists and has not expired: no resurrection. */
const LIVE_ITEM_CONDITION = 'attribute_exists(#id) AND #validUntil > :now';

/** A stored map of sealed values; items written before sealing hold a plain `data` map instead. */
function isSealedMap(value: unknown): value is SealedValues {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

/**
 * A stored time the library can use: a finite number of epoch milliseconds within a `Date`'s range
 * (the document client gives a BigInt for an integer past 2^53, and such a number cannot be shown).
 */
export function isStoredTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= MAX_EPOCH_MS;
}

function isOptionalString(value: unknown): value is string | undefined {
  return value === undefined || typeof value === 'string';
}

/**
 * The record an item holds, when every field the library reads has the type and range it writes;
 * else undefined. Says nothing yet of whether the fields are authentic (`SessionSeal.fieldsAuthentic`).
 */
function storedRecord(item: Record<string, unknown>): SessionRecord | undefined {
  const { id, createdAt, refreshedAt, absoluteExpiresAt, validUntil, expiresAt, owner, device, publicId } =
    item;
  const sealed = item[SEALED_ATTRIBUTE];
  const mac = item[MAC_ATTRIBUTE];
  const permanent = item[PERMANENT_ATTRIBUTE];
  if (typeof id !== 'string' || !isSealedMap(sealed) || typeof mac !== 'string') return undefined;
  if (permanent !== undefined && permanent !== true) return undefined;
  if (![createdAt, refreshedAt, absoluteExpiresAt, validUntil].every(isStoredTime)) return undefined;
  if (!(isOptionalString(owner) && isOptionalString(device) && isOptionalString(publicId))) return undefined;
  return {
    id,
    sealed,
    createdAt: createdAt as number,
    refreshedAt: refreshedAt as number,
    absoluteExpiresAt: absoluteExpiresAt as number,
    validUntil: validUntil as number,
    expiresAt: expiresAt as number,
    mac,
    ...(owner === undefined ? {} : { owner }),
    ...(device === undefined ? {} : { device }),
    ...(publicId === undefined ? {} : { publicId }),
    ...(permanent === true ? { permanent } : {}),
  };
}

/** The bytes the sealed values take in the item: each name tag and its sealed value. */
function sealedBytes(sealed: SealedValues): number {
  let bytes = 0;
  for (const [tag, value] of Object.entries(sealed)) bytes += Buffer.byteLength(tag) + value.byteLength;
  return bytes;
}

/** One `UpdateItem`'s expression parts, built up clause by clause. */
class UpdateParts {
  readonly sets: string[] = [];
  readonly removes: string[] = [];
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};

  get expression(): string {
    const remove = this.removes.length > 0 ? ` REMOVE ${this.removes.join(', ')}` : '';
    return `SET ${this.sets.join(', ')}${remove}`;
  }
}

/**
 * The one DynamoDB access path for sessions. Items are keyed by the SHA-256 of the token and hold
 * their values sealed with keys derived from it; expiry is checked on every read; every update is
 * conditional on the item being alive. SDK errors are translated here into the module's own errors.
 * @example
 * const store = new SessionStore({ client, tableName: 'sessions', idleTimeoutSeconds: 3600, absoluteTimeoutSeconds: 43200 });
 * const result = await store.load(new SessionSeal(token, keyRing));
 */
export class SessionStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly idleMs: number;
  private readonly absoluteMs: number;
  private readonly maxDataBytes: number;
  /** Whether writes of `expiresAt` also write the item's `expiryBucket` (`expiry: 'sweeper'`). */
  private readonly bucketed: boolean;
  /**
   * The seal each record this store read or wrote belongs to: the refresh, called with the record
   * alone, rewrites the MAC of the times it moves with it.
   */
  private readonly seals = new WeakMap<SessionRecord, SessionSeal>();
  readonly now: () => number;

  constructor(options: SessionStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.idleMs = options.idleTimeoutSeconds * 1000;
    this.absoluteMs = options.absoluteTimeoutSeconds * 1000;
    this.maxDataBytes = options.maxDataBytes ?? MAX_SESSION_DATA_BYTES;
    this.now = options.now ?? Date.now;
    this.bucketed = options.expiry === 'sweeper';
  }

  /**
   * One strongly consistent `GetItem`, then the clear fields checked against their MAC and the
   * values opened. Reads as absent: an item written before sealing (a plain `data` map) or before
   * the MAC (none), whose user logs in again; and, counted in `rejectedValues`, one whose clear
   * fields fail their MAC or hold what the library never writes (a time out of range). Taking them
   * would let whoever can write the table plant data, relabel a session or extend it. An
   * authentic item past its idle or its absolute expiry is expired.
   */
  async load(seal: SessionSeal, deadline: Deadline = {}): Promise<LoadResult> {
    const output = await storeCall('load', deadline, () =>
      this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { [KEY]: seal.itemKey }, ConsistentRead: true }),
      ),
    );
    const item = output.Item;
    if (item === undefined || !isSealedMap(item[SEALED_ATTRIBUTE]) || item[MAC_ATTRIBUTE] === undefined)
      return { status: 'absent' };
    const record = storedRecord(item);
    if (record === undefined || !seal.fieldsAuthentic(record, record.mac))
      return { status: 'absent', rejectedValues: 1 };
    const now = this.now();
    if (!(record.validUntil > now && record.absoluteExpiresAt > now)) return { status: 'expired' };
    const { data, rejected } = seal.openAll(record.sealed);
    return { status: 'found', record: this.remember(record, seal), data, rejectedValues: rejected };
  }

  /**
   * One strongly consistent `GetItem` of `PROBE_KEY`, a key no session has, projecting the key
   * alone: it reads next to nothing, and succeeds only when the table can serve a strongly
   * consistent read (on a multi-Region table, when this Region's replica has its quorum).
   * Resolves whatever it finds; fails as every store call does (operation `check`).
   */
  async probe(deadline: Deadline = {}): Promise<void> {
    await storeCall('check', deadline, () =>
      this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { [KEY]: PROBE_KEY },
          ConsistentRead: true,
          ProjectionExpression: '#id',
          ExpressionAttributeNames: attributeNames('#id'),
        }),
      ),
    );
  }

  /**
   * A new item for the seal's token holding `data` sealed (a conditional put); fails with
   * `SessionRejectedError` if the id already holds another session. Costs one extra read only
   * when the condition fails. With `ownership`, the item also holds its owner, device label and a
   * new public id, which puts it in the owner index (one more write there).
   */
  async create(
    seal: SessionSeal,
    data: SessionData,
    ownership?: SessionOwnership,
    deadline: Deadline = {},
    permanent = false,
  ): Promise<SessionRecord> {
    const sealed = this.withinLimit(this.sealAll(seal, data));
    const now = this.now();
    const absoluteExpiresAt = now + this.absoluteMs;
    const validUntil = Math.min(now + this.idleMs, absoluteExpiresAt);
    const fields: ClearFields = {
      createdAt: now,
      refreshedAt: now,
      absoluteExpiresAt,
      validUntil,
      ...(ownership === undefined
        ? {}
        : { owner: ownership.owner, device: ownership.device, publicId: newPublicId() }),
      ...(permanent ? { permanent: true } : {}),
    };
    const record: SessionRecord = {
      id: seal.itemKey,
      sealed,
      ...fields,
      expiresAt: Math.floor(validUntil / 1000),
      mac: seal.fieldsMac(fields),
    };
    // The bucket is the sweeper's, not the session's: in the item, never in the record.
    const item: StoredItem = this.bucketed
      ? { ...record, [EXPIRY_BUCKET]: expiryBucket(record.id, record.expiresAt) }
      : record;
    try {
      await storeCall('create', deadline, () =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#id)',
            ExpressionAttributeNames: attributeNames('attribute_not_exists(#id)'),
          }),
        ),
      );
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
      // The SDK retries a put whose answer was lost (a timeout, a reset) even when DynamoDB had
      // applied it; the retry then fails its own condition. That item is ours: the session exists.
      if (await this.holdsItem(item, deadline)) return this.remember(record, seal);
      throw new SessionRejectedError('store', 'create', {
        cause: new Error('the new session id is already taken by another item'),
      });
    }
    return this.remember(record, seal);
  }

  /** True once a quarter of the idle window has passed and the expiry can still move forward. */
  isRefreshDue(record: SessionRecord): boolean {
    const now = this.now();
    return (
      now - record.refreshedAt >= this.idleMs * REFRESH_FRACTION &&
      this.nextValidUntil(record, now) > record.validUntil
    );
  }

  /**
   * Pushes the idle expiry forward, with the MAC of the new times. `record` must be one this store
   * read or wrote (its seal is known), else a `TypeError`. Returns undefined when the session is
   * gone (logged out).
   */
  async refresh(record: SessionRecord, deadline: Deadline = {}): Promise<SessionRecord | undefined> {
    const seal = this.seals.get(record);
    if (seal === undefined) throw new TypeError('refresh: expected a record this store read or wrote');
    return this.update('refresh', seal, record, new UpdateParts(), record.sealed, deadline);
  }

  /**
   * Writes `change` and refreshes the expiry, in one conditional `UpdateItem`: each key set is a
   * `SET` of its path in the sealed map and each key removed a `REMOVE`, so keys other requests
   * write meanwhile are kept; a whole change replaces the map. The size limit is checked on the
   * map as it becomes with this change applied to what was read. `permanent` writes the session's
   * permanence when it differs from the record's. `readBack` asks DynamoDB for the item as
   * written, so the returned record's `sealed` is the stored map, other requests' keys included
   * (whether a session is left empty). Returns undefined when the session is gone.
   */
  async save(
    seal: SessionSeal,
    record: SessionRecord,
    change: DataChange,
    deadline: Deadline = {},
    options: { permanent?: boolean; readBack?: boolean } = {},
  ): Promise<SessionRecord | undefined> {
    if (seal.itemKey !== record.id) throw new TypeError("save: expected the seal of the record's token");
    const parts = new UpdateParts();
    let sealed: SealedValues;
    if (change.kind === 'whole') {
      sealed = this.sealAll(seal, change.data);
      parts.sets.push('#sealed = :sealed');
      parts.values[':sealed'] = sealed;
    } else {
      const written = this.sealAll(seal, change.set);
      sealed = { ...record.sealed, ...written };
      let index = 0;
      for (const [tag, value] of Object.entries(written)) {
        parts.sets.push(`#sealed.#k${index} = :k${index}`);
        parts.names[`#k${index}`] = tag;
        parts.values[`:k${index}`] = value;
        index++;
      }
      for (const name of change.removed) {
        const tag = seal.nameTag(name);
        delete sealed[tag];
        parts.removes.push(`#sealed.#k${index}`);
        parts.names[`#k${index}`] = tag;
        index++;
      }
    }
    const permanent = options.permanent ?? record.permanent === true;
    if (permanent !== (record.permanent === true)) {
      if (permanent) {
        parts.sets.push('#permanent = :permanent');
        parts.values[':permanent'] = true;
      } else {
        parts.removes.push('#permanent');
      }
    }
    return this.update(
      'save',
      seal,
      { ...record, ...(permanent ? { permanent: true } : { permanent: undefined }) },
      parts,
      this.withinLimit(sealed),
      deadline,
      options.readBack === true,
    );
  }

  /** Deletes the session for `token` (idempotent). */
  async destroy(token: string, deadline: Deadline = {}): Promise<void> {
    await storeCall('destroy', deadline, () =>
      this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { [KEY]: hashToken(token) } })),
    );
  }

  /**
   * Sends `parts` with the new times and their MAC, conditional on the item being alive. The
   * fields the MAC covers besides the times never change after the login, so concurrent updates,
   * each writing its times with their MAC, leave an item whose MAC holds whichever lands last.
   */
  private async update(
    operation: 'save' | 'refresh',
    seal: SessionSeal,
    record: SessionRecord,
    parts: UpdateParts,
    sealed: SealedValues,
    deadline: Deadline,
    readBack = false,
  ): Promise<SessionRecord | undefined> {
    const now = this.now();
    const validUntil = this.nextValidUntil(record, now);
    const { permanent, ...rest } = record;
    const moved: SessionRecord = {
      ...rest,
      ...(permanent === true ? { permanent } : {}),
      sealed,
      refreshedAt: now,
      validUntil,
      expiresAt: Math.floor(validUntil / 1000),
    };
    const next: SessionRecord = { ...moved, mac: seal.fieldsMac(moved) };
    parts.sets.push('#refreshedAt = :now', '#validUntil = :validUntil', '#ttl = :ttl', '#mac = :mac');
    parts.names['#mac'] = MAC_ATTRIBUTE;
    if (this.bucketed) {
      // Written again even when the hour has not moved: an item from before `expiry: 'sweeper'` gets one.
      parts.sets.push('#expiryBucket = :expiryBucket');
      parts.values[':expiryBucket'] = expiryBucket(record.id, next.expiresAt);
    }
    let written: Record<string, unknown> | undefined;
    try {
      const output = await storeCall(operation, deadline, () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { [KEY]: record.id },
            UpdateExpression: parts.expression,
            ConditionExpression: LIVE_ITEM_CONDITION,
            // The table's names for the placeholders used, and the sealed values' name tags.
            ExpressionAttributeNames: {
              ...attributeNames(parts.expression, LIVE_ITEM_CONDITION),
              ...parts.names,
            },
            ExpressionAttributeValues: {
              ':now': now,
              ':validUntil': validUntil,
              ':ttl': next.expiresAt,
              ':mac': next.mac,
              ...parts.values,
            },
            ...(readBack ? { ReturnValues: 'ALL_NEW' as const } : {}),
          }),
        ),
      );
      written = output?.Attributes;
    } catch (error) {
      if (error instanceof ConditionFailed) return undefined;
      throw error;
    }
    const stored = written?.[SEALED_ATTRIBUTE];
    return this.remember(readBack && isSealedMap(stored) ? { ...next, sealed: stored } : next, seal);
  }

  private remember(record: SessionRecord, seal: SessionSeal): SessionRecord {
    this.seals.set(record, seal);
    return record;
  }

  /** True when the stored item under `item.id` is `item` as this store just put it. */
  private async holdsItem(item: StoredItem, deadline: Deadline): Promise<boolean> {
    const output = await storeCall('create', deadline, () =>
      this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { [KEY]: item.id }, ConsistentRead: true }),
      ),
    );
    return isDeepStrictEqual(output?.Item, item);
  }

  private nextValidUntil(record: SessionRecord, now: number): number {
    return Math.min(now + this.idleMs, record.absoluteExpiresAt);
  }

  /**
   * Every value of `data` sealed under its name tag, or SessionDataError before anything reaches
   * DynamoDB: checked again here, since a value may have been changed in place after `set`.
   */
  private sealAll(seal: SessionSeal, data: SessionData): SealedValues {
    for (const [key, value] of Object.entries(data)) assertStorable(key, value);
    return seal.sealAll(data);
  }

  /** `sealed`, or SessionTooLargeError when it would take more than the limit in the item. */
  private withinLimit(sealed: SealedValues): SealedValues {
    const bytes = sealedBytes(sealed);
    if (bytes > this.maxDataBytes) throw new SessionTooLargeError(bytes, this.maxDataBytes);
    return sealed;
  }
}
