import { parseBenchOptions } from '../../scripts/bench/options';

describe('bench options', () => {
  test('--cpu-profile profiles the default or quick number of requests; off by default', () => {
    expect(parseBenchOptions([]).cpuProfileRequests).toBe(0);
    expect(parseBenchOptions(['--cpu-profile']).cpuProfileRequests).toBe(2000);
    expect(parseBenchOptions(['--quick', '--cpu-profile']).cpuProfileRequests).toBe(500);
    expect(() => parseBenchOptions(['--cpu-profiles'])).toThrow(/cpu-profiles/);
  });

  test('the sealing loops run 50,000 page views each, 10,000 with --quick', () => {
    expect(parseBenchOptions([]).sealingIterations).toBe(50_000);
    expect(parseBenchOptions(['--quick']).sealingIterations).toBe(10_000);
  });
});
