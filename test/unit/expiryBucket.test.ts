import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { sweptBuckets } from '../../lambda/session/src/store/expirySweep';
import { expiryBucket } from '../../lambda/session/src/sweep';
import { fuzz } from '../fuzz/fuzz';

// The index key an item written with `expiry: 'sweeper'` holds, `<hour>.<shard>`, and its one
// promise to the sweeper: a bucket is swept only once every expiry in it has passed.

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** An item id as the library makes one: base64url SHA-256 of a random token. */
function anItemId(): string {
  return createHash('sha256').update(randomBytes(32)).digest('base64url');
}

describe('expiryBucket', () => {
  it.each([
    ['A', 0, '0.0'],
    ['H', 3599, '0.7'],
    ['I', 3600, '1.0'],
    ['Q', 1768478400, '491244.0'],
    ['z', 1768481999, '491244.3'], // 51 % 8
    ['-', 7200, '2.6'], // 62 % 8
    ['_', 7201, '2.7'], // 63 % 8
  ])('of an id starting %s expiring at %d is %s', (first, expiresAt, bucket) => {
    expect(expiryBucket(`${first}rest-of-the-id`, expiresAt)).toBe(bucket);
  });

  it('takes the hour from expiresAt and the shard from the id’s first character only', () => {
    expect(expiryBucket('Abc', 10)).toBe(expiryBucket('Azz', 3599));
    expect(expiryBucket('Abc', 10)).not.toBe(expiryBucket('Bbc', 10));
  });

  it('spreads the 64 base64url first characters evenly over the 8 shards', () => {
    // Act
    const perShard = new Map<string, number>();
    for (const first of BASE64URL) {
      const shard = expiryBucket(first, 0).split('.')[1];
      perShard.set(shard, (perShard.get(shard) ?? 0) + 1);
    }

    // Assess
    expect([...perShard.entries()].sort()).toEqual(
      ['0', '1', '2', '3', '4', '5', '6', '7'].map((shard) => [shard, 8]),
    );
  });

  it('gives any other id a shard too, from its first UTF-16 code unit', () => {
    expect(expiryBucket('é', 0)).toBe(`0.${'é'.charCodeAt(0) % 8}`);
    expect(expiryBucket('.', 0)).toBe(`0.${'.'.charCodeAt(0) % 8}`);
  });

  it.each([
    ['an empty id', '', 0],
    ['NaN', 'A', Number.NaN],
    ['Infinity', 'A', Number.POSITIVE_INFINITY],
  ])('refuses %s with a TypeError', (_label, id, expiresAt) => {
    expect(() => expiryBucket(id, expiresAt)).toThrow(TypeError);
  });

  it('of a real item id is `<hour>.<shard>` with a shard from 0 to 7', () => {
    expect(expiryBucket(anItemId(), 1768478400)).toMatch(/^491244\.[0-7]$/);
  });
});

describe('the buckets a sweep reads', () => {
  it('hold an item exactly when its expiry hour is among the lookback’s, and then its validUntil has passed', () => {
    fuzz(
      fc.property(
        fc.constantFrom(...BASE64URL),
        // validUntil and the sweep's now, in epoch ms around 2026, and a lookback of 1 to 48 hours
        fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }),
        fc.integer({ min: 0, max: 100 * 3600 * 1000 }),
        fc.integer({ min: 1, max: 48 }),
        (first, validUntil, after, lookbackHours) => {
          const now = validUntil - 3 * 3600 * 1000 + after;
          const expiresAt = Math.floor(validUntil / 1000); // as the store writes it
          const bucket = expiryBucket(`${first}id`, expiresAt);
          const hour = Math.floor(expiresAt / 3600);
          const currentHour = Math.floor(now / 3600 / 1000);

          const swept = sweptBuckets(now, lookbackHours).includes(bucket);

          expect(swept).toBe(hour >= currentHour - lookbackHours && hour < currentHour);
          if (swept) expect(validUntil).toBeLessThan(now);
        },
      ),
    );
  });
});
