/**
 * A CDK construct for `@lambda-sessions/dynamodb`: the session table, the signing-key secret with
 * its scheduled two-phase rotation (the rotation function ships built), and per-function grants by
 * access level; as options, the alarms (`SessionAlarms`) and the dashboard (`SessionsDashboard`),
 * and one strongly consistent table across three regions (`multiRegion`, `ServerSessionsReplica`).
 *
 * @packageDocumentation
 */

export type { SessionAccess } from '@lambda-sessions/dynamodb/table';
export {
  DEFAULT_EXPIRY_SWEEP_SCHEDULE,
  EXPIRY_SWEEP_ACTIONS,
  EXPIRY_SWEEP_RUNTIME,
  ExpirySweeper,
  type ExpirySweeperProps,
} from './ExpirySweeper';
export { OWNER_INDEX_ACTIONS, SESSION_ENVIRONMENT, SESSION_TABLE_ACTIONS } from './grants';
export {
  DEFAULT_KEY_ROTATION_INTERVAL,
  KEY_ROTATION_ACTIONS,
  KEY_ROTATION_RUNTIME,
  type MultiRegionSessionsProps,
  ServerSessions,
  type ServerSessionsProps,
  type SessionReplication,
} from './ServerSessions';
export { ServerSessionsReplica, type ServerSessionsReplicaProps } from './ServerSessionsReplica';
export {
  ALARM_PERIOD,
  API_5XX_THRESHOLD,
  SESSION_OPERATIONS,
  SessionAlarms,
  type SessionAlarmsProps,
} from './SessionAlarms';
export { SessionsDashboard, type SessionsDashboardProps } from './SessionsDashboard';
export { MRSC_REGION_SETS, type MultiRegionTopology, multiRegionTopology } from './topology';
