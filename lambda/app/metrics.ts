import type { SessionCommitEvent, SessionOutcome, SessionWrite } from '@lambda-sessions/dynamodb';
import { SESSION_METRICS } from '../contract.js';

/** The metric each outcome of reading a cookie counts (no cookie, or no read: nothing to count). */
const OUTCOME_METRICS: Partial<Record<SessionOutcome, string>> = {
  found: SESSION_METRICS.hit,
  absent: SESSION_METRICS.miss,
  expired: SESSION_METRICS.expired,
  'bad-signature': SESSION_METRICS.badSignature,
};

const WRITE_METRICS: Record<SessionWrite, string> = {
  created: SESSION_METRICS.created,
  destroyed: SESSION_METRICS.destroyed,
  saved: SESSION_METRICS.saved,
  refreshed: SESSION_METRICS.refreshed,
  gone: SESSION_METRICS.gone,
};

/**
 * The metrics one request's session counts: how its cookie was read, whether a stored value failed
 * authentication, whether one failed its schema (each once per request, however many), then each
 * store write.
 */
export function sessionMetricNames(
  commit: Pick<SessionCommitEvent, 'outcome' | 'writes' | 'rejectedValues' | 'invalidValues'>,
): string[] {
  const outcome = OUTCOME_METRICS[commit.outcome];
  return [
    ...(outcome ? [outcome] : []),
    ...(commit.rejectedValues > 0 ? [SESSION_METRICS.valueRejected] : []),
    ...(commit.invalidValues > 0 ? [SESSION_METRICS.valueInvalid] : []),
    ...commit.writes.map((write) => WRITE_METRICS[write]),
  ];
}

/**
 * The metric names counting `revoked` sessions (the route's `log.revoked`), one per session: the
 * EMF record then holds `SessionRevoked: n`.
 */
export function revokedMetricNames(revoked: unknown): string[] {
  return typeof revoked === 'number' && Number.isInteger(revoked) && revoked > 0
    ? Array.from({ length: revoked }, () => SESSION_METRICS.revoked)
    : [];
}

/** The JSON around the timestamp, per namespace and list of names: a request writes one of a few. */
const fragments = new Map<string, { before: string; after: string }>();
/** Combinations are few (an outcome and a write or two); the bound only guards against misuse. */
const MAX_FRAGMENTS = 256;

function fragmentsFor(namespace: string, names: readonly string[]): { before: string; after: string } {
  const key = `${namespace}\n${names.join(',')}`;
  let cached = fragments.get(key);
  if (cached === undefined) {
    const counts = new Map<string, number>();
    for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
    const metrics = [...counts.keys()].map((name) => ({ Name: name, Unit: 'Count' }));
    const directive = { Namespace: namespace, Dimensions: [['service']], Metrics: metrics };
    const values = JSON.stringify(Object.fromEntries(counts)).slice(1, -1);
    cached = {
      before: '"_aws":{"Timestamp":',
      after: `,"CloudWatchMetrics":${JSON.stringify([directive])}},${values}`,
    };
    if (fragments.size < MAX_FRAGMENTS) fragments.set(key, cached);
  }
  return cached;
}

/**
 * The JSON members (no braces) that make a log line a CloudWatch Embedded Metric Format record
 * counting each of `names`, by the line's `service` field; '' for no names. They ride on the
 * request's own log line, so a metric and its request id arrive together, in one line per
 * request, with no metrics library in the bundle. Built from cached fragments: only the time
 * changes between requests.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 * @example `{${metricMembers('ServerSessions', ['SessionHit'])}}` // {"_aws":{…},"SessionHit":1}
 */
export function metricMembers(namespace: string, names: readonly string[], now = Date.now()): string {
  if (names.length === 0) return '';
  const { before, after } = fragmentsFor(namespace, names);
  return `${before}${now}${after}`;
}
