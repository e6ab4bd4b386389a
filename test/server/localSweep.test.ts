import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { prepareLocalStore, startLocalApp } from '../../lib/local/localServer';
import { cookiePair, postLogin, send } from '../support/http';
import { useStore } from '../support/store';
import { TABLE } from '../support/table';

// The local server's sweeper of expired sessions (the sweep itself: expirySweep.test.ts). This
// file loads the real handlers only through startLocalApp, after it has set the environment.
const db = useStore();
const { proxy } = db;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` until it holds; fails after `limitMs`. */
async function until(condition: () => Promise<boolean>, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`still not so after ${limitMs} ms: ${condition}`);
    await sleep(10);
  }
}

/** How many items `client`'s sessions table holds. */
async function itemCount(client: DynamoDBClient, tableName = TABLE): Promise<number> {
  const { Count } = await client.send(new ScanCommand({ TableName: tableName, Select: 'COUNT' }));
  return Count ?? 0;
}

let dataFolder: string;
let errorLog: jest.SpyInstance;
beforeEach(() => {
  dataFolder = mkdtempSync(join(tmpdir(), 'sessions-sweep-'));
  errorLog = jest.spyOn(console, 'error');
});
afterEach(() => {
  errorLog.mockRestore();
  rmSync(dataFolder, { recursive: true, force: true });
  delete process.env.DYNAMODB_ENDPOINT; // startLocalApp points it at its embedded store
});

it('sweeps its embedded store, says so at start, and stops sweeping when it closes', async () => {
  const app = await startLocalApp({
    port: 0,
    dataFolder,
    // The sweeper's clock runs 13 hours ahead: every session it sees is past its absolute timeout.
    expirySweep: { intervalMs: 25, now: () => Date.now() + 13 * 3600_000 },
  });
  const embedded = new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT, maxAttempts: 1 });
  try {
    expect(app.storeNote).toBe(
      'the embedded store sweeps expired sessions every 25 ms (dynalite has no TTL)',
    );
    const login = await postLogin(app.url, 'username=admin');
    expect(login.status).toBe(303);
    await until(async () => (await itemCount(embedded)) === 0);
    const page = await send(app.url, 'GET', '/', { headers: { cookie: cookiePair(login.setCookies[0]) } });
    expect(page.body).toContain('You are not logged in');
  } finally {
    embedded.destroy();
    await app.close();
  }
  // A sweeper still running would now fail against the closed store, and say so.
  await sleep(150);
  expect(errorLog).not.toHaveBeenCalled();
});

it('leaves a store at DYNAMODB_ENDPOINT alone (its TTL, or none, is its own), and says so', async () => {
  await db.client.send(
    new PutItemCommand({ TableName: db.tableName, Item: { id: { S: 'expired' }, expiresAt: { N: '1' } } }),
  );
  const env = { ...process.env, DYNAMODB_ENDPOINT: proxy.endpoint, TABLE_NAME: db.tableName };
  const store = await prepareLocalStore(env, dataFolder, { expirySweep: { intervalMs: 10 } });
  try {
    expect(store.note).toMatch(
      /^TTL is not available on this endpoint \(.+\); expired sessions are refused on read but not deleted$/,
    );
    proxy.reset();
    await sleep(100);
    expect(proxy.count('Scan')).toBe(0);
    expect(await itemCount(db.client, db.tableName)).toBe(1);
  } finally {
    await store.close();
  }
});
