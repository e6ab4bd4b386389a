import { Logger } from '@aws-lambda-powertools/logger';
import { createDocumentClient } from '@lambda-sessions/dynamodb';
import { sweepExpiredSessions } from '@lambda-sessions/dynamodb/sweep';

/** Time kept back from the invocation's timeout, to log the stop and fail before Lambda kills the run. */
export const SWEEP_DEADLINE_MARGIN_MS = 10_000;

/** The part of Lambda's context the handler uses. */
export interface SweeperContext {
  getRemainingTimeInMillis(): number;
}

/** `TABLE_NAME`, which the construct sets; else an error that names it. */
function requiredTableName(env: Record<string, string | undefined>): string {
  const name = env.TABLE_NAME?.trim();
  if (!name) throw new Error('TABLE_NAME: required, the sessions table to sweep');
  return name;
}

// Built at init: a missing TABLE_NAME fails the first invocation with a message naming it.
const tableName = requiredTableName(process.env);
const client = createDocumentClient();
const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME?.trim() || 'sessions' });

/**
 * How far back an invocation sweeps: the library's default (24 hours) for the scheduled event, or
 * the `lookbackHours` an operator's invocation gives, to catch up after an outage longer than a
 * day (`aws lambda invoke --payload '{"lookbackHours":168}'`). The library checks its range.
 */
function lookbackOf(event: unknown): number | undefined {
  if (typeof event !== 'object' || event === null || !Object.hasOwn(event, 'lookbackHours')) return undefined;
  const hours: unknown = (event as { lookbackHours: unknown }).lookbackHours;
  if (typeof hours !== 'number') {
    throw new TypeError(`lookbackHours: expected a number of hours, got ${JSON.stringify(hours)}`);
  }
  return hours;
}

/**
 * The expiry sweeper `ExpirySweeper` schedules: one `sweepExpiredSessions` of the table over the
 * library's default lookback (24 hours, or the event's `lookbackHours`), stopped a little before
 * the invocation's timeout, and one JSON log line with its summary. A failure (the deadline included) is logged and thrown, so
 * the invocation counts as an error; the next run sweeps the same hours again. The package ships
 * it bundled (assets/expiry-sweeper), so a stack needs no bundler for it.
 */
export async function handler(event: unknown, context: SweeperContext): Promise<void> {
  const budgetMs = context.getRemainingTimeInMillis() - SWEEP_DEADLINE_MARGIN_MS;
  // With no time left nothing is sent (a timeout signal of 0 would still let the first requests go).
  const signal =
    budgetMs > 0
      ? AbortSignal.timeout(budgetMs)
      : AbortSignal.abort(new DOMException('no time left to sweep', 'TimeoutError'));
  try {
    const summary = await sweepExpiredSessions({
      client,
      tableName,
      signal,
      lookbackHours: lookbackOf(event),
    });
    logger.info('expiry sweep', { tableName, ...summary });
  } catch (error) {
    logger.error('expiry sweep failed', { tableName, error });
    throw error;
  }
}
