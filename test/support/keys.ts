import { MIN_SIGNING_KEY_BYTES } from '../../lambda/session/src/constants';

/**
 * A signing key for tests, named after its role and as long as the library requires (keys under
 * 32 bytes are refused): `testKey('old')` and `testKey('new')` are distinct, readable keys.
 * @example const ring = new KeyRing([testKey('new'), testKey('old')]);
 */
export function testKey(name: string): string {
  return `${name}-test-signing-key-`.padEnd(MIN_SIGNING_KEY_BYTES, '0');
}

/** The key the tests' managers sign with (and MAC the clear fields with): first in their rings. */
export const CURRENT_KEY = testKey('current');
/** A key the tests' managers still verify with: second in their default ring. */
export const OLD_KEY = testKey('old');
