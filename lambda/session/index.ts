/**
 * Server-side sessions for AWS Lambda: session data in DynamoDB, a signed random id in the cookie.
 * The API reference is docs/library.md. The Middy adapter is `./middy` (it needs `@middy/core`).
 */

export { type RequestDeadline, requestDeadline } from './abort.js';
export {
  DEFAULT_ABSOLUTE_TIMEOUT_SECONDS,
  DEFAULT_DEADLINE_MARGIN_MS,
  DEFAULT_IDLE_TIMEOUT_SECONDS,
  DEFAULT_KEY_REFRESH_SECONDS,
  DEFAULT_SESSION_LIST_LIMIT,
  TABLE_SCHEMA,
} from './constants.js';
export { deviceLabel } from './deviceLabel.js';
export { boundedClientConfig, createDocumentClient } from './documentClient.js';
export {
  SessionDataError,
  SessionError,
  SessionIdCollisionError,
  SessionKeysRejectedError,
  SessionKeysUnavailableError,
  SessionNotLoadedError,
  SessionStoreRejectedError,
  SessionStoreUnavailableError,
  SessionTooLargeError,
  SigningKeyError,
} from './errors.js';
export { sessionRequestFromEvent } from './httpApiEvent.js';
export { type KeyProvider, parseSigningKeys, StaticKeys } from './keyProvider.js';
export { SecretsManagerKeys, type SecretsManagerKeysOptions } from './SecretsManagerKeys.js';
export {
  type Session,
  type SessionOutcome,
  type SessionOwnerOptions,
  type SessionWrite,
  UNKNOWN_DEVICE,
} from './Session.js';
export type { SessionCookieOptions } from './SessionCookie.js';
export {
  type SessionCommitEvent,
  SessionManager,
  type SessionManagerOptions,
  type SessionRequest,
} from './SessionManager.js';
export type { SessionData } from './SessionStore.js';
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
export {
  type SessionList,
  type SessionSummary,
  UserSessions,
  type UserSessionsCallOptions,
  type UserSessionsOptions,
} from './UserSessions.js';
