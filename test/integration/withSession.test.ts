import {
  createDocumentClient,
  type Session,
  type SessionData,
  SessionManager,
  SessionUnavailableError,
  StaticKeys,
  withSession,
} from '@lambda-sessions/dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { REQUEST_TIMEOUT_MS } from '../../lambda/session/src/clientConfig';
import { localLambdaContext } from '../../lib/local/apiGateway';
import { httpEvent } from '../../lib/local/httpApiEvents';
import { itemIdOf, tokenOf } from '../support/responses';
import { openedData } from '../support/sealed';
import { useStore } from '../support/store';
import { getItem, scanItems, TABLE } from '../support/table';

// withSession with real handlers against dynalite, imported by the package's name as a user
// would: the session is opened before the handler, committed after it, its Set-Cookie values
// appended to the result, and the store's calls bounded by the Lambda context's deadline.

type Handler = (event: APIGatewayProxyEventV2, context: Context, session: Session) => Promise<unknown>;
type Options = Parameters<typeof withSession>[2];
type StructuredResult = APIGatewayProxyStructuredResultV2 & { statusCode: number };

const db = useStore();
const { proxy } = db;
let sessions: SessionManager;
/** Logs in: attach, regenerate, clear, set; its own cookie first. */
let login: ReturnType<typeof wrap>;
/** Shows the session's username (load, the default), or `anonymous`. */
let page: ReturnType<typeof wrap>;

const CLEARED = '__Host-session=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax';

beforeAll(() => {
  sessions = new SessionManager({
    client: createDocumentClient({ endpoint: proxy.endpoint }),
    tableName: TABLE,
    keys: new StaticKeys(['withSession-test-signing-key-0123456789abcdef']),
  });
  login = wrap(
    async (_event, _context, session) => {
      session.regenerate();
      session.clear();
      session.set('username', 'admin');
      return { statusCode: 303, headers: { location: '/' }, cookies: ['theme=dark; Path=/'] };
    },
    { mode: 'attach' },
  );
  page = wrap(async (_event, _context, session) => ({
    statusCode: 200,
    body: String(session.get('username') ?? 'anonymous'),
  }));
});

/** A Lambda context with `remainingMs` left. */
function lambdaContext(remainingMs = 10_000): Context {
  return { ...localLambdaContext('withSession-test'), getRemainingTimeInMillis: () => remainingMs };
}

/** `handle` wrapped by `withSession`, called with a context with plenty of time unless given one. */
function wrap(handle: Handler, options?: Options) {
  const wrapped = withSession(
    sessions,
    handle as Parameters<typeof withSession<SessionData, APIGatewayProxyEventV2>>[1],
    options,
  );
  return (event: APIGatewayProxyEventV2, context: Context = lambdaContext()) => wrapped(event, context);
}

/** The result as a structured payload 2.0 result (fails on a bare body). */
function structured(result: unknown): StructuredResult {
  if (typeof result !== 'object' || result === null) throw new Error(`not a structured result: ${result}`);
  return result as StructuredResult;
}

/** `name=value` of the session cookie a result sets. */
function sessionCookieOf(result: unknown): string {
  const setCookie = structured(result).cookies?.find((cookie) => cookie.startsWith('__Host-session='));
  if (setCookie === undefined) throw new Error(`no session cookie in ${JSON.stringify(result)}`);
  return setCookie.split(';')[0];
}

async function loggedInCookie(): Promise<string> {
  return sessionCookieOf(await login(httpEvent({ method: 'POST', path: '/login' })));
}

/** What the session's item holds, opened with its token. */
async function storedData(cookie: string): Promise<Record<string, unknown>> {
  return openedData(await getItem(db, itemIdOf(cookie)), tokenOf(cookie));
}

describe('withSession', () => {
  it('login (attach): one PutItem, the session cookie appended after the handler’s own', async () => {
    // Act
    const response = structured(await login(httpEvent({ method: 'POST', path: '/login' })));

    // Assess
    expect(response.statusCode).toBe(303);
    expect(response.headers).toEqual({ location: '/' });
    expect(response.cookies).toHaveLength(2);
    expect(response.cookies?.[0]).toBe('theme=dark; Path=/');
    expect(response.cookies?.[1]).toMatch(
      /^__Host-session=[\w-]{43}\.[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect(proxy.operations).toEqual(['PutItem']);
    expect(await storedData(sessionCookieOf(response))).toEqual({ username: 'admin' });
  });

  it('a page (load): the username, one GetItem, no write, no Set-Cookie', async () => {
    // Prepare
    const cookie = await loggedInCookie();
    proxy.reset();

    // Act
    const response = structured(await page(httpEvent({ cookies: [cookie] })));

    // Assess
    expect(response).toEqual({ statusCode: 200, body: 'admin' });
    expect(proxy.operations).toEqual(['GetItem']);
  });

  it('destroy: the item deleted, the cookie cleared (Max-Age=0), the next page anonymous', async () => {
    // Prepare
    const cookie = await loggedInCookie();
    const logout = wrap(
      async (_event, _context, session) => {
        session.destroy();
        return { statusCode: 303, headers: { location: '/' } };
      },
      { mode: 'attach' },
    );
    proxy.reset();

    // Act
    const response = structured(
      await logout(httpEvent({ method: 'POST', path: '/logout', cookies: [cookie] })),
    );
    const operations = [...proxy.operations];
    const next = structured(await page(httpEvent({ cookies: [cookie] })));

    // Assess
    expect(response).toEqual({ statusCode: 303, headers: { location: '/' }, cookies: [CLEARED] });
    expect(operations).toEqual(['DeleteItem']);
    expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
    expect(next.body).toBe('anonymous');
  });

  it('a bare string result becomes the 200 JSON result API Gateway makes of it, with the cookies', async () => {
    // Prepare
    const stringLogin = wrap(
      async (_event, _context, session) => {
        session.regenerate();
        session.clear();
        session.set('username', 'text');
        return '{"ok":true}';
      },
      { mode: 'attach' },
    );

    // Act
    const response = await stringLogin(httpEvent({ method: 'POST', path: '/login' }));

    // Assess
    expect(response).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"ok":true}',
      cookies: [
        expect.stringMatching(
          /^__Host-session=[\w-]{43}\.[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
        ),
      ],
    });
    expect(await storedData(sessionCookieOf(response))).toEqual({ username: 'text' });
  });

  it('a bare string result with no cookie to set is left as it is', async () => {
    // Prepare
    const text = wrap(async () => 'plain');

    // Act
    const response = await text(httpEvent({}));

    // Assess
    expect(response).toBe('plain');
    expect(proxy.operations).toEqual([]);
  });

  it('a login whose handler throws commits nothing: no item written, the error reaches the caller', async () => {
    // Prepare
    const boom = new Error('boom');
    const failing = wrap(
      async (_event, _context, session) => {
        session.regenerate();
        session.clear();
        session.set('username', 'never');
        throw boom;
      },
      { mode: 'attach' },
    );
    const itemsBefore = (await scanItems(db)).length;

    // Act
    const outcome = failing(httpEvent({ method: 'POST', path: '/login' }));

    // Assess
    await expect(outcome).rejects.toBe(boom);
    expect(proxy.operations).toEqual([]);
    expect(await scanItems(db)).toHaveLength(itemsBefore);
  });

  it('a page whose handler throws after a change writes nothing: the stored session stays as it was', async () => {
    // Prepare
    const cookie = await loggedInCookie();
    const failing = wrap(async (_event, _context, session) => {
      session.set('username', 'changed');
      throw new RangeError('late');
    });
    proxy.reset();

    // Act
    const outcome = failing(httpEvent({ cookies: [cookie] }));

    // Assess
    await expect(outcome).rejects.toThrow(RangeError);
    expect(proxy.operations).toEqual(['GetItem']);
    expect(await storedData(cookie)).toEqual({ username: 'admin' });
  });

  it('refuses a bad mode or deadlineMarginMs with a TypeError naming the option, when wrapping', () => {
    // Prepare
    const handle = jest.fn(async () => ({ statusCode: 200 }));

    // Act
    const wrapping = (options: Options) => () => withSession(sessions, handle, options);

    // Assess
    expect(wrapping({ mode: 'read' as 'load' })).toThrow(
      new TypeError(`mode: expected 'load' or 'attach', got "read"`),
    );
    expect(wrapping({ mode: null as unknown as 'load' })).toThrow(/^mode: /);
    for (const deadlineMarginMs of [-1, Number.NaN, Number.POSITIVE_INFINITY, '500' as unknown as number]) {
      expect(wrapping({ deadlineMarginMs })).toThrow(TypeError);
      expect(wrapping({ deadlineMarginMs })).toThrow(/^deadlineMarginMs: /);
    }
    expect(wrapping({ mode: 'attach', deadlineMarginMs: 0 })).not.toThrow();
    expect(handle).not.toHaveBeenCalled();
  });

  // Last: the abandoned read is released at the end, and must not reach another test's counts.
  it('a store that hangs is stopped at the deadline the Lambda context allows, well before its own timeouts', async () => {
    // Prepare: 1.5 s left less an 800 ms margin: the deadline passes at 700 ms, inside the SDK's
    // first 1 s attempt (three attempts would take about four seconds).
    const cookie = await loggedInCookie();
    const handle = jest.fn(async () => ({ statusCode: 200, body: 'never' }));
    const guarded = wrap(handle, { deadlineMarginMs: 800 });
    const held = proxy.hold('GetItem');
    proxy.reset();
    let error: unknown;
    let elapsed: number;

    // Act
    const started = performance.now();
    try {
      await guarded(httpEvent({ cookies: [cookie] }), lambdaContext(1_500));
    } catch (caught) {
      error = caught;
    } finally {
      elapsed = performance.now() - started;
      held.release();
    }

    // Assess
    expect(error).toBeInstanceOf(SessionUnavailableError);
    expect(error).toMatchObject({ retryable: true, dependency: 'store', operation: 'load' });
    expect((error as Error).cause).toMatchObject({ name: 'TimeoutError' });
    expect(elapsed).toBeGreaterThanOrEqual(1_500 - 800 - 10);
    expect(elapsed).toBeLessThan(REQUEST_TIMEOUT_MS);
    expect(proxy.operations).toEqual(['GetItem']);
    expect(handle).not.toHaveBeenCalled();
    // The store answers again: the same session loads.
    expect(structured(await page(httpEvent({ cookies: [cookie] }))).body).toBe('admin');
  });
});
