/**
 * A CDK construct for `@lambda-sessions/dynamodb`: the session table, the signing-key secret with
 * its scheduled two-phase rotation (the rotation function ships built), and per-function grants by
 * access level; as options, the alarms (`SessionAlarms`) and the dashboard (`SessionsDashboard`).
 *
 * @packageDocumentation
 */

export type { SessionAccess } from '@lambda-sessions/dynamodb/table';
export {
  DEFAULT_KEY_ROTATION_INTERVAL,
  KEY_ROTATION_ACTIONS,
  KEY_ROTATION_RUNTIME,
  OWNER_INDEX_ACTIONS,
  SESSION_ENVIRONMENT,
  SESSION_TABLE_ACTIONS,
  ServerSessions,
  type ServerSessionsProps,
} from './ServerSessions';
export {
  ALARM_PERIOD,
  API_5XX_THRESHOLD,
  SESSION_OPERATIONS,
  SessionAlarms,
  type SessionAlarmsProps,
} from './SessionAlarms';
export { SessionsDashboard, type SessionsDashboardProps } from './SessionsDashboard';
