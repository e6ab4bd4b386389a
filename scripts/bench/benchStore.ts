import { startMemoryStore } from '../../lib/local/memoryStore';
import type { CountingProxy } from '../../lib/local/storeProxy';
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
  return startMemoryStore({ tableName: BENCH_TABLE, proxy: true });
}
