/**
 * The Secrets Manager rotation function's step for the signing-key secret: Secrets Manager calls
 * it four times per rotation (create, set, test, finish), and it applies `rotateSigningKeySet`
 * (`./keys`). Needs `@aws-sdk/client-secrets-manager`. `@lambda-sessions/cdk` ships a function
 * built from it; use this entry for a rotation function of your own.
 *
 * @packageDocumentation
 */

export {
  createSecretsManagerClient,
  KeyRotationError,
  type KeyRotationSettings,
  type RotationEvent,
  type RotationStepResult,
  rotateSigningKeys,
} from './keys/rotateSigningKeys.js';
