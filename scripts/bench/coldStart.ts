import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FUNCTIONS, type FunctionName } from '../../lambda/contract';
import { FUNCTION_BUNDLING } from '../../lib/bundling';
import {
  type BuiltBundle,
  bundleFunction,
  MIDDY_ENTRY,
  PEER_ENTRY,
  REFERENCE_ENTRY,
  type SdkMode,
} from './bundle';
import { BENCH_TABLE, OFFLINE_AWS_ENV, PROJECT_ROOT, randomSigningKey } from './constants';
import { dedupePackages, type MergedCopy } from './dedupe';
import { BenchCheckError } from './errors';
import { type RatioInterval, ratioOfMedians, type Summary, summarize } from './stats';

export type BundleName = FunctionName | 'middy' | 'peer' | 'reference';

/** As the stack's function environment sets it: Node reads each bundle's source map at load. */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';

export interface LoadMeasurement {
  bytes: number;
  mapBytes: number;
  /** Milliseconds spent in `require(bundle)` in a fresh process (node's own start excluded). */
  loadMs: Summary;
  /** Median resident set size right after the load, in MB. */
  rssMb: number;
}

export interface ColdStartEntry {
  name: BundleName;
  label: string;
  sdk: Record<SdkMode, LoadMeasurement>;
}

/** Ours against the peer, on the bundles that deploy (SDK bundled). */
export interface PeerLoadComparison {
  /** Our largest function bundle. */
  largest: FunctionName;
  /** Its bytes over the peer bundle's. */
  bytesRatio: number;
  /** Our function with the slowest median load. */
  slowest: FunctionName;
  /**
   * Its median load time over the peer's, with a 95% bootstrap interval: the two were loaded in
   * the same round of each run, so the i-th loads are resampled as a pair.
   */
  loadRatio: RatioInterval;
}

export interface ColdStartResult {
  runs: number;
  nodeOptions: string;
  /** index, login, logout, the peer, then the DynamoDB-client-only reference. */
  entries: ColdStartEntry[];
  peerComparison: PeerLoadComparison;
  /**
   * Copies of a package the peer's bundle took from another install folder of the same
   * name@version, as a project of its own would have it (dedupe.ts); SDK bundled build.
   */
  peerMergedCopies: MergedCopy[];
  /** The deployed index bundle loaded without NODE_OPTIONS: what reading its source map costs. */
  indexWithoutSourceMaps: LoadMeasurement;
  /** The index bundle built with esbuild's default main fields (CommonJS builds): what `mainFields` saves. */
  indexCommonJsBuilds: LoadMeasurement;
}

export interface ColdStartOptions {
  /** Fresh processes per bundle and SDK mode. */
  runs: number;
  report?: (line: string) => void;
}

const LABELS: Record<BundleName, string> = {
  index: 'index',
  login: 'login',
  logout: 'logout',
  sessions: 'sessions',
  middy: 'index on Middy (information)',
  peer: 'peer (Express, one function)',
  reference: 'DynamoDB client only',
};

const ENTRIES: Record<BundleName, string | { name: string; source: string }> = {
  index: FUNCTIONS.index.entry,
  login: FUNCTIONS.login.entry,
  logout: FUNCTIONS.logout.entry,
  sessions: FUNCTIONS.sessions.entry,
  middy: MIDDY_ENTRY,
  peer: PEER_ENTRY,
  reference: REFERENCE_ENTRY,
};

/**
 * Runs in the fresh process: times `require(bundle)` alone, so node's own start (the same for
 * every bundle) is left out, and reports what the module exports.
 */
const LOAD_SCRIPT = `
const { performance } = require('node:perf_hooks');
const started = performance.now();
const loaded = require(process.argv[1]);
const loadMs = performance.now() - started;
process.stdout.write(JSON.stringify({
  loadMs,
  rssBytes: process.memoryUsage().rss,
  handler: typeof loaded.handler,
  reference: typeof loaded.c,
}));
`;

interface Variant {
  name: BundleName;
  sdk: SdkMode;
  nodeOptions: string;
  bundle: BuiltBundle;
}

/**
 * Bundles each function and the peer's entry exactly as the stack bundles functions
 * (lib/bundling.ts), once with the AWS SDK bundled (as deployed) and once with it left to the
 * runtime, plus the reference bundle that only loads the DynamoDB client; then loads every bundle
 * `runs` times, each in a fresh `node` process, round-robin so that all see the same machine
 * noise. Bundles go to a temporary folder, removed at the end.
 * @example const result = await runColdStart({ runs: 31 });
 */
export async function runColdStart(options: ColdStartOptions): Promise<ColdStartResult> {
  const report = options.report ?? (() => undefined);
  const folder = await mkdtemp(path.join(tmpdir(), 'sessions-bench-'));
  try {
    report(
      'bundling: index, login, logout, sessions, index on Middy, the peer and the reference (SDK bundled and external)',
    );
    const functionNames = Object.keys(FUNCTIONS) as FunctionName[];
    const names: BundleName[] = [...functionNames, 'middy', 'peer', 'reference'];
    const peerDedupe = { bundled: dedupePackages(), external: dedupePackages() };
    const built: Variant[] = await Promise.all(
      names.flatMap((name) =>
        (['bundled', 'external'] as const).map(async (sdk) => ({
          name,
          sdk,
          nodeOptions: LAMBDA_NODE_OPTIONS,
          bundle: await bundleFunction(
            ENTRIES[name],
            path.join(folder, `${name}-${sdk}`),
            sdk,
            FUNCTION_BUNDLING,
            name === 'peer' ? [peerDedupe[sdk].plugin] : [],
          ),
        })),
      ),
    );
    const deployedIndex = built.find((variant) => variant.name === 'index' && variant.sdk === 'bundled');
    if (!deployedIndex) throw new Error('no index bundle');
    const withoutSourceMaps: Variant = { ...deployedIndex, nodeOptions: '' };
    // Without mainFields esbuild takes each package's `main`: its CommonJS build.
    const { mainFields: _, ...commonJsBundling } = FUNCTION_BUNDLING;
    const commonJsBuilds: Variant = {
      ...deployedIndex,
      bundle: await bundleFunction(
        FUNCTIONS.index.entry,
        path.join(folder, 'index-commonjs'),
        'bundled',
        commonJsBundling,
      ),
    };
    const variants = [...built, withoutSourceMaps, commonJsBuilds];

    const samples = new Map<Variant, { loadMs: number[]; rssMb: number[] }>(
      variants.map((variant) => [variant, { loadMs: [], rssMb: [] }]),
    );
    for (let run = 0; run < options.runs; run++) {
      report(`loading bundles in fresh processes: run ${run + 1}/${options.runs}`);
      // Rotate the order each run so no bundle always follows the same one.
      for (let index = 0; index < variants.length; index++) {
        const variant = variants[(index + run) % variants.length];
        const loaded = await loadInFreshProcess(variant);
        samples.get(variant)?.loadMs.push(loaded.loadMs);
        samples.get(variant)?.rssMb.push(loaded.rssBytes / 1024 / 1024);
      }
    }

    const measure = (variant: Variant | undefined): LoadMeasurement => {
      const measured = variant && samples.get(variant);
      if (!variant || !measured) throw new Error('no such variant');
      return {
        bytes: variant.bundle.bytes,
        mapBytes: variant.bundle.mapBytes,
        loadMs: summarize(measured.loadMs),
        rssMb: summarize(measured.rssMb).median,
      };
    };
    const deployed = (name: BundleName) => {
      const variant = built.find((candidate) => candidate.name === name && candidate.sdk === 'bundled');
      if (!variant) throw new Error(`no ${name} bundle`);
      return variant;
    };
    const measurement = (name: BundleName, sdk: SdkMode) =>
      measure(built.find((candidate) => candidate.name === name && candidate.sdk === sdk));
    const loadSamples = (name: BundleName) => samples.get(deployed(name))?.loadMs ?? [];
    const largest = maxBy(functionNames, (name) => deployed(name).bundle.bytes);
    const slowest = maxBy(functionNames, (name) => summarize(loadSamples(name)).median);
    return {
      runs: options.runs,
      nodeOptions: LAMBDA_NODE_OPTIONS,
      entries: names.map((name) => ({
        name,
        label: LABELS[name],
        sdk: { bundled: measurement(name, 'bundled'), external: measurement(name, 'external') },
      })),
      peerComparison: {
        largest,
        bytesRatio: deployed(largest).bundle.bytes / deployed('peer').bundle.bytes,
        slowest,
        loadRatio: ratioOfMedians(loadSamples(slowest), loadSamples('peer')),
      },
      peerMergedCopies: peerDedupe.bundled.merged,
      indexWithoutSourceMaps: measure(withoutSourceMaps),
      indexCommonJsBuilds: measure(commonJsBuilds),
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function maxBy<T>(items: readonly T[], key: (item: T) => number): T {
  return items.reduce((best, item) => (key(item) > key(best) ? item : best));
}

/** The environment of a fresh process: what the handler module needs at import, and no AWS. */
function childEnvironment(sdk: SdkMode, nodeOptions: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    NODE_OPTIONS: nodeOptions,
    ...OFFLINE_AWS_ENV,
    POWERTOOLS_SERVICE_NAME: 'sessions',
    TABLE_NAME: BENCH_TABLE,
    SESSION_SECRET: randomSigningKey(),
    // SDK external: resolved from the repository's node_modules, as the runtime's copy would be.
    // SDK bundled: no NODE_PATH, so a module missing from the bundle fails instead of being found here.
    ...(sdk === 'external' ? { NODE_PATH: path.join(PROJECT_ROOT, 'node_modules') } : {}),
  };
}

function loadInFreshProcess(variant: Variant): Promise<{ loadMs: number; rssBytes: number }> {
  const step = `cold start: ${LABELS[variant.name]} (SDK ${variant.sdk}, NODE_OPTIONS="${variant.nodeOptions}")`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', LOAD_SCRIPT, variant.bundle.file],
      {
        env: childEnvironment(variant.sdk, variant.nodeOptions),
        timeout: 60_000,
        cwd: path.dirname(variant.bundle.file),
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(new BenchCheckError(step, 'the bundle to load', `${error.message}\n${stderr}`.trim()));
          return;
        }
        let result: { loadMs: number; rssBytes: number; handler: string; reference: string };
        try {
          result = JSON.parse(stdout);
        } catch {
          reject(
            new BenchCheckError(step, 'a JSON line from the loader', JSON.stringify(stdout.slice(0, 300))),
          );
          return;
        }
        const exported = variant.name === 'reference' ? result.reference : result.handler;
        if (exported !== 'function') {
          const what = variant.name === 'reference' ? 'export c (DynamoDBClient)' : 'export handler';
          reject(new BenchCheckError(step, `a function ${what}`, exported));
          return;
        }
        resolve(result);
      },
    );
  });
}
