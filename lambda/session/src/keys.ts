/**
 * Signing keys beyond `StaticKeys`: keys read from Secrets Manager, the versioned key-set
 * document, and its two-phase rotation as pure functions (the Secrets Manager rotation step that
 * applies them is `./rotation`). Loads without `@aws-sdk/client-secrets-manager`:
 * `SecretsManagerKeys` imports it at its first read.
 *
 * @packageDocumentation
 */

export { DEFAULT_KEY_REFRESH_SECONDS } from './constants.js';
export { parseSigningKeys } from './keys/keyProvider.js';
export { SecretsManagerKeys, type SecretsManagerKeysOptions } from './keys/SecretsManagerKeys.js';
export {
  DEFAULT_KEY_PROMOTE_AFTER_SECONDS,
  formatSigningKeySet,
  KEY_ROTATION_MARGIN_SECONDS,
  keyRotationDelays,
  newSigningKey,
  parseSigningKeySet,
  type RotateSigningKeySetOptions,
  rotateSigningKeySet,
  SIGNING_KEY_SET_VERSION,
  type SigningKeyEntry,
  type SigningKeySet,
  signingKeysOf,
} from './keys/signingKeySet.js';
