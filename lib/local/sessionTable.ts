import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  type TableDescription,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLE_SCHEMA } from '@lambda-sessions/dynamodb/table';

const INDEX = TABLE_SCHEMA.ownerIndex;
const EXPIRY_INDEX = TABLE_SCHEMA.expiryIndex;

/** What a sessions table holds besides its key and the owner index. */
export interface SessionTableOptions {
  /**
   * Also the sparse `byExpiry` index (`KEYS_ONLY`) that `sweepExpiredSessions` queries, as a table
   * without TTL has it (a strongly consistent global table). Off by default: the local server's
   * table has TTL semantics and no such index.
   */
  expiryIndex?: boolean;
}

/** The sessions table as the stack defines it: key `id`, and the owner index (sparse, INCLUDE); with `expiryIndex`, also `byExpiry`. */
export function sessionTableDefinition(tableName: string, options: SessionTableOptions = {}) {
  const expiry = options.expiryIndex === true;
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: TABLE_SCHEMA.partitionKey, AttributeType: 'S' as const },
      { AttributeName: INDEX.partitionKey, AttributeType: 'S' as const },
      { AttributeName: INDEX.sortKey, AttributeType: 'N' as const },
      ...(expiry ? [{ AttributeName: EXPIRY_INDEX.partitionKey, AttributeType: 'S' as const }] : []),
    ],
    KeySchema: [{ AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' as const }],
    GlobalSecondaryIndexes: [
      {
        IndexName: INDEX.indexName,
        KeySchema: [
          { AttributeName: INDEX.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: INDEX.sortKey, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...INDEX.projectedAttributes] },
      },
      ...(expiry
        ? [
            {
              IndexName: EXPIRY_INDEX.indexName,
              KeySchema: [{ AttributeName: EXPIRY_INDEX.partitionKey, KeyType: 'HASH' as const }],
              Projection: { ProjectionType: 'KEYS_ONLY' as const },
            },
          ]
        : []),
    ],
    BillingMode: 'PAY_PER_REQUEST' as const,
  };
}

/**
 * A table made by an earlier version: it lacks the owner index (made before sessions had owners),
 * or the index does not project what a listing shows now (`permanent`, since 0.2).
 */
export class OutdatedSessionTableError extends Error {
  constructor(readonly tableName: string) {
    super(
      `table ${tableName} has no ${INDEX.indexName} index projecting ${INDEX.projectedAttributes.join(', ')} ` +
        '(it predates listing sessions per user, or kept sessions): delete the table and start again, ' +
        'or rebuild the index as ServerSessions (@lambda-sessions/cdk) defines it',
    );
    this.name = 'OutdatedSessionTableError';
  }
}

/** Whether TTL could be enabled; `reason` is the endpoint's answer when not. */
export type TtlStatus = { enabled: true } | { enabled: false; reason: string };

/**
 * Creates the sessions table with the stack's key schema and owner index when it is missing, waits
 * until it is ACTIVE, and tries to enable TTL. dynalite has no `UpdateTimeToLive`: that is
 * reported, not fatal (expiry is checked on every read anyway). A table without the owner index
 * as this version defines it is refused with `OutdatedSessionTableError`, or, with `replaceOutdated` (the project's own
 * embedded store, whose sessions are disposable), deleted and created again. With `expiryIndex`, a
 * table it creates also has the `byExpiry` index (an existing table is not checked for it).
 * @example await ensureSessionTable(client, 'sessions'); // { enabled: false, reason: '…' } on dynalite
 */
export async function ensureSessionTable(
  client: DynamoDBClient,
  tableName: string,
  options: { timeoutMs?: number; replaceOutdated?: boolean } & SessionTableOptions = {},
): Promise<TtlStatus> {
  const existing = await describeTable(client, tableName);
  if (existing !== undefined && !hasCurrentOwnerIndex(existing)) {
    if (!options.replaceOutdated) throw new OutdatedSessionTableError(tableName);
    await client.send(new DeleteTableCommand({ TableName: tableName }));
    await waitFor(client, tableName, undefined, options.timeoutMs);
  }
  if (existing === undefined || !hasCurrentOwnerIndex(existing)) {
    try {
      await client.send(
        new CreateTableCommand(sessionTableDefinition(tableName, { expiryIndex: options.expiryIndex })),
      );
    } catch (error) {
      // Another process created it first: fine, wait for it below.
      if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
    }
  }
  await waitFor(client, tableName, 'ACTIVE', options.timeoutMs);

  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true },
      }),
    );
    return { enabled: true };
  } catch (error) {
    // Already enabled on a real DynamoDB table is a ValidationException saying so.
    if (error instanceof Error && /already enabled/i.test(error.message)) return { enabled: true };
    return {
      enabled: false,
      reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
}

/** The owner index, projecting every attribute a listing reads. */
function hasCurrentOwnerIndex(table: TableDescription): boolean {
  const index = (table.GlobalSecondaryIndexes ?? []).find((each) => each.IndexName === INDEX.indexName);
  const projected = index?.Projection?.NonKeyAttributes ?? [];
  return index !== undefined && INDEX.projectedAttributes.every((name) => projected.includes(name));
}

/** Until the table's status is `status` (undefined: until it is gone). */
async function waitFor(
  client: DynamoDBClient,
  tableName: string,
  status: string | undefined,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await describeTable(client, tableName))?.TableStatus !== status) {
    if (Date.now() > deadline)
      throw new Error(`table ${tableName} did not become ${status ?? 'deleted'} in time`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function describeTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<TableDescription | undefined> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException || (error as Error).name === 'ResourceNotFoundException') {
      return undefined;
    }
    throw error;
  }
}
