import { Logger } from '@aws-lambda-powertools/logger';
import {
  createDocumentClient,
  SecretsManagerKeys,
  type SessionCommitEvent,
  SessionManager,
  type SessionRequest,
  StaticKeys,
} from '../session/index.js';
import { type AppConfig, readAppConfig } from './config.js';
import { originVerifier } from './originVerify.js';
import { createRequestLog, type RequestLog } from './requestLog.js';

/** What every handler shares within one container: built once, at init. */
export interface AppContext {
  sessions: SessionManager;
  logger: Logger;
  /** The one line per request, which also counts the session metrics (EMF). */
  requestLog: RequestLog;
  /** What the request's session commit did, once committed (the manager's `onCommit`). */
  committed(request: SessionRequest): SessionCommitEvent | undefined;
  /** Behind the edge only: whether a request came through it (else it is refused before any session work). */
  viaEdge?: (headers: Record<string, string>) => boolean;
}

/**
 * The container's context from configuration: one DynamoDB client, one key provider, one logger.
 * `now` lets tests move the clock.
 * @example const context = createAppContext(readAppConfig(process.env));
 */
export function createAppContext(
  config: AppConfig,
  options: { now?: () => number; logger?: Logger } = {},
): AppContext {
  // Each request's commit, by its request object: the handler wrapper logs and counts it.
  const commits = new WeakMap<SessionRequest, SessionCommitEvent>();
  const sessions = new SessionManager({
    client: createDocumentClient({ endpoint: config.endpoint }),
    tableName: config.tableName,
    keys: config.keys
      ? new StaticKeys(config.keys)
      : new SecretsManagerKeys({ secretId: config.secretArn ?? '' }),
    idleTimeoutSeconds: config.idleTimeoutSeconds,
    absoluteTimeoutSeconds: config.absoluteTimeoutSeconds,
    onCommit: (event) => commits.set(event.request, event),
    ...(options.now ? { now: options.now } : {}),
  });
  const logger = options.logger ?? new Logger({ serviceName: config.serviceName });
  return {
    sessions,
    logger,
    requestLog: createRequestLog(logger, config.serviceName, config.metricsNamespace),
    committed: (request) => commits.get(request),
    ...(config.originSecret === undefined ? {} : { viaEdge: originVerifier(config.originSecret) }),
  };
}

let containerContext: AppContext | undefined;

/** The context built from the environment, once per container. Bad configuration throws here, at init. */
export function containerAppContext(): AppContext {
  containerContext ??= createAppContext(readAppConfig(process.env));
  return containerContext;
}
