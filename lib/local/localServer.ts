import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { type AppConfig, DEFAULT_TABLE_NAME, readAppConfig } from '../../lambda/app/config';
import { type AppContext, createAppContext } from '../../lambda/app/context';
import { createLambdaHandler, type Route, unmatchedRouteError } from '../../lambda/app/lambdaHandler';
import { FUNCTION_NAMES, FUNCTIONS, type FunctionName, ROUTES, routeKey } from '../../lambda/contract';
import { errorResponse } from '../../lambda/http/response';
import { indexRoute } from '../../lambda/routes/indexRoute';
import { loginRoute } from '../../lambda/routes/loginRoute';
import { logoutRoute } from '../../lambda/routes/logoutRoute';
import { sessionsRoute } from '../../lambda/routes/sessionsRoute';
import { localLambdaContext, toHttpApiEvent, writeHttpApiResult } from './apiGateway';
import { localSigningKey, lockDataFolder, recordStoreEndpoint } from './dataFolder';
import { startEmbeddedStore } from './embeddedStore';
import { DEFAULT_SWEEP_INTERVAL_MS, startExpirySweeper } from './expirySweep';
import { ensureSessionTable } from './sessionTable';

export type LambdaHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;

/** Lambda's synchronous invocation payload limit: API Gateway cannot pass a larger body either. */
export const MAX_LOCAL_BODY_BYTES = 6 * 1024 * 1024;

/** The git-ignored folder holding the embedded store and the generated signing key. */
export const DEFAULT_DATA_FOLDER = resolve(__dirname, '../../.data');

/** Every method some route answers, for the `Allow` header of a CONNECT refused outright. */
const ALLOWED_METHODS = [...new Set(ROUTES.map((route) => route.method))].join(', ');

export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} is already in use: stop the other server or set PORT to another port`);
    this.name = 'PortInUseError';
  }
}

/** The route each function serves: the local server builds its handlers from them. */
const ROUTE_OF: Record<FunctionName, Route> = {
  index: indexRoute,
  login: loginRoute,
  logout: logoutRoute,
  sessions: sessionsRoute,
};

/**
 * The real handlers, each built from `config` as its Lambda entry builds it from the environment:
 * one app context per kind (with the owner index for the function whose access is `manage`), as
 * one container per function would hold.
 */
function buildHandlers(config: AppConfig): Record<FunctionName, LambdaHandler> {
  const contexts = new Map<boolean, AppContext>();
  const contextFor = (userSessions: boolean) => {
    let context = contexts.get(userSessions);
    if (context === undefined) {
      context = createAppContext(config, { userSessions });
      contexts.set(userSessions, context);
    }
    return context;
  };
  const handlers = {} as Record<FunctionName, LambdaHandler>;
  for (const name of FUNCTION_NAMES) {
    handlers[name] = createLambdaHandler(ROUTE_OF[name], contextFor(FUNCTIONS[name].access === 'manage'));
  }
  return handlers;
}

function sendError(
  response: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
) {
  writeHttpApiResult(response, errorResponse(status, message, headers));
}

/**
 * An HTTP server that plays API Gateway: it matches each request against the shared route
 * table, builds the payload 2.0 event, invokes the handler and writes its result back.
 * `log` receives one line per request: method, path, status, milliseconds.
 */
export function createLocalHttpServer(
  handlers: Record<FunctionName, LambdaHandler>,
  log: (line: string) => void = () => undefined,
): Server {
  const server = createServer({ maxHeaderSize: 16 * 1024 }, (request, response) => {
    const started = performance.now();
    response.on('finish', () => {
      const ms = (performance.now() - started).toFixed(1);
      log(`${request.method} ${(request.url ?? '').slice(0, 200)} ${response.statusCode} ${ms}ms`);
    });
    handle(handlers, request, response).catch((error: unknown) => {
      console.error('local server: handler failed:', error);
      if (!response.headersSent) sendError(response, 500, 'Something went wrong on our side.');
      else response.destroy();
    });
  });
  // CONNECT (a proxy tunnel) never reaches the request handler: without this node drops the
  // connection without a word. API Gateway has no such route either: answer 405.
  server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\nallow: ${ALLOWED_METHODS}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
    );
  });
  // A malformed request line or oversized headers: answer 400/431 instead of dropping silently.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const status =
      error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });
  return server;
}

async function handle(
  handlers: Record<FunctionName, LambdaHandler>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = requestTargetUrl(request.url ?? '/');
  if (url === undefined) return sendError(response, 400, 'The request address is malformed.');
  const route = ROUTES.find(
    (candidate) => candidate.path === url.pathname && candidate.method === request.method,
  );
  if (!route) {
    request.resume();
    // What API Gateway's $default route does in the stack: the same answer, from the same table.
    const miss = unmatchedRouteError(url.pathname);
    return sendError(response, miss.status, miss.message, miss.headers);
  }
  const body = await readBody(request);
  // The client hung up mid-body, or node's parser refused the body and already answered 400:
  // nobody waits for a response, and it is no handler failure to report.
  if (body === 'aborted') return;
  if (body === 'too-large') {
    response.setHeader('connection', 'close');
    sendError(response, 413, 'The request body is too large.');
    response.on('finish', () => request.destroy());
    return;
  }
  const event = toHttpApiEvent(request, body, routeKey(route), url);
  const result = await handlers[route.function](event, localLambdaContext(`local-${route.function}`));
  writeHttpApiResult(response, result);
}

/**
 * The URL of a request target, or undefined when it is malformed. An origin-form target (`/path`)
 * is always a path on this server: resolved against a base, `//evil.example/` would be read as a
 * scheme-relative URL and served as `/`. An absolute-form target (`http://host/path`) keeps its path.
 * @example requestTargetUrl('//evil.example/')?.pathname; // '//evil.example/'
 */
export function requestTargetUrl(target: string): URL | undefined {
  try {
    return target.startsWith('/')
      ? new URL(`http://localhost${target}`)
      : new URL(target, 'http://localhost');
  } catch {
    return undefined;
  }
}

/** The whole body; `too-large` once it passes the limit; `aborted` when the request stream fails. */
async function readBody(request: IncomingMessage): Promise<Buffer | 'too-large' | 'aborted'> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > MAX_LOCAL_BODY_BYTES) return 'too-large';
      chunks.push(chunk as Buffer);
    }
  } catch {
    // An IncomingMessage fails only when its connection does ("aborted", a malformed chunk).
    return 'aborted';
  }
  return Buffer.concat(chunks);
}

export interface LocalAppOptions {
  port: number;
  host?: string;
  dataFolder?: string;
  log?: (line: string) => void;
  /** How the embedded store's expired sessions are swept (the defaults: every 10 minutes, real time). */
  expirySweep?: ExpirySweepSettings;
}

export interface LocalApp {
  url: string;
  /** How the store is reached, for the start-up message. */
  store: string;
  /** What happens to expired sessions in this store, when it is not DynamoDB's TTL. */
  storeNote: string | undefined;
  close(): Promise<void>;
}

/**
 * Starts the whole app locally: claims the data folder, starts the embedded store (unless
 * `DYNAMODB_ENDPOINT` is set), generates the signing key once, creates the table, loads the real
 * handlers and listens. Reads and fills `process.env`, as Lambda's environment would be.
 */
export async function startLocalApp(options: LocalAppOptions): Promise<LocalApp> {
  const env = process.env;
  const dataFolder = options.dataFolder ?? DEFAULT_DATA_FOLDER;
  const cleanups: Array<() => Promise<void> | void> = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    // Nothing local may look for real AWS credentials or probe instance metadata.
    env.AWS_REGION ??= 'us-east-1';
    env.AWS_ACCESS_KEY_ID ??= 'local';
    env.AWS_SECRET_ACCESS_KEY ??= 'local';
    env.AWS_EC2_METADATA_DISABLED = 'true';
    env.TABLE_NAME ??= 'sessions';
    env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

    const store = await prepareLocalStore(env, dataFolder, { expirySweep: options.expirySweep ?? {} });
    cleanups.push(store.close);
    if (!env.SESSION_SECRET?.trim()) env.SESSION_SECRET = localSigningKey(dataFolder);
    // Bad configuration stops start-up here, naming the variable.
    const server = createLocalHttpServer(buildHandlers(readAppConfig(env)), options.log);
    await listen(server, options.port, options.host ?? '127.0.0.1');
    cleanups.push(
      () =>
        new Promise<void>((resolveClose) => {
          server.close(() => resolveClose());
          server.closeAllConnections();
        }),
    );
    const { address, port } = server.address() as AddressInfo;
    return {
      url: `http://${address}:${port}`,
      store: store.description,
      storeNote: store.note,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export interface LocalStore {
  description: string;
  /** What happens to expired sessions, when it is not DynamoDB's TTL. */
  note: string | undefined;
  close(): Promise<void>;
}

export interface ExpirySweepSettings {
  intervalMs?: number;
  /** Epoch milliseconds. */
  now?: () => number;
}

/**
 * The store local runs use: `DYNAMODB_ENDPOINT` when set, else the embedded dynalite in the data
 * folder (claimed with a lock, its endpoint written to `DYNAMODB_ENDPOINT` and recorded in the
 * folder for `npm run sessions`); the table is created there when missing (and, in the embedded
 * store, replaced when it predates the owner index). dynalite has no TTL: with `expirySweep`, the embedded store's expired
 * sessions are swept on a timer until `close`. A store at `DYNAMODB_ENDPOINT` is never swept: it
 * is someone else's, with its own TTL (or none, which the note says).
 */
export async function prepareLocalStore(
  env: NodeJS.ProcessEnv,
  dataFolder: string,
  options: { expirySweep?: ExpirySweepSettings } = {},
): Promise<LocalStore> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    let description = `DynamoDB endpoint ${env.DYNAMODB_ENDPOINT}`;
    const embedded = !env.DYNAMODB_ENDPOINT?.trim();
    if (embedded) {
      cleanups.push(lockDataFolder(dataFolder));
      const store = await startEmbeddedStore({ path: join(dataFolder, 'dynalite') });
      cleanups.push(() => store.close());
      cleanups.push(recordStoreEndpoint(dataFolder, store.endpoint));
      env.DYNAMODB_ENDPOINT = store.endpoint;
      description = `embedded dynalite in ${join(dataFolder, 'dynalite')}`;
    }
    const tableName = env.TABLE_NAME?.trim() || DEFAULT_TABLE_NAME;
    // The embedded store is the project's own: a table made before the owner index is replaced.
    const ttl = await withClient(env, (client) =>
      ensureSessionTable(client, tableName, { replaceOutdated: embedded }),
    );
    if (!embedded) {
      const note = ttl.enabled
        ? undefined
        : `TTL is not available on this endpoint (${ttl.reason}); expired sessions are refused on read but not deleted`;
      return { description, note, close };
    }
    if (options.expirySweep === undefined) return { description, note: undefined, close };
    const sweep = startLocalSweep(env, tableName, options.expirySweep);
    cleanups.push(sweep.stop);
    return { description, note: sweep.note, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The embedded store's sweeper, on its own client; `stop` ends both. */
function startLocalSweep(env: NodeJS.ProcessEnv, tableName: string, settings: ExpirySweepSettings) {
  const intervalMs = settings.intervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  const client = localClient(env);
  const sweeper = startExpirySweeper({
    client,
    tableName,
    intervalMs,
    ...(settings.now ? { now: settings.now } : {}),
    onError: (error) => console.error('local store: the expiry sweep failed (it runs again later):', error),
  });
  return {
    note: `the embedded store sweeps expired sessions every ${describeInterval(intervalMs)} (dynalite has no TTL)`,
    stop: async () => {
      await sweeper.stop();
      client.destroy();
    },
  };
}

function localClient(env: NodeJS.ProcessEnv): DynamoDBClient {
  return new DynamoDBClient({ endpoint: env.DYNAMODB_ENDPOINT, maxAttempts: 2 });
}

async function withClient<T>(
  env: NodeJS.ProcessEnv,
  use: (client: DynamoDBClient) => Promise<T>,
): Promise<T> {
  const client = localClient(env);
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}

function describeInterval(ms: number): string {
  if (ms % 60_000 === 0) return ms === 60_000 ? 'minute' : `${ms / 60_000} minutes`;
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

async function listen(server: Server, port: number, host: string): Promise<void> {
  server.listen(port, host);
  try {
    await once(server, 'listening');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(port);
    throw error;
  }
}
