import { BENCH_SERVICE_NAME } from './flows';
import type { DeployedLogging, PlatformLogging } from './logCost';

const SYSTEM_LOG_LEVELS: readonly PlatformLogging['systemLogLevel'][] = ['DEBUG', 'INFO', 'WARN'];

/** What lib/SessionsStack.ts gives every session function (`memorySize`); a test checks the template. */
export const FUNCTION_MEMORY_MB = 1024;

/**
 * The stack's log settings, read from lib/SessionsStack.ts: the functions' log format and system
 * log level, and the API's access log format. Imported only when called (it loads aws-cdk-lib),
 * after everything the bench times.
 * @example const logs = logCosts(flows.logged, await deployedLogging());
 */
export async function deployedLogging(): Promise<DeployedLogging> {
  const { ACCESS_LOG_TEMPLATE, FUNCTION_LOGGING } = await import('../../lib/SessionsStack.js');
  // Lambda's defaults when unset: the text format, and (with JSON) the system level INFO.
  const level = String(FUNCTION_LOGGING.systemLogLevelV2 ?? 'INFO');
  return {
    platform: {
      format: String(FUNCTION_LOGGING.loggingFormat) === 'JSON' ? 'JSON' : 'Text',
      systemLogLevel: SYSTEM_LOG_LEVELS.find((known) => known === level) ?? 'INFO',
    },
    accessLogFormat: ACCESS_LOG_TEMPLATE,
    memorySizeMB: FUNCTION_MEMORY_MB,
    stackName: BENCH_SERVICE_NAME,
  };
}
