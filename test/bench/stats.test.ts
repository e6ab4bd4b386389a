import {
  differenceOfMedians,
  perUnit,
  quantile,
  ratioOfMedians,
  seededRandom,
  summarize,
  sumOfDifferences,
} from '../../scripts/bench/stats';

describe('bench statistics', () => {
  test('quantiles interpolate between ranks', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile(Float64Array.from([10, 20, 30]), 0.99)).toBeCloseTo(29.8);
    expect(summarize([120, 80, 100])).toEqual({ count: 3, median: 100, p99: expect.closeTo(119.6) });
  });

  test('a seeded random sequence repeats and stays in [0, 1)', () => {
    const first = seededRandom(7);
    const second = seededRandom(7);
    const values = Array.from({ length: 1000 }, () => first());
    expect(values).toEqual(Array.from({ length: 1000 }, () => second()));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(new Set(values).size).toBe(1000);
  });

  test('the ratio of medians of exactly proportional pairs has no spread', () => {
    const floor = Array.from({ length: 200 }, (_, index) => 1000 + ((index * 37) % 500));
    const page = floor.map((micros) => micros * 1.1);

    const interval = ratioOfMedians(page, floor, { resamples: 200 });

    expect(interval.ratio).toBeCloseTo(1.1, 10);
    expect(interval.low).toBeCloseTo(1.1, 10);
    expect(interval.high).toBeCloseTo(1.1, 10);
  });

  test('noisy pairs give an interval around the true ratio that narrows with more samples', () => {
    const random = seededRandom(42);
    const pairs = (count: number) => {
      const floor = Array.from({ length: count }, () => 2000 + random() * 2000);
      // The page is the floor plus 300 µs of our own work, plus independent noise.
      const page = floor.map((micros) => micros + 300 + (random() - 0.5) * 400);
      return { page, floor };
    };
    const small = pairs(100);
    const large = pairs(3000);

    const few = ratioOfMedians(small.page, small.floor, { resamples: 300 });
    const many = ratioOfMedians(large.page, large.floor, { resamples: 300 });

    for (const interval of [few, many]) {
      expect(interval.low).toBeLessThanOrEqual(interval.ratio);
      expect(interval.high).toBeGreaterThanOrEqual(interval.ratio);
      expect(interval.low).toBeLessThan(1.1); // 300 µs over a ~3000 µs median
      expect(interval.high).toBeGreaterThan(1.1);
      expect(interval.confidence).toBe(0.95);
    }
    expect(many.high - many.low).toBeLessThan(few.high - few.low);
  });

  test('refuses unpaired or empty samples', () => {
    expect(() => ratioOfMedians([1, 2], [1])).toThrow(RangeError);
    expect(() => ratioOfMedians([], [])).toThrow(RangeError);
  });

  test('the difference of medians of pairs a constant apart has no spread, and divides per unit', () => {
    const plain = Array.from({ length: 200 }, (_, index) => 3000 + ((index * 37) % 900));
    const validated = plain.map((micros) => micros + 25);

    const interval = differenceOfMedians(validated, plain, { resamples: 200 });
    const perValue = perUnit(interval, 10);

    expect(interval).toEqual({ difference: 25, low: 25, high: 25, confidence: 0.95 });
    expect(perValue).toEqual({ difference: 2.5, low: 2.5, high: 2.5, confidence: 0.95 });
    expect(() => perUnit(interval, 0)).toThrow(RangeError);
  });

  test('a noisy difference near zero gets an interval that spans zero', () => {
    const random = seededRandom(3);
    const plain = Array.from({ length: 1000 }, () => 2000 + random() * 2000);
    // Same work, independent noise: nothing added.
    const same = plain.map((micros) => micros + (random() - 0.5) * 300);

    const interval = differenceOfMedians(same, plain, { resamples: 300 });

    expect(interval.low).toBeLessThan(0);
    expect(interval.high).toBeGreaterThan(0);
    expect(interval.low).toBeLessThanOrEqual(interval.difference);
    expect(interval.high).toBeGreaterThanOrEqual(interval.difference);
  });

  test('a sum of differences adds what each request of a round trip adds over the same plain view', () => {
    const plain = Array.from({ length: 101 }, (_, index) => 1000 + index);
    const flashing = plain.map((micros) => micros + 700);
    const showing = plain.map((micros) => micros + 900);

    const roundTrip = sumOfDifferences(
      [
        [flashing, plain],
        [showing, plain],
      ],
      { resamples: 100 },
    );

    expect(roundTrip.difference).toBe(1600);
    expect(roundTrip.low).toBeCloseTo(1600, 10);
    expect(roundTrip.high).toBeCloseTo(1600, 10);
    expect(() => sumOfDifferences([])).toThrow(RangeError);
    expect(() => sumOfDifferences([[flashing, plain.slice(1)]])).toThrow(RangeError);
  });
});
