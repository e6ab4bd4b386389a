/**
 * The expiry sweep of a table without TTL (`sweepExpiredSessions`, `@lambda-sessions/dynamodb/sweep`):
 * sessions written through the library with `expiry: 'sweeper'` and an injected clock, most of
 * them expired over the hours a run sweeps and some live; one run timed with its DynamoDB
 * operations counted, then one more on the emptied index. A live session deleted, or an expired
 * one left, stops the bench. The write units and their cost are derived from the operations and
 * the deleted items' sizes: computed, not measured on AWS.
 */
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  createDocumentClient,
  SessionManager,
  type SessionRequest,
  StaticKeys,
} from '@lambda-sessions/dynamodb';
import { type ExpirySweepSummary, sweepExpiredSessions } from '@lambda-sessions/dynamodb/sweep';
import { TABLE_SCHEMA } from '@lambda-sessions/dynamodb/table';
import { ensureSessionTable } from '../../lib/local/sessionTable';
import { Checks, randomSigningKey, startBenchStore } from './common';
import { itemKey } from './flows';
import { PRICES, REQUEST_UNITS } from './logCost';
import { OPERATION_KINDS, type OperationKind } from './recorder';

/** The swept table, beside the bench's own in the same dynalite: both indexes, as a table without TTL has them. */
export const SWEPT_TABLE = 'sessions-bench-swept';
/** What a run sweeps: the library's default lookback, the 24 whole hours before the current one. */
export const SWEPT_HOURS = 24;
/** Buckets a run queries: 8 shards per hour swept. */
export const SWEPT_BUCKETS = SWEPT_HOURS * TABLE_SCHEMA.expiryIndex.shards;
/** When both runs sweep, in simulated time: half past an hour, so the current hour holds live sessions. */
export const SWEEP_AT = Date.UTC(2030, 0, 2, 0, 30);
/** A strongly consistent global table bills every write in each of its three replicas (docs/operations.md). */
export const REPLICAS = 3;
/** The app's idle timeout: a session expires an hour after its last write. */
export const IDLE_SECONDS = 3600;
/** One expired session in this many is anonymous (the logout's, holding its flash); the rest are logged in. */
export const ANONYMOUS_EVERY = 10;

const HOUR_MS = TABLE_SCHEMA.expiryIndex.bucketSeconds * 1000;
const IDLE_MS = IDLE_SECONDS * 1000;
const MINUTE_MS = 60_000;
const KEY = TABLE_SCHEMA.partitionKey;
const BUCKET = TABLE_SCHEMA.expiryIndex.partitionKey;
const OWNER_INDEX = TABLE_SCHEMA.ownerIndex;
const REQUEST: SessionRequest = { cookies: [], secure: true };
const SESSION_COOKIE = /^__Host-session=/;
/** The counting proxy keeps this many operation names: a run's queries and deletes must fit. */
const MAX_RECORDED_OPERATIONS = 10_000;

export interface ExpirySweepBenchOptions {
  /** Expired sessions, their expiry spread over the hours swept. */
  expired: number;
  /** Live sessions: half logged in within the hour, half logged in earlier and refreshed since. */
  live: number;
  report?: (line: string) => void;
  /** The sweep under test. @default sweepExpiredSessions (a test passes a wrong one, which must fail the bench) */
  sweep?: typeof sweepExpiredSessions;
}

/** One session the bench writes: when it logs in and, for a refreshed one, when its page view refreshes it. */
export interface PlannedSession {
  loginAt: number;
  /** A page view that refreshes it (a write that moves its `byExpiry` entry to a later hour). */
  viewAt?: number;
  /** Anonymous: a logout's session holding only its flash; otherwise logged in, with an owner. */
  anonymous: boolean;
}

/**
 * The expired sessions: each logged in an idle timeout before its expiry, the expiries spread
 * evenly over the `hours` whole hours before the hour of `at` (the ones a run at `at` sweeps).
 * @example expiredPlan(SWEEP_AT, 24, 2000).length // 2000
 */
export function expiredPlan(at: number, hours: number, count: number): PlannedSession[] {
  const first = (Math.floor(at / HOUR_MS) - hours) * HOUR_MS;
  const span = hours * HOUR_MS;
  return Array.from({ length: count }, (_, i) => ({
    loginAt: first + Math.floor(((i + 0.5) * span) / count) - IDLE_MS,
    anonymous: i % ANONYMOUS_EVERY === ANONYMOUS_EVERY - 1,
  }));
}

/**
 * The live sessions at `at` (half past an hour), all logged in. The first half logged in within
 * the last hour, so they expire after `at`. The second half logged in 110 to 90 minutes before
 * `at`, so their login put them in the last hour swept (they would have expired 50 to 30 minutes
 * before `at`), and a page view 55 minutes after each login refreshed them past `at`: the sweep
 * must find them in no bucket it queries.
 */
export function livePlan(at: number, count: number): PlannedSession[] {
  const fresh = Math.ceil(count / 2);
  const refreshed = count - fresh;
  return [
    ...Array.from({ length: fresh }, (_, i) => ({
      loginAt: at - 59 * MINUTE_MS + Math.floor((i * 58 * MINUTE_MS) / fresh),
      anonymous: false,
    })),
    ...Array.from({ length: refreshed }, (_, i) => {
      const loginAt = at - 110 * MINUTE_MS + Math.floor((i * 20 * MINUTE_MS) / refreshed);
      return { loginAt, viewAt: loginAt + 55 * MINUTE_MS, anonymous: false };
    }),
  ];
}

/**
 * An item's size as DynamoDB counts it for capacity: each attribute's name and value in UTF-8
 * bytes; a number about one byte per two significant digits plus one; a map or list 3 bytes plus
 * one per element; a boolean or null one byte.
 * @example itemSizeBytes({ id: { S: 'abc' }, n: { N: '12345' } }) // 2 + 3 + 1 + 4 = 10
 */
export function itemSizeBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value),
    0,
  );
}

function numberSize(text: string): number {
  const digits = text
    .replace(/^-/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1 + (text.startsWith('-') ? 1 : 0);
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, each) => sum + Buffer.byteLength(each), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, each) => sum + numberSize(each), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, each) => sum + each.byteLength, 0);
  if (value.L !== undefined) return value.L.reduce((sum, each) => sum + 1 + valueSize(each), 3);
  if (value.M !== undefined) return 3 + Object.values(value.M).length + itemSizeBytes(value.M);
  throw new TypeError(`an attribute value of no known type: ${JSON.stringify(value)}`);
}

/** Write units of a write of `bytes`: one per KB started, at least one. */
export function writeUnitsOf(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}

/** What a sweep's `DeleteItem` of one session removes: the item and its index entries, in bytes. */
export interface DeletedSession {
  itemBytes: number;
  /** Its `byExpiry` entry (keys only: the id and the bucket). */
  expiryEntryBytes: number;
  /** Its `byOwner` entry (keys and the projected attributes); none for an anonymous session. */
  ownerEntryBytes?: number;
}

/** The sizes of what deleting `item` removes, read off the item itself. */
export function deletedSessionOf(item: Record<string, AttributeValue>): DeletedSession {
  const pick = (names: readonly string[]) =>
    Object.fromEntries(names.filter((name) => item[name] !== undefined).map((name) => [name, item[name]]));
  const owned = item[OWNER_INDEX.partitionKey] !== undefined;
  return {
    itemBytes: itemSizeBytes(item),
    expiryEntryBytes: itemSizeBytes(pick([KEY, BUCKET])),
    ...(owned
      ? {
          ownerEntryBytes: itemSizeBytes(
            pick([KEY, OWNER_INDEX.partitionKey, OWNER_INDEX.sortKey, ...OWNER_INDEX.projectedAttributes]),
          ),
        }
      : {}),
  };
}

/** The write units of a sweep, by what they delete, and per session swept. */
export interface SweepWriteUnits {
  /** Sessions deleted, and of them logged in (with a `byOwner` entry) and anonymous. */
  deleted: number;
  loggedIn: number;
  anonymous: number;
  /** The items, their `byExpiry` entries, their `byOwner` entries. */
  items: number;
  expiryEntries: number;
  ownerEntries: number;
  /** A `DeleteItem` whose condition failed writes nothing but is billed one unit. */
  failedConditions: number;
  total: number;
  /** Means: over every session deleted, over the logged-in ones, over the anonymous ones (0 when none). */
  perSession: number;
  perLoggedIn: number;
  perAnonymous: number;
  largestItemBytes: number;
}

/**
 * The write units a sweep's operations consume: each `DeleteItem` that deleted a session, its
 * item's units, one for its `byExpiry` entry and, with an owner, one for its `byOwner` entry
 * (each by its size, a unit per KB started); each whose condition failed (`kept`), one.
 * @example sweepWriteUnits([{ itemBytes: 600, expiryEntryBytes: 80, ownerEntryBytes: 250 }], 0).perSession // 3
 */
export function sweepWriteUnits(deleted: readonly DeletedSession[], kept: number): SweepWriteUnits {
  let items = 0;
  let expiryEntries = 0;
  let ownerEntries = 0;
  const ofLoggedIn: number[] = [];
  const ofAnonymous: number[] = [];
  for (const session of deleted) {
    const item = writeUnitsOf(session.itemBytes);
    const expiry = writeUnitsOf(session.expiryEntryBytes);
    const owner = session.ownerEntryBytes === undefined ? 0 : writeUnitsOf(session.ownerEntryBytes);
    items += item;
    expiryEntries += expiry;
    ownerEntries += owner;
    (session.ownerEntryBytes === undefined ? ofAnonymous : ofLoggedIn).push(item + expiry + owner);
  }
  const mean = (values: readonly number[]) =>
    values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
  const total = items + expiryEntries + ownerEntries + kept;
  return {
    deleted: deleted.length,
    loggedIn: ofLoggedIn.length,
    anonymous: ofAnonymous.length,
    items,
    expiryEntries,
    ownerEntries,
    failedConditions: kept,
    total,
    perSession: deleted.length === 0 ? 0 : total / deleted.length,
    perLoggedIn: mean(ofLoggedIn),
    perAnonymous: mean(ofAnonymous),
    largestItemBytes: Math.max(0, ...deleted.map((session) => session.itemBytes)),
  };
}

/**
 * Dollars per million sessions swept, at `writeUnits` per session: on-demand write units
 * ($0.625 per million) billed in each of the `replicas`.
 * @example sweepCostPerMillion(3) // 5.625
 */
export function sweepCostPerMillion(writeUnits: number, replicas = REPLICAS): number {
  return writeUnits * replicas * PRICES.writeUnitsPerMillion;
}

/** One sweep: what it reported, the operations it sent, how long it took. */
export interface SweepRun {
  summary: ExpirySweepSummary;
  operations: Record<OperationKind, number>;
  wallMs: number;
  /** Wall time over the sessions it deleted (none deleted: undefined). */
  msPerDeleted?: number;
  /** Each `Query` page half a unit (eventually consistent, keys only, under 4 KB). */
  readUnits: number;
}

export interface ExpirySweepBenchResult {
  /** The simulated time both runs swept at (ISO 8601), and the hours they swept. */
  sweptAt: string;
  hours: number;
  sessions: {
    expired: number;
    expiredLoggedIn: number;
    expiredAnonymous: number;
    live: number;
    liveRefreshed: number;
  };
  /** Wall time to write them all through the library (information). */
  writeSeconds: number;
  first: SweepRun;
  again: SweepRun;
  writeUnits: SweepWriteUnits;
  replicas: number;
  prices: typeof PRICES;
  /** Dollars per million sessions swept: the run's mix, a logged-in session, an anonymous one. */
  costPerMillion: { perSession: number; loggedIn: number; anonymous: number };
  checks: number;
}

/** Each kind's count in `operations` (anything not in `OPERATION_KINDS` as `other`). */
export function countOperations(operations: readonly string[]): Record<OperationKind, number> {
  const counts = Object.fromEntries(OPERATION_KINDS.map((kind) => [kind, 0])) as Record<
    OperationKind,
    number
  >;
  for (const operation of operations) {
    const kind = (OPERATION_KINDS as readonly string[]).includes(operation)
      ? (operation as OperationKind)
      : 'other';
    counts[kind]++;
  }
  return counts;
}

/** Operations a sweep should never send: every kind but `Query` and `DeleteItem`. */
export function otherOperations(operations: Record<OperationKind, number>): number {
  return OPERATION_KINDS.filter((kind) => kind !== 'Query' && kind !== 'DeleteItem').reduce(
    (sum, kind) => sum + operations[kind],
    0,
  );
}

async function scanAll(client: DynamoDBClient): Promise<Map<string, Record<string, AttributeValue>>> {
  const items = new Map<string, Record<string, AttributeValue>>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: SWEPT_TABLE, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) items.set(item[KEY]?.S ?? '', item);
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

const sameIds = (a: Iterable<string>, b: ReadonlySet<string>) => {
  const left = new Set(a);
  return left.size === b.size && [...left].every((id) => b.has(id));
};

/**
 * The expiry sweep, after the rest of `npm run bench`, on a dynalite of its own behind the
 * counting proxy, in a table with both indexes. Writes the planned sessions through a
 * `SessionManager` with `expiry: 'sweeper'` on an injected clock (every write checked: one
 * `PutItem` per login, `GetItem` + `UpdateItem` per refresh), then sweeps at `SWEEP_AT` twice
 * with `sweepExpiredSessions`, timing each run and counting its operations. Checks that the
 * first deletes every expired session and nothing else (a Scan outside the proxy, and every live
 * session loaded with its data), and that the second finds nothing; the first wrong answer
 * throws `BenchCheckError`.
 * @example const result = await runExpirySweepBench({ expired: 2000, live: 200 });
 */
export async function runExpirySweepBench(options: ExpirySweepBenchOptions): Promise<ExpirySweepBenchResult> {
  if (options.expired + SWEPT_BUCKETS > MAX_RECORDED_OPERATIONS) {
    throw new TypeError(
      `expired: at most ${MAX_RECORDED_OPERATIONS - SWEPT_BUCKETS} (the counting proxy records ${MAX_RECORDED_OPERATIONS} operations)`,
    );
  }
  const report = options.report ?? (() => undefined);
  const sweepWith = options.sweep ?? sweepExpiredSessions;
  const store = await startBenchStore();
  const { proxy } = store;
  const cleanups: (() => unknown)[] = [store.close];
  try {
    await ensureSessionTable(store.client, SWEPT_TABLE, { expiryIndex: true });
    const checks = new Checks();
    const client = createDocumentClient({ endpoint: proxy.endpoint });
    const sweepClient = createDocumentClient({ endpoint: proxy.endpoint });
    cleanups.push(
      () => client.destroy(),
      () => sweepClient.destroy(),
    );
    let clock = 0;
    const sessions = new SessionManager({
      client,
      tableName: SWEPT_TABLE,
      keys: new StaticKeys([randomSigningKey()]),
      idleTimeoutSeconds: IDLE_SECONDS,
      now: () => clock,
      expiry: 'sweeper',
    });
    const expectOperations = (step: string, got: readonly string[], expected: readonly string[]) =>
      checks.check(
        step,
        got.join(',') === expected.join(','),
        `[${expected.join(', ')}]`,
        () => `[${got.join(', ')}]`,
      );

    /** A session written as planned; its cookie's `name=value` and its item's id. */
    const write = async (plan: PlannedSession, name: string): Promise<{ cookie: string; id: string }> => {
      clock = plan.loginAt;
      proxy.reset();
      const session = await sessions.load(REQUEST);
      if (plan.anonymous) {
        session.flash('You were logged out.');
      } else {
        session.regenerate({ owner: name, device: 'Firefox on Linux' });
        session.set('username', name);
      }
      const setCookies = await sessions.commit(session, REQUEST);
      expectOperations(`expiry sweep: ${name}'s login`, proxy.operations, ['PutItem']);
      const cookies = setCookies.filter((cookie) => SESSION_COOKIE.test(cookie));
      checks.check(`expiry sweep: ${name}'s login`, cookies.length === 1, 'one session cookie', () =>
        setCookies.join(' | '),
      );
      const cookie = cookies[0].split(';')[0];
      if (plan.viewAt !== undefined) {
        clock = plan.viewAt;
        proxy.reset();
        const request = { cookies: [cookie], secure: true };
        const viewed = await sessions.load(request);
        await sessions.commit(viewed, request);
        expectOperations(`expiry sweep: ${name}'s refreshing view`, proxy.operations, [
          'GetItem',
          'UpdateItem',
        ]);
      }
      return { cookie, id: itemKey(cookie) };
    };

    const expiredSessions = expiredPlan(SWEEP_AT, SWEPT_HOURS, options.expired);
    const liveSessions = livePlan(SWEEP_AT, options.live);
    report(
      `writing ${options.expired} expired and ${options.live} live sessions through SessionManager (expiry: 'sweeper')`,
    );
    const writeStarted = performance.now();
    const expired = new Map<string, PlannedSession>();
    const every = Math.max(1, Math.ceil(options.expired / 4));
    for (const [i, plan] of expiredSessions.entries()) {
      expired.set((await write(plan, `expired-${i + 1}`)).id, plan);
      if ((i + 1) % every === 0) report(`expired sessions ${i + 1}/${options.expired}`);
    }
    const live = new Map<string, { cookie: string; name: string }>();
    for (const [i, plan] of liveSessions.entries()) {
      const name = `live-${i + 1}`;
      const { cookie, id } = await write(plan, name);
      live.set(id, { cookie, name });
    }
    const writeSeconds = (performance.now() - writeStarted) / 1000;

    // The table before: every session there, each expired one in an hour swept, each live one in a later one.
    const before = await scanAll(store.client);
    const firstSwept = Math.floor(SWEEP_AT / HOUR_MS) - SWEPT_HOURS;
    const hourOf = (id: string) => Number(before.get(id)?.[BUCKET]?.S?.split('.')[0]);
    checks.check(
      'expiry sweep: the table before',
      sameIds(before.keys(), new Set([...expired.keys(), ...live.keys()])),
      `${expired.size + live.size} sessions`,
      () => `${before.size} items`,
    );
    for (const id of expired.keys()) {
      const hour = hourOf(id);
      checks.check(
        'expiry sweep: an expired session’s bucket',
        hour >= firstSwept && hour < firstSwept + SWEPT_HOURS,
        `an hour from ${firstSwept} to ${firstSwept + SWEPT_HOURS - 1}`,
        () => String(hour),
      );
    }
    for (const id of live.keys()) {
      const hour = hourOf(id);
      checks.check(
        'expiry sweep: a live session’s bucket',
        hour >= firstSwept + SWEPT_HOURS,
        `an hour from ${firstSwept + SWEPT_HOURS}`,
        () => String(hour),
      );
    }

    const sweep = async (label: string): Promise<SweepRun> => {
      proxy.reset();
      const started = performance.now();
      const summary = await sweepWith({
        client: sweepClient,
        tableName: SWEPT_TABLE,
        now: () => SWEEP_AT,
      });
      const wallMs = performance.now() - started;
      const operations = countOperations(proxy.operations);
      report(`${label}: ${summary.deleted} deleted in ${(wallMs / 1000).toFixed(2)} s`);
      return {
        summary,
        operations,
        wallMs,
        ...(summary.deleted > 0 ? { msPerDeleted: wallMs / summary.deleted } : {}),
        readUnits: operations.Query * REQUEST_UNITS.Query.read,
      };
    };
    const checkRun = (step: string, run: SweepRun, examined: number) => {
      const { summary, operations } = run;
      const expected = { buckets: SWEPT_BUCKETS, examined, deleted: examined, kept: 0 };
      checks.check(step, JSON.stringify(summary) === JSON.stringify(expected), JSON.stringify(expected), () =>
        JSON.stringify(summary),
      );
      const other = otherOperations(operations);
      const sent = `${operations.Query} Query, ${operations.DeleteItem} DeleteItem, ${other} other`;
      checks.check(
        step,
        operations.Query === SWEPT_BUCKETS && operations.DeleteItem === examined && other === 0,
        `${SWEPT_BUCKETS} Query (one page a bucket), ${examined} DeleteItem, 0 other`,
        () => sent,
      );
    };

    const first = await sweep('first run');
    checkRun('expiry sweep: the first run', first, options.expired);
    // Nothing live deleted, nothing expired left: the table read outside the proxy, each live session loaded.
    const after = await scanAll(store.client);
    checks.check(
      'expiry sweep: the table after the first run',
      sameIds(after.keys(), new Set(live.keys())),
      `exactly the ${live.size} live sessions`,
      () =>
        `${after.size} items, ${[...after.keys()].filter((id) => !live.has(id)).length} not live, ${[...live.keys()].filter((id) => !after.has(id)).length} live ones missing`,
    );
    clock = SWEEP_AT;
    for (const { cookie, name } of live.values()) {
      proxy.reset();
      const session = await sessions.load({ cookies: [cookie], secure: true });
      expectOperations(`expiry sweep: ${name} after the sweep`, proxy.operations, ['GetItem']);
      checks.check(
        `expiry sweep: ${name} after the sweep`,
        session.owner === name && session.get('username') === name,
        `logged in as ${name}`,
        () => `owner ${String(session.owner)}, username ${String(session.get('username'))}`,
      );
    }
    const again = await sweep('again, on the emptied index');
    checkRun('expiry sweep: the second run', again, 0);
    const left = await scanAll(store.client);
    checks.check(
      'expiry sweep: the table after the second run',
      sameIds(left.keys(), new Set(live.keys())),
      `the ${live.size} live sessions`,
      () => `${left.size} items`,
    );

    const writeUnits = sweepWriteUnits(
      [...expired.keys()].map((id) => deletedSessionOf(before.get(id) ?? {})),
      first.summary.kept,
    );
    const expiredAnonymous = expiredSessions.filter((plan) => plan.anonymous).length;
    checks.check(
      'expiry sweep: the deleted items',
      writeUnits.anonymous === expiredAnonymous && writeUnits.loggedIn === expired.size - expiredAnonymous,
      `${expired.size - expiredAnonymous} with an owner, ${expiredAnonymous} without`,
      () => `${writeUnits.loggedIn} with an owner, ${writeUnits.anonymous} without`,
    );
    return {
      sweptAt: new Date(SWEEP_AT).toISOString(),
      hours: SWEPT_HOURS,
      sessions: {
        expired: expired.size,
        expiredLoggedIn: expired.size - expiredAnonymous,
        expiredAnonymous,
        live: live.size,
        liveRefreshed: liveSessions.filter((plan) => plan.viewAt !== undefined).length,
      },
      writeSeconds,
      first,
      again,
      writeUnits,
      replicas: REPLICAS,
      prices: PRICES,
      costPerMillion: {
        perSession: sweepCostPerMillion(writeUnits.perSession),
        loggedIn: sweepCostPerMillion(writeUnits.perLoggedIn),
        anonymous: sweepCostPerMillion(writeUnits.perAnonymous),
      },
      checks: checks.count,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}
