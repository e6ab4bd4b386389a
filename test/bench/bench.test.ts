import { FUNCTION_BUNDLING } from '../../lib/bundling';
import { esbuildOptionsFor } from '../../scripts/bench/bundle';
import { type FlowBenchResult, type RequestType, runFlowBench } from '../../scripts/bench/flows';
import { runRefreshBench } from '../../scripts/bench/refresh';
import { evaluateTargets } from '../../scripts/bench/targets';

// The flow part of `npm run bench`, tiny: its checks must hold and its counts must say what the
// targets say, so the bench cannot rot. Timing targets are not asserted (a shared machine is noisy).
let result: FlowBenchResult;

beforeAll(async () => {
  result = await runFlowBench({ flows: 5, k: 2, warmupFlows: 1 });
});

function byType(type: RequestType) {
  const found = result.requestTypes.find((candidate) => candidate.type === type);
  if (!found) throw new Error(`no ${type}`);
  return found;
}

describe('npm run bench: flows', () => {
  test('every request was checked and recorded', () => {
    // Prepare: 6 flows (1 warm-up) of 7 + K handler requests and K floor reads, several checks each
    // Assess
    expect(result.checks).toBeGreaterThan(6 * (7 + 2 * 2));
    expect(byType('loggedInIndex').requests).toBe(5 * 2);
    expect(byType('floor').requests).toBe(5 * 2);
    for (const type of result.requestTypes) {
      expect(type.latencyUs.median).toBeGreaterThan(0);
      expect(type.latencyUs.p99).toBeGreaterThanOrEqual(type.latencyUs.median);
    }
  });

  test('DynamoDB operations per request type are what the targets say', () => {
    const ops = (type: RequestType) => byType(type).operationsPerRequest;
    expect(ops('anonymousIndex')).toEqual({ GetItem: 0, PutItem: 0, UpdateItem: 0, DeleteItem: 0, other: 0 });
    expect(ops('badSignature')).toEqual({ GetItem: 0, PutItem: 0, UpdateItem: 0, DeleteItem: 0, other: 0 });
    expect(ops('loggedInIndex')).toEqual({ GetItem: 1, PutItem: 0, UpdateItem: 0, DeleteItem: 0, other: 0 });
    expect(ops('login')).toEqual({ GetItem: 0, PutItem: 1, UpdateItem: 0, DeleteItem: 0, other: 0 });
    expect(ops('loginReplacing')).toEqual({ GetItem: 0, PutItem: 1, UpdateItem: 0, DeleteItem: 1, other: 0 });
    expect(ops('logout')).toEqual({ GetItem: 0, PutItem: 0, UpdateItem: 0, DeleteItem: 1, other: 0 });
    expect(ops('afterLogout').GetItem).toBeLessThanOrEqual(1);
    expect(byType('afterLogout').writesPerRequest).toBe(0);
    expect(ops('floor')).toEqual({ GetItem: 1, PutItem: 0, UpdateItem: 0, DeleteItem: 0, other: 0 });
  });

  test('the floor ratio comes with an interval that holds it', () => {
    const { ratio, low, high } = result.floorRatio;
    expect(ratio).toBeCloseTo(
      byType('loggedInIndex').latencyUs.median / byType('floor').latencyUs.median,
      10,
    );
    expect(low).toBeLessThanOrEqual(ratio);
    expect(high).toBeGreaterThanOrEqual(ratio);
  });

  test('every operation-count target passes', () => {
    const targets = evaluateTargets(result, undefined).filter((target) => !target.name.includes('median'));
    expect(targets.filter((target) => !target.pass)).toEqual([]);
  });

  test('the handlers logged one line per request, and none of it reached the terminal', () => {
    expect(result.output.requestLogLines).toBe(6 * (7 + 2));
    expect(result.output.stderrLines).toBe(0);
  });
});

describe('npm run bench: sliding refresh', () => {
  test('writes once per 15 minutes of browsing, and on every view when views are 15 minutes or more apart', async () => {
    // Prepare: 40 simulated minutes; the refresh is due 15 min after the last write (idle 60 min / 4)
    // Act
    const result = await runRefreshBench({ thinkSeconds: [60, 1200], browsingMinutes: 40 });

    // Assess: views at 1, 2, … 40 min refresh at 15 and 30 min; views at 20 and 40 min both refresh
    expect(result.refreshEverySeconds).toBe(900);
    expect(result.rows).toEqual([
      { thinkSeconds: 60, pageViews: 40, writes: 2, writesPerView: 0.05 },
      { thinkSeconds: 1200, pageViews: 2, writes: 2, writesPerView: 1 },
    ]);
  });
});

describe('npm run bench: bundling options', () => {
  test('mirror what NodejsFunction passes to esbuild for lib/bundling.ts', () => {
    expect(esbuildOptionsFor(FUNCTION_BUNDLING, '/tmp/out/index.js')).toMatchObject({
      bundle: true,
      platform: 'node',
      target: 'node24',
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      external: ['bowser'],
      mainFields: ['module', 'main'],
      outfile: '/tmp/out/index.js',
    });
  });

  test('refuse bundling props they do not mirror', () => {
    expect(() => esbuildOptionsFor({ ...FUNCTION_BUNDLING, keepNames: true }, '/tmp/out/index.js')).toThrow(
      /keepNames/,
    );
  });
});
