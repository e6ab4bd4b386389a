/**
 * Expiry without TTL: `sweepExpiredSessions` deletes the expired sessions of a table that cannot
 * have TTL (a strongly consistent global table) through its sparse `byExpiry` index, which the
 * handlers fill when their `SessionManager` is made with `expiry: 'sweeper'`; `expiryBucket` is
 * the index key such an item holds. `@lambda-sessions/cdk` ships a scheduled function built from
 * it (`ExpirySweeper`); use this entry for a sweeper of your own.
 *
 * @packageDocumentation
 */

export { expiryBucket } from './store/expiryBucket.js';
export {
  type ExpirySweepOptions,
  type ExpirySweepSummary,
  sweepExpiredSessions,
} from './store/expirySweep.js';
