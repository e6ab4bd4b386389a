import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLE_SCHEMA } from '@lambda-sessions/dynamodb/table';

/** How often the embedded store is swept: expired sessions are refused on read anyway, so no hurry. */
export const DEFAULT_SWEEP_INTERVAL_MS = 10 * 60_000;
/** Items per Scan page: small requests that never hold dynalite for long. */
const DEFAULT_PAGE_SIZE = 100;

/** Past its TTL attribute, as DynamoDB's TTL decides: epoch seconds strictly before now. */
const EXPIRED = '#ttl < :now';
const NAMES = { '#id': TABLE_SCHEMA.partitionKey, '#ttl': TABLE_SCHEMA.ttlAttribute };

export interface SweepOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Epoch milliseconds; injectable so tests can move time. */
  now?: () => number;
  /** Items per Scan page (its `Limit`). */
  pageSize?: number;
  /** Once aborted, the sweep stops before its next request. */
  signal?: AbortSignal;
}

/**
 * Deletes the items whose TTL attribute is past, as DynamoDB's TTL would on a real table: a
 * paginated Scan for the keys of expired items, then one DeleteItem each, conditional on the item
 * still being expired, so a session refreshed in between survives. Items without the attribute
 * are left alone (TTL ignores them too).
 * @returns how many items it deleted.
 * @example await sweepExpiredItems({ client, tableName: 'sessions' }); // 3
 */
export async function sweepExpiredItems(options: SweepOptions): Promise<number> {
  const { client, tableName, signal } = options;
  const values = { ':now': { N: String(Math.floor((options.now ?? Date.now)() / 1000)) } };
  let deleted = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    if (signal?.aborted) return deleted;
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: EXPIRED,
        ProjectionExpression: '#id',
        ExpressionAttributeNames: NAMES,
        ExpressionAttributeValues: values,
        Limit: options.pageSize ?? DEFAULT_PAGE_SIZE,
        ExclusiveStartKey: start,
      }),
    );
    for (const key of page.Items ?? []) {
      if (signal?.aborted) return deleted;
      if (await deleteIfExpired(client, tableName, key, values)) deleted += 1;
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return deleted;
}

/** False when the item was refreshed (or deleted) since the scan saw it. */
async function deleteIfExpired(
  client: DynamoDBClient,
  tableName: string,
  key: Record<string, AttributeValue>,
  values: Record<string, AttributeValue>,
): Promise<boolean> {
  try {
    await client.send(
      new DeleteItemCommand({
        TableName: tableName,
        Key: key,
        ConditionExpression: EXPIRED,
        ExpressionAttributeNames: { '#ttl': NAMES['#ttl'] },
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

export interface ExpirySweeperOptions extends Omit<SweepOptions, 'signal'> {
  /** Between the end of one sweep and the start of the next; the first starts at once. */
  intervalMs?: number;
  /** A sweep that failed (the next one still runs). */
  onError: (error: unknown) => void;
}

export interface ExpirySweeper {
  /** No new sweep starts; resolves once a sweep in progress has stopped. */
  stop(): Promise<void>;
}

/**
 * Sweeps expired items now and then every `intervalMs` after the previous sweep ended, so
 * sweeps never overlap. The timer is unref'd: it never keeps the process alive.
 * @example const sweeper = startExpirySweeper({ client, tableName, onError: console.error }); await sweeper.stop();
 */
export function startExpirySweeper(options: ExpirySweeperOptions): ExpirySweeper {
  const { intervalMs = DEFAULT_SWEEP_INTERVAL_MS, onError, ...sweep } = options;
  const stopped = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const schedule = (delayMs: number) => {
    timer = setTimeout(run, delayMs);
    timer.unref();
  };
  const run = () => {
    running = sweepExpiredItems({ ...sweep, signal: stopped.signal })
      .then(
        () => undefined,
        (error: unknown) => {
          if (!stopped.signal.aborted) onError(error);
        },
      )
      .finally(() => {
        running = undefined;
        if (!stopped.signal.aborted) schedule(intervalMs);
      });
  };
  schedule(0);

  return {
    async stop() {
      stopped.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
