import type { Logger } from '@aws-lambda-powertools/logger';

/** Fields of one request's log line (never tokens, cookies or keys). */
export type LogFields = Record<string, unknown>;

const LEVELS_ABOVE_INFO = new Set(['WARN', 'ERROR', 'CRITICAL', 'SILENT']);

/**
 * Writes the one line per request: the same layout as the Powertools Logger's lines (`level`,
 * `message`, `timestamp`, `service`, then the fields), at INFO, honouring the logger's level.
 * Written directly rather than through `logger.info`: the Logger deep-merges every field into
 * its record before printing, which cost more than the rest of a page view's own work
 * (docs/performance.md). Application logs (warnings, errors) still go through the Logger.
 * @example writeRequestLine(logger, 'sessions', { route: 'index', status: 200 });
 */
export function writeRequestLine(logger: Logger, service: string, fields: LogFields): void {
  if (LEVELS_ABOVE_INFO.has(logger.getLevelName())) return;
  const line = JSON.stringify({
    level: 'INFO',
    message: 'request',
    timestamp: new Date().toISOString(),
    service,
    ...fields,
  });
  // The Logger prints the same way: a Console bound to stdout, one write per line.
  process.stdout.write(`${line}\n`);
}
