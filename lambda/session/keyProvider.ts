import { SigningKeyError } from './errors.js';
import { assertSigningKeys } from './KeyRing.js';

/**
 * Where the signing keys come from. `getKeys` is called once per `load`/`attach`: cache inside and
 * return the same array while the keys are unchanged (the manager reuses its key ring per array).
 * Throw to fail the request: the manager reports any error but `SigningKeyError` as
 * `SessionKeysUnavailableError`.
 * @example
 * const keys: KeyProvider = { getKeys: async () => ['current-key', 'previous-key'] };
 */
export interface KeyProvider {
  /** The keys, newest first: the first signs, all verify. */
  getKeys(): Promise<readonly string[]>;
}

/**
 * Keys from a comma-separated list (`new,old`), as an environment variable or a secret holds them.
 * Surrounding spaces are trimmed; an empty entry is an error, not something to skip, because a
 * stray comma would otherwise silently drop a key.
 * @example parseSigningKeys('key-2, key-1'); // ['key-2', 'key-1']
 */
export function parseSigningKeys(text: string | undefined): string[] {
  if (text === undefined || text.trim() === '') throw new SigningKeyError('no signing key');
  const keys = text.split(',').map((key) => key.trim());
  assertSigningKeys(keys);
  return keys;
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
