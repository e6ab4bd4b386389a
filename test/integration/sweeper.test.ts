import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { createDocumentClient, SessionManager, StaticKeys } from '@lambda-sessions/dynamodb';
import { expiryBucket, sweepExpiredSessions } from '@lambda-sessions/dynamodb/sweep';
import { TABLE_SCHEMA } from '@lambda-sessions/dynamodb/table';
import { readAppConfig } from '../../lambda/app/config';
import { createAppContext } from '../../lambda/app/context';
import { createLambdaHandler } from '../../lambda/app/lambdaHandler';
import { loginRoute } from '../../lambda/routes/loginRoute';
import { loginEvent } from '../../lib/local/httpApiEvents';
import { sessionTableDefinition } from '../../lib/local/sessionTable';
import { TestClock } from '../support/clock';
import { cookieFrom, itemIdOf } from '../support/responses';
import { useStore } from '../support/store';
import { getItem, type TableAccess } from '../support/table';

// The expiry sweep of a table without TTL, on the embedded store: sessions written through the
// library with `expiry: 'sweeper'` land in the `byExpiry` index, and `sweepExpiredSessions`
// deletes those whose hour has passed, and only those, by Query and conditional DeleteItem.

const db = useStore();
const { proxy } = db;
/** A table as a strongly consistent global table has it: both indexes, no TTL (dynalite has none anyway). */
const SWEPT_TABLE = 'sessions-swept';
const swept: TableAccess = {
  tableName: SWEPT_TABLE,
  get client() {
    return db.client;
  },
  get documents() {
    return db.documents;
  },
};
const IDLE_SECONDS = 600;
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

beforeAll(async () => {
  const definition = sessionTableDefinition(SWEPT_TABLE);
  const index = TABLE_SCHEMA.expiryIndex;
  await db.client.send(
    new CreateTableCommand({
      ...definition,
      AttributeDefinitions: [
        ...definition.AttributeDefinitions,
        { AttributeName: index.partitionKey, AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: [
        ...definition.GlobalSecondaryIndexes,
        {
          IndexName: index.indexName,
          KeySchema: [{ AttributeName: index.partitionKey, KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    }),
  );
  while (
    (await db.client.send(new DescribeTableCommand({ TableName: SWEPT_TABLE }))).Table?.TableStatus !==
    'ACTIVE'
  ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
});

/** A manager on the swept table through the proxy, on `clock`, writing buckets unless told `ttl`. */
function manager(clock: TestClock, expiry: 'ttl' | 'sweeper' = 'sweeper'): SessionManager {
  return new SessionManager({
    client: createDocumentClient({ endpoint: proxy.endpoint }),
    tableName: SWEPT_TABLE,
    keys: new StaticKeys([process.env.SESSION_SECRET as string]),
    idleTimeoutSeconds: IDLE_SECONDS,
    now: clock.now,
    expiry,
  });
}

/** A new session holding `{ n }`, created at the manager's now: its cookie pair and item id. */
async function created(sessions: SessionManager, n: number): Promise<{ cookie: string; id: string }> {
  const session = await sessions.load({ cookies: [], secure: true });
  session.set('n', n);
  const [setCookie] = await sessions.commit(session, { cookies: [], secure: true });
  const cookie = setCookie.split(';')[0];
  return { cookie, id: itemIdOf(cookie) };
}

/** The data the session behind `cookie` holds now, by the manager's clock (undefined: none). */
async function stored(sessions: SessionManager, cookie: string): Promise<unknown> {
  const request = { cookies: [cookie], secure: true };
  const session = await sessions.load(request);
  const n = session.get('n');
  await sessions.commit(session, request); // a due refresh, as a page view would
  return n;
}

/** One sweep of the swept table through the proxy, at `now`. */
function sweepAt(now: number, lookbackHours?: number) {
  return sweepExpiredSessions({
    client: createDocumentClient({ endpoint: proxy.endpoint }),
    tableName: SWEPT_TABLE,
    now: () => now,
    ...(lookbackHours === undefined ? {} : { lookbackHours }),
  });
}

describe('sweepExpiredSessions on a table without TTL', () => {
  test('deletes the sessions of the hours that have passed; keeps the live ones and every item without a bucket', async () => {
    // Prepare: at 10:00, an expired-to-be session of each kind; at 12:05, a live one
    const clock = new TestClock(Date.UTC(2026, 1, 2, 10, 0, 0, 250));
    const sweeperSessions = manager(clock);
    const ttlSessions = manager(clock, 'ttl');
    const gone = await created(sweeperSessions, 1);
    const untouched = await created(ttlSessions, 2);
    clock.value = Date.UTC(2026, 1, 2, 12, 5);
    const live = await created(sweeperSessions, 3);
    const ttlItem = await getItem(swept, untouched.id);
    expect(ttlItem).not.toHaveProperty('expiryBucket');
    expect((await getItem(swept, gone.id))?.expiryBucket).toBe(
      expiryBucket(gone.id, Math.floor((Date.UTC(2026, 1, 2, 10, 0, 0, 250) + IDLE_SECONDS * 1000) / 1000)),
    );
    proxy.reset();

    // Act: at 12:30, hour 10 is swept (and 11, and the 22 before), 12 is not
    const summary = await sweepAt(Date.UTC(2026, 1, 2, 12, 30));

    // Assess
    expect(summary).toEqual({ buckets: 192, examined: 1, deleted: 1, kept: 0 });
    expect(proxy.count('Query')).toBe(192);
    expect(proxy.count('DeleteItem')).toBe(1);
    expect(proxy.operations.filter((operation) => !['Query', 'DeleteItem'].includes(operation))).toEqual([]);
    expect(await getItem(swept, gone.id)).toBeUndefined();
    expect(await getItem(swept, untouched.id)).toEqual(ttlItem); // expired too, but in no bucket
    expect(await stored(sweeperSessions, live.cookie)).toBe(3);
  });

  test('a session refreshed before the sweep has moved to its new hour: its old bucket no longer lists it', async () => {
    // Prepare: created at 09:55 (expiry 10:05), refreshed at 10:03 (expiry 10:13)... and kept busy until 11:58
    const clock = new TestClock(Date.UTC(2026, 1, 3, 9, 55));
    const sessions = manager(clock);
    const busy = await created(sessions, 7);
    for (let at = Date.UTC(2026, 1, 3, 10, 3); at <= Date.UTC(2026, 1, 3, 11, 58); at += 3 * MINUTE_MS) {
      clock.value = at;
      expect(await stored(sessions, busy.cookie)).toBe(7);
    }
    const item = await getItem(swept, busy.id);
    expect(item?.expiryBucket).toBe(expiryBucket(busy.id, item?.expiresAt as number));
    expect(item?.expiryBucket).toMatch(
      new RegExp(`^${Math.floor(Date.UTC(2026, 1, 3, 12, 6) / HOUR_MS)}\\.`),
    );

    // Act: at 12:01, hours 9 to 11 are swept
    const summary = await sweepAt(Date.UTC(2026, 1, 3, 12, 1), 3);

    // Assess
    expect(summary).toEqual({ buckets: 24, examined: 0, deleted: 0, kept: 0 });
    expect(await stored(sessions, busy.cookie)).toBe(7);
  });

  test('a session refreshed between the sweep’s query and its delete survives: the delete’s condition fails', async () => {
    // Prepare: expiring at 13:59:59.900, so listed in hour 13 by a sweep at 14:00:00.000, while
    // the handler's clock, 200 ms behind the sweeper's, still sees it live
    const validUntil = Date.UTC(2026, 1, 4, 13, 59, 59, 900);
    const clock = new TestClock(validUntil - IDLE_SECONDS * 1000);
    const sessions = manager(clock);
    const racing = await created(sessions, 9);
    const gate = proxy.hold('DeleteItem');

    // Act: the sweep queries, and its delete waits at the proxy while the session is refreshed
    const sweeping = sweepAt(Date.UTC(2026, 1, 4, 14, 0), 1);
    await gate.arrived;
    clock.value = validUntil - 100;
    expect(await stored(sessions, racing.cookie)).toBe(9);
    gate.release();
    const summary = await sweeping;

    // Assess
    expect(summary).toEqual({ buckets: 8, examined: 1, deleted: 0, kept: 1 });
    const item = await getItem(swept, racing.id);
    expect(item?.validUntil).toBe(validUntil - 100 + IDLE_SECONDS * 1000);
    expect(await stored(sessions, racing.cookie)).toBe(9);
  });

  test('without the refresh, the same session is deleted by the same sweep', async () => {
    // Prepare: as above, on another day, and nobody comes back
    const validUntil = Date.UTC(2026, 1, 5, 13, 59, 59, 900);
    const clock = new TestClock(validUntil - IDLE_SECONDS * 1000);
    const abandoned = await created(manager(clock), 9);

    // Act
    const summary = await sweepAt(Date.UTC(2026, 1, 5, 14, 0), 1);

    // Assess
    expect(summary).toEqual({ buckets: 8, examined: 1, deleted: 1, kept: 0 });
    expect(await getItem(swept, abandoned.id)).toBeUndefined();
  });
});

describe('the app with SESSION_EXPIRY', () => {
  /** A login through the production path (environment → config → context → handler) at `clock`. */
  async function logInWith(env: Record<string, string>, clock: TestClock): Promise<string> {
    const config = readAppConfig({
      ...process.env,
      DYNAMODB_ENDPOINT: proxy.endpoint,
      TABLE_NAME: SWEPT_TABLE,
      SESSION_IDLE_TIMEOUT_SECONDS: String(IDLE_SECONDS),
      ...env,
    });
    const login = createLambdaHandler(loginRoute, createAppContext(config, { now: clock.now }));
    return itemIdOf(cookieFrom(await login(loginEvent('sweepy'))));
  }

  test('sweeper: the login writes the bucket, and the sweep deletes the session once its hour has passed', async () => {
    // Prepare
    const clock = new TestClock(Date.UTC(2026, 1, 6, 8, 30));
    const id = await logInWith({ SESSION_EXPIRY: 'sweeper' }, clock);
    const item = await getItem(swept, id);
    expect(item?.expiryBucket).toBe(expiryBucket(id, item?.expiresAt as number));

    // Act
    const early = await sweepAt(Date.UTC(2026, 1, 6, 8, 59), 2);
    const late = await sweepAt(Date.UTC(2026, 1, 6, 9, 0), 2);

    // Assess: at 08:59 its hour (08) is the current one; at 09:00 it has passed
    expect(early).toEqual({ buckets: 16, examined: 0, deleted: 0, kept: 0 });
    expect(late).toEqual({ buckets: 16, examined: 1, deleted: 1, kept: 0 });
    expect(await getItem(swept, id)).toBeUndefined();
  });

  test('unset: the login writes no bucket, as before', async () => {
    // Act
    const id = await logInWith({}, new TestClock(Date.UTC(2026, 1, 7, 8, 30)));

    // Assess
    expect(await getItem(swept, id)).not.toHaveProperty('expiryBucket');
    expect(await sweepAt(Date.UTC(2026, 1, 7, 12, 0))).toEqual({
      buckets: 192,
      examined: 0,
      deleted: 0,
      kept: 0,
    });
  });
});
