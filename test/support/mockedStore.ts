import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { type AppContext, createAppContext } from '../../lambda/app/context';
import { KeyRing } from '../../lambda/session/src/keys/KeyRing';
import { StaticKeys } from '../../lambda/session/src/keys/keyProvider';
import { SessionManager, type SessionManagerOptions } from '../../lambda/session/src/SessionManager';
import {
  type SessionRecord,
  SessionStore,
  type SessionStoreOptions,
} from '../../lambda/session/src/store/SessionStore';
import { UserSessions } from '../../lambda/session/src/store/UserSessions';
import { T0, TestClock } from './clock';
import { CURRENT_KEY, OLD_KEY } from './keys';
import { bound, sealFor } from './sealed';
import { TABLE } from './table';

// Helpers for the unit tests, which run the library and the handlers on a mocked document client
// (aws-sdk-client-mock): no store, no network.

export const IDLE_SECONDS = 3600;
export const ABSOLUTE_SECONDS = 43200;
export const IDLE_MS = IDLE_SECONDS * 1000;
export const ABSOLUTE_MS = ABSOLUTE_SECONDS * 1000;
export { CURRENT_KEY, OLD_KEY };

/** The stored key, computed independently of the code under test. */
export function sha256Base64Url(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** A document client on no endpoint: for code that never sends, or behind `mockClient(DynamoDBDocumentClient)`. */
export function documentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
}

export function makeStore(
  clock: TestClock,
  options: Pick<SessionStoreOptions, 'maxDataBytes' | 'expiry'> = {},
): SessionStore {
  return new SessionStore({
    client: documentClient(),
    tableName: TABLE,
    idleTimeoutSeconds: IDLE_SECONDS,
    absoluteTimeoutSeconds: ABSOLUTE_SECONDS,
    now: clock.now,
    ...options,
  });
}

export function makeUserSessions(clock: TestClock): UserSessions {
  return new UserSessions({ client: documentClient(), tableName: TABLE, now: clock.now });
}

export function makeManager(
  clock: TestClock,
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

/** The clear fields a login records: see `storedItem`. */
export interface StoredOwnership {
  owner: string;
  device: string;
  publicId: string;
}

/**
 * A stored item for `token` as the store would have written it at `createdAt` (and refreshed at
 * `refreshedAt`), its data sealed and its clear fields bound by their MAC; with `ownership`, the
 * owner, device label and public id a login records.
 */
export function storedItem(
  token: string,
  data: Record<string, unknown>,
  createdAt = T0,
  refreshedAt = createdAt,
  ownership?: StoredOwnership,
): SessionRecord {
  const absoluteExpiresAt = createdAt + ABSOLUTE_MS;
  const validUntil = Math.min(refreshedAt + IDLE_MS, absoluteExpiresAt);
  return bound(
    {
      id: sha256Base64Url(token),
      sealed: sealFor(token).sealAll(data),
      createdAt,
      refreshedAt,
      absoluteExpiresAt,
      validUntil,
      expiresAt: Math.floor(validUntil / 1000),
      ...ownership,
    },
    token,
  );
}

/** `storedItem` of a logged-in user's session as a login writes it: `{ username: owner }`, with its owner, device and public id. */
export function ownedItem(token: string, owner: string, publicId: string, device = 'Firefox on Linux') {
  return storedItem(token, { username: owner }, T0, T0, { owner, device, publicId });
}

/** Resets the mocked document client; every command then answers `{}` (no item, no error) until a test says otherwise. */
function answerEveryCommandEmpty(ddb: AwsClientStub<DynamoDBDocumentClient>): void {
  ddb.reset();
  ddb.on(GetCommand).resolves({});
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  ddb.on(DeleteCommand).resolves({});
  ddb.on(QueryCommand).resolves({ Items: [] });
}

export interface UnitAppOptions {
  logger?: Logger;
  metricsNamespace?: string;
  serviceName?: string;
}

/**
 * A handler context built as production builds it, on the mocked client: keys [CURRENT_KEY], the
 * unit timeouts, a silent logger unless given.
 */
export function unitAppContext(
  clock: TestClock,
  options: UnitAppOptions & { userSessions?: boolean } = {},
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
    {
      now: clock.now,
      logger: options.logger ?? new Logger({ logLevel: 'SILENT' }),
      userSessions: options.userSessions ?? false,
    },
  );
}

export interface MockedStore {
  /** The mocked document client: reset before each test, then every command answers `{}`. */
  ddb: AwsClientStub<DynamoDBDocumentClient>;
  /** Back at T0 before each test. */
  clock: TestClock;
}

/**
 * Mocks the document client for the tests of the enclosing file or `describe`, and registers a
 * `beforeEach` that answers every command empty and puts the clock back at T0.
 * @example
 * const { ddb, clock } = useMockedStore();
 * it('reads once', async () => {
 *   await makeManager(clock).load({ cookies: [], secure: true });
 *   expect(ddb.calls()).toHaveLength(0);
 * });
 */
export function useMockedStore(): MockedStore {
  const ddb = mockClient(DynamoDBDocumentClient);
  const clock = new TestClock();
  beforeEach(() => {
    answerEveryCommandEmpty(ddb);
    clock.value = T0;
  });
  return { ddb, clock };
}

export interface MockedApp extends MockedStore {
  /** A fresh `unitAppContext` for each test (stable object: it forwards to the test's context). */
  app: AppContext;
  /** The same, with the owner index (`users`), as the sessions function's context. */
  manageApp: AppContext;
  /** The context's keys: [CURRENT_KEY]. */
  ring: KeyRing;
  /** `__Host-session=<token signed with CURRENT_KEY>`, as the browser sends it back. */
  cookieFor(token: string): string;
}

/**
 * `useMockedStore()` plus a handler context built as production builds it, on the mocked client,
 * fresh for each test; `contextOptions` is called before each test (a new logger each time).
 * @example
 * const { ddb, clock, app, cookieFor } = useMockedApp();
 * it('refreshes', async () => {
 *   ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
 *   clock.advance(IDLE_MS / 2);
 *   await createLambdaHandler(indexRoute, app)(httpEvent({ cookies: [cookieFor(token)] }));
 * });
 */
export function useMockedApp(contextOptions: () => UnitAppOptions = () => ({})): MockedApp {
  const { ddb, clock } = useMockedStore();
  const ring = new KeyRing([CURRENT_KEY]);
  let context: AppContext | undefined;
  let manageContext: AppContext | undefined;
  beforeEach(() => {
    context = unitAppContext(clock, contextOptions());
    manageContext = unitAppContext(clock, { ...contextOptions(), userSessions: true });
  });
  const forwarding = (live: () => AppContext | undefined): AppContext => {
    const current = (): AppContext => {
      const built = live();
      if (built === undefined) throw new Error('useMockedApp(): the context is built before each test');
      return built;
    };
    return {
      get sessions() {
        return current().sessions;
      },
      get users() {
        return current().users;
      },
      get logger() {
        return current().logger;
      },
      requestLog: (fields, metricNames) => current().requestLog(fields, metricNames),
      committed: (request) => current().committed(request),
    };
  };
  return {
    ddb,
    clock,
    app: forwarding(() => context),
    manageApp: forwarding(() => manageContext),
    ring,
    cookieFor: (token) => `__Host-session=${ring.sign(token)}`,
  };
}
