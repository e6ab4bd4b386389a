import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CREDENTIAL_PROVIDERS_AFTER_ENVIRONMENT, FUNCTION_BUNDLING } from '../../lib/bundling';
import { esbuildOptionsFor } from '../../scripts/bench/bundle';
import { type FlowBenchResult, type RequestType, runFlowBench } from '../../scripts/bench/flows';
import { peerCompanion } from '../../scripts/bench/peer/peerFlow';
import { runRefreshBench } from '../../scripts/bench/refresh';
import { runSealingBench } from '../../scripts/bench/sealing';
import { evaluateTargets } from '../../scripts/bench/targets';

// The flow part of `npm run bench`, tiny, with the peer side by side: its checks must hold and its
// counts must say what the targets say, so the bench cannot rot. Timing targets are not asserted
// (a shared machine is noisy).
let result: FlowBenchResult;
let folder: string;
const handlerOutputFile = () => path.join(folder, 'handler-output.log');

beforeAll(async () => {
  folder = mkdtempSync(path.join(tmpdir(), 'bench-test-'));
  result = await runFlowBench({
    flows: 5,
    k: 2,
    warmupFlows: 1,
    handlerOutputFile: handlerOutputFile(),
    companion: peerCompanion(),
  });
});

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

function peerType(type: string) {
  const found = result.companion?.requestTypes.find((candidate) => candidate.type === type);
  if (!found) throw new Error(`no peer ${type}`);
  return found;
}

function byType(type: RequestType) {
  const found = result.requestTypes.find((candidate) => candidate.type === type);
  if (!found) throw new Error(`no ${type}`);
  return found;
}

describe('npm run bench: flows', () => {
  test('every request was checked and recorded', () => {
    // Prepare: 6 flows (1 warm-up) of 11 + K handler requests and K floor reads, several checks each
    // Assess
    expect(result.checks).toBeGreaterThan(6 * (11 + 2 * 2));
    expect(byType('loggedInIndex').requests).toBe(5 * 2);
    expect(byType('loggedInIndexNoLogLine').requests).toBe(5 * 2);
    expect(byType('loggedInIndexOnMiddy').requests).toBe(5 * 2);
    expect(byType('floor').requests).toBe(5 * 2);
    for (const type of result.requestTypes) {
      expect(type.latencyUs.median).toBeGreaterThan(0);
      expect(type.latencyUs.p99).toBeGreaterThanOrEqual(type.latencyUs.median);
    }
  });

  test('DynamoDB operations per request type are what the targets say', () => {
    const ops = (type: RequestType) => byType(type).operationsPerRequest;
    expect(ops('anonymousIndex')).toEqual({
      GetItem: 0,
      PutItem: 0,
      UpdateItem: 0,
      DeleteItem: 0,
      Query: 0,
      other: 0,
    });
    expect(ops('badSignature')).toEqual({
      GetItem: 0,
      PutItem: 0,
      UpdateItem: 0,
      DeleteItem: 0,
      Query: 0,
      other: 0,
    });
    expect(ops('loggedInIndex')).toEqual({
      GetItem: 1,
      PutItem: 0,
      UpdateItem: 0,
      DeleteItem: 0,
      Query: 0,
      other: 0,
    });
    expect(ops('loggedInIndexNoLogLine')).toEqual(ops('loggedInIndex'));
    expect(ops('loggedInIndexOnMiddy')).toEqual(ops('loggedInIndex'));
    expect(ops('login')).toEqual({
      GetItem: 0,
      PutItem: 1,
      UpdateItem: 0,
      DeleteItem: 0,
      Query: 0,
      other: 0,
    });
    expect(ops('loginReplacing')).toEqual({
      GetItem: 0,
      PutItem: 1,
      UpdateItem: 0,
      DeleteItem: 1,
      Query: 0,
      other: 0,
    });
    expect(ops('logout')).toEqual({
      GetItem: 0,
      PutItem: 0,
      UpdateItem: 0,
      DeleteItem: 1,
      Query: 0,
      other: 0,
    });
    expect(ops('afterLogout').GetItem).toBeLessThanOrEqual(1);
    expect(byType('afterLogout').writesPerRequest).toBe(0);
    expect(ops('floor')).toEqual({
      GetItem: 1,
      PutItem: 0,
      UpdateItem: 0,
      DeleteItem: 0,
      Query: 0,
      other: 0,
    });
    expect(ops('sessionsPage')).toEqual({
      GetItem: 1,
      PutItem: 0,
      UpdateItem: 0,
      DeleteItem: 0,
      Query: 1,
      other: 0,
    });
    expect(ops('revoke')).toEqual({
      GetItem: 1,
      PutItem: 0,
      UpdateItem: 0,
      DeleteItem: 1,
      Query: 1,
      other: 0,
    });
    expect(byType('sessionsPage').requests).toBe(5);
    expect(byType('revoke').requests).toBe(5);
  });

  test('the floor ratio comes with an interval that holds it, with the log line written and without it', () => {
    for (const [interval, page] of [
      [result.floorRatio, 'loggedInIndex'],
      [result.floorRatioWithoutLogLine, 'loggedInIndexNoLogLine'],
    ] as const) {
      expect(interval.ratio).toBeCloseTo(
        byType(page).latencyUs.median / byType('floor').latencyUs.median,
        10,
      );
      expect(interval.low).toBeLessThanOrEqual(interval.ratio);
      expect(interval.high).toBeGreaterThanOrEqual(interval.ratio);
    }
  });

  test('every operation-count target passes', () => {
    const targets = evaluateTargets(result, undefined).filter((target) => !target.name.includes('median'));
    expect(targets.length).toBeGreaterThanOrEqual(6);
    expect(targets.filter((target) => !target.pass)).toEqual([]);
  });

  test('the handlers wrote one line per request to the output file, the ERROR-level one none, and nothing to stderr', () => {
    // Prepare: 6 flows of 11 + K requests to the INFO handlers; K more to the ERROR-level index handler
    const lines = readFileSync(handlerOutputFile(), 'utf8').trimEnd().split('\n');
    const requestLines = lines.map((line) => JSON.parse(line)).filter((line) => line.message === 'request');

    // Assess
    expect(requestLines).toHaveLength(6 * (11 + 2));
    expect(result.output).toMatchObject({
      requestLogLines: 6 * (11 + 2),
      lines: lines.length,
      stderrLines: 0,
    });
    expect(new Set(requestLines.map((line) => line.route))).toEqual(
      new Set(['index', 'login', 'logout', 'sessions']),
    );
    // The line's own cost is timed where the handler pays it, and its write within that.
    expect(result.indexLineMedianUs).toBeGreaterThan(0);
    expect(result.output.writeMedianUs).toBeGreaterThan(0);
  });
});

describe('npm run bench: the peer side by side', () => {
  test('logs in, shows the name, logs out, in every flow, each logged-in page next to one of ours', () => {
    // Assess: 5 timed flows, one login/logout each and K = 2 pages (checked as they ran: a wrong page throws)
    expect(result.companion?.name).toMatch(/Express/);
    expect(peerType('login').requests).toBe(5);
    expect(peerType('loggedInIndex').requests).toBe(5 * 2);
    expect(peerType('logout').requests).toBe(5);
    expect(peerType('afterLogout').requests).toBe(5);
  });

  test('its DynamoDB operations are counted: a touch per page view, a read before the delete at logout', () => {
    expect(peerType('loggedInIndex').operationsPerRequest).toEqual({
      GetItem: 1,
      PutItem: 0,
      UpdateItem: 1,
      DeleteItem: 0,
      Query: 0,
      other: 0,
    });
    expect(peerType('loggedInIndex').writesPerRequest).toBe(1);
    // regenerate() deletes the (unsaved) old id, save() and the end of the response each put it.
    expect(peerType('login').operationsPerRequest).toEqual({
      GetItem: 0,
      PutItem: 2,
      UpdateItem: 0,
      DeleteItem: 1,
      Query: 0,
      other: 0,
    });
    expect(peerType('logout').operationsPerRequest).toEqual({
      GetItem: 1,
      PutItem: 0,
      UpdateItem: 0,
      DeleteItem: 1,
      Query: 0,
      other: 0,
    });
    expect(peerType('afterLogout').operationsPerRequest.GetItem).toBe(1);
    expect(peerType('afterLogout').writesPerRequest).toBe(0);
  });

  test('ours over the peer comes with an interval that holds it, and a target row', () => {
    const peer = result.companion;
    if (!peer) throw new Error('no peer');
    expect(peer.loggedInRatio.ratio).toBeCloseTo(
      byType('loggedInIndex').latencyUs.median / peerType('loggedInIndex').latencyUs.median,
      10,
    );
    expect(peer.loggedInRatio.low).toBeLessThanOrEqual(peer.loggedInRatio.ratio);
    expect(peer.loggedInRatio.high).toBeGreaterThanOrEqual(peer.loggedInRatio.ratio);
    expect(evaluateTargets(result, undefined).map((target) => target.name)).toContain(
      'GET / logged in: median, ours vs peer (paired)',
    );
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

describe('npm run bench: sealing', () => {
  test('times opening a page view’s sealed username, and reports what it adds over the item key alone', () => {
    // Act: the loops check every page view's opened value (a wrong one throws)
    const sealing = runSealingBench({ iterations: 300, rounds: 3 });

    // Assess
    expect(sealing).toMatchObject({ iterations: 300, rounds: 3 });
    for (const micros of [sealing.openUs, sealing.itemKeyUs, sealing.sealUs])
      expect(micros).toBeGreaterThan(0);
    expect(sealing.addedPerViewUs).toBeCloseTo(sealing.openUs - sealing.itemKeyUs, 10);
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
      external: ['bowser', ...CREDENTIAL_PROVIDERS_AFTER_ENVIRONMENT],
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
