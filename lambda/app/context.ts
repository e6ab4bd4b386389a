import { Logger } from '@aws-lambda-powertools/logger';
import { readSessionConfig, type SessionConfig } from '../session/config';
import { createDocumentClient } from '../session/documentClient';
import { KeyRing } from '../session/KeyRing';
import { SessionManager } from '../session/SessionManager';
import { SessionStore } from '../session/SessionStore';

/** What every handler shares within one container: built once, at init. */
export interface AppContext {
  sessions: SessionManager;
  logger: Logger;
}

/**
 * The container's context from configuration: one DynamoDB client, one key ring, one logger.
 * `now` lets tests move the clock.
 * @example const context = createAppContext(readSessionConfig(process.env));
 */
export function createAppContext(
  config: SessionConfig,
  options: { now?: () => number; logger?: Logger } = {},
): AppContext {
  const store = new SessionStore({
    client: createDocumentClient({ endpoint: config.endpoint }),
    tableName: config.tableName,
    idleTimeoutSeconds: config.idleTimeoutSeconds,
    absoluteTimeoutSeconds: config.absoluteTimeoutSeconds,
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    sessions: new SessionManager({ store, keyRing: new KeyRing(config.secrets) }),
    logger: options.logger ?? new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'sessions' }),
  };
}

let containerContext: AppContext | undefined;

/** The context built from the environment, once per container. Bad configuration throws here, at init. */
export function containerAppContext(): AppContext {
  containerContext ??= createAppContext(readSessionConfig(process.env));
  return containerContext;
}
