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

/**
 * median(numerators) / median(denominators) and a percentile bootstrap interval for it, resampling
 * the pairs together (numerators[i] was measured next to denominators[i], so they share the
 * machine's noise at that moment). Says whether a ratio near a target is distinguishable from it.
 * @example ratioOfMedians(loggedInUs, floorUs).high <= 1.15
 */
export function ratioOfMedians(
  numerators: readonly number[],
  denominators: readonly number[],
  options: { resamples?: number; confidence?: number; random?: () => number } = {},
): RatioInterval {
  if (numerators.length !== denominators.length || numerators.length === 0) {
    throw new RangeError('ratioOfMedians needs two non-empty arrays of paired samples');
  }
  const { resamples = 1000, confidence = 0.95, random = seededRandom(1) } = options;
  const count = numerators.length;
  const ratios: number[] = [];
  const top = new Float64Array(count);
  const bottom = new Float64Array(count);
  for (let resample = 0; resample < resamples; resample++) {
    for (let index = 0; index < count; index++) {
      const pick = Math.floor(random() * count);
      top[index] = numerators[pick];
      bottom[index] = denominators[pick];
    }
    ratios.push(median(top) / median(bottom));
  }
  ratios.sort((a, b) => a - b);
  const tail = (1 - confidence) / 2;
  return {
    ratio: median(Float64Array.from(numerators)) / median(Float64Array.from(denominators)),
    low: quantile(ratios, tail),
    high: quantile(ratios, 1 - tail),
    confidence,
  };
}
