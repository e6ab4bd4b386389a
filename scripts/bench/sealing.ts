import { hashToken, newToken } from '../../lambda/session/src/KeyRing';
import { type SealedValues, SessionSeal } from '../../lambda/session/src/SessionSeal';
import { BenchCheckError } from './errors';

export interface SealingBenchOptions {
  /** Page views per round, in one tight loop. */
  iterations: number;
  /** Rounds of each loop, alternated; the medians are reported. */
  rounds: number;
}

export interface SealingBenchResult {
  iterations: number;
  rounds: number;
  /** A logged-in page view's sealing work: the item key, both derived keys, opening the username. */
  openUs: number;
  /** What a page view computed before sealing: the item key alone (SHA-256 of the token). */
  itemKeyUs: number;
  /** `openUs - itemKeyUs`: what sealing adds to a logged-in page view. */
  addedPerViewUs: number;
  /** A login's sealing work: deriving the keys and sealing the username (information). */
  sealUs: number;
}

const USERNAME = 'bench-sealing-user';

/** Rounds of the sealing loops in `npm run bench`: the medians are reported. */
export const SEALING_ROUNDS = 7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Microseconds per call of `work`, over `iterations` calls in one loop. */
function perCall(iterations: number, work: () => void): number {
  const started = performance.now();
  for (let i = 0; i < iterations; i++) work();
  return ((performance.now() - started) * 1000) / iterations;
}

/**
 * What sealing costs a page view, measured in tight loops on this process: a logged-in `GET /`
 * now derives the session's keys from its token and opens the one stored value (the username),
 * where it used to compute only the item key. Each round runs every loop once, alternating, and
 * the medians over rounds are reported. Each page view's result is checked: a wrong answer
 * throws `BenchCheckError`.
 * @example const { addedPerViewUs } = runSealingBench({ iterations: 20_000, rounds: 7 });
 */
export function runSealingBench(options: SealingBenchOptions): SealingBenchResult {
  const token = newToken();
  // As the document client hands the item over: plain Uint8Array values.
  const stored: SealedValues = {};
  for (const [tag, value] of Object.entries(new SessionSeal(token).sealAll({ username: USERNAME }))) {
    stored[tag] = Uint8Array.from(value);
  }
  let keys = '';
  const pageView = () => {
    const { data, rejected } = new SessionSeal(token).openAll(stored);
    if (rejected !== 0 || data.username !== USERNAME) {
      throw new BenchCheckError('sealing: open', `{ username: ${USERNAME} }`, JSON.stringify({ ...data }));
    }
  };
  const itemKeyOnly = () => {
    keys = hashToken(token);
  };
  const login = () => {
    new SessionSeal(token).sealAll({ username: USERNAME });
  };
  const warmup = Math.min(options.iterations, 2000);
  perCall(warmup, pageView);
  perCall(warmup, itemKeyOnly);
  perCall(warmup, login);

  const open: number[] = [];
  const itemKey: number[] = [];
  const seal: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    open.push(perCall(options.iterations, pageView));
    itemKey.push(perCall(options.iterations, itemKeyOnly));
    seal.push(perCall(options.iterations, login));
  }
  if (keys !== hashToken(token)) throw new BenchCheckError('sealing: item key', 'SHA-256 of the token', keys);
  const openUs = median(open);
  const itemKeyUs = median(itemKey);
  return {
    iterations: options.iterations,
    rounds: options.rounds,
    openUs,
    itemKeyUs,
    addedPerViewUs: openUs - itemKeyUs,
    sealUs: median(seal),
  };
}
