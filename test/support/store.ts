import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type ProxiedMemoryStore, startMemoryStore } from '../../lib/local/memoryStore';
import type { CountingProxy } from '../../lib/local/storeProxy';
import { TABLE, type TableAccess } from './table';

/** The fixture's proxy: the fixture closes it, so the tests cannot. */
export type StoreProxy = Omit<CountingProxy, 'close'>;

export interface StoreFixture extends TableAccess {
  /** dynalite's own `http://127.0.0.1:<port>`: requests sent here are neither counted nor faulted. */
  readonly endpoint: string;
  /**
   * The counting, fault-injecting proxy in front of the store: point the app under test at
   * `proxy.endpoint`. Healed and reset before every test.
   */
  readonly proxy: StoreProxy;
}

/**
 * An in-memory dynalite with the sessions table behind a counting proxy, for the tests of the
 * enclosing file or `describe`: it registers its own `beforeAll` (start), `beforeEach` (heal and
 * reset the proxy) and `afterAll` (close everything). The handle, and its `proxy`, are stable
 * objects that work from the first hook on, so they may be taken apart at the top of a file.
 * @example
 * const db = useStore();
 * const { proxy } = db;
 * test('one read', async () => {
 *   await createTestApp({ endpoint: proxy.endpoint, now: Date.now }).index(httpEvent());
 *   expect(await scanItems(db)).toEqual([]);
 * });
 */
export function useStore(options: { tableName?: string } = {}): StoreFixture {
  const tableName = options.tableName ?? TABLE;
  let started: { store: ProxiedMemoryStore; documents: DynamoDBDocumentClient } | undefined;
  const live = () => {
    if (started === undefined) {
      throw new Error(
        'useStore(): the store runs from its beforeAll to its afterAll; use it in a test or hook',
      );
    }
    return started;
  };

  beforeAll(async () => {
    const store = await startMemoryStore({ tableName, proxy: true });
    started = { store, documents: DynamoDBDocumentClient.from(store.client) };
  });
  beforeEach(() => {
    live().store.proxy.heal();
    live().store.proxy.reset();
  });
  afterAll(async () => {
    await started?.store.close();
    started = undefined;
  });

  const proxy: StoreProxy = {
    get endpoint() {
      return live().store.proxy.endpoint;
    },
    get operations() {
      return live().store.proxy.operations;
    },
    count: (operation) => live().store.proxy.count(operation),
    writes: () => live().store.proxy.writes(),
    reset: () => live().store.proxy.reset(),
    hold: (operation) => live().store.proxy.hold(operation),
    fault: (fault) => live().store.proxy.fault(fault),
    heal: () => live().store.proxy.heal(),
  };
  return {
    tableName,
    proxy,
    get endpoint(): string {
      return live().store.endpoint;
    },
    get client(): DynamoDBClient {
      return live().store.client;
    },
    get documents(): DynamoDBDocumentClient {
      return live().documents;
    },
  };
}

/**
 * Holds each of the next `times` requests for `operation` at `proxy` for `delayMs`: a slow store.
 * `restore()` releases whatever is still held.
 */
export function slowDown(
  proxy: StoreProxy,
  operation: string,
  delayMs: number,
  times: number,
): { restore(): void } {
  const gates = Array.from({ length: times }, () => proxy.hold(operation));
  for (const gate of gates) void gate.arrived.then(() => setTimeout(gate.release, delayMs));
  return {
    restore() {
      for (const gate of gates) gate.release();
    },
  };
}
