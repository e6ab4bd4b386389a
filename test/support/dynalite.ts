import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startMemoryStore } from '../../lib/local/memoryStore';

export interface TestStore {
  endpoint: string;
  /** A plain client for inspecting the table directly. */
  client: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  close(): Promise<void>;
}

/**
 * An in-memory dynalite on a free loopback port with the sessions table created.
 * Call `close()` in `afterAll`.
 */
export async function startTestStore(
  tableName = process.env.TABLE_NAME ?? 'sessions-test',
): Promise<TestStore> {
  const store = await startMemoryStore({ tableName });
  return {
    endpoint: store.endpoint,
    client: store.client,
    documents: DynamoDBDocumentClient.from(store.client),
    close: store.close,
  };
}
