/**
 * The session table's data format and the library's defaults, importable without the AWS SDK:
 * for infrastructure code (a CDK construct, a local table) that must agree with the handlers.
 *
 * @packageDocumentation
 */

export {
  DEFAULT_ABSOLUTE_TIMEOUT_SECONDS,
  DEFAULT_DEADLINE_MARGIN_MS,
  DEFAULT_IDLE_TIMEOUT_SECONDS,
  DEFAULT_SESSION_LIST_LIMIT,
  type SessionAccess,
  TABLE_SCHEMA,
} from './constants.js';
