import { assertSigningKeys } from './KeyRing.js';
import { parseSigningKeySet, signingKeysOf } from './signingKeySet.js';

/**
 * Where the signing keys come from. `getKeys` is called once per `load`/`attach`: cache inside and
 * return the same array while the keys are unchanged (the manager reuses its key ring per array).
 * Throw to fail the request: the manager reports any error but `SigningKeyError` as
 * `SessionUnavailableError`.
 * @example
 * const keys: KeyProvider = { getKeys: async () => ['current-key', 'previous-key'] };
 */
export interface KeyProvider {
  /** The keys, signing key first: the first signs, all verify. */
  getKeys(): Promise<readonly string[]>;
}

/**
 * Keys from the text an environment variable or a secret holds, signing key first: a
 * comma-separated list (`new,old`: the first signs, the rest only verify; spaces around a key are
 * trimmed, and an empty entry is an error, because a stray comma would otherwise silently drop a
 * key), or the JSON key-set document of the managed rotation (`parseSigningKeySet`).
 * @example parseSigningKeys('new-key-0123456789abcdef0123456789, old-key-0123456789abcdef0123456789'); // ['new-key-…', 'old-key-…']
 */
export function parseSigningKeys(text: string | undefined): string[] {
  return signingKeysOf(parseSigningKeySet(text));
}

/**
 * Keys fixed for the life of the process (an environment variable, a test). Checked here, so a
 * bad key fails at start-up, not at the first request.
 * @example new SessionManager({ ..., keys: new StaticKeys(['current-key', 'previous-key']) });
 */
export class StaticKeys implements KeyProvider {
  private readonly keys: Promise<readonly string[]>;

  constructor(keys: readonly string[]) {
    assertSigningKeys(keys);
    this.keys = Promise.resolve(Object.freeze([...keys]));
  }

  getKeys(): Promise<readonly string[]> {
    return this.keys;
  }
}
