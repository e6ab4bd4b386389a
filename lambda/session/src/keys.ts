/**
 * Signing keys beyond `StaticKeys`: keys read from Secrets Manager, the versioned key-set
 * document, and the two-phase rotation (the pure lifecycle functions and the Secrets Manager
 * rotation step that applies them). Needs `@aws-sdk/client-secrets-manager` only for
 * `SecretsManagerKeys`, `rotateSigningKeys` and `createSecretsManagerClient`.
 *
 * @packageDocumentation
 */

export { DEFAULT_KEY_REFRESH_SECONDS } from './constants.js';
export { parseSigningKeys } from './keyProvider.js';
export {
  createSecretsManagerClient,
  KeyRotationError,
  type KeyRotationSettings,
  type RotationEvent,
  type RotationStepResult,
  rotateSigningKeys,
} from './rotateSigningKeys.js';
export { SecretsManagerKeys, type SecretsManagerKeysOptions } from './SecretsManagerKeys.js';
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
} from './signingKeySet.js';
