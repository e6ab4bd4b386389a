import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type EmbeddedStore, startEmbeddedStore } from '../../lib/local/embeddedStore';
import { ensureSessionTable } from '../../lib/local/sessionTable';

export interface TestStore {
  store: EmbeddedStore;
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
  const store = await startEmbeddedStore();
  const client = new DynamoDBClient({ endpoint: store.endpoint, region: 'us-east-1' });
  await ensureSessionTable(client, tableName);
  return {
    store,
    endpoint: store.endpoint,
    client,
    documents: DynamoDBDocumentClient.from(client),
    async close() {
      client.destroy();
      await store.close();
    },
  };
}
