/**
 * Server-side sessions for AWS Lambda: session data in DynamoDB, a signed random id in the cookie.
 * What a handler needs; the rest is behind subpaths: `./middy` (the Middy middleware), `./keys`
 * (Secrets Manager keys, the key-set document and its rotation) and `./table` (the table's schema
 * and the defaults, without the AWS SDK). The API reference is the package's README.
 *
 * @packageDocumentation
 */

export { requestDeadline } from './abort.js';
export { deviceLabel } from './deviceLabel.js';
export { createDocumentClient } from './documentClient.js';
export {
  SessionDataError,
  SessionError,
  SessionNotLoadedError,
  SessionRejectedError,
  SessionTooLargeError,
  SessionUnavailableError,
  SigningKeyError,
} from './errors.js';
export { sessionRequestFromEvent } from './httpApiEvent.js';
export { type KeyProvider, StaticKeys } from './keyProvider.js';
export type { Session, SessionOutcome, SessionWrite } from './Session.js';
export type { SessionCookieOptions } from './SessionCookie.js';
export {
  type SessionCommitEvent,
  SessionManager,
  type SessionManagerOptions,
  type SessionRequest,
} from './SessionManager.js';
export type { SessionData } from './SessionStore.js';
export { type SessionSummary, UserSessions, type UserSessionsOptions } from './UserSessions.js';
