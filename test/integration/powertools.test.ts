import { Router } from '@aws-lambda-powertools/event-handler/http';
import type { Middleware } from '@aws-lambda-powertools/event-handler/types';
import {
  type SessionEnv,
  type SessionRequestContext,
  sessionMiddleware,
  sessionOf,
} from '@lambda-sessions/dynamodb/powertools';
import type {
  ALBEvent,
  ALBResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { SessionUnavailableError } from '../../lambda/session/src/errors';
import { StaticKeys } from '../../lambda/session/src/keys/keyProvider';
import type { Session } from '../../lambda/session/src/Session';
import { SessionManager } from '../../lambda/session/src/SessionManager';
import { createDocumentClient } from '../../lambda/session/src/store/documentClient';
import { hashToken } from '../../lambda/session/src/tokens';
import { httpEvent } from '../../lib/local/httpApiEvents';
import { tokenOf } from '../support/responses';
import { openedData } from '../support/sealed';
import { useStore } from '../support/store';
import { getItem, TABLE } from '../support/table';

// The Powertools adapter in a real Router (@aws-lambda-powertools/event-handler/http) against
// dynalite: the session is opened into the request store before the route's handler, committed
// after it, and its Set-Cookie values reach each event source's result where the Router puts them.

interface AppData {
  username: string;
}

const db = useStore();
const { proxy } = db;
const context = {
  awsRequestId: 'powertools-test',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;
const SESSION_SET_COOKIE = /^__Host-session=[\w-]{43}\.[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/;
const CLEARED = '__Host-session=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let sessions: SessionManager<AppData>;
let app: Router<SessionEnv<AppData>>;

/** The app: login (attach, regenerate, set), a page (load), logout (attach, destroy), a failing page, an unguarded route. */
function makeApp(
  manager: SessionManager<AppData>,
  options: { before?: Middleware } = {},
): Router<SessionEnv<AppData>> {
  const router = new Router<SessionEnv<AppData>>({ logger: quiet });
  if (options.before) router.use(options.before);
  const load = sessionMiddleware(manager);
  const attach = sessionMiddleware(manager, { mode: 'attach' });
  router.post('/login', [attach], (reqCtx) => {
    const session = sessionOf(reqCtx);
    session.regenerate();
    session.clear();
    session.set('username', 'admin');
    return { statusCode: 303, headers: { location: '/' }, cookies: ['theme=dark; Path=/'], body: '' };
  });
  router.get('/', [load], (reqCtx) => ({ username: sessionOf(reqCtx).get('username') ?? null }));
  router.post('/logout', [attach], (reqCtx) => {
    sessionOf(reqCtx).destroy();
    return { statusCode: 303, headers: { location: '/' }, body: '' };
  });
  router.get('/boom', [load], (reqCtx) => {
    sessionOf(reqCtx).set('username', 'changed');
    throw new Error('boom');
  });
  router.get('/unguarded', (reqCtx) => ({ username: sessionOf(reqCtx).get('username') ?? null }));
  // The app's own error handling: a store or keys that did not answer in time is a 503.
  router.errorHandler(SessionUnavailableError, async (error) => ({ statusCode: 503, body: error.name }));
  return router;
}

beforeAll(() => {
  sessions = new SessionManager<AppData>({
    client: createDocumentClient({ endpoint: proxy.endpoint }),
    tableName: TABLE,
    keys: new StaticKeys(['powertools-test-signing-key-0123456789abcdef']),
  });
  app = makeApp(sessions);
});

type V2Result = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };

/** An HTTP API (payload 2.0) request through the Router. */
async function v2(method: string, path: string, cookies?: string[], router = app): Promise<V2Result> {
  return (await router.resolve(httpEvent({ method, path, cookies }), context)) as V2Result;
}

/**
 * A REST API (payload 1.0) event, as API Gateway sends it: each header's last value in `headers`,
 * all of them in `multiValueHeaders` (an HTTP/2 client may send several `Cookie` headers).
 */
function restEvent(method: string, path: string, ...cookieHeaders: string[]): APIGatewayProxyEvent {
  const multiValueHeaders: Record<string, string[]> = {
    Host: ['abc123.execute-api.us-east-1.amazonaws.com'],
    'User-Agent': ['jest'],
    'X-Forwarded-Proto': ['https'],
    ...(cookieHeaders.length > 0 ? { Cookie: cookieHeaders } : {}),
  };
  return {
    resource: path,
    path,
    httpMethod: method,
    headers: Object.fromEntries(
      Object.entries(multiValueHeaders).map(([name, values]) => [name, values.at(-1) as string]),
    ),
    multiValueHeaders,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      httpMethod: method,
      path: `/prod${path}`,
      protocol: 'HTTP/1.1',
      requestId: 'rest-request',
      requestTimeEpoch: Date.now(),
      resourceId: 'res',
      resourcePath: path,
      stage: 'prod',
      identity: { sourceIp: '203.0.113.7', userAgent: 'jest' },
    } as APIGatewayProxyEvent['requestContext'],
    body: null,
    isBase64Encoded: false,
  };
}

/** An Application Load Balancer event (multi-value headers on), here over plain HTTP. */
function albEvent(method: string, path: string, cookieHeader?: string): ALBEvent {
  return {
    requestContext: {
      elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/1' },
    },
    httpMethod: method,
    path,
    multiValueQueryStringParameters: {},
    multiValueHeaders: {
      host: ['internal-lb.example.com'],
      'x-forwarded-proto': ['http'],
      ...(cookieHeader ? { cookie: [cookieHeader] } : {}),
    },
    body: '',
    isBase64Encoded: false,
  };
}

/** `name=value` of the session cookie among `setCookies`. */
function sessionPair(setCookies: readonly string[] | undefined, name = '__Host-session'): string {
  const found = (setCookies ?? []).find((cookie) => cookie.startsWith(`${name}=`));
  if (found === undefined) throw new Error(`no ${name} cookie in ${JSON.stringify(setCookies)}`);
  return found.split(';')[0];
}

async function loggedInCookie(): Promise<string> {
  return sessionPair((await v2('POST', '/login')).cookies);
}

describe('sessionMiddleware in a Powertools Router, HTTP API (payload 2.0) events', () => {
  it('login (attach): one conditional put, the session cookie in `cookies` after the handler’s own', async () => {
    // Act
    const response = await v2('POST', '/login');

    // Assess
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/');
    expect(Object.keys(response.headers)).not.toContain('set-cookie');
    expect(response.cookies).toEqual(['theme=dark; Path=/', expect.stringMatching(SESSION_SET_COOKIE)]);
    expect(proxy.operations).toEqual(['PutItem']);
    const token = tokenOf(sessionPair(response.cookies));
    expect(openedData(await getItem(db, hashToken(token)), token)).toEqual({ username: 'admin' });
  });

  it('a page (load): the session in the request store, one GetItem, no write, no Set-Cookie', async () => {
    // Prepare
    const cookie = await loggedInCookie();
    proxy.reset();

    // Act
    const response = await v2('GET', '/', ['theme=dark', cookie]);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body as string)).toEqual({ username: 'admin' });
    expect(response.cookies).toBeUndefined();
    expect(proxy.operations).toEqual(['GetItem']);
  });

  it('regenerate at a second login: a new id, the old item deleted', async () => {
    // Prepare
    const first = await loggedInCookie();
    proxy.reset();

    // Act
    const second = sessionPair((await v2('POST', '/login', [first])).cookies);

    // Assess
    expect(second).not.toBe(first);
    expect(proxy.operations).toEqual(['PutItem', 'DeleteItem']);
    expect(await getItem(db, hashToken(tokenOf(first)))).toBeUndefined();
  });

  it('logout (destroy): the item deleted, the cookie cleared, the next page anonymous', async () => {
    // Prepare
    const cookie = await loggedInCookie();
    proxy.reset();

    // Act
    const response = await v2('POST', '/logout', [cookie]);

    // Assess
    expect(response.statusCode).toBe(303);
    expect(response.cookies).toEqual([CLEARED]);
    expect(proxy.operations).toEqual(['DeleteItem']);
    expect(await getItem(db, hashToken(tokenOf(cookie)))).toBeUndefined();
    expect(JSON.parse((await v2('GET', '/', [cookie])).body as string)).toEqual({ username: null });
  });

  it('a handler that throws: nothing committed, no Set-Cookie, the error to the Router’s error handling', async () => {
    // Prepare
    const cookie = await loggedInCookie();
    proxy.reset();

    // Act
    const response = await v2('GET', '/boom', [cookie]);

    // Assess: the Router's own 500 for an error no handler claims
    expect(response.statusCode).toBe(500);
    expect(response.cookies).toBeUndefined();
    expect(proxy.operations).toEqual(['GetItem']);
    expect(openedData(await getItem(db, hashToken(tokenOf(cookie))), tokenOf(cookie))).toEqual({
      username: 'admin',
    });
  });

  it('a store that fails the load: the library’s error reaches the app’s error handler (a 503 there)', async () => {
    // Prepare
    const cookie = await loggedInCookie();
    proxy.fault({ kind: 'internal' });

    // Act
    const response = await v2('GET', '/', [cookie]).finally(() => proxy.heal());

    // Assess
    expect(response).toMatchObject({ statusCode: 503, body: 'SessionUnavailableError' });
    expect(response.cookies).toBeUndefined();
  });

  it('a commit that fails: the 503 carries none of the handler’s headers, the earlier middleware’s stay', async () => {
    // Prepare: a middleware before the session's sets a header before the handler, as CORS does.
    const guarded = makeApp(sessions, {
      before: async ({ reqCtx, next }) => {
        reqCtx.res.headers.set('x-before', 'kept');
        await next();
      },
    });
    proxy.fault({ kind: 'internal', operations: ['PutItem'] });

    // Act
    const response = await v2('POST', '/login', undefined, guarded).finally(() => proxy.heal());

    // Assess: no location and no cookie of the handler's, on a response that is not its
    expect(response.statusCode).toBe(503);
    expect(response.body).toBe('SessionUnavailableError');
    expect(response.headers['x-before']).toBe('kept');
    expect(response.headers.location).toBeUndefined();
    expect(response.cookies).toBeUndefined();
  });

  it('stops a hanging store at the deadline the Lambda context allows: one attempt, then the app’s 503', async () => {
    // Prepare: 1.2 s left and a 0.5 s margin: the read is aborted at 0.7 s, inside its first attempt.
    const cookie = await loggedInCookie();
    const hurried = { ...context, getRemainingTimeInMillis: () => 1200 } as Context;
    proxy.fault({ kind: 'hang', operations: ['GetItem'] });
    proxy.reset();

    // Act
    const response = (await app.resolve(httpEvent({ cookies: [cookie] }), hurried)) as V2Result;

    // Assess
    expect(response.statusCode).toBe(503);
    expect(proxy.count('GetItem')).toBe(1);
  });

  it('a route without the middleware: sessionOf throws a TypeError, the Router answers 500', async () => {
    // Act
    const response = await v2('GET', '/unguarded', [await loggedInCookie()]);

    // Assess
    expect(response.statusCode).toBe(500);
    expect(() => sessionOf({ get: () => undefined })).toThrow(
      /^no session on this request: add sessionMiddleware/,
    );
  });

  it('appends to a response whose headers are immutable (a redirect a later middleware made)', async () => {
    // Prepare: a later middleware swaps the handler's response for Response.redirect().
    const router = new Router<SessionEnv<AppData>>({ logger: quiet });
    router.use(sessionMiddleware(sessions, { mode: 'attach' }));
    router.use(async ({ reqCtx, next }) => {
      await next();
      reqCtx.res = Response.redirect('https://example.com/', 303);
    });
    router.post('/login', (reqCtx) => {
      const session = sessionOf(reqCtx);
      session.regenerate();
      session.clear();
      session.set('username', 'redirected');
      return { ok: true };
    });

    // Act
    const response = await v2('POST', '/login', undefined, router);

    // Assess
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('https://example.com/');
    expect(response.cookies).toEqual([expect.stringMatching(SESSION_SET_COOKIE)]);
  });

  it('refuses an unknown mode or a bad margin with a TypeError naming the option', () => {
    expect(() => sessionMiddleware(sessions, { mode: 'read' as 'load' })).toThrow(/^mode: /);
    expect(() => sessionMiddleware(sessions, { deadlineMarginMs: -1 })).toThrow(/^deadlineMarginMs: /);
  });

  it('types the session by the manager’s data, in the request store and through sessionOf', async () => {
    // Prepare: the types are tsc's to check (npm run typecheck); here, that the route runs.
    const router = new Router<SessionEnv<AppData>>({ logger: quiet });
    router.use(sessionMiddleware(sessions));
    router.get('/typed', (reqCtx) => {
      const name: string | undefined = sessionOf(reqCtx).get('username');
      // @ts-expect-error: a username is a string
      if (name === 'never') sessionOf(reqCtx).set('username', 42);
      const stored: Session<AppData> | undefined = reqCtx.get('session');
      const shape: SessionRequestContext<AppData> = reqCtx; // the Router's context fits the declared shape
      return {
        name: name ?? null,
        same: stored === sessionOf(reqCtx),
        https: shape.req.url.startsWith('https:'),
      };
    });

    // Act
    const response = await v2('GET', '/typed', [await loggedInCookie()], router);

    // Assess
    expect(JSON.parse(response.body as string)).toEqual({ name: 'admin', same: true, https: true });
  });
});

describe('sessionMiddleware in a Powertools Router, REST API (payload 1.0) and load balancer events', () => {
  it('REST login: two Set-Cookie values in multiValueHeaders, none lost or merged', async () => {
    // Act
    const response = (await app.resolve(restEvent('POST', '/login'), context)) as APIGatewayProxyResult;

    // Assess
    expect(response.statusCode).toBe(303);
    expect(response.headers?.['set-cookie']).toBeUndefined();
    expect(response.multiValueHeaders?.['set-cookie']).toEqual([
      'theme=dark; Path=/',
      expect.stringMatching(SESSION_SET_COOKIE),
    ]);
    expect(proxy.operations).toEqual(['PutItem']);
  });

  it('REST page and logout: the session from the Cookie header, one GetItem; the one cleared cookie in headers', async () => {
    // Prepare
    const cookie = await loggedInCookie();
    proxy.reset();

    // Act
    const page = (await app.resolve(
      restEvent('GET', '/', `theme=dark; ${cookie}`),
      context,
    )) as APIGatewayProxyResult;
    const logout = (await app.resolve(
      restEvent('POST', '/logout', cookie),
      context,
    )) as APIGatewayProxyResult;

    // Assess
    expect(JSON.parse(page.body)).toEqual({ username: 'admin' });
    expect(page.headers?.['set-cookie']).toBeUndefined();
    expect(page.multiValueHeaders).toBeUndefined();
    expect(logout.headers?.['set-cookie']).toBe(CLEARED);
    expect(proxy.operations).toEqual(['GetItem', 'DeleteItem']);
  });

  it('REST page with two Cookie headers (HTTP/2), which the Request joins with `; `: the session found', async () => {
    // Prepare
    const cookie = await loggedInCookie();
    proxy.reset();

    // Act
    const page = (await app.resolve(
      restEvent('GET', '/', cookie, 'theme=dark'),
      context,
    )) as APIGatewayProxyResult;

    // Assess
    expect(JSON.parse(page.body)).toEqual({ username: 'admin' });
    expect(proxy.operations).toEqual(['GetItem']);
  });

  it('load balancer over plain HTTP: the cookie without __Host- and Secure, read back from the cookie header', async () => {
    // Act
    const login = (await app.resolve(albEvent('POST', '/login'), context)) as ALBResult;
    const setCookies = login.multiValueHeaders?.['set-cookie'] as string[];
    const page = (await app.resolve(
      albEvent('GET', '/', `theme=dark; ${sessionPair(setCookies, 'session')}`),
      context,
    )) as ALBResult;

    // Assess
    expect(login.statusCode).toBe(303);
    expect(setCookies).toEqual([
      'theme=dark; Path=/',
      expect.stringMatching(/^session=[\w-]{43}\.[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax$/),
    ]);
    expect(JSON.parse(page.body as string)).toEqual({ username: 'admin' });
  });
});
