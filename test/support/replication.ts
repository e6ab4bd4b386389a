import { once } from 'node:events';
import { Agent, createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AttributeValue,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLE_SCHEMA } from '@lambda-sessions/dynamodb/table';
import { type MemoryStore, startMemoryStore } from '../../lib/local/memoryStore';
import { TABLE } from './table';

// Two AWS Regions of one sessions table, offline, in two consistency models:
// - `eventual`: a multi-Region eventually consistent (MREC) global table. One dynalite per Region,
//   each behind a proxy that records every successful write with a timestamp and queues its
//   replication to the other Region. Replication is held until `settle()` (or, with
//   `delivery: 'immediate'`, done before the write is answered) and applied as DynamoDB's
//   replicator does: unconditionally, last writer wins by the write's timestamp, per item.
// - `strong`: a multi-Region strongly consistent (MRSC) table, modelled as what it promises, one
//   linearizable store: both Regions' endpoints are the same dynalite.

export type RegionName = 'A' | 'B';
export type ConsistencyModel = 'eventual' | 'strong';

export interface Region {
  readonly name: RegionName;
  /** `http://127.0.0.1:<port>`: the Region's DynamoDB endpoint, for its clients. */
  readonly endpoint: string;
}

/** One write's replication to the other Region. */
export interface Replication {
  readonly from: RegionName;
  readonly to: RegionName;
  /** `put`: the item as the write left it (a put or an update); `delete`: a tombstone. */
  readonly kind: 'put' | 'delete';
  /** The item's key, as JSON of its attribute values: equal for equal items. */
  readonly key: string;
  /** The write's timestamp: one clock, strictly increasing across both Regions. */
  readonly timestamp: number;
}

/** A delivered replication: `applied`, or `superseded` by a later write the target already holds. */
export interface Delivery extends Replication {
  readonly outcome: 'applied' | 'superseded';
}

export interface EventualOptions {
  /**
   * `held` (default): a write's replication waits until `settle()`. `immediate`: it is applied
   * before the write is answered, a replication delay of zero.
   */
  delivery?: 'held' | 'immediate';
}

/** The same interface on both models, so one scenario runs on either. */
export interface TwoRegions {
  readonly model: ConsistencyModel;
  readonly regionA: Region;
  readonly regionB: Region;
  /** Replications written and not delivered yet, oldest first. Always empty on `strong`. */
  pending(): readonly Replication[];
  /** Replications delivered since the last `forget()`, in delivery order. Always empty on `strong`. */
  delivered(): readonly Delivery[];
  /** Delivers every pending replication, oldest first: the Regions have converged when it resolves. */
  settle(): Promise<void>;
  /** Forgets `delivered()` (what is pending stays). */
  forget(): void;
  /** Stops the proxies and the stores, dropping every connection. */
  close(): Promise<void>;
}

/** The writes the library makes, replicated here. */
const REPLICATED = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
/** Writes this model does not replicate: refused, so that a library starting to use one is noticed. */
const UNMODELLED = new Set(['BatchWriteItem', 'TransactWriteItems']);
const KEY = TABLE_SCHEMA.partitionKey;
const MAX_BODY_BYTES = 1024 * 1024;

type Item = Record<string, AttributeValue>;
interface WriteRequest {
  TableName: string;
  Key?: Item;
  Item?: Item;
}
interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}
interface Queued extends Replication {
  readonly tableName: string;
  readonly itemKey: Item;
  /** The item as the write left it (`put`). */
  readonly image: Item | undefined;
}

/** Runs tasks one at a time, in call order: a Region's writes, so each is read back before the next. */
class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** One Region of the eventual model: its store, the timestamp of each item's latest write, its writes' order. */
interface EventualRegion {
  readonly name: RegionName;
  readonly store: MemoryStore;
  readonly writes: Serial;
  /** Item (table and key) → the timestamp of the latest write the Region holds. */
  readonly latest: Map<string, number>;
}

/** Sends a request's body on to the store, as the client sent it; resolves to the store's answer. */
type Send = (body: Buffer) => Promise<Answer>;

/**
 * Two Regions on two dynalites with a replicator between them (the MREC model). Every successful
 * `PutItem`, `UpdateItem` or `DeleteItem` a Region's proxy forwards is read back (a delete that
 * removed nothing is no write), stamped, and queued for the other Region.
 * @example
 * const regions = await startEventualRegions();
 * // … a write through regionA.endpoint: regions.pending() holds its replication to B
 * await regions.settle(); // B holds it too
 */
export async function startEventualRegions(options: EventualOptions = {}): Promise<TwoRegions> {
  const delivery = options.delivery ?? 'held';
  const cleanups: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  let clock = 0;
  let queue: Queued[] = [];
  let delivered: Delivery[] = [];

  /** Applies a replication to its target Region unless that Region holds a later write of the item. */
  function deliver({ tableName, itemKey, image, ...replication }: Queued, to: EventualRegion): Promise<void> {
    return to.writes.run(async () => {
      const item = `${tableName}:${replication.key}`;
      const superseded = (to.latest.get(item) ?? 0) >= replication.timestamp;
      if (!superseded) {
        // Unconditional, as DynamoDB's replicator writes.
        if (image === undefined) {
          await to.store.client.send(new DeleteItemCommand({ TableName: tableName, Key: itemKey }));
        } else {
          await to.store.client.send(new PutItemCommand({ TableName: tableName, Item: image }));
        }
        to.latest.set(item, replication.timestamp);
      }
      delivered.push({ ...replication, outcome: superseded ? 'superseded' : 'applied' });
    });
  }

  /** Sends one write to `from`'s store; on success stamps it and queues its replication to `to`. */
  async function write(
    from: EventualRegion,
    to: EventualRegion,
    operation: string,
    body: Buffer,
    send: Send,
  ): Promise<{ answer: Answer; replication?: Queued }> {
    const request = JSON.parse(body.toString('utf8')) as WriteRequest;
    const keyValue = operation === 'PutItem' ? request.Item?.[KEY] : request.Key?.[KEY];
    if (keyValue === undefined) throw new Error(`${operation} without the key attribute ${KEY}`);
    const itemKey: Item = { [KEY]: keyValue };
    const read = async () =>
      (
        await from.store.client.send(
          new GetItemCommand({ TableName: request.TableName, Key: itemKey, ConsistentRead: true }),
        )
      ).Item;
    // A delete that finds nothing removes nothing: no write, nothing to replicate (as no stream record).
    const existed = operation !== 'DeleteItem' || (await read()) !== undefined;
    const answer = await send(body);
    if (answer.status !== 200 || !existed) return { answer };
    const image = operation === 'DeleteItem' ? undefined : await read();
    const replication: Queued = {
      from: from.name,
      to: to.name,
      kind: image === undefined ? 'delete' : 'put',
      key: JSON.stringify(itemKey),
      timestamp: ++clock,
      tableName: request.TableName,
      itemKey,
      image,
    };
    from.latest.set(`${request.TableName}:${replication.key}`, replication.timestamp);
    queue.push(replication);
    return { answer, replication };
  }

  try {
    const regions: EventualRegion[] = [];
    for (const name of ['A', 'B'] as const) {
      const store = await startMemoryStore({ tableName: TABLE });
      cleanups.push(() => store.close());
      regions.push({ name, store, writes: new Serial(), latest: new Map() });
    }
    const [a, b] = regions;
    const endpoints: string[] = [];
    for (const [from, to] of [
      [a, b],
      [b, a],
    ]) {
      const proxy = await startWriteProxy(from.store.endpoint, async (operation, body, send) => {
        const { answer, replication } = await from.writes.run(() => write(from, to, operation, body, send));
        if (replication !== undefined && delivery === 'immediate') {
          queue = queue.filter((queued) => queued !== replication);
          await deliver(replication, to);
        }
        return answer;
      });
      cleanups.push(proxy.close);
      endpoints.push(proxy.endpoint);
    }
    return {
      model: 'eventual',
      regionA: { name: 'A', endpoint: endpoints[0] },
      regionB: { name: 'B', endpoint: endpoints[1] },
      pending: () => queue.map(({ from, to, kind, key, timestamp }) => ({ from, to, kind, key, timestamp })),
      delivered: () => [...delivered],
      async settle() {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
          await deliver(next, next.to === 'A' ? a : b);
        }
      },
      forget() {
        delivered = [];
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Two Regions of one linearizable store (the MRSC model, as it promises to behave): both
 * endpoints are the same dynalite, so every write is seen by every later read in either Region.
 */
export async function startStrongRegions(): Promise<TwoRegions> {
  const store = await startMemoryStore({ tableName: TABLE });
  return {
    model: 'strong',
    regionA: { name: 'A', endpoint: store.endpoint },
    regionB: { name: 'B', endpoint: store.endpoint },
    pending: () => [],
    delivered: () => [],
    settle: async () => {},
    forget() {},
    close: () => store.close(),
  };
}

/** The fixture's Regions: the fixture closes them, so the tests cannot. */
export type RegionsFixture = Omit<TwoRegions, 'close'>;

/** Starts the model's two Regions: `startEventualRegions(options)` or `startStrongRegions()`. */
export function startRegions(model: ConsistencyModel, options: EventualOptions = {}): Promise<TwoRegions> {
  return model === 'eventual' ? startEventualRegions(options) : startStrongRegions();
}

/**
 * Two Regions for the tests of the enclosing file or `describe`, as `useStore()` gives one store:
 * started in a `beforeAll`, settled and their deliveries forgotten before each test, closed in an
 * `afterAll`. The handle is a stable object that works from the first hook on.
 * @example
 * const eventual = useRegions('eventual');
 * test('replicates', async () => { …; await eventual.settle(); … });
 */
export function useRegions(model: ConsistencyModel, options: EventualOptions = {}): RegionsFixture {
  let started: TwoRegions | undefined;
  const live = () => {
    if (started === undefined) {
      throw new Error(
        'useRegions(): the Regions run from its beforeAll to its afterAll; use them in a test or hook',
      );
    }
    return started;
  };
  beforeAll(async () => {
    started = await startRegions(model, options);
  });
  beforeEach(async () => {
    await live().settle();
    live().forget();
  });
  afterAll(async () => {
    await started?.close();
    started = undefined;
  });
  return {
    model,
    get regionA() {
      return live().regionA;
    },
    get regionB() {
      return live().regionB;
    },
    pending: () => live().pending(),
    delivered: () => live().delivered(),
    settle: () => live().settle(),
    forget: () => live().forget(),
  };
}

/**
 * An HTTP proxy on 127.0.0.1 in front of `target` (a dynalite) that forwards every request, but
 * hands each replicated write to `onWrite` (which forwards it with `send`), and refuses the
 * writes the model does not replicate.
 */
async function startWriteProxy(
  target: string,
  onWrite: (operation: string, body: Buffer, send: Send) => Promise<Answer>,
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const agent = new Agent({ keepAlive: true });
  const server = createServer(async (request, response) => {
    const answer = await answerTo(request).catch(
      (error: unknown): Answer => errorAnswer(500, 'InternalServerError', String(error)),
    );
    response.writeHead(answer.status, answer.headers).end(answer.body);
  });

  async function answerTo(request: IncomingMessage): Promise<Answer> {
    const operation = String(request.headers['x-amz-target'] ?? '').replace(/^.*\./, '');
    const body = await readBody(request);
    const send: Send = (payload) => forward(target, agent, request, payload);
    if (UNMODELLED.has(operation)) {
      return errorAnswer(400, 'ValidationException', `${operation} is not modelled by the replication`);
    }
    return REPLICATED.has(operation) ? onWrite(operation, body, send) : send(body);
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Sends `body` to `target` with `original`'s method, path and headers; the whole answer, buffered. */
function forward(target: string, agent: Agent, original: IncomingMessage, body: Buffer): Promise<Answer> {
  const url = new URL(target);
  return new Promise((resolve, reject) => {
    const upstream = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: original.method,
        path: original.url,
        headers: original.headers,
        agent,
      },
      async (answer) => {
        try {
          resolve({
            status: answer.statusCode ?? 502,
            headers: answer.headers,
            body: await readBody(answer),
          });
        } catch (error) {
          reject(error);
        }
      },
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

/** An error answer as DynamoDB sends one. */
function errorAnswer(status: number, type: string, message: string): Answer {
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.0' },
    body: Buffer.from(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message })),
  };
}
