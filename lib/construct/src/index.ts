/**
 * A CDK construct for `@lambda-sessions/dynamodb`: the session table, the signing-key secret with
 * its scheduled two-phase rotation (the rotation function ships built), and per-function grants by
 * access level.
 *
 * @packageDocumentation
 */

export type { SessionAccess } from '@lambda-sessions/dynamodb/table';
export {
  DEFAULT_KEY_ROTATION_INTERVAL,
  KEY_ROTATION_ACTIONS,
  KEY_ROTATION_RUNTIME,
  OWNER_INDEX_ACTIONS,
  SESSION_TABLE_ACTIONS,
  ServerSessions,
  type ServerSessionsProps,
} from './ServerSessions';
