import { parseArgs } from 'node:util';

/** What one load run does. */
export interface LoadOptions {
  /** Target base URL; omitted, a local app is started in-process on a fresh temporary data folder. */
  url: string | undefined;
  /** Concurrent browsers: one keep-alive connection each. */
  clients: number;
  /** Logged-in `GET /` requests per client per cycle. */
  reads: number;
  /** Cycles (log in, read, log out, check) per client; `undefined`: as many as `durationSeconds` allows. */
  cycles: number | undefined;
  /** Hard bound on the run, whatever is left unfinished. */
  durationSeconds: number;
  /** A request without an answer after this long counts as an error (timeout). */
  requestTimeoutSeconds: number;
}

export interface LoadCommand extends LoadOptions {
  quick: boolean;
  help: boolean;
}

export const DEFAULTS = { clients: 50, reads: 10, cycles: 3, durationSeconds: 20 } as const;
export const QUICK = { clients: 10, reads: 5, cycles: 5, durationSeconds: 10 } as const;
export const REQUEST_TIMEOUT_SECONDS = 10;

export const USAGE = `usage: npm run load -- [--clients N] [--reads K] [--cycles C | --cycles 0] [--duration S] [--url URL] [--quick] [--help]

Many browsers at once against the app. Each client is one keep-alive connection that, per cycle,
logs in under its own new username (POST /login with a same-origin Origin header), reads / K times
checking the page names that user, logs out, then replays its old cookie on / (must be refused).

  --clients N    concurrent clients (default ${DEFAULTS.clients}; --quick ${QUICK.clients})
  --reads K      logged-in GET / per client per cycle (default ${DEFAULTS.reads}; --quick ${QUICK.reads})
  --cycles C     cycles per client (default ${DEFAULTS.cycles}; --quick ${QUICK.cycles}); 0: until --duration ends
  --duration S   hard time limit in seconds (default ${DEFAULTS.durationSeconds}; --quick ${QUICK.durationSeconds})
  --url URL      an already running app (e.g. http://127.0.0.1:3000 from npm start); default: start one
                 in-process on 127.0.0.1, on a fresh temporary data folder removed afterwards
  --quick        a short run with the --quick values above
  --help         this text

Prints progress each second and a final table; writes JSON to load-results/load-<time>.json and
load-results/latest.json. Exits 1 when there were errors, 5xx, cross-talk or lost sessions.`;

function wholeNumber(flag: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || !Number.isSafeInteger(value)) {
    throw new TypeError(`--${flag}: expected a whole number of at least ${min}, got "${raw}"`);
  }
  return value;
}

function baseUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(`--url: expected an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`--url: expected an http(s) URL, got "${raw}"`);
  }
  return url.origin;
}

/**
 * The load command's options; unknown flags and bad values throw a `TypeError` naming the flag.
 * @example parseLoadOptions(['--quick', '--clients', '20']) // { clients: 20, reads: 5, … }
 */
export function parseLoadOptions(argv: readonly string[]): LoadCommand {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      clients: { type: 'string' },
      reads: { type: 'string' },
      cycles: { type: 'string' },
      duration: { type: 'string' },
      url: { type: 'string' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const base = values.quick ? QUICK : DEFAULTS;
  const cycles = wholeNumber('cycles', values.cycles, base.cycles, 0);
  return {
    url: baseUrl(values.url),
    clients: wholeNumber('clients', values.clients, base.clients, 1),
    reads: wholeNumber('reads', values.reads, base.reads, 1),
    cycles: cycles === 0 ? undefined : cycles,
    durationSeconds: wholeNumber('duration', values.duration, base.durationSeconds, 1),
    requestTimeoutSeconds: REQUEST_TIMEOUT_SECONDS,
    quick: values.quick === true,
    help: values.help === true,
  };
}
