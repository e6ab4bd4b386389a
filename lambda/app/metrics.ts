import type { Session, SessionOutcome, SessionWrite } from '../session/Session';

/** The CloudWatch namespace of the session metrics, unless `METRICS_NAMESPACE` says otherwise. */
export const DEFAULT_METRICS_NAMESPACE = 'ServerSessions';

/** The metric each outcome of reading a cookie counts (no cookie, or no read: nothing to count). */
const OUTCOME_METRICS: Partial<Record<SessionOutcome, string>> = {
  found: 'SessionHit',
  absent: 'SessionMiss',
  expired: 'SessionExpired',
  'bad-signature': 'SessionBadSignature',
};

const WRITE_METRICS: Record<SessionWrite, string> = {
  created: 'SessionCreated',
  destroyed: 'SessionDestroyed',
  saved: 'SessionSaved',
  refreshed: 'SessionRefreshed',
  gone: 'SessionGone',
};

/** Counted when the store is unavailable and the request ends in a 503. */
export const STORE_ERROR_METRIC = 'SessionStoreError';

/** The metrics one request's session counts: how its cookie was read, then each store write. */
export function sessionMetricNames(session: Session): string[] {
  const outcome = OUTCOME_METRICS[session.state.outcome];
  return [...(outcome ? [outcome] : []), ...session.writes.map((write) => WRITE_METRICS[write])];
}

/**
 * The fields that make a JSON log line a CloudWatch Embedded Metric Format record counting each
 * of `names` once, by the line's `service` field. They ride on the request's own log line, so a
 * metric and its request id arrive together, in one line per request, with no metrics library
 * in the bundle. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export function metricFields(namespace: string, names: readonly string[], now = Date.now()) {
  if (names.length === 0) return {};
  const unique = [...new Set(names)];
  return {
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [['service']],
          Metrics: unique.map((name) => ({ Name: name, Unit: 'Count' })),
        },
      ],
    },
    ...Object.fromEntries(unique.map((name) => [name, names.filter((other) => other === name).length])),
  };
}
