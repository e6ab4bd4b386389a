import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { type AppContext, createAppContext } from '../../lambda/app/context';
import { StaticKeys } from '../../lambda/session/keyProvider';
import { SessionManager, type SessionManagerOptions } from '../../lambda/session/SessionManager';
import { type SessionRecord, SessionStore } from '../../lambda/session/SessionStore';

export const TABLE = 'sessions-unit';
export const IDLE_SECONDS = 3600;
export const ABSOLUTE_SECONDS = 43200;
export const IDLE_MS = IDLE_SECONDS * 1000;
export const ABSOLUTE_MS = ABSOLUTE_SECONDS * 1000;
/** A fixed start instant; not a round number of seconds so flooring is visible. */
export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0) + 123;

export const CURRENT_KEY = 'current-key-for-unit-tests';
export const OLD_KEY = 'old-key-for-unit-tests';

/** The stored key, computed independently of the code under test. */
export function sha256Base64Url(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** A clock the test moves by hand. */
export class Clock {
  constructor(public value = T0) {}
  readonly now = (): number => this.value;
  advance(ms: number): void {
    this.value += ms;
  }
}

export function documentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
}

export function makeStore(clock: Clock, options: { maxDataBytes?: number } = {}): SessionStore {
  return new SessionStore({
    client: documentClient(),
    tableName: TABLE,
    idleTimeoutSeconds: IDLE_SECONDS,
    absoluteTimeoutSeconds: ABSOLUTE_SECONDS,
    now: clock.now,
    ...options,
  });
}

export function makeManager(
  clock: Clock,
  options: Partial<Omit<SessionManagerOptions, 'keys'>> & { keys?: string[] } = {},
): SessionManager {
  const { keys, ...rest } = options;
  return new SessionManager({
    client: documentClient(),
    tableName: TABLE,
    keys: new StaticKeys(keys ?? [CURRENT_KEY, OLD_KEY]),
    idleTimeoutSeconds: IDLE_SECONDS,
    absoluteTimeoutSeconds: ABSOLUTE_SECONDS,
    now: clock.now,
    ...rest,
  });
}

/** A stored item for `token` as the store would have written it at `createdAt`. */
export function storedItem(
  token: string,
  data: Record<string, unknown>,
  createdAt = T0,
  refreshedAt = createdAt,
): SessionRecord {
  const absoluteExpiresAt = createdAt + ABSOLUTE_MS;
  const validUntil = Math.min(refreshedAt + IDLE_MS, absoluteExpiresAt);
  return {
    id: sha256Base64Url(token),
    data,
    createdAt,
    refreshedAt,
    absoluteExpiresAt,
    validUntil,
    expiresAt: Math.floor(validUntil / 1000),
  };
}

/** Resets the mocked document client; every command then answers `{}` (no item, no error) until a test says otherwise. */
export function answerEveryCommandEmpty(ddb: AwsClientStub<DynamoDBDocumentClient>): void {
  ddb.reset();
  ddb.on(GetCommand).resolves({});
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  ddb.on(DeleteCommand).resolves({});
}

/**
 * A handler context built as production builds it, on the mocked client: keys [CURRENT_KEY], the
 * unit timeouts, a silent logger unless given.
 */
export function unitAppContext(
  clock: Clock,
  options: { logger?: Logger; metricsNamespace?: string; serviceName?: string } = {},
): AppContext {
  return createAppContext(
    {
      tableName: TABLE,
      endpoint: undefined,
      keys: [CURRENT_KEY],
      secretArn: undefined,
      idleTimeoutSeconds: IDLE_SECONDS,
      absoluteTimeoutSeconds: ABSOLUTE_SECONDS,
      serviceName: options.serviceName ?? 'sessions-unit',
      metricsNamespace: options.metricsNamespace ?? 'Test',
    },
    { now: clock.now, logger: options.logger ?? new Logger({ logLevel: 'SILENT' }) },
  );
}
