import { expiryBucket, sweepExpiredSessions } from '@lambda-sessions/dynamodb/sweep';
import { BenchCheckError } from '../../scripts/bench/common';
import {
  ANONYMOUS_EVERY,
  countOperations,
  type DeletedSession,
  deletedSessionOf,
  type ExpirySweepBenchResult,
  expiredPlan,
  IDLE_SECONDS,
  itemSizeBytes,
  livePlan,
  otherOperations,
  runExpirySweepBench,
  SWEEP_AT,
  SWEPT_BUCKETS,
  SWEPT_HOURS,
  sweepCostPerMillion,
  sweepWriteUnits,
  writeUnitsOf,
} from '../../scripts/bench/expirySweep';
import { expirySweepSection } from '../../scripts/bench/report';

// The expiry sweep section's pure parts: the sessions it plans, the sizes and write units it
// derives, the cost and the printed lines. The section itself runs tiny in bench.test.ts; here
// only a sweep that deletes a live session, which must fail the bench.

const HOUR_MS = 3_600_000;
const IDLE_MS = IDLE_SECONDS * 1000;
const hourOf = (epochMs: number) => Math.floor(epochMs / HOUR_MS);
const sweptHour = hourOf(SWEEP_AT);
const NONE = { GetItem: 0, PutItem: 0, UpdateItem: 0, DeleteItem: 0, Query: 0, other: 0 };

describe('expiry sweep bench: the sessions it writes', () => {
  test('the expired ones expire in the hours a run at SWEEP_AT sweeps, evenly, one in ten anonymous', () => {
    // Act
    const plan = expiredPlan(SWEEP_AT, SWEPT_HOURS, 2000);

    // Assess: 2000 over 24 hours is 83 or 84 an hour, every one before the current hour
    const perHour = new Map<number, number>();
    for (const { loginAt } of plan) {
      const hour = hourOf(loginAt + IDLE_MS);
      perHour.set(hour, (perHour.get(hour) ?? 0) + 1);
    }
    expect([...perHour.keys()].sort()).toEqual(
      Array.from({ length: SWEPT_HOURS }, (_, i) => sweptHour - SWEPT_HOURS + i),
    );
    expect(Math.min(...perHour.values())).toBeGreaterThanOrEqual(83);
    expect(Math.max(...perHour.values())).toBeLessThanOrEqual(84);
    expect(plan.filter((session) => session.anonymous)).toHaveLength(2000 / ANONYMOUS_EVERY);
    expect(plan.every((session) => session.viewAt === undefined)).toBe(true);
  });

  test('their buckets are the ones the library writes for that expiry: in the swept range', () => {
    const [first] = expiredPlan(SWEEP_AT, SWEPT_HOURS, 24);
    const bucket = expiryBucket('Qm9vaw', Math.floor((first.loginAt + IDLE_MS) / 1000));
    expect(bucket).toBe(`${sweptHour - SWEPT_HOURS}.0`);
  });

  test('the live ones outlive SWEEP_AT: half logged in within the hour, half refreshed out of the last hour swept', () => {
    // Act
    const plan = livePlan(SWEEP_AT, 200);

    // Assess
    const fresh = plan.filter((session) => session.viewAt === undefined);
    const refreshed = plan.filter((session) => session.viewAt !== undefined);
    expect([fresh.length, refreshed.length]).toEqual([100, 100]);
    for (const { loginAt } of fresh) {
      expect(loginAt).toBeLessThan(SWEEP_AT);
      expect(loginAt + IDLE_MS).toBeGreaterThan(SWEEP_AT);
    }
    for (const { loginAt, viewAt = 0 } of refreshed) {
      expect(hourOf(loginAt + IDLE_MS)).toBe(sweptHour - 1); // their login's bucket is swept
      expect(viewAt).toBeLessThan(loginAt + IDLE_MS); // the view finds it live
      expect(viewAt - loginAt).toBeGreaterThanOrEqual(IDLE_MS / 4); // and its refresh due
      expect(viewAt + IDLE_MS).toBeGreaterThan(SWEEP_AT); // which carries it past the sweep
    }
    expect(plan.every((session) => !session.anonymous)).toBe(true);
  });
});

describe('expiry sweep bench: sizes and write units', () => {
  test('an item’s size as DynamoDB counts it: names and values, numbers by their digits, maps and lists with overhead', () => {
    expect(itemSizeBytes({ id: { S: 'abc' } })).toBe(5);
    expect(itemSizeBytes({ n: { N: '12345' } })).toBe(1 + 4);
    expect(itemSizeBytes({ n: { N: '-1.50' } })).toBe(1 + 3);
    expect(itemSizeBytes({ b: { B: new Uint8Array(10) }, t: { BOOL: true } })).toBe(1 + 10 + 1 + 1);
    expect(itemSizeBytes({ m: { M: { ab: { S: 'xyz' } } } })).toBe(1 + 3 + 1 + 2 + 3);
    expect(itemSizeBytes({ l: { L: [{ S: 'x' }, { NULL: true }] } })).toBe(1 + 3 + 2 + 2);
    expect(itemSizeBytes({ é: { S: 'é' } })).toBe(4);
  });

  test('what deleting a session removes: the item, its byExpiry entry (keys only), its byOwner entry if owned', () => {
    const item = {
      id: { S: 'a'.repeat(43) },
      expiryBucket: { S: '526008.3' },
      owner: { S: 'alice' },
      refreshedAt: { N: '1893456000000' },
      device: { S: 'Firefox on Linux' },
      sealed: { M: { x: { B: new Uint8Array(200) } } },
    };
    const { owner: _owner, ...anonymous } = item;

    expect(deletedSessionOf(item)).toEqual({
      itemBytes: itemSizeBytes(item),
      expiryEntryBytes: 2 + 43 + 12 + 8,
      ownerEntryBytes: itemSizeBytes({
        id: item.id,
        owner: item.owner,
        refreshedAt: item.refreshedAt,
        device: item.device,
      }),
    });
    expect(deletedSessionOf(anonymous)).not.toHaveProperty('ownerEntryBytes');
  });

  test('a unit per KB started, at least one', () => {
    expect([0, 1, 1024, 1025, 4096].map(writeUnitsOf)).toEqual([1, 1, 1, 2, 4]);
  });

  test('per session: item + byExpiry + byOwner; a failed condition one more; means per kind', () => {
    // Prepare: two logged-in sessions (one of 1.5 KB), one anonymous
    const deleted: DeletedSession[] = [
      { itemBytes: 600, expiryEntryBytes: 65, ownerEntryBytes: 200 },
      { itemBytes: 1500, expiryEntryBytes: 65, ownerEntryBytes: 200 },
      { itemBytes: 400, expiryEntryBytes: 65 },
    ];

    // Act
    const units = sweepWriteUnits(deleted, 1);

    // Assess
    expect(units).toEqual({
      deleted: 3,
      loggedIn: 2,
      anonymous: 1,
      items: 4,
      expiryEntries: 3,
      ownerEntries: 2,
      failedConditions: 1,
      total: 10,
      perSession: 10 / 3,
      perLoggedIn: 3.5,
      perAnonymous: 2,
      largestItemBytes: 1500,
    });
    expect(sweepWriteUnits([], 0)).toMatchObject({
      total: 0,
      perSession: 0,
      perLoggedIn: 0,
      largestItemBytes: 0,
    });
  });

  test('cost per million swept: $0.625 per million write units in each of 3 replicas', () => {
    expect(sweepCostPerMillion(3)).toBeCloseTo(5.625, 10);
    expect(sweepCostPerMillion(2)).toBeCloseTo(3.75, 10);
    expect(sweepCostPerMillion(3, 1)).toBeCloseTo(1.875, 10);
  });

  test('operations counted by kind, anything else as other; what a sweep should not send', () => {
    const counted = countOperations(['Query', 'DeleteItem', 'Query', 'Scan', 'GetItem']);
    expect(counted).toEqual({ ...NONE, Query: 2, DeleteItem: 1, GetItem: 1, other: 1 });
    expect(otherOperations(counted)).toBe(2);
    expect(otherOperations({ ...NONE, Query: 192, DeleteItem: 40 })).toBe(0);
  });
});

describe('expiry sweep bench: the printed section', () => {
  const run = (examined: number, wallMs: number) => ({
    summary: { buckets: SWEPT_BUCKETS, examined, deleted: examined, kept: 0 },
    operations: { ...NONE, Query: SWEPT_BUCKETS, DeleteItem: examined },
    wallMs,
    ...(examined > 0 ? { msPerDeleted: wallMs / examined } : {}),
    readUnits: SWEPT_BUCKETS / 2,
  });
  const units = sweepWriteUnits(
    [
      ...Array.from({ length: 9 }, () => ({ itemBytes: 600, expiryEntryBytes: 65, ownerEntryBytes: 200 })),
      { itemBytes: 373, expiryEntryBytes: 65 },
    ],
    0,
  );
  const result: ExpirySweepBenchResult = {
    sweptAt: new Date(SWEEP_AT).toISOString(),
    hours: SWEPT_HOURS,
    sessions: { expired: 10, expiredLoggedIn: 9, expiredAnonymous: 1, live: 4, liveRefreshed: 2 },
    writeSeconds: 0.42,
    first: run(10, 52.34),
    again: run(0, 20.5),
    writeUnits: units,
    replicas: 3,
    prices: { logsPerGB: 0.5, readUnitsPerMillion: 0.125, writeUnitsPerMillion: 0.625 },
    costPerMillion: {
      perSession: sweepCostPerMillion(units.perSession),
      loggedIn: sweepCostPerMillion(units.perLoggedIn),
      anonymous: sweepCostPerMillion(units.perAnonymous),
    },
    checks: 99,
  };

  test('a row per run, the units per kind of session and their cost, said to be computed', () => {
    const text = expirySweepSection(result);

    expect(text).toMatch(/^Expiry sweep: sweepExpiredSessions \(@lambda-sessions\/dynamodb\/sweep\)/);
    expect(text).toContain('10 expired sessions (9 logged in, 1 anonymous)');
    expect(text).toContain('4 live (2 logged in within the hour, 2 logged in earlier and refreshed since)');
    expect(text).toContain('both runs sweep at 2030-01-02T00:30:00.000Z');
    expect(text).toMatch(/^first +192 +10 +10 +0 +192 +10 +0 +52\.3 +5\.234$/m);
    expect(text).toMatch(/^again, the index now empty +192 +0 +0 +0 +192 +0 +0 +20\.5 +–$/m);
    expect(text).toContain('its item (up to 600 B here)');
    expect(text).toContain('per logged-in session: 3 → $5.625 per million swept');
    expect(text).toContain('per anonymous session: 2 → $3.750 per million swept');
    expect(text).toContain(
      'this run: 29 for 10 sessions (items 10, byExpiry 10, byOwner 9, failed conditions 0): 2.9 per session → $5.438 per million swept',
    );
    expect(text).toContain('read units: 96 per run');
    expect(text).toContain(
      'computed, not measured on AWS: $0.625 per million write units on demand × 3 replicas',
    );
  });
});

describe('expiry sweep bench: a wrong sweep', () => {
  test('more sessions than the counting proxy can count is refused before anything starts', async () => {
    await expect(runExpirySweepBench({ expired: 9_900, live: 1 })).rejects.toThrow(/expired: at most 9808/);
  });

  test('one that deletes live sessions (its clock two hours ahead) fails the bench', async () => {
    // Act
    const running = runExpirySweepBench({
      expired: 8,
      live: 4,
      sweep: (options) => sweepExpiredSessions({ ...options, now: () => SWEEP_AT + 2 * HOUR_MS }),
    });

    // Assess
    await expect(running).rejects.toThrow(BenchCheckError);
    await expect(running).rejects.toThrow(/expiry sweep: the first run: expected .*"examined":8/);
  }, 60_000);
});
