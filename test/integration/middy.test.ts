import {
  type SessionContext,
  type SessionHandlerResult,
  type SessionMiddlewareRequest,
  sessionMiddleware,
} from '@lambda-sessions/dynamodb/middy';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { SessionUnavailableError } from '../../lambda/session/src/errors';
import { StaticKeys } from '../../lambda/session/src/keys/keyProvider';
import { SessionManager } from '../../lambda/session/src/SessionManager';
import { createDocumentClient } from '../../lambda/session/src/store/documentClient';
import { hashToken } from '../../lambda/session/src/tokens';
import { httpEvent } from '../../lib/local/httpApiEvents';
import { tokenOf } from '../support/responses';
import { openedData } from '../support/sealed';
import { useStore } from '../support/store';
import { getItem, TABLE } from '../support/table';

// The Middy adapter with real middy() handlers against dynalite: the session is loaded before the
// handler, committed after it, and its Set-Cookie values reach the result.

// @middy/core is an ES module: its types resolve as an import's would (docs/design.md, "Toolchain facts").
type Middy = typeof import('@middy/core', { with: { 'resolution-mode': 'import' }}).default;
type SessionResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; cookies: string[] };
type Handle = (event: APIGatewayProxyEventV2, context: SessionContext) => Promise<SessionHandlerResult>;

let middy: Middy;
const db = useStore();
const { proxy } = db;
let sessions: SessionManager;
/** Logs in (attach, regenerate, set); its own cookie comes first. */
let login: ReturnType<typeof handler>;
/** Shows the session's username (load). */
let page: ReturnType<typeof handler>;
const context = { awsRequestId: 'middy-test', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

beforeAll(async () => {
  middy = (await import('@middy/core')).default;
  sessions = new SessionManager({
    client: createDocumentClient({ endpoint: proxy.endpoint }),
    tableName: TABLE,
    keys: new StaticKeys(['middy-test-signing-key-0123456789abcdef']),
  });
  login = handler(
    async (_event, { session }) => {
      session.regenerate();
      session.clear();
      session.set('username', 'admin');
      return { statusCode: 303, headers: { location: '/' }, cookies: ['theme=dark; Path=/'] };
    },
    { mode: 'attach' },
  );

  page = handler(async (_event, { session }) => ({
    statusCode: 200,
    body: String(session.get('username')),
  }));
});

/** A Middy handler with the session middleware (and, optionally, an app error handler before it). */
function handler(handle: Handle, options: { mode?: 'load' | 'attach'; onError?: boolean } = {}) {
  const app = middy<APIGatewayProxyEventV2, SessionHandlerResult, Error, SessionContext>();
  if (options.onError) {
    // The app's own error handling: the middleware leaves errors to it.
    app.use({
      onError: async (request) => {
        const status = request.error instanceof SessionUnavailableError ? 503 : 500;
        request.response = { statusCode: status, body: request.error?.name ?? 'unknown' };
      },
    });
  }
  const wrapped = app.use(sessionMiddleware(sessions, { mode: options.mode })).handler(handle);
  return async (event: APIGatewayProxyEventV2) =>
    (await wrapped(event, context as SessionContext)) as SessionResult;
}

/** `name=value` of the session cookie a result sets. */
function cookieFrom(response: SessionResult): string {
  const setCookie = response.cookies.find((cookie) => cookie.startsWith('__Host-session='));
  if (setCookie === undefined) throw new Error(`no session cookie in ${JSON.stringify(response)}`);
  return setCookie.split(';')[0];
}

async function loggedInCookie(): Promise<string> {
  return cookieFrom(await login(httpEvent({ path: '/login' })));
}

describe('sessionMiddleware', () => {
  it('login (attach): one conditional put, the session cookie appended after the handler’s own', async () => {
    // Act
    const response = await login(httpEvent({ path: '/login' }));

    // Assess
    expect(response.statusCode).toBe(303);
    expect(response.cookies).toHaveLength(2);
    expect(response.cookies[0]).toBe('theme=dark; Path=/');
    expect(response.cookies[1]).toMatch(
      /^__Host-session=[\w-]{43}\.[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect(proxy.operations).toEqual(['PutItem']);
    const token = tokenOf(response.cookies[1].split(';')[0]);
    expect(openedData(await getItem(db, hashToken(token)), token)).toEqual({ username: 'admin' });
  });

  it('a page (load): the session in context.session, one GetItem, no write, no Set-Cookie', async () => {
    // Prepare
    const cookie = await loggedInCookie();
    proxy.reset();

    // Act
    const response = await page(httpEvent({ cookies: [cookie] }));

    // Assess
    expect(response.body).toBe('admin');
    expect(response.cookies).toBeUndefined();
    expect(proxy.operations).toEqual(['GetItem']);
  });

  it('regenerate at a second login: a new id, the old item deleted', async () => {
    // Prepare
    const first = await loggedInCookie();
    proxy.reset();

    // Act
    const second = cookieFrom(await login(httpEvent({ path: '/login', cookies: [first] })));

    // Assess
    expect(second).not.toBe(first);
    expect(proxy.operations).toEqual(['PutItem', 'DeleteItem']);
    expect(await getItem(db, hashToken(tokenOf(first)))).toBeUndefined();
  });

  it('destroy: the item deleted, the cookie cleared, the next page anonymous', async () => {
    // Prepare
    const cookie = await loggedInCookie();
    const logout = handler(
      async (_event, { session }) => {
        session.destroy();
        return { statusCode: 303, headers: { location: '/' } };
      },
      { mode: 'attach' },
    );

    // Act
    const response = await logout(httpEvent({ path: '/logout', cookies: [cookie] }));

    // Assess
    expect(response.cookies).toEqual(['__Host-session=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax']);
    expect(await getItem(db, hashToken(tokenOf(cookie)))).toBeUndefined();
    expect((await page(httpEvent({ cookies: [cookie] }))).body).toBe('undefined');
  });

  it('a bare string result becomes what API Gateway makes of it, with the cookies', async () => {
    // Prepare
    const stringLogin = handler(
      async (_event, { session }) => {
        session.regenerate();
        session.clear();
        session.set('username', 'text');
        return '{"ok":true}';
      },
      { mode: 'attach' },
    );

    // Act
    const response = await stringLogin(httpEvent({ path: '/login' }));

    // Assess
    expect(response).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"ok":true}',
      cookies: [expect.stringMatching(/^__Host-session=/)],
    });
  });

  it('a handler that throws commits nothing, and the error reaches the app’s own error handling', async () => {
    // Prepare
    const cookie = await loggedInCookie();
    const failing = handler(
      async (_event, { session }) => {
        session.set('username', 'changed');
        throw new Error('boom');
      },
      { onError: true },
    );
    proxy.reset();

    // Act
    const response = await failing(httpEvent({ cookies: [cookie] }));

    // Assess
    expect(response).toMatchObject({ statusCode: 500, body: 'Error' });
    expect(proxy.operations).toEqual(['GetItem']);
    expect(openedData(await getItem(db, hashToken(tokenOf(cookie))), tokenOf(cookie))).toEqual({
      username: 'admin',
    });
  });

  it('a store that does not answer: the library’s error goes to the app’s error handling (a 503 there)', async () => {
    // Prepare
    const cookie = await loggedInCookie();
    const guarded = handler(async () => ({ statusCode: 200, body: 'never' }), { onError: true });
    proxy.fault({ kind: 'internal' });

    // Act
    const response = await guarded(httpEvent({ cookies: [cookie] })).finally(() => proxy.heal());

    // Assess
    expect(response).toMatchObject({ statusCode: 503, body: 'SessionUnavailableError' });
  });

  it('refuses an unknown mode or a bad margin with a TypeError naming the option', () => {
    expect(() => sessionMiddleware(sessions, { mode: 'read' as 'load' })).toThrow(/^mode: /);
    expect(() => sessionMiddleware(sessions, { deadlineMarginMs: -1 })).toThrow(/^deadlineMarginMs: /);
  });

  it('stops a hanging store at the deadline the Lambda context allows: one attempt, then the app’s 503', async () => {
    // Prepare: 1.2 s left and a 0.5 s margin: the read is aborted at 0.7 s, inside its first attempt.
    const cookie = await loggedInCookie();
    const hurried = { ...context, getRemainingTimeInMillis: () => 1200 } as SessionContext;
    const app = middy<APIGatewayProxyEventV2, SessionHandlerResult, Error, SessionContext>()
      .use({
        onError: async (request) => {
          request.response = {
            statusCode: request.error instanceof SessionUnavailableError ? 503 : 500,
          };
        },
      })
      .use(sessionMiddleware(sessions))
      .handler(async () => ({ statusCode: 200, body: 'never' }));
    proxy.fault({ kind: 'hang', operations: ['GetItem'] });
    proxy.reset();

    // Act
    const response = (await app(httpEvent({ cookies: [cookie] }), hurried)) as SessionResult;

    // Assess
    expect(response.statusCode).toBe(503);
    expect(proxy.count('GetItem')).toBe(1);
  });

  it('works as a plain { before, after } object too (no Middy needed to call it)', async () => {
    // Prepare: the request object as Middy would hand it over.
    const cookie = await loggedInCookie();
    const request = {
      event: httpEvent({ cookies: [cookie] }),
      context,
      response: undefined,
    } as unknown as SessionMiddlewareRequest;
    const middleware = sessionMiddleware(sessions);

    // Act
    await middleware.before(request);
    request.context.session.set('theme', 'dark');
    request.response = { statusCode: 200, body: 'ok' };
    await middleware.after(request);

    // Assess
    expect(openedData(await getItem(db, hashToken(tokenOf(cookie))), tokenOf(cookie))).toEqual({
      username: 'admin',
      theme: 'dark',
    });
  });
});
