import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startEmbeddedStore } from '../../lib/local/embeddedStore';
import { ensureSessionTable } from '../../lib/local/sessionTable';
import { type CountingProxy, startCountingProxy } from '../../test/support/storeProxy';
import { BENCH_TABLE } from './constants';

export interface BenchStore {
  /** In front of the store: point the handlers at `proxy.endpoint`; it counts their operations. */
  proxy: CountingProxy;
  close(): Promise<void>;
}

/**
 * An in-memory dynalite on loopback with the session table, behind a proxy that counts DynamoDB
 * operations at the HTTP level. Needs dummy AWS credentials and a region in `process.env`.
 * @example const { proxy, close } = await startBenchStore();
 */
export async function startBenchStore(): Promise<BenchStore> {
  if (!process.env.AWS_REGION || !process.env.AWS_ACCESS_KEY_ID) {
    throw new Error('the bench needs AWS_REGION and dummy credentials in the environment');
  }
  const cleanups: (() => unknown)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    const store = await startEmbeddedStore();
    cleanups.push(() => store.close());
    const setupClient = new DynamoDBClient({ endpoint: store.endpoint });
    try {
      await ensureSessionTable(setupClient, BENCH_TABLE);
    } finally {
      setupClient.destroy();
    }
    const proxy = await startCountingProxy(store.endpoint);
    cleanups.push(() => proxy.close());
    return { proxy, close };
  } catch (error) {
    await close();
    throw error;
  }
}
