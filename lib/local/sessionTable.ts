import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLE_SCHEMA } from '../../lambda/session/index';

/** Whether TTL could be enabled; `reason` is the endpoint's answer when not. */
export type TtlStatus = { enabled: true } | { enabled: false; reason: string };

/**
 * Creates the sessions table with the stack's key schema when it is missing, waits until it is
 * ACTIVE, and tries to enable TTL. dynalite has no `UpdateTimeToLive`: that is reported, not fatal
 * (expiry is checked on every read anyway).
 * @example await ensureSessionTable(client, 'sessions'); // { enabled: false, reason: '…' } on dynalite
 */
export async function ensureSessionTable(
  client: DynamoDBClient,
  tableName: string,
  options: { timeoutMs?: number } = {},
): Promise<TtlStatus> {
  if ((await tableStatus(client, tableName)) === undefined) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          AttributeDefinitions: [{ AttributeName: TABLE_SCHEMA.partitionKey, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    } catch (error) {
      // Another process created it first: fine, wait for it below.
      if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
    }
  }
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while ((await tableStatus(client, tableName)) !== 'ACTIVE') {
    if (Date.now() > deadline) throw new Error(`table ${tableName} did not become ACTIVE in time`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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

async function tableStatus(client: DynamoDBClient, tableName: string): Promise<string | undefined> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return Table?.TableStatus;
  } catch (error) {
    if (error instanceof ResourceNotFoundException || (error as Error).name === 'ResourceNotFoundException') {
      return undefined;
    }
    throw error;
  }
}
