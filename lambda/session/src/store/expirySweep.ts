import { DeleteCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE_SCHEMA } from '../constants.js';
import { attributeNames } from './attributes.js';
import { bucketKey, expiryHour } from './expiryBucket.js';

const INDEX = TABLE_SCHEMA.expiryIndex;
const KEY = TABLE_SCHEMA.partitionKey;

/** Hours swept back from the last one that has passed, unless told otherwise: a day of missed runs. */
export const DEFAULT_SWEEP_LOOKBACK_HOURS = 24;
/** A year: a longer lookback is a mistake, not a setting. */
const MAX_SWEEP_LOOKBACK_HOURS = 366 * 24;
/** Buckets swept at once: one hour's shards side by side. */
const SWEEP_CONCURRENCY = INDEX.shards;

const BUCKET_CONDITION = '#expiryBucket = :bucket';
/** Deletes only an item still expired: one refreshed since the query moved its `validUntil` on. */
const EXPIRED_CONDITION = 'attribute_exists(#id) AND #validUntil <= :now';

/** What `sweepExpiredSessions` sweeps, with what, and how far back. */
export interface ExpirySweepOptions {
  /** A DynamoDB document client (`createDocumentClient` gives one with bounded timeouts). */
  client: DynamoDBDocumentClient;
  /** The sessions table, with the `byExpiry` index (`TABLE_SCHEMA.expiryIndex`). */
  tableName: string;
  /** Epoch milliseconds; injectable so tests can move time. @default Date.now */
  now?: () => number;
  /**
   * How many hours back to sweep, counted from the last hour that has wholly passed: every run
   * sweeps them all, so runs that were missed (or failed) are made up by the next. A whole number
   * from 1 to 8784 (a year).
   * @default 24
   */
  lookbackHours?: number;
  /** Once aborted, no further request is sent and the sweep rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** What one sweep did. `examined` is always `deleted` plus `kept`. */
export interface ExpirySweepSummary {
  /** Bucket keys (`<hour>.<shard>`) queried: `lookbackHours` times the 8 shards. */
  buckets: number;
  /** Items the index listed in those buckets. */
  examined: number;
  /** Expired items deleted. */
  deleted: number;
  /** Items left in place because their delete's condition failed: refreshed since, or already gone. */
  kept: number;
}

function checkedOptions(options: ExpirySweepOptions): Required<Omit<ExpirySweepOptions, 'signal'>> {
  if (typeof options?.client?.send !== 'function')
    throw new TypeError('client: expected a DynamoDB document client');
  if (typeof options.tableName !== 'string' || options.tableName === '')
    throw new TypeError('tableName: expected the name of the sessions table');
  const lookbackHours = options.lookbackHours ?? DEFAULT_SWEEP_LOOKBACK_HOURS;
  if (
    !(Number.isSafeInteger(lookbackHours) && lookbackHours >= 1 && lookbackHours <= MAX_SWEEP_LOOKBACK_HOURS)
  ) {
    throw new TypeError(
      `lookbackHours: expected a whole number from 1 to ${MAX_SWEEP_LOOKBACK_HOURS}, got ${lookbackHours}`,
    );
  }
  return {
    client: options.client,
    tableName: options.tableName,
    now: options.now ?? Date.now,
    lookbackHours,
  };
}

/**
 * The bucket keys to sweep at `now`, oldest first: each shard of the `lookbackHours` hours before
 * the current one. The current hour is left for the next run, since some of its sessions are
 * still live; an hour that has wholly passed holds only `expiresAt` values, and so `validUntil`
 * values, before `now`.
 */
export function sweptBuckets(now: number, lookbackHours: number): string[] {
  const currentHour = expiryHour(Math.floor(now / 1000));
  const keys: string[] = [];
  for (let hour = currentHour - lookbackHours; hour < currentHour; hour++) {
    for (let shard = 0; shard < INDEX.shards; shard++) keys.push(bucketKey(hour, shard));
  }
  return keys;
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * Deletes the expired sessions of a table without TTL (a strongly consistent global table), which
 * the library's writes with `expiry: 'sweeper'` put in the sparse `byExpiry` index. For each hour
 * of the last `lookbackHours` that has wholly passed, and each of its 8 shards, it queries the
 * index (every page) and deletes each item listed, on condition that it still exists and is
 * still expired (`validUntil` at or before now): a session refreshed since, whose expiry moved to
 * a later bucket, is kept. Eight buckets are swept at a time. No Scan; an item without a bucket
 * (written with `expiry: 'ttl'`) is never read nor deleted.
 *
 * Meant to run on a schedule, hourly: an expired item stays at most until the first run after
 * the hour its `expiresAt` falls in has ended (reads refuse it from its expiry on). Any error but
 * a failed condition rejects the sweep (what it deleted stays deleted); the next run, whose
 * lookback covers the same hours, sweeps them again.
 * @example
 * import { createDocumentClient } from '@lambda-sessions/dynamodb';
 * import { sweepExpiredSessions } from '@lambda-sessions/dynamodb/sweep';
 *
 * const client = createDocumentClient();
 * export const handler = async () => {
 *   const summary = await sweepExpiredSessions({ client, tableName: 'sessions' });
 *   console.log(JSON.stringify(summary)); // {"buckets":192,"examined":41,"deleted":40,"kept":1}
 * };
 */
export async function sweepExpiredSessions(options: ExpirySweepOptions): Promise<ExpirySweepSummary> {
  const { client, tableName, now, lookbackHours } = checkedOptions(options);
  const signal = options.signal;
  const at = now();
  const keys = sweptBuckets(at, lookbackHours);
  const summary: ExpirySweepSummary = { buckets: keys.length, examined: 0, deleted: 0, kept: 0 };
  let failure: { error: unknown } | undefined;
  /** Before each request: stop once the caller aborted, or another bucket's sweep failed. */
  const proceed = (): boolean => {
    signal?.throwIfAborted();
    return failure === undefined;
  };

  const deleteIfExpired = async (id: string): Promise<void> => {
    try {
      await client.send(
        new DeleteCommand({
          TableName: tableName,
          Key: { [KEY]: id },
          ConditionExpression: EXPIRED_CONDITION,
          ExpressionAttributeNames: attributeNames(EXPIRED_CONDITION),
          ExpressionAttributeValues: { ':now': at },
        }),
      );
      summary.deleted += 1;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      summary.kept += 1;
    }
  };

  const sweepBucket = async (bucket: string): Promise<void> => {
    let start: Record<string, unknown> | undefined;
    do {
      if (!proceed()) return;
      const page = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: INDEX.indexName,
          KeyConditionExpression: BUCKET_CONDITION,
          ExpressionAttributeNames: attributeNames(BUCKET_CONDITION),
          ExpressionAttributeValues: { ':bucket': bucket },
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      for (const item of page.Items ?? []) {
        if (!proceed()) return;
        summary.examined += 1;
        await deleteIfExpired(item[KEY] as string);
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  };

  let next = 0;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < keys.length) {
      const bucket = keys[next++];
      try {
        await sweepBucket(bucket);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SWEEP_CONCURRENCY, keys.length) }, worker));
  if (failure !== undefined) throw failure.error;
  return summary;
}
