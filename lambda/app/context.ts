import { Logger } from '@aws-lambda-powertools/logger';
import {
  createDocumentClient,
  type SessionCommitEvent,
  SessionManager,
  type SessionRequest,
  StaticKeys,
  UserSessions,
} from '@lambda-sessions/dynamodb';
import { SecretsManagerKeys } from '@lambda-sessions/dynamodb/keys';
import { type AppConfig, readAppConfig } from './config.js';
import { originVerifier } from './originVerify.js';
import { createRequestLog, type RequestLog } from './requestLog.js';

/** What every handler shares within one container: built once, at init. */
export interface AppContext {
  sessions: SessionManager;
  /** A user's sessions through the owner index: only in the function granted the index (`manage`). */
  users?: UserSessions;
  logger: Logger;
  /** The one line per request, which also counts the session metrics (EMF). */
  requestLog: RequestLog;
  /** What the request's session commit did, once committed (the manager's `onCommit`). */
  committed(request: SessionRequest): SessionCommitEvent | undefined;
  /** Behind the edge only: whether a request came through it (else it is refused before any session work). */
  viaEdge?: (headers: Record<string, string>) => boolean;
}

export interface AppContextOptions {
  /** Lets tests move the clock. */
  now?: () => number;
  logger?: Logger;
  /** Give the context `users` (the function whose access is `manage`). @default false */
  userSessions?: boolean;
}

/**
 * The container's context from configuration: one DynamoDB client, one key provider, one logger.
 * @example const context = createAppContext(readAppConfig(process.env));
 */
export function createAppContext(config: AppConfig, options: AppContextOptions = {}): AppContext {
  // Each request's commit, by its request object: the handler wrapper logs and counts it.
  const commits = new WeakMap<SessionRequest, SessionCommitEvent>();
  const client = createDocumentClient({ endpoint: config.endpoint });
  const sessions = new SessionManager({
    client,
    tableName: config.tableName,
    keys: config.keys
      ? new StaticKeys(config.keys)
      : new SecretsManagerKeys({ secretId: config.secretArn ?? '' }),
    idleTimeoutSeconds: config.idleTimeoutSeconds,
    absoluteTimeoutSeconds: config.absoluteTimeoutSeconds,
    onCommit: (event) => commits.set(event.request, event),
    ...(options.now ? { now: options.now } : {}),
    ...(config.expiry ? { expiry: config.expiry } : {}),
  });
  const logger = options.logger ?? new Logger({ serviceName: config.serviceName });
  return {
    sessions,
    ...(options.userSessions
      ? {
          users: new UserSessions({
            client,
            tableName: config.tableName,
            ...(options.now ? { now: options.now } : {}),
          }),
        }
      : {}),
    logger,
    requestLog: createRequestLog(logger, config.serviceName, config.metricsNamespace),
    committed: (request) => commits.get(request),
    ...(config.originSecret === undefined ? {} : { viaEdge: originVerifier(config.originSecret) }),
  };
}

/** One context per kind (with or without `users`): a Lambda container runs one function, the local server all. */
const containerContexts = new Map<boolean, AppContext>();

/** The context built from the environment, once per container. Bad configuration throws here, at init. */
export function containerAppContext(options: { userSessions?: boolean } = {}): AppContext {
  const userSessions = options.userSessions ?? false;
  let context = containerContexts.get(userSessions);
  if (context === undefined) {
    context = createAppContext(readAppConfig(process.env), { userSessions });
    containerContexts.set(userSessions, context);
  }
  return context;
}
