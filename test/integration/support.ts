import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type AttributeValue, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ScanCommand as DocumentScanCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { readAppConfig } from '../../lambda/app/config';
import type { AppContext } from '../../lambda/app/context';
import { createAppContext } from '../../lambda/app/context';
import { createLambdaHandler } from '../../lambda/app/lambdaHandler';
import type { HttpResponse } from '../../lambda/http/response';
import { indexRoute } from '../../lambda/index';
import { loginRoute } from '../../lambda/login';
import { logoutRoute } from '../../lambda/logout';
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
  /** TABLE_NAME, when not the test table. */
  tableName?: string;
  now: () => number;
  logger?: Logger;
}

/** The three handlers built exactly as production builds them, with a controllable clock. */
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

export interface FakeSecretsManager {
  /** `http://127.0.0.1:<port>`: point `AWS_ENDPOINT_URL_SECRETS_MANAGER` here. */
  endpoint: string;
  close(): Promise<void>;
}

/**
 * A Secrets Manager stand-in on 127.0.0.1 that answers `GetSecretValue` for any id with `secret`.
 * Put a `startCountingProxy` in front of it to count calls or inject faults.
 */
export async function startFakeSecretsManager(secret: string): Promise<FakeSecretsManager> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      if (target !== 'secretsmanager.GetSecretValue') {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(
          JSON.stringify({ __type: 'InvalidRequestException', message: `unsupported: ${target}` }),
        );
        return;
      }
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(
        JSON.stringify({
          ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:session-keys-AbCdEf',
          Name: 'session-keys',
          SecretString: secret,
          VersionId: 'v1',
          VersionStages: ['AWSCURRENT'],
          CreatedDate: 1_700_000_000,
        }),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
