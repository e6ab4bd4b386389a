import {
  createDocumentClient,
  type LambdaHttpEvent,
  SessionManager,
  StaticKeys,
  withSession,
} from '@lambda-sessions/dynamodb';
import {
  type SessionContext,
  type SessionHandlerResult,
  sessionMiddleware,
} from '@lambda-sessions/dynamodb/middy';
import type { ALBEvent, APIGatewayProxyEvent } from 'aws-lambda';
import { localLambdaContext } from '../../lib/local/apiGateway';
import { EVENT_SOURCES, type EventSource, sampleEvent, sentSetCookies } from '../support/eventSources';
import { CURRENT_KEY } from '../support/keys';
import { itemIdOf } from '../support/responses';
import { useStore } from '../support/store';
import { getItem, TABLE } from '../support/table';

// Every Lambda HTTP source end to end, through the documented adapters and a real (embedded)
// store: a login's Set-Cookie leaves where that source sends it from, the browser's cookie comes
// back the way that source delivers it, and the next page reads the session.

// @middy/core is an ES module: its types resolve as an import's would (docs/design.md, "Toolchain facts").
type Middy = typeof import('@middy/core', { with: { 'resolution-mode': 'import' }}).default;

const SESSION_COOKIE = /^__Host-session=[\w-]{43}\.[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/;

const db = useStore();
const { proxy } = db;
const context = localLambdaContext('event-sources-test');
let middy: Middy;
let sessions: SessionManager;

beforeAll(async () => {
  middy = (await import('@middy/core')).default;
  sessions = new SessionManager({
    client: createDocumentClient({ endpoint: proxy.endpoint }),
    tableName: TABLE,
    keys: new StaticKeys([CURRENT_KEY]),
  });
});

/** Where each source takes Set-Cookie from, as the task documents it (read by exact name). */
function setCookiesAt(source: EventSource, result: unknown): unknown {
  const fields = result as {
    cookies?: unknown;
    headers?: Record<string, unknown>;
    multiValueHeaders?: Record<string, unknown>;
  };
  switch (source) {
    case 'http-api':
    case 'function-url':
      return fields.cookies;
    case 'rest-api':
    case 'alb-multi-value':
      return fields.multiValueHeaders?.['Set-Cookie'];
    case 'alb':
      return [fields.headers?.['Set-Cookie']];
  }
}

/** `name=value` of the one Set-Cookie a result sends, as the browser sends it back. */
function cookiePair(source: EventSource, result: unknown): string {
  const sent = sentSetCookies(source, result);
  expect(sent).toHaveLength(1);
  return sent[0].split(';')[0];
}

describe.each(EVENT_SOURCES)('withSession behind %s', (source) => {
  const login = () =>
    withSession(sessions, async (_event: LambdaHttpEvent, _context, session) => {
      session.regenerate();
      session.set('username', 'admin');
      return { statusCode: 303, headers: { Location: '/' }, body: '' };
    });
  const page = () =>
    withSession(sessions, async (_event: LambdaHttpEvent, _context, session) => ({
      statusCode: 200,
      body: String(session.get('username') ?? 'anonymous'),
    }));

  it('logs in: the session cookie where the source sends Set-Cookie from, then a page reads it back', async () => {
    // Act
    const loggedIn = await login()(sampleEvent(source, { method: 'POST', path: '/login' }), context);
    const pair = cookiePair(source, loggedIn);
    proxy.reset();
    const shown = await page()(sampleEvent(source, { cookies: ['theme=dark', pair] }), context);

    // Assess
    expect(loggedIn).toMatchObject({ statusCode: 303, headers: { Location: '/' } });
    expect(setCookiesAt(source, loggedIn)).toEqual([expect.stringMatching(SESSION_COOKIE)]);
    expect(await getItem(db, itemIdOf(pair))).toBeDefined();
    expect(shown).toEqual({ statusCode: 200, body: 'admin' });
    expect(sentSetCookies(source, shown)).toEqual([]);
    expect(proxy.operations).toEqual(['GetItem']);
  });

  it('a page without the cookie is anonymous, and writes nothing', async () => {
    // Act
    const shown = await page()(sampleEvent(source), context);

    // Assess
    expect(shown).toEqual({ statusCode: 200, body: 'anonymous' });
    expect(proxy.operations).toEqual([]);
  });
});

describe('withSession behind a load balancer', () => {
  it('on an HTTP listener (x-forwarded-proto: http): a cookie without Secure, read back over HTTP', async () => {
    // Prepare
    const login = withSession(sessions, async (_event: ALBEvent, _context, session) => {
      session.regenerate();
      session.set('username', 'admin');
      return { statusCode: 303, headers: { location: '/' } };
    });
    const page = withSession(sessions, async (_event: ALBEvent, _context, session) => ({
      statusCode: 200,
      body: String(session.get('username')),
    }));

    // Act
    const loggedIn = await login(sampleEvent('alb', { path: '/login', forwardedProto: 'http' }), context);
    const [setCookie] = sentSetCookies('alb', loggedIn);
    const cookies = [setCookie.split(';')[0]];
    const shown = await page(sampleEvent('alb', { cookies, forwardedProto: 'http' }), context);

    // Assess
    expect(setCookie).toMatch(/^session=[\w-]{43}\.[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(shown.body).toBe('admin');
  });

  it('without multi-value headers, a login whose handler sets a cookie of its own fails with the TypeError', async () => {
    // Prepare
    const login = withSession(sessions, async (_event: ALBEvent, _context, session) => {
      session.regenerate();
      session.set('username', 'admin');
      return { statusCode: 303, headers: { location: '/', 'set-cookie': 'theme=dark; Path=/' } };
    });

    // Act
    const outcome = login(sampleEvent('alb', { path: '/login' }), context);

    // Assess
    await expect(outcome).rejects.toThrow(TypeError);
    await expect(login(sampleEvent('alb', { path: '/login' }), context)).rejects.toThrow(
      /enable multi-value headers on the target group/,
    );
  });
});

describe('the Middy middleware', () => {
  const middyContext = context as SessionContext;

  it('behind a REST API: Set-Cookie in multiValueHeaders, the cookie read back from the Cookie header', async () => {
    // Prepare
    const login = middy<
      APIGatewayProxyEvent,
      SessionHandlerResult<APIGatewayProxyEvent>,
      Error,
      SessionContext
    >()
      .use(sessionMiddleware(sessions))
      .handler(async (_event, { session }) => {
        session.regenerate();
        session.set('username', 'admin');
        return { statusCode: 303, headers: { Location: '/' }, body: '' };
      });
    const page = middy<
      APIGatewayProxyEvent,
      SessionHandlerResult<APIGatewayProxyEvent>,
      Error,
      SessionContext
    >()
      .use(sessionMiddleware(sessions))
      .handler(async (_event, { session }) => ({ statusCode: 200, body: String(session.get('username')) }));

    // Act
    const loggedIn = await login(sampleEvent('rest-api', { method: 'POST', path: '/login' }), middyContext);
    const pair = cookiePair('rest-api', loggedIn);
    const shown = await page(sampleEvent('rest-api', { cookies: [pair] }), middyContext);

    // Assess
    expect(setCookiesAt('rest-api', loggedIn)).toEqual([expect.stringMatching(SESSION_COOKIE)]);
    expect(shown).toEqual({ statusCode: 200, body: 'admin' });
  });

  it('behind a load balancer without multi-value headers: the one Set-Cookie in headers, read back', async () => {
    // Prepare
    const login = middy<ALBEvent, SessionHandlerResult<ALBEvent>, Error, SessionContext>()
      .use(sessionMiddleware(sessions))
      .handler(async (_event, { session }) => {
        session.regenerate();
        session.set('username', 'admin');
        return { statusCode: 303, statusDescription: '303 See Other', headers: { location: '/' } };
      });
    const page = middy<ALBEvent, SessionHandlerResult<ALBEvent>, Error, SessionContext>()
      .use(sessionMiddleware(sessions))
      .handler(async (_event, { session }) => ({ statusCode: 200, body: String(session.get('username')) }));

    // Act
    const loggedIn = await login(sampleEvent('alb', { method: 'POST', path: '/login' }), middyContext);
    const pair = cookiePair('alb', loggedIn);
    const shown = await page(sampleEvent('alb', { cookies: [pair] }), middyContext);

    // Assess
    expect(loggedIn).toMatchObject({ statusCode: 303, statusDescription: '303 See Other' });
    expect(setCookiesAt('alb', loggedIn)).toEqual([expect.stringMatching(SESSION_COOKIE)]);
    expect(shown).toEqual({ statusCode: 200, body: 'admin' });
  });
});
