import { parseBenchOptions } from '../../scripts/bench/options';

describe('bench options', () => {
  test('--quick shortens the run; --flows, --k and --runs override it', () => {
    expect(parseBenchOptions([])).toMatchObject({
      flows: 300,
      k: 5,
      warmupFlows: 20,
      loadRuns: 31,
      sweepExpired: 2000,
      sweepLive: 200,
      quick: false,
    });
    expect(parseBenchOptions(['--quick'])).toMatchObject({
      flows: 50,
      loadRuns: 5,
      browsingMinutes: 30,
      sweepExpired: 400,
      sweepLive: 40,
    });
    expect(parseBenchOptions(['--quick', '--flows', '20', '--runs', '3'])).toMatchObject({
      flows: 20,
      loadRuns: 3,
    });
  });

  test('refuses unknown flags and bad numbers, naming the flag', () => {
    expect(() => parseBenchOptions(['--cpu-profile'])).toThrow(/cpu-profile/);
    expect(() => parseBenchOptions(['--k', '0'])).toThrow(/--k/);
  });
});
