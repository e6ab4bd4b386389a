import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Session, SessionOutcome, SessionWrite } from '../session/Session';

/** The namespace the CloudWatch metrics land in, unless `POWERTOOLS_METRICS_NAMESPACE` says otherwise. */
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
 * The container's metrics in CloudWatch Embedded Metric Format (one JSON line on stdout per
 * request that counted something). `POWERTOOLS_METRICS_DISABLED=true` turns them off (local runs).
 */
export function createMetrics(): Metrics {
  return new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE,
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'sessions',
  });
}

/**
 * Emits one EMF line counting `names` (each once), tagged with the request id so a metric can be
 * traced to its log line. Synchronous, so concurrent requests in one process never mix their metrics.
 */
export function publishRequestMetrics(metrics: Metrics, names: readonly string[], requestId: string): void {
  if (names.length === 0) return;
  for (const name of names) metrics.addMetric(name, MetricUnit.Count, 1);
  metrics.addMetadata('requestId', requestId);
  metrics.publishStoredMetrics();
}
