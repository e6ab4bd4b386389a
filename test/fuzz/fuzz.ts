import fc from 'fast-check';

/**
 * Shared settings for the property-based (fuzz) tests.
 *
 * Each property runs `FUZZ_RUNS` cases (default 5000) and stops early, counting as passed, after
 * `FUZZ_TIME_LIMIT_MS` (default 5000): the suite stays inside Jest's 20 s test timeout on a slow
 * machine. A run that stopped before `MIN_RUNS` cases fails, so a property cannot pass vacuously.
 * For a long hunt: `FUZZ_RUNS=200000 FUZZ_TIME_LIMIT_MS=600000 npx jest test/fuzz --testTimeout=0`.
 * A failure prints its seed and path; replay it with `FUZZ_SEED=<seed>`.
 */
export const FUZZ_RUNS = positiveIntegerFromEnv('FUZZ_RUNS') ?? 5000;
export const FUZZ_TIME_LIMIT_MS = positiveIntegerFromEnv('FUZZ_TIME_LIMIT_MS') ?? 5000;
const FUZZ_SEED = integerFromEnv('FUZZ_SEED');
const MIN_RUNS = 500;

function integerFromEnv(name: string): number | undefined {
  const text = process.env[name]?.trim();
  if (!text) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`${name}: expected a whole number, got "${text}"`);
  return value;
}

function positiveIntegerFromEnv(name: string): number | undefined {
  const value = integerFromEnv(name);
  if (value !== undefined && value < 1) throw new Error(`${name}: expected a number above 0, got ${value}`);
  return value;
}

function parameters<Ts>(numRuns: number): fc.Parameters<Ts> {
  return {
    numRuns,
    plugins: [fc.interruptAfterTimeLimit(FUZZ_TIME_LIMIT_MS) as fc.Plugin<Ts>],
    ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }),
  };
}

function assertRun<Ts>(details: fc.RunDetails<Ts>, numRuns: number): void {
  if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? 'property failed');
  const required = Math.min(numRuns, MIN_RUNS);
  if (details.numRuns < required) {
    throw new Error(`only ${details.numRuns} of ${numRuns} runs finished in ${FUZZ_TIME_LIMIT_MS} ms`);
  }
}

/**
 * Checks a synchronous property `numRuns` times (bounded in time); throws fast-check's report,
 * with the seed and the shrunk counterexample, on failure.
 * @example fuzz(fc.property(fc.string(), (text) => { parse(text); }));
 */
export function fuzz<Ts>(property: fc.IProperty<Ts>, numRuns = FUZZ_RUNS): void {
  assertRun(fc.check(property, parameters<Ts>(numRuns)), numRuns);
}

/** As `fuzz`, for an asynchronous property. */
export async function fuzzAsync<Ts>(property: fc.IAsyncProperty<Ts>, numRuns = FUZZ_RUNS): Promise<void> {
  assertRun(await fc.check(property, parameters<Ts>(numRuns)), numRuns);
}

/** base64url text of `bytes` random bytes: the alphabet tokens and signatures are written in. */
export function base64UrlOf(bytes: number): fc.Arbitrary<string> {
  return fc
    .uint8Array({ minLength: bytes, maxLength: bytes })
    .map((array) => Buffer.from(array).toString('base64url'));
}

/** Characters that matter to the code under test, mixed with arbitrary ones. */
export function textWith(specials: readonly string[], maxLength = 40): fc.Arbitrary<string> {
  return fc.string({
    unit: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...specials) },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
      { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }) },
    ),
    maxLength,
  });
}
