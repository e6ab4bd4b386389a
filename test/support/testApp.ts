import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { readAppConfig } from '../../lambda/app/config';
import { type AppContext, createAppContext } from '../../lambda/app/context';
import { createLambdaHandler } from '../../lambda/app/lambdaHandler';
import { ORIGIN_VERIFY } from '../../lambda/contract';
import type { HttpResponse } from '../../lambda/http/response';
import { indexRoute } from '../../lambda/routes/indexRoute';
import { loginRoute } from '../../lambda/routes/loginRoute';
import { logoutRoute } from '../../lambda/routes/logoutRoute';
import { sessionsRoute } from '../../lambda/routes/sessionsRoute';
import type { SessionManager } from '../../lambda/session/src/SessionManager';
import { createLocalHttpServer } from '../../lib/local/localServer';

export type Handler = (event: APIGatewayProxyEventV2, context?: Context) => Promise<HttpResponse>;

export interface TestApp {
  context: AppContext;
  /** The context's manager (SESSION_SECRET keys: built once, not per request). */
  sessions: SessionManager;
  index: Handler;
  login: Handler;
  logout: Handler;
  /** The sessions function: `GET /sessions`, `POST /sessions/revoke`, `POST /logout`. */
  sessionsFunction: Handler;
}

export interface AppOptions {
  endpoint: string;
  idleSeconds?: number;
  absoluteSeconds?: number;
  /** SESSION_SECRET: comma-separated keys, the first signs. */
  secret?: string;
  /** TABLE_NAME, when not the test table. */
  tableName?: string;
  /** ORIGIN_VERIFY_SECRET: the app behind the edge, refusing requests without that `x-origin-verify`. */
  originSecret?: string;
  now: () => number;
  logger?: Logger;
}

/**
 * The handlers built exactly as production builds them (environment → config → context),
 * on a real store at `endpoint`, with a controllable clock.
 * @example const app = createTestApp({ endpoint: db.proxy.endpoint, idleSeconds: 4, now: clock.now });
 */
export function createTestApp(options: AppOptions): TestApp {
  const config = readAppConfig({
    ...process.env,
    DYNAMODB_ENDPOINT: options.endpoint,
    ...(options.idleSeconds === undefined
      ? {}
      : { SESSION_IDLE_TIMEOUT_SECONDS: String(options.idleSeconds) }),
    ...(options.absoluteSeconds === undefined
      ? {}
      : { SESSION_ABSOLUTE_TIMEOUT_SECONDS: String(options.absoluteSeconds) }),
    ...(options.secret === undefined ? {} : { SESSION_SECRET: options.secret }),
    ...(options.tableName === undefined ? {} : { TABLE_NAME: options.tableName }),
    ...(options.originSecret === undefined ? {} : { [ORIGIN_VERIFY.variable]: options.originSecret }),
  });
  const context = createAppContext(config, {
    now: options.now,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  if (typeof context.sessions === 'function') throw new Error('test apps use SESSION_SECRET keys');
  return {
    context,
    sessions: context.sessions,
    index: createLambdaHandler(indexRoute, context),
    login: createLambdaHandler(loginRoute, context),
    logout: createLambdaHandler(logoutRoute, context),
    // Its own context, as in production: the only one with the owner index.
    sessionsFunction: createLambdaHandler(
      sessionsRoute,
      createAppContext(config, {
        now: options.now,
        userSessions: true,
        ...(options.logger ? { logger: options.logger } : {}),
      }),
    ),
  };
}

/**
 * `createTestApp` for the tests of the enclosing file or `describe`, built once in a `beforeAll`
 * on the proxy of a `useStore()` fixture (register `useStore()` first). The handle is a stable
 * object that forwards to the app built there.
 * @example
 * const db = useStore();
 * const clock = new TestClock();
 * const app = useTestApp(db, { idleSeconds: 4, now: clock.now });
 */
export function useTestApp(
  db: { proxy: { endpoint: string } },
  options: Omit<AppOptions, 'endpoint'>,
): TestApp {
  let app: TestApp | undefined;
  beforeAll(() => {
    app = createTestApp({ ...options, endpoint: db.proxy.endpoint });
  });
  const live = (): TestApp => {
    if (app === undefined) throw new Error('useTestApp(): the app is built in its beforeAll');
    return app;
  };
  return {
    get context() {
      return live().context;
    },
    get sessions() {
      return live().sessions;
    },
    index: (event, context) => live().index(event, context),
    login: (event, context) => live().login(event, context),
    logout: (event, context) => live().logout(event, context),
    sessionsFunction: (event, context) => live().sessionsFunction(event, context),
  };
}

/** A test app served over HTTP on a loopback port, as `npm start` serves the real one. */
export interface ServedTestApp {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `app`'s handlers through the local server's stand-in for API Gateway (the route table,
 * payload 2.0 events), on a free loopback port: for a browser test that needs what `startLocalApp`
 * does not offer, such as the app's clock.
 * @example const served = await serveTestApp(createTestApp({ endpoint, now: clock.now }));
 */
export async function serveTestApp(app: TestApp): Promise<ServedTestApp> {
  const server = createLocalHttpServer({
    index: app.index,
    login: app.login,
    logout: app.logout,
    sessions: app.sessionsFunction,
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
