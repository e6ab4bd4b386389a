import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startEmbeddedStore } from './embeddedStore';
import { ensureSessionTable } from './sessionTable';
import { type CountingProxy, startCountingProxy } from './storeProxy';

export interface MemoryStoreOptions {
  /** The sessions table to create. */
  tableName: string;
  /** Also start a counting proxy in front of the store (see `startCountingProxy`). */
  proxy?: boolean;
}

export interface MemoryStore {
  /** dynalite's own `http://127.0.0.1:<port>`: requests sent here bypass the proxy. */
  endpoint: string;
  tableName: string;
  /** A client on `endpoint` (dummy credentials, no proxy), for reading the table directly. */
  client: DynamoDBClient;
  /** Stops everything the fixture started: the client, the proxy (hung requests included), dynalite. */
  close(): Promise<void>;
}

export interface ProxiedMemoryStore extends MemoryStore {
  /** In front of the store: point the handlers at `proxy.endpoint`; it counts their operations. */
  proxy: CountingProxy;
}

/** Region and credentials for the fixture's own client: never looked up, so nothing probes AWS. */
const LOCAL_CLIENT_CONFIG = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/**
 * An in-memory dynalite on a free loopback port with the sessions table created, optionally
 * behind a counting, fault-injecting proxy. `close()` stops all of it; when start-up fails, what
 * had started is stopped before the error is thrown. Shared by the tests and `npm run bench`.
 * @example
 * const { proxy, close } = await startMemoryStore({ tableName: 'sessions', proxy: true });
 * process.env.DYNAMODB_ENDPOINT = proxy.endpoint; // the handlers' operations are counted
 */
export async function startMemoryStore(
  options: MemoryStoreOptions & { proxy: true },
): Promise<ProxiedMemoryStore>;
export async function startMemoryStore(options: MemoryStoreOptions): Promise<MemoryStore>;
export async function startMemoryStore(
  options: MemoryStoreOptions,
): Promise<MemoryStore | ProxiedMemoryStore> {
  const cleanups: (() => unknown)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const store = await startEmbeddedStore();
    cleanups.push(() => store.close());
    const client = new DynamoDBClient({ endpoint: store.endpoint, ...LOCAL_CLIENT_CONFIG });
    cleanups.push(() => client.destroy());
    await ensureSessionTable(client, options.tableName);
    const started: MemoryStore = { endpoint: store.endpoint, tableName: options.tableName, client, close };
    if (!options.proxy) return started;
    const proxy = await startCountingProxy(store.endpoint);
    cleanups.push(() => proxy.close());
    return { ...started, proxy };
  } catch (error) {
    await close();
    throw error;
  }
}
