import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FUNCTION_NAMES, FUNCTIONS, type FunctionName } from '../../lambda/contract';
import { FUNCTION_BUNDLING } from '../../lib/bundling';
import { type BuiltBundle, bundleFunction } from './bundle';
import { BENCH_TABLE, BenchCheckError, OFFLINE_AWS_ENV, randomSigningKey } from './common';
import { dedupePackages, type MergedCopy } from './dedupe';
import { type RatioInterval, ratioOfMedians, type Summary, summarize } from './stats';

export type BundleName = FunctionName | 'middy' | 'peer' | 'reference';

/** As the stack's function environment sets it: Node reads each bundle's source map at load. */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';

/** The bundles measured, in report order: ours, the index on Middy, the peer, the DynamoDB client alone. */
const BUNDLES: readonly (readonly [BundleName, string, string | { name: string; source: string }])[] = [
  ...FUNCTION_NAMES.map((name) => [name, name, FUNCTIONS[name].entry] as const),
  ['middy', 'index on Middy (information)', 'scripts/bench/middyEntry.ts'],
  ['peer', 'peer (Express, one function)', 'scripts/bench/peer/index.ts'],
  // What every bundle here loads (ours and the peer's); its load-time target is retired.
  [
    'reference',
    'DynamoDB client only (information)',
    {
      name: 'reference',
      source:
        "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const handler = DynamoDBClient;\n",
    },
  ],
];

export interface LoadMeasurement {
  bytes: number;
  /** Milliseconds spent in `require(bundle)` in a fresh process (node's own start excluded). */
  loadMs: Summary;
}

export interface ColdStartEntry extends LoadMeasurement {
  name: BundleName;
  label: string;
}

export interface ColdStartResult {
  runs: number;
  nodeOptions: string;
  entries: ColdStartEntry[];
  /** Ours against the peer. */
  peerComparison: {
    /** Our largest function bundle, and its bytes over the peer's. */
    largest: FunctionName;
    bytesRatio: number;
    /**
     * Our function with the slowest median load, and that median over the peer's with a 95%
     * bootstrap interval (the two were loaded in the same round of each run: resampled as pairs).
     */
    slowest: FunctionName;
    loadRatio: RatioInterval;
  };
  /** Copies of a package the peer's bundle took from another install folder of the same name@version (dedupe.ts). */
  peerMergedCopies: MergedCopy[];
  /** The index bundle loaded without NODE_OPTIONS: what reading its source map costs. */
  indexWithoutSourceMaps: LoadMeasurement;
  /** The index bundle built with esbuild's default main fields (CommonJS builds): what `mainFields` saves. */
  indexCommonJsBuilds: LoadMeasurement;
}

/** Runs in the fresh process: times `require(bundle)` alone, and says whether it exports a handler. */
const LOAD_SCRIPT = `
const started = performance.now();
const loaded = require(process.argv[1]);
process.stdout.write(JSON.stringify({ loadMs: performance.now() - started, handler: typeof loaded.handler }));
`;

interface Variant {
  name: BundleName;
  label: string;
  bundle: BuiltBundle;
  nodeOptions: string;
  loadMs: number[];
}

/**
 * Bundles each function, the index on Middy, the peer's entry and the reference exactly as the
 * stack bundles functions (lib/bundling.ts, SDK bundled, as deployed; test/infra checks the
 * synthesized assets are these bytes), the peer with one copy of each package version (dedupe.ts);
 * then loads every bundle `runs` times, each in a fresh `node` process, round-robin so that all
 * see the same machine noise. Also the index without source maps and built from the packages'
 * CommonJS builds. Bundles go to a temporary folder, removed at the end.
 * @example const result = await runColdStart({ runs: 31 });
 */
export async function runColdStart(options: {
  runs: number;
  report?: (line: string) => void;
}): Promise<ColdStartResult> {
  const report = options.report ?? (() => undefined);
  const folder = await mkdtemp(path.join(tmpdir(), 'sessions-bench-'));
  try {
    report(`bundling: ${BUNDLES.map(([, label]) => label).join(', ')}`);
    const peerDedupe = dedupePackages();
    const variant = (
      name: BundleName,
      label: string,
      bundle: BuiltBundle,
      nodeOptions = LAMBDA_NODE_OPTIONS,
    ) => ({ name, label, bundle, nodeOptions, loadMs: [] }) as Variant;
    const bundles = await Promise.all(
      BUNDLES.map(async ([name, label, entry]) => {
        const plugins = name === 'peer' ? [peerDedupe.plugin] : [];
        const outdir = path.join(folder, name);
        return variant(
          name,
          label,
          await bundleFunction(entry, outdir, 'bundled', FUNCTION_BUNDLING, plugins),
        );
      }),
    );
    const bundle = (name: BundleName) => bundles.find((candidate) => candidate.name === name) as Variant;
    const withoutSourceMaps = variant('index', 'index without source maps', bundle('index').bundle, '');
    // Without mainFields esbuild takes each package's `main`: its CommonJS build.
    const { mainFields: _, ...commonJs } = FUNCTION_BUNDLING;
    const outdir = path.join(folder, 'index-commonjs');
    const commonJsBundle = await bundleFunction(FUNCTIONS.index.entry, outdir, 'bundled', commonJs);
    const commonJsBuilds = variant('index', 'index from CommonJS builds', commonJsBundle);
    const variants = [...bundles, withoutSourceMaps, commonJsBuilds];
    for (let run = 0; run < options.runs; run++) {
      report(`loading bundles in fresh processes: run ${run + 1}/${options.runs}`);
      // Rotate the order each run so no bundle always follows the same one.
      for (let index = 0; index < variants.length; index++) {
        const next = variants[(index + run) % variants.length];
        next.loadMs.push(await loadInFreshProcess(next));
      }
    }

    const measure = ({ bundle: built, loadMs }: Variant) => ({
      bytes: built.bytes,
      loadMs: summarize(loadMs),
    });
    const ours = FUNCTION_NAMES.map(bundle);
    const largest = maxBy(ours, (candidate) => candidate.bundle.bytes);
    const slowest = maxBy(ours, (candidate) => summarize(candidate.loadMs).median);
    const peer = bundle('peer');
    return {
      runs: options.runs,
      nodeOptions: LAMBDA_NODE_OPTIONS,
      entries: bundles.map((entry) => ({ name: entry.name, label: entry.label, ...measure(entry) })),
      peerComparison: {
        largest: largest.name as FunctionName,
        bytesRatio: largest.bundle.bytes / peer.bundle.bytes,
        slowest: slowest.name as FunctionName,
        loadRatio: ratioOfMedians(slowest.loadMs, peer.loadMs),
      },
      peerMergedCopies: peerDedupe.merged,
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

/** Loads the bundle in a fresh process with what its module needs at import, and no AWS; its load time in ms. */
function loadInFreshProcess(variant: Variant): Promise<number> {
  const step = `cold start: ${variant.label} (NODE_OPTIONS="${variant.nodeOptions}")`;
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_OPTIONS: variant.nodeOptions,
    ...OFFLINE_AWS_ENV,
    POWERTOOLS_SERVICE_NAME: 'sessions',
    TABLE_NAME: BENCH_TABLE,
    SESSION_SECRET: randomSigningKey(),
  };
  return new Promise((resolve, reject) => {
    // No NODE_PATH, and run from the bundle's folder: a module missing from the bundle fails.
    const options = { env, timeout: 60_000, cwd: path.dirname(variant.bundle.file) };
    execFile(process.execPath, ['-e', LOAD_SCRIPT, variant.bundle.file], options, (error, stdout, stderr) => {
      if (error) {
        reject(new BenchCheckError(step, 'the bundle to load', `${error.message}\n${stderr}`.trim()));
        return;
      }
      let loaded: { loadMs: number; handler: string } | undefined;
      try {
        loaded = JSON.parse(stdout);
      } catch {
        loaded = undefined;
      }
      if (loaded?.handler !== 'function') {
        reject(new BenchCheckError(step, 'a function export handler', JSON.stringify(stdout.slice(0, 300))));
        return;
      }
      resolve(loaded.loadMs);
    });
  });
}
