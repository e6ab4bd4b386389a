import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Timed flows, after `warmupFlows` that are checked but not recorded. */
  flows: number;
  /** Logged-in `GET /` requests per flow. */
  k: number;
  warmupFlows: number;
  /** Fresh processes per bundle for the load time. */
  loadRuns: number;
  /** Simulated browsing per page-view interval in the sliding-refresh part. */
  browsingMinutes: number;
  /** The expiry sweep's sessions: expired ones over the hours swept, and live ones it must keep. */
  sweepExpired: number;
  sweepLive: number;
  quick: boolean;
  help: boolean;
}

export const DEFAULTS = {
  flows: 300,
  k: 5,
  warmupFlows: 20,
  loadRuns: 31,
  browsingMinutes: 120,
  sweepExpired: 2000,
  sweepLive: 200,
} as const;
export const QUICK = {
  flows: 50,
  k: 5,
  warmupFlows: 10,
  loadRuns: 5,
  browsingMinutes: 30,
  sweepExpired: 400,
  sweepLive: 40,
} as const;

export const USAGE = `usage: npm run bench -- [--flows N] [--k N] [--runs N] [--quick] [--help]

  --flows N   timed flows (default ${DEFAULTS.flows}; --quick ${QUICK.flows})
  --k N       logged-in GET / requests per flow (default ${DEFAULTS.k})
  --runs N    fresh node processes per bundle for the load time (default ${DEFAULTS.loadRuns}; --quick ${QUICK.loadRuns})
  --quick     a short run: ${QUICK.flows} flows, ${QUICK.warmupFlows} warm-up flows, ${QUICK.loadRuns} load runs,
              ${QUICK.browsingMinutes} min of simulated browsing (default ${DEFAULTS.browsingMinutes}), an expiry sweep
              of ${QUICK.sweepExpired} expired and ${QUICK.sweepLive} live sessions (default ${DEFAULTS.sweepExpired} and ${DEFAULTS.sweepLive})
  --help      this text

Results: tables on stdout and JSON in bench-results/ (bench-<time>.json and latest.json); the
handlers' log lines in bench-results/handler-output.log.
Exits non-zero when a correctness check fails; a missed performance target is only reported.`;

function positiveInteger(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || !Number.isSafeInteger(value)) {
    throw new TypeError(`--${flag}: expected a whole number of at least 1, got "${raw}"`);
  }
  return value;
}

/**
 * The bench's command-line options; unknown flags and bad numbers throw a `TypeError` naming the flag.
 * @example parseBenchOptions(['--quick', '--flows', '20']) // { flows: 20, loadRuns: 5, … }
 */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      flows: { type: 'string' },
      k: { type: 'string' },
      runs: { type: 'string' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const base = values.quick ? QUICK : DEFAULTS;
  return {
    flows: positiveInteger('flows', values.flows, base.flows),
    k: positiveInteger('k', values.k, base.k),
    warmupFlows: base.warmupFlows,
    loadRuns: positiveInteger('runs', values.runs, base.loadRuns),
    browsingMinutes: base.browsingMinutes,
    sweepExpired: base.sweepExpired,
    sweepLive: base.sweepLive,
    quick: values.quick === true,
    help: values.help === true,
  };
}
