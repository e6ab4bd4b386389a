import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FUNCTION_NAMES, FUNCTIONS } from '../../lambda/contract';
import { FUNCTION_BUNDLING } from '../../lib/bundling';
import { bundleFunction } from '../../scripts/bench/bundle';
import { runColdStart } from '../../scripts/bench/coldStart';
import { areaOf, runCpuProfile } from '../../scripts/bench/cpuProfile';
import { dedupePackages } from '../../scripts/bench/dedupe';
import { runFlowBench } from '../../scripts/bench/flows';
import { parseBenchOptions } from '../../scripts/bench/options';
import { peerCompanion } from '../../scripts/bench/peer/peerFlow';
import { runRefreshBench } from '../../scripts/bench/refresh';
import { type BenchResult, formatReport, writeResults } from '../../scripts/bench/report';
import { runSealingBench } from '../../scripts/bench/sealing';
import { coldStartTargets, evaluateTargets, TARGETS } from '../../scripts/bench/targets';

// The whole of `npm run bench`, tiny (what main.ts runs, with --cpu-profile): the peer's entry must
// bundle as our functions do and load with a handler, the profile must attribute samples, and the
// report must show every part. Timings are not asserted (a shared machine is noisy).
let result: BenchResult;
let folder: string;

beforeAll(async () => {
  folder = mkdtempSync(path.join(tmpdir(), 'bench-report-test-'));
  const flows = await runFlowBench({
    flows: 3,
    k: 2,
    warmupFlows: 1,
    handlerOutputFile: path.join(folder, 'handler-output.log'),
    companion: peerCompanion(),
  });
  const refresh = await runRefreshBench({ thinkSeconds: [60], browsingMinutes: 20 });
  const cpuProfile = await runCpuProfile({ requests: 60, warmup: 5, top: 5, folder });
  const coldStart = await runColdStart({ runs: 1 });
  result = {
    startedAt: new Date().toISOString(),
    options: { ...parseBenchOptions(['--quick', '--cpu-profile']) },
    machine: {
      node: process.version,
      platform: 'test',
      arch: 'test',
      cpus: 1,
      cpuModel: 'test',
      loadAverage: [],
    },
    flows,
    refresh,
    sealing: runSealingBench({ iterations: 200, rounds: 3 }),
    coldStart,
    cpuProfile,
    durationSeconds: 1,
    peakRssMb: 1,
    targets: evaluateTargets(flows, coldStart),
  };
}, 120_000);

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe('npm run bench: cold start', () => {
  test('bundles and loads ours, the index on Middy, the peer and the reference, SDK bundled and external', () => {
    expect(result.coldStart.entries.map((entry) => entry.name)).toEqual([
      'index',
      'login',
      'logout',
      'sessions',
      'middy',
      'peer',
      'reference',
    ]);
    for (const entry of result.coldStart.entries) {
      for (const measurement of [entry.sdk.bundled, entry.sdk.external]) {
        expect(measurement.bytes).toBeGreaterThan(0);
        expect(measurement.loadMs.count).toBe(1);
      }
    }
  });

  test('compares our largest bundle and slowest load with the peer, on the bundles that deploy', () => {
    const bundled = (name: string) =>
      result.coldStart.entries.find((entry) => entry.name === name)?.sdk.bundled;
    const { largest, bytesRatio, slowest, loadRatio } = result.coldStart.peerComparison;
    const ours = FUNCTION_NAMES.map((name) => bundled(name));

    expect(bundled(largest)?.bytes).toBe(Math.max(...ours.map((entry) => entry?.bytes ?? 0)));
    expect(bytesRatio).toBeCloseTo((bundled(largest)?.bytes ?? 0) / (bundled('peer')?.bytes ?? 1), 10);
    expect(bundled(slowest)?.loadMs.median).toBe(Math.max(...ours.map((entry) => entry?.loadMs.median ?? 0)));
    expect(loadRatio.ratio).toBeCloseTo(
      (bundled(slowest)?.loadMs.median ?? 0) / (bundled('peer')?.loadMs.median ?? 1),
      10,
    );
  });

  test('has targets for each bundle and ours against the peer, none against the reference', () => {
    const { largest, slowest, bytesRatio } = result.coldStart.peerComparison;
    const targets = coldStartTargets(result.coldStart);

    expect(targets.map((target) => [target.name, target.target])).toEqual([
      ['index: bundle (SDK bundled)', '≤ 600 KB'],
      ['login: bundle (SDK bundled)', '≤ 600 KB'],
      ['logout: bundle (SDK bundled)', '≤ 600 KB'],
      ['sessions: bundle (SDK bundled)', '≤ 600 KB'],
      [`bundle bytes: ours (largest, ${largest}) vs peer`, `≤ ${TARGETS.bundleVsPeer}×`],
      [`load time: ours (slowest, ${slowest}) vs peer`, `≤ ${TARGETS.loadVsPeer}×`],
    ]);
    expect(targets[4].pass).toBe(bytesRatio <= TARGETS.bundleVsPeer);
  });
});

describe('npm run bench: the peer bundled as a project of its own', () => {
  test("takes one copy of each of the peer's packages that this repository installs several times", () => {
    expect(result.coldStart.peerMergedCopies.map((copy) => copy.package)).toContain('mime-types@3.0.2');
    for (const copy of result.coldStart.peerMergedCopies) {
      expect(copy.from).not.toBe(copy.to);
      expect(copy.to).toMatch(new RegExp(`node_modules/${copy.package.replace(/@[^@]*$/, '')}$`));
    }
  });

  test('would merge nothing in our bundles: they are bundled exactly as the stack bundles them', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'bench-dedupe-test-'));
    try {
      for (const entry of Object.values(FUNCTIONS).map((fn) => fn.entry)) {
        const dedupe = dedupePackages();
        await bundleFunction(entry, folder, 'bundled', FUNCTION_BUNDLING, [dedupe.plugin]);
        expect(dedupe.merged).toEqual([]);
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('npm run bench: CPU profile', () => {
  test('writes a V8 profile of the loop and sums self time of the page requests', () => {
    const profile = result.cpuProfile;
    if (!profile) throw new Error('no profile');
    const written = JSON.parse(readFileSync(profile.file, 'utf8'));

    expect(written.nodes.length).toBeGreaterThan(0);
    expect(written.samples.length).toBe(written.timeDeltas.length);
    expect(profile.top.length).toBeLessThanOrEqual(5);
    expect(profile.top.every((entry) => entry.selfUsPerRequest > 0 && entry.area !== '')).toBe(true);
  });

  test('assigns each sample to the call it fell in: code only the page runs never counts for the floor', () => {
    const areas = result.cpuProfile?.areas ?? [];
    const ours = areas.find((area) => area.area === 'ours: lambda/');

    expect(ours?.pageUsPerRequest).toBeGreaterThan(0);
    expect(ours?.floorUsPerRequest).toBe(0);
    for (const area of areas.filter((candidate) => candidate.area.includes('powertools'))) {
      expect(area.floorUsPerRequest).toBe(0);
    }
  });

  test('names the area of a frame: V8, node internals, a package, our folders', () => {
    const root = path.resolve(__dirname, '..', '..');
    expect(areaOf('(garbage collector)', '')).toBe('V8: garbage collector');
    expect(areaOf('writeSync', 'node:fs')).toMatch(/^node internals/);
    expect(areaOf('f', `file://${root}/node_modules/@smithy/core/dist-cjs/index.js`)).toBe(
      'package @smithy/core',
    );
    expect(areaOf('f', `file://${root}/node_modules/a/node_modules/cookie/index.js`)).toBe('package cookie');
    expect(areaOf('handle', `file://${root}/lambda/index.ts`)).toBe('ours: lambda/');
  });
});

describe('npm run bench: report', () => {
  test('shows the floor both ways, the peer side by side, the profile and every target with PASS or MISS', () => {
    const report = formatReport(result);

    expect(report).toMatch(/log line written \(.*handler-output\.log.*\): \d+\.\d{3}× .*95% interval/);
    expect(report).toMatch(/no log line \(the index handler with its logger at ERROR\): +\d+\.\d{3}×/);
    expect(report).toMatch(/Side by side with the peer: Express/);
    expect(report).toMatch(/GET \/ logged in +\d+ +\d+ +\d\.\d\d .*1 GetItem +1 GetItem \+ 1 UpdateItem/);
    expect(report).toMatch(/peer \(Express, one function\)/);
    expect(report).toMatch(/Top self time in the logged-in GET \/ requests/);
    expect(report).toMatch(/Sealing: .*\n +-?\d+\.\d µs per page view: deriving the session's keys/);
    for (const target of result.targets) {
      expect(report).toMatch(new RegExp(`${escapeRegExp(target.name)} .* (PASS|MISS)\\n?`));
    }
    expect(report).not.toMatch(/reference\)? *≤/);
  });

  test('writes the JSON with the peer, both floor ratios and the profile', async () => {
    const { latest } = await writeResults(result, folder);
    const written = JSON.parse(readFileSync(latest, 'utf8'));

    expect(written.flows.companion.loggedInRatio.ratio).toBeGreaterThan(0);
    expect(written.flows.floorRatioWithoutLogLine.ratio).toBeGreaterThan(0);
    expect(written.coldStart.peerComparison.bytesRatio).toBeGreaterThan(0);
    expect(written.cpuProfile.top.length).toBeGreaterThan(0);
    expect(written.sealing).toMatchObject({ iterations: 200, rounds: 3 });
    expect(written.options).toMatchObject({ quick: true, cpuProfileRequests: 500 });
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
