/** Order statistics of one set of samples (same unit as the samples). */
export interface Summary {
  count: number;
  median: number;
  p99: number;
}

/**
 * The q-quantile of sorted samples, interpolating linearly between ranks (R's type 7).
 * @example quantile([1, 2, 3, 4], 0.5) // 2.5
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (sorted.length - 1) * q;
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

/**
 * Count, median and p99 of `samples`.
 * @example summarize([120, 80, 100]).median // 100
 */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { count: sorted.length, median: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
}

/** A ratio of medians with its bootstrap confidence interval. */
export interface RatioInterval {
  ratio: number;
  low: number;
  high: number;
  /** The interval's coverage, e.g. 0.95. */
  confidence: number;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same interval. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

function median(values: Float64Array): number {
  values.sort();
  return quantile(values, 0.5);
}

/** A difference of medians (or a sum of them) with its bootstrap confidence interval, in the samples' unit. */
export interface DifferenceInterval {
  difference: number;
  low: number;
  high: number;
  /** The interval's coverage, e.g. 0.95. */
  confidence: number;
}

interface BootstrapOptions {
  resamples?: number;
  confidence?: number;
  random?: () => number;
}

/**
 * `statistic` of the columns' medians, and a percentile bootstrap interval for it, resampling the
 * rows together: `columns[c][i]` were all measured next to each other, so they share the
 * machine's noise at that moment.
 */
function pairedMedianStatistic(
  name: string,
  columns: readonly (readonly number[])[],
  statistic: (medians: readonly number[]) => number,
  options: BootstrapOptions,
): { value: number; low: number; high: number; confidence: number } {
  const count = columns[0]?.length ?? 0;
  if (count === 0 || columns.some((column) => column.length !== count)) {
    throw new RangeError(`${name} needs non-empty arrays of paired samples`);
  }
  const { resamples = 1000, confidence = 0.95, random = seededRandom(1) } = options;
  const values: number[] = [];
  const resampled = columns.map(() => new Float64Array(count));
  for (let resample = 0; resample < resamples; resample++) {
    for (let index = 0; index < count; index++) {
      const pick = Math.floor(random() * count);
      for (let column = 0; column < columns.length; column++)
        resampled[column][index] = columns[column][pick];
    }
    values.push(statistic(resampled.map(median)));
  }
  values.sort((a, b) => a - b);
  const tail = (1 - confidence) / 2;
  return {
    value: statistic(columns.map((column) => median(Float64Array.from(column)))),
    low: quantile(values, tail),
    high: quantile(values, 1 - tail),
    confidence,
  };
}

/**
 * median(numerators) / median(denominators) and a percentile bootstrap interval for it, resampling
 * the pairs together (numerators[i] was measured next to denominators[i], so they share the
 * machine's noise at that moment). Says whether a ratio near a target is distinguishable from it.
 * @example ratioOfMedians(loggedInUs, floorUs).high <= 1.15
 */
export function ratioOfMedians(
  numerators: readonly number[],
  denominators: readonly number[],
  options: BootstrapOptions = {},
): RatioInterval {
  const { value, ...interval } = pairedMedianStatistic(
    'ratioOfMedians',
    [numerators, denominators],
    ([top, bottom]) => top / bottom,
    options,
  );
  return { ratio: value, ...interval };
}

/**
 * median(minuends) − median(subtrahends) with a paired bootstrap interval, as `ratioOfMedians`:
 * what one variant of a request adds to another measured next to it.
 * @example differenceOfMedians(withSchemaUs, withoutSchemaUs).difference // µs per view
 */
export function differenceOfMedians(
  minuends: readonly number[],
  subtrahends: readonly number[],
  options: BootstrapOptions = {},
): DifferenceInterval {
  return sumOfDifferences([[minuends, subtrahends]], options);
}

/**
 * Σ (median(a) − median(b)) over paired `[a, b]` columns, all measured round by round together,
 * with a bootstrap interval resampling the rounds: the added time of work spread over several
 * requests (the request that flashes and the page that shows it, each over a plain page view).
 * @example sumOfDifferences([[flashUs, plainUs], [shownUs, plainUs]]).difference
 */
export function sumOfDifferences(
  pairs: readonly (readonly [readonly number[], readonly number[]])[],
  options: BootstrapOptions = {},
): DifferenceInterval {
  if (pairs.length === 0) throw new RangeError('sumOfDifferences needs at least one pair');
  const { value, ...interval } = pairedMedianStatistic(
    'differenceOfMedians',
    pairs.flat(),
    (medians) => {
      let sum = 0;
      for (let pair = 0; pair < medians.length; pair += 2) sum += medians[pair] - medians[pair + 1];
      return sum;
    },
    options,
  );
  return { difference: value, ...interval };
}

/**
 * An interval divided by a count: a view's added time per value it read, a batch's per call.
 * @example perUnit(differenceOfMedians(withSchema, without), 10) // µs per value
 */
export function perUnit(interval: DifferenceInterval, units: number): DifferenceInterval {
  if (!(units > 0)) throw new RangeError(`perUnit needs a positive count, got ${units}`);
  return {
    difference: interval.difference / units,
    low: interval.low / units,
    high: interval.high / units,
    confidence: interval.confidence,
  };
}
