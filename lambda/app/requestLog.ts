import type { Logger } from '@aws-lambda-powertools/logger';
import { metricMembers } from './metrics.js';

/** Fields of one request's log line (never tokens, cookies or keys). */
export type LogFields = Record<string, unknown>;

/** Writes one request's line: its fields, and the metrics it counts. */
export type RequestLog = (fields: LogFields, metricNames: readonly string[]) => void;

const LEVELS_ABOVE_INFO = new Set(['WARN', 'ERROR', 'CRITICAL', 'SILENT']);

/**
 * The one line per request, at INFO, in the Powertools Logger's layout (`level`, `message`,
 * `timestamp`, `service`, then the fields and the EMF metrics). Written directly rather than
 * through `logger.info`: the Logger deep-merges every field into its record and reads its level
 * from the environment on each call, which together cost more than the rest of a page view's own
 * work (docs/performance.md). The level is the logger's, read once; application logs (warnings,
 * errors) still go through the Logger.
 * @example const requestLog = createRequestLog(logger, 'sessions', 'ServerSessions');
 */
export function createRequestLog(logger: Logger, service: string, namespace: string): RequestLog {
  if (LEVELS_ABOVE_INFO.has(logger.getLevelName())) return () => undefined;
  const serviceJson = JSON.stringify(service);
  return (fields, metricNames) => {
    const now = Date.now();
    const body = JSON.stringify(fields);
    const metrics = metricMembers(namespace, metricNames, now);
    const line =
      `{"level":"INFO","message":"request","timestamp":"${new Date(now).toISOString()}","service":${serviceJson}` +
      (body === '{}' ? '' : `,${body.slice(1, -1)}`) +
      (metrics === '' ? '' : `,${metrics}`) +
      '}\n';
    // The Logger prints the same way: a Console bound to stdout, one write per line.
    process.stdout.write(line);
  };
}
