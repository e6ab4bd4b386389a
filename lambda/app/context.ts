import { Logger } from '@aws-lambda-powertools/logger';
import { readSessionConfig, type SessionConfig } from '../session/config';
import { boundedClientConfig, createDocumentClient } from '../session/documentClient';
import { KeyRing } from '../session/KeyRing';
import { SecretKeyRing } from '../session/SecretKeyRing';
import { SessionManager } from '../session/SessionManager';
import { SessionStore } from '../session/SessionStore';
import { DEFAULT_METRICS_NAMESPACE } from './metrics';

/** What every handler shares within one container: built once, at init. */
export interface AppContext {
  /** The manager, or how to get it per request when the keys live in Secrets Manager. */
  sessions: SessionManager | (() => Promise<SessionManager>);
  logger: Logger;
  /** The CloudWatch namespace the request log lines count session metrics in (EMF). */
  metricsNamespace: string;
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
    sessions: config.secrets
      ? new SessionManager({ store, keyRing: new KeyRing(config.secrets) })
      : secretSessions(store, config.secretArn ?? ''),
    logger: options.logger ?? new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'sessions' }),
    metricsNamespace: process.env.METRICS_NAMESPACE || DEFAULT_METRICS_NAMESPACE,
  };
}

/** A manager per key ring fetched from Secrets Manager: a new ring (rotation) gets a new manager. */
function secretSessions(store: SessionStore, secretArn: string): () => Promise<SessionManager> {
  let keys: Promise<SecretKeyRing> | undefined;
  let manager: SessionManager | undefined;
  return async () => {
    keys ??= createSecretKeyRing(secretArn);
    const keyRing = await (await keys).current();
    if (manager?.keyRing !== keyRing) manager = new SessionManager({ store, keyRing });
    return manager;
  };
}

/**
 * Loaded at the first request that needs it, not at import: only this mode uses the Secrets
 * Manager client, and a container keyed by SESSION_SECRET never pays for loading it.
 */
async function createSecretKeyRing(secretArn: string): Promise<SecretKeyRing> {
  const { SecretsManagerClient } = await import('../session/secretsManagerClient.js');
  return new SecretKeyRing({ client: new SecretsManagerClient(boundedClientConfig()), secretArn });
}

let containerContext: AppContext | undefined;

/** The context built from the environment, once per container. Bad configuration throws here, at init. */
export function containerAppContext(): AppContext {
  containerContext ??= createAppContext(readSessionConfig(process.env));
  return containerContext;
}
