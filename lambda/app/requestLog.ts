import type { Logger } from '@aws-lambda-powertools/logger';
import { metricMembers } from './metrics.js';

/** Fields of one request's log line (never tokens, cookies or keys); the request id first. */
export type LogFields = Record<string, unknown>;

/** Writes one request's line: its fields, and the metrics it counts. */
export type RequestLog = (fields: LogFields, metricNames: readonly string[]) => void;

const LEVELS_ABOVE_INFO = new Set(['WARN', 'ERROR', 'CRITICAL', 'SILENT']);

/**
 * The one line per request: a JSON object of the fields (the handler puts the request id first),
 * then, when the request counts metrics, the service (the metrics' dimension) and the EMF
 * members. Nothing else, since every byte is paid for at each request (docs/operations.md,
 * "Logs"): no `level` (Lambda's JSON log format reads a line without one as INFO), no `message`,
 * no `timestamp` (the log event has its time, the EMF block its `Timestamp`). Written only when
 * the logger's level lets INFO through, the level read once (Lambda's application log level
 * when it sets one, else `POWERTOOLS_LOG_LEVEL`); written directly, not through `logger.info`,
 * whose deep merge of every field costs more than the rest of a page view's own work
 * (docs/performance.md). Application logs (warnings, errors) still go through the Logger.
 * @example const requestLog = createRequestLog(logger, 'sessions', 'ServerSessions');
 */
export function createRequestLog(logger: Logger, service: string, namespace: string): RequestLog {
  if (LEVELS_ABOVE_INFO.has(logger.getLevelName())) return () => undefined;
  const serviceMember = `"service":${JSON.stringify(service)}`;
  return (fields, metricNames) => {
    const body = JSON.stringify(fields).slice(1, -1);
    const metrics = metricMembers(namespace, metricNames);
    const counted = metrics === '' ? '' : `${serviceMember},${metrics}`;
    const line = `{${body}${body !== '' && counted !== '' ? ',' : ''}${counted}}\n`;
    // The Logger prints the same way: a Console bound to stdout, one write per line.
    process.stdout.write(line);
  };
}
