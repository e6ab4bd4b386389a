import { once } from 'node:events';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer, type Socket } from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type AttributeValue, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ScanCommand as DocumentScanCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { AppContext } from '../../lambda/app/context';
import { createAppContext } from '../../lambda/app/context';
import { createLambdaHandler } from '../../lambda/app/lambdaHandler';
import type { HttpResponse } from '../../lambda/http/response';
import { indexRoute } from '../../lambda/index';
import { loginRoute } from '../../lambda/login';
import { logoutRoute } from '../../lambda/logout';
import { readSessionConfig } from '../../lambda/session/config';
import { hashToken } from '../../lambda/session/KeyRing';
import type { SessionManager } from '../../lambda/session/SessionManager';
import type { TestStore } from '../support/dynalite';

/** The table every integration test uses (set by test/support/env.ts). */
export const TABLE = process.env.TABLE_NAME ?? 'sessions-test';

/** A fixed, far-from-now start for the injected clock (epoch milliseconds). */
export const CLOCK_START = Date.UTC(2030, 0, 1, 12, 0, 0);

export type Handler = (event: APIGatewayProxyEventV2, context?: Context) => Promise<HttpResponse>;

export interface TestApp {
  context: AppContext;
  /** The context's manager (SESSION_SECRET keys: built once, not per request). */
  sessions: SessionManager;
  index: Handler;
  login: Handler;
  logout: Handler;
}

export interface AppOptions {
  endpoint: string;
  idleSeconds?: number;
  absoluteSeconds?: number;
  /** SESSION_SECRET: comma-separated keys, the first signs. */
  secret?: string;
  now: () => number;
  logger?: Logger;
}

/** The three handlers built exactly as production builds them, with a controllable clock. */
export function createTestApp(options: AppOptions): TestApp {
  const config = readSessionConfig({
    ...process.env,
    DYNAMODB_ENDPOINT: options.endpoint,
    ...(options.idleSeconds === undefined
      ? {}
      : { SESSION_IDLE_TIMEOUT_SECONDS: String(options.idleSeconds) }),
    ...(options.absoluteSeconds === undefined
      ? {}
      : { SESSION_ABSOLUTE_TIMEOUT_SECONDS: String(options.absoluteSeconds) }),
    ...(options.secret === undefined ? {} : { SESSION_SECRET: options.secret }),
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
  };
}

/** A controllable clock: `clock.now` to inject, `advance(ms)` to move it. */
export function testClock(start = CLOCK_START) {
  let current = start;
  return {
    now: () => current,
    get value() {
      return current;
    },
    advance(ms: number) {
      current += ms;
    },
    set(ms: number) {
      current = ms;
    },
  };
}

/** The session `Set-Cookie` value of a response (the one carrying `session=`), or undefined. */
export function sessionSetCookie(response: HttpResponse): string | undefined {
  const cookies = response.cookies.filter((cookie) => /^(__Host-)?session=/.test(cookie));
  if (cookies.length > 1) throw new Error(`more than one session cookie: ${cookies.join(' | ')}`);
  return cookies[0];
}

/** `name=value` of the response's session cookie, ready for `cookies` of the next event. */
export function cookieFrom(response: HttpResponse): string {
  const setCookie = sessionSetCookie(response);
  if (setCookie === undefined) throw new Error(`no session cookie in response ${response.statusCode}`);
  return setCookie.split(';')[0];
}

/** The cookie value (`token.signature`) of a `name=value` pair. */
export function cookieValue(pair: string): string {
  return pair.slice(pair.indexOf('=') + 1);
}

/** The token part of a `name=value` session cookie. */
export function tokenOf(pair: string): string {
  return cookieValue(pair).split('.')[0];
}

/** The DynamoDB key of the item behind a `name=value` session cookie. */
export function itemIdOf(pair: string): string {
  return hashToken(tokenOf(pair));
}

/** The item with this id, read directly (strongly consistent), unmarshalled. */
export async function getItem(db: TestStore, id: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await db.documents.send(
    new GetCommand({ TableName: TABLE, Key: { id }, ConsistentRead: true }),
  );
  return Item;
}

/** The item with this id in DynamoDB's attribute-value form. */
export async function getRawItem(
  db: TestStore,
  id: string,
): Promise<Record<string, AttributeValue> | undefined> {
  const { Item } = await db.client.send(
    new GetItemCommand({ TableName: TABLE, Key: { id: { S: id } }, ConsistentRead: true }),
  );
  return Item;
}

/** Every item in the table, in attribute-value form (the test may scan; the app never does). */
export async function scanRaw(db: TestStore): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await db.client.send(
      new ScanCommand({ TableName: TABLE, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** Every item in the table, unmarshalled. */
export async function scanItems(db: TestStore): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.documents.send(
      new DocumentScanCommand({ TableName: TABLE, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** The username an index page shows, or undefined for the "not logged in" page. */
export function shownUsername(response: HttpResponse): string | undefined {
  const match = /<p>Logged in as (.*)<\/p>/.exec(response.body);
  if (match) return match[1];
  if (response.body.includes('<p>You are not logged in</p>')) return undefined;
  throw new Error(`not an index page (${response.statusCode}): ${response.body.slice(0, 200)}`);
}

// ---------------------------------------------------------------------------------------------
// The counting proxy

/** Operation name of a DynamoDB request, e.g. `GetItem` from `DynamoDB_20120810.GetItem`. */
export type Operation = string;

interface Gate {
  operation: Operation;
  arrived: () => void;
  released: Promise<void>;
}

export interface CountingProxy {
  /** `http://127.0.0.1:<port>`: point `DYNAMODB_ENDPOINT` here. */
  endpoint: string;
  /** Operations seen since the last `reset()`, in arrival order. */
  readonly operations: readonly Operation[];
  count(operation: Operation): number;
  /** Count of UpdateItem + PutItem + DeleteItem (+ batch/transact writes). */
  writes(): number;
  reset(): void;
  /**
   * Holds the next request for `operation` at the proxy until `release()` is called.
   * `arrived` resolves once that request has reached the proxy.
   */
  hold(operation: Operation): { arrived: Promise<void>; release(): void };
  /**
   * Answers the next `count` requests itself with a DynamoDB error instead of forwarding them
   * (they are still recorded): `throttling` (400 ThrottlingException) or `internal` (500).
   */
  failNext(count: number, kind: 'throttling' | 'internal'): void;
  close(): Promise<void>;
}

const WRITE_OPERATIONS = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);
/** The proxy keeps at most this many operation names (it is a test tool, not a log). */
const MAX_RECORDED = 10_000;
/** Requests larger than this are refused (session requests are a few KB). */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * A tiny HTTP proxy on 127.0.0.1 that forwards every request to `target` (dynalite) and records
 * each request's `x-amz-target` operation before forwarding it. Counts are taken at the HTTP
 * level, so they include the SDK's retries, exactly what DynamoDB would bill.
 */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const targetUrl = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let operations: Operation[] = [];
  const gates: Gate[] = [];
  let failures: { remaining: number; kind: 'throttling' | 'internal' } = { remaining: 0, kind: 'internal' };

  const server: Server = createServer(async (req: IncomingMessage, res) => {
    const header = req.headers['x-amz-target'];
    const operation = (Array.isArray(header) ? header[0] : (header ?? 'unknown')).replace(/^.*\./, '');
    if (operations.length < MAX_RECORDED) operations.push(operation);

    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413).end();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const gateIndex = gates.findIndex((gate) => gate.operation === operation);
    if (gateIndex >= 0) {
      const [gate] = gates.splice(gateIndex, 1);
      gate.arrived();
      await gate.released;
    }
    if (failures.remaining > 0) {
      failures.remaining--;
      const throttling = failures.kind === 'throttling';
      const body = JSON.stringify({
        __type: `com.amazonaws.dynamodb.v20120810#${throttling ? 'ThrottlingException' : 'InternalServerError'}`,
        message: throttling ? 'Rate exceeded' : 'Internal server error',
      });
      res.writeHead(throttling ? 400 : 500, { 'content-type': 'application/x-amz-json-1.0' }).end(body);
      return;
    }
    const upstream = httpRequest(
      {
        host: targetUrl.hostname,
        port: targetUrl.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    upstream.end(Buffer.concat(chunks));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    get operations() {
      return operations;
    },
    count: (operation) => operations.filter((seen) => seen === operation).length,
    writes: () => operations.filter((seen) => WRITE_OPERATIONS.has(seen)).length,
    reset() {
      operations = [];
    },
    hold(operation) {
      let arrived!: () => void;
      let release!: () => void;
      const arrivedPromise = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      gates.push({ operation, arrived, released });
      return { arrived: arrivedPromise, release };
    },
    failNext(count, kind) {
      failures = { remaining: count, kind };
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      });
    },
  };
}

/** A server that accepts connections and never answers: DynamoDB hanging. Close it in afterAll. */
export async function startHungServer(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.resume(); // read and drop the request
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An endpoint where nothing listens: a server is started on a free port, then closed. */
export async function deadEndpoint(): Promise<string> {
  const server = createNetServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  return `http://127.0.0.1:${port}`;
}
