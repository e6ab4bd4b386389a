import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { startExpirySweeper, sweepExpiredItems } from '../../lib/local/expirySweep';
import { httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { T0, TestClock } from '../support/clock';
import { cookieFrom, itemIdOf, shownUsername } from '../support/responses';
import { useStore } from '../support/store';
import { scanRaw, type TableAccess } from '../support/table';
import { createTestApp } from '../support/testApp';

// dynalite has no TTL: the local server sweeps expired items itself, as DynamoDB's TTL would
// (test/server/localSweep.test.ts: the server's own sweeper).
const db = useStore();
const { proxy } = db;
const NOW_S = Math.floor(T0 / 1000);
let clock: TestClock;
/** A client through the proxy (so requests are counted and can be held), without retries. */
let client: DynamoDBClient;

beforeAll(() => {
  client = new DynamoDBClient({ endpoint: proxy.endpoint, maxAttempts: 1 });
});
afterAll(() => client.destroy());

beforeEach(async () => {
  clock = new TestClock();
  for (const item of await scanRaw(db)) {
    await db.client.send(new DeleteItemCommand({ TableName: db.tableName, Key: { id: item.id } }));
  }
  proxy.reset();
});

/** An item shaped like a session, with this TTL attribute (epoch seconds), or none. */
async function put(id: string, expiresAt?: number): Promise<void> {
  await db.documents.send(
    new PutCommand({
      TableName: db.tableName,
      Item: { id, data: {}, ...(expiresAt === undefined ? {} : { expiresAt }) },
    }),
  );
}

async function ids(table: TableAccess = db): Promise<string[]> {
  return (await scanRaw(table)).map((item) => item.id.S as string).sort();
}

const sweep = (options: { pageSize?: number } = {}) =>
  sweepExpiredItems({ client, tableName: db.tableName, now: clock.now, ...options });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` until it holds; fails after `limitMs`. */
async function until(condition: () => boolean | Promise<boolean>, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`still not so after ${limitMs} ms: ${condition}`);
    await sleep(10);
  }
}

describe('sweepExpiredItems', () => {
  it('deletes the items past their TTL, and keeps live ones and those without the attribute', async () => {
    await put('expired-an-hour-ago', NOW_S - 3600);
    await put('expired-a-second-ago', NOW_S - 1);
    await put('expiring-this-second', NOW_S); // TTL takes only what is strictly past; later is fine
    await put('live', NOW_S + 60);
    await put('no-ttl');

    expect(await sweep()).toBe(2);
    expect(await ids()).toEqual(['expiring-this-second', 'live', 'no-ttl']);
    expect(proxy.count('DeleteItem')).toBe(2);
  });

  it('removes a session the app made once it has expired, and not before', async () => {
    const app = createTestApp({ endpoint: proxy.endpoint, idleSeconds: 60, now: clock.now });
    const cookie = cookieFrom(await app.login(loginEvent('admin')));
    expect(await sweep()).toBe(0);
    expect(await ids()).toEqual([itemIdOf(cookie)]);

    clock.advance(61_000);
    expect(await sweep()).toBe(1);
    expect(await ids()).toEqual([]);
    expect(shownUsername(await app.index(httpEvent({ cookies: [cookie] })))).toBeUndefined();
  });

  it('keeps an item refreshed between the scan and the delete', async () => {
    await put('refreshed', NOW_S - 10);
    const gate = proxy.hold('DeleteItem');
    const sweeping = sweep();
    await gate.arrived; // the scan saw it expired; its delete waits at the proxy
    await db.documents.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: { id: 'refreshed' },
        UpdateExpression: 'SET expiresAt = :later',
        ExpressionAttributeValues: { ':later': NOW_S + 3600 },
      }),
    );
    gate.release();

    expect(await sweeping).toBe(0);
    expect(await ids()).toEqual(['refreshed']);
  });

  it('pages through more items than one Scan returns', async () => {
    for (let i = 0; i < 10; i += 1) await put(`expired-${i}`, NOW_S - 1 - i);
    for (let i = 0; i < 5; i += 1) await put(`live-${i}`, NOW_S + 1 + i);

    expect(await sweep({ pageSize: 3 })).toBe(10);
    expect(await ids()).toEqual(['live-0', 'live-1', 'live-2', 'live-3', 'live-4']);
    expect(proxy.count('Scan')).toBeGreaterThanOrEqual(5); // 15 items, 3 a page
    expect(proxy.count('DeleteItem')).toBe(10);
  });
});

describe('startExpirySweeper', () => {
  const errors: unknown[] = [];
  beforeEach(() => {
    errors.length = 0;
  });
  const start = (intervalMs: number) =>
    startExpirySweeper({
      client,
      tableName: db.tableName,
      now: clock.now,
      intervalMs,
      onError: (error) => errors.push(error),
    });

  it('sweeps at once and then every interval, one sweep at a time, until stopped', async () => {
    await put('expired', NOW_S - 1);
    const sweeper = start(20);
    try {
      await until(async () => (await ids()).length === 0);
      await put('expired-later', NOW_S - 1);
      await until(async () => (await ids()).length === 0);

      // A sweep that takes longer than the interval: no second one starts beside it.
      const gate = proxy.hold('Scan');
      await gate.arrived;
      const scans = proxy.count('Scan');
      await sleep(150);
      expect(proxy.count('Scan')).toBe(scans);
      gate.release();
      await until(() => proxy.count('Scan') >= scans + 2);
    } finally {
      await sweeper.stop();
    }
    const scans = proxy.count('Scan');
    await sleep(150);
    expect(proxy.count('Scan')).toBe(scans);
    expect(errors).toEqual([]);
  });

  it("never keeps the process alive: between sweeps, its timer is unref'd", async () => {
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    await put('expired', NOW_S - 1);
    const sweeper = start(60_000);
    try {
      await until(async () => (await ids()).length === 0);
      await until(() => timers() === before);
    } finally {
      await sweeper.stop();
    }
  });

  it('reports a failed sweep without throwing, and sweeps again on the next round', async () => {
    await put('expired', NOW_S - 1);
    proxy.fault({ kind: 'internal', operations: ['Scan'] });
    const sweeper = start(20);
    try {
      await until(() => errors.length >= 2);
      expect((errors[0] as Error).name).toBe('InternalServerError');
      expect(await ids()).toEqual(['expired']);
      proxy.heal();
      await until(async () => (await ids()).length === 0);
    } finally {
      await sweeper.stop();
    }
  });

  it('stops in the middle of a sweep: the request in flight ends, no other starts', async () => {
    for (let i = 0; i < 5; i += 1) await put(`expired-${i}`, NOW_S - 1);
    const gate = proxy.hold('DeleteItem');
    const sweeper = start(20);
    await gate.arrived;
    const stopping = sweeper.stop();
    gate.release();
    await stopping;
    expect(proxy.count('DeleteItem')).toBe(1);
    expect(await ids()).toHaveLength(4);
    expect(errors).toEqual([]);
  });
});
