/**
 * Server-side sessions for AWS Lambda: session data in DynamoDB, a signed random id in the cookie.
 * What a handler needs; the rest is behind subpaths: `./middy` (the Middy middleware),
 * `./powertools` (the Powertools Router middleware), `./keys`
 * (Secrets Manager keys, the key-set document and its rotation as pure functions), `./rotation`
 * (the Secrets Manager rotation step), `./sweep` (expired sessions deleted without TTL) and
 * `./table` (the table's schema and the defaults, without the AWS SDK). The API reference is
 * docs/library.md in the repository.
 *
 * @packageDocumentation
 */

export { deviceLabel } from './deviceLabel.js';
export {
  SessionDataError,
  SessionError,
  SessionNotLoadedError,
  SessionRejectedError,
  SessionTooLargeError,
  SessionUnavailableError,
  SigningKeyError,
} from './errors.js';
export type { FlashMessage } from './flashes.js';
export {
  type LambdaHttpEvent,
  type LambdaHttpResult,
  resultWithCookies,
  sessionRequestFromEvent,
} from './httpEvents.js';
export { type KeyProvider, StaticKeys } from './keys/keyProvider.js';
export type { Session } from './Session.js';
export type { SessionCookieOptions } from './SessionCookie.js';
export { type SessionCommitEvent, SessionManager, type SessionManagerOptions } from './SessionManager.js';
export type { SessionRequest, SessionScope } from './SessionScope.js';
export type { SessionSchema } from './schema.js';
export type { SessionOutcome, SessionWrite } from './sessionState.js';
export { createDocumentClient } from './store/documentClient.js';
export type { SessionData } from './store/SessionStore.js';
export { type SessionSummary, UserSessions } from './store/UserSessions.js';
export { withSession } from './withSession.js';
