import { SESSION_METRICS } from '../contract.js';
import type { SessionCommitEvent, SessionOutcome, SessionWrite } from '../session/index.js';

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

/** The metrics one request's session counts: how its cookie was read, then each store write. */
export function sessionMetricNames(commit: Pick<SessionCommitEvent, 'outcome' | 'writes'>): string[] {
  const outcome = OUTCOME_METRICS[commit.outcome];
  return [...(outcome ? [outcome] : []), ...commit.writes.map((write) => WRITE_METRICS[write])];
}

/**
 * The fields that make a JSON log line a CloudWatch Embedded Metric Format record counting each
 * of `names` once, by the line's `service` field. They ride on the request's own log line, so a
 * metric and its request id arrive together, in one line per request, with no metrics library
 * in the bundle. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export function metricFields(namespace: string, names: readonly string[], now = Date.now()) {
  if (names.length === 0) return {};
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return {
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [['service']],
          Metrics: [...counts.keys()].map((name) => ({ Name: name, Unit: 'Count' })),
        },
      ],
    },
    ...Object.fromEntries(counts),
  };
}
