/**
 * A correctness check failed: the bench stops and exits non-zero, so a fast wrong answer can
 * never look like a good result.
 * @example throw new BenchCheckError('flow 3: GET / logged in', 'status 200', 'status 503');
 */
export class BenchCheckError extends Error {
  constructor(
    readonly step: string,
    readonly expected: string,
    readonly got: string,
  ) {
    super(`${step}: expected ${expected}, got ${got}`);
    this.name = 'BenchCheckError';
  }
}
