import { Logger } from '@aws-lambda-powertools/logger';
import 'aws-sdk-client-mock-jest';
import {
  ConditionalCheckFailedException,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createLambdaHandler, RETRY_AFTER_SECONDS, type Route } from '../../lambda/app/lambdaHandler';
import { HttpError } from '../../lambda/http/HttpError';
import { CONTENT_SECURITY_POLICY } from '../../lambda/http/pages';
import { type HttpResponse, htmlResponse } from '../../lambda/http/response';
import { indexRoute } from '../../lambda/routes/indexRoute';
import { loginRoute } from '../../lambda/routes/loginRoute';
import { logoutRoute } from '../../lambda/routes/logoutRoute';
import { sessionsRoute } from '../../lambda/routes/sessionsRoute';
import { SessionUnavailableError } from '../../lambda/session/src/errors';
import type { SessionRecord } from '../../lambda/session/src/store/SessionStore';
import { newToken } from '../../lambda/session/src/tokens';
import { cookieJar, formEvent, httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import {
  ABSOLUTE_SECONDS,
  sha256Base64Url,
  storedItem,
  unitAppContext,
  useMockedApp,
} from '../support/mockedStore';
import { captureOutput } from '../support/output';
import { sealFor } from '../support/sealed';

const { ddb, clock, app, manageApp, ring, cookieFor: sessionCookie } = useMockedApp();
const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' };

function throttled(): ThrottlingException {
  const error = new ThrottlingException({
    message: 'Rate of requests exceeds the allowed throughput',
    $metadata: { httpStatusCode: 400, requestId: 'SDKREQUESTID' },
  });
  return error;
}

function handler(route: Route) {
  return createLambdaHandler(route, route.name === 'sessions' ? manageApp : app);
}

/** `GET /logout` runs in the logout function, `POST /logout` in the sessions function (its scope may need the index). */
function logoutRouteFor(method: string): Route {
  return method === 'POST' ? sessionsRoute : logoutRoute;
}

/** Every HTML response carries these. */
function expectHtmlHeaders(response: HttpResponse): void {
  expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
  expect(response.headers['cache-control']).toBe('no-store');
  expect(response.headers['referrer-policy']).toBe('no-referrer');
  expect(response.headers['x-frame-options']).toBe('DENY');
  expect(response.headers['cross-origin-opener-policy']).toBe('same-origin');
  expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  // The events here come over HTTPS, as API Gateway's always do.
  expect(response.headers['strict-transport-security']).toBe('max-age=31536000');
}

/** Nothing internal may reach the page. */
function expectNoInternals(body: string, ...secrets: string[]): void {
  expect(body).not.toMatch(/\bat .+\(.+:\d+:\d+\)/); // a stack frame
  expect(body).not.toMatch(/\.ts:\d+/);
  expect(body).not.toContain('Error');
  expect(body).not.toContain('Exception');
  expect(body).not.toContain('SessionStore');
  for (const secret of secrets) expect(body).not.toContain(secret);
}

describe('createLambdaHandler', () => {
  it('sends HSTS over HTTPS only', async () => {
    const overHttps = await handler(indexRoute)(httpEvent());
    const overHttp = await handler(indexRoute)(httpEvent({ secure: false }));
    expect(overHttps.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(overHttp.headers['strict-transport-security']).toBeUndefined();
  });

  /** A route answering what the login function answers (GET and POST, from the route table). */
  function routeThat(handle: Route['handle']): Route {
    return { name: 'login', handle };
  }

  it('refuses another method with 405 and an allow header, without running the route', async () => {
    // Prepare
    const handle = jest.fn(async () => htmlResponse(200, 'ok'));

    // Act
    const response = await handler(routeThat(handle))(httpEvent({ method: 'DELETE', path: '/login' }));

    // Assess: what the address accepts
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, POST');
    expect(handle).not.toHaveBeenCalled();
    expectHtmlHeaders(response);
  });

  describe("API Gateway's $default route (no route matched)", () => {
    /** The event API Gateway sends for a request only the catch-all route matched. */
    function defaultRouteEvent(method: string, path: string): APIGatewayProxyEventV2 {
      const event = httpEvent({ method, path, cookies: [sessionCookie(newToken())] });
      return {
        ...event,
        routeKey: '$default',
        requestContext: { ...event.requestContext, routeKey: '$default' },
      };
    }

    it('answers an unknown path with the 404 page, reading no session', async () => {
      const response = await handler(indexRoute)(defaultRouteEvent('GET', '/no-such-page'));
      expect(response.statusCode).toBe(404);
      expect(response.body).toContain('There is no page at this address.');
      expectHtmlHeaders(response);
      expect(response.cookies).toEqual([]);
      expect(ddb.calls()).toHaveLength(0);
    });

    it('answers a known path with another method with 405 and the methods it accepts', async () => {
      const response = await handler(indexRoute)(defaultRouteEvent('PUT', '/login'));
      expect(response.statusCode).toBe(405);
      expect(response.headers.allow).toBe('GET, POST');
      expectHtmlHeaders(response);
      expect(ddb.calls()).toHaveLength(0);
    });
  });

  it('treats the method case-insensitively', async () => {
    const response = await handler(routeThat(async () => htmlResponse(200, 'ok')))(
      httpEvent({ method: 'get' }),
    );
    expect(response.statusCode).toBe(200);
  });

  it('turns an HttpError into its status page with its message and headers', async () => {
    // Prepare
    const route = routeThat(async () => {
      throw new HttpError(413, 'Too <big>.', { 'x-extra': 'yes' });
    });

    // Act
    const response = await handler(route)(httpEvent());

    // Assess
    expect(response.statusCode).toBe(413);
    expect(response.body).toContain('Too &lt;big&gt;.');
    expect(response.body).toContain('Request too large');
    expect(response.headers['x-extra']).toBe('yes');
    expect(response.cookies).toEqual([]);
    expectHtmlHeaders(response);
  });

  it('turns SessionUnavailableError into a 503 with retry-after, no internals and no cookie', async () => {
    // Prepare
    const cause = throttled();
    const route = routeThat(async () => {
      throw new SessionUnavailableError('store', 'load', { cause });
    });

    // Act
    const response = await handler(route)(httpEvent());

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
    expect(response.cookies).toEqual([]);
    expect(response.body).toContain('Service unavailable');
    expectNoInternals(response.body, cause.message, 'Throttling', 'SDKREQUESTID', 'unavailable during');
    expectHtmlHeaders(response);
  });

  it('turns any other error into a generic 500 page', async () => {
    // Prepare
    const route = routeThat(async () => {
      throw new TypeError('internal detail: cannot read properties of undefined (reading "secret")');
    });

    // Act
    const response = await handler(route)(httpEvent());

    // Assess
    expect(response.statusCode).toBe(500);
    expect(response.body).toContain('Something went wrong');
    expect(response.cookies).toEqual([]);
    expectNoInternals(response.body, 'internal detail', 'TypeError', 'secret');
    expectHtmlHeaders(response);
  });

  it('survives a thrown non-Error', async () => {
    // Prepare
    const route = routeThat(async () => {
      throw 'a string with internal detail';
    });

    // Act
    const response = await handler(route)(httpEvent());

    // Assess
    expect(response.statusCode).toBe(500);
    expectNoInternals(response.body, 'internal detail');
  });

  it('answers a malformed event without throwing', async () => {
    const response = await handler(routeThat(async () => htmlResponse(200, 'ok')))(
      null as unknown as APIGatewayProxyEventV2,
    );
    expect(response.statusCode).toBe(200);
  });

  it('logs one line per request with the request id and never the cookie or token', async () => {
    // Prepare
    const logged = captureOutput();
    const token = newToken();
    ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
    const event = httpEvent({ cookies: [sessionCookie(token)] });
    const info = unitAppContext(clock, { logger: new Logger({ logLevel: 'INFO' }), serviceName: 'svc' });

    // Act
    try {
      await createLambdaHandler(indexRoute, info)(event);
    } finally {
      logged.restore();
    }

    // Assess: the request id, then the metrics' dimension and the hit (what the cookie led to).
    const records = logged.records();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      requestId: event.requestContext.requestId,
      service: 'svc',
      SessionHit: 1,
    });
    expect(Object.keys(records[0])).toEqual(['requestId', 'service', '_aws', 'SessionHit']);
    expect(logged.text()).not.toContain(token);
    expect(logged.text()).not.toContain(ring.sign(token).split('.')[1]);
    expect(logged.text()).not.toContain(sha256Base64Url(token));
  });

  it.each(['WARN', 'ERROR', 'SILENT'] as const)(
    'writes no request line at log level %s',
    async (logLevel) => {
      // Prepare
      const logged = captureOutput();
      const quiet = unitAppContext(clock, { logger: new Logger({ logLevel }) });

      // Act
      try {
        await createLambdaHandler(indexRoute, quiet)(httpEvent());
      } finally {
        logged.restore();
      }

      // Assess
      expect(logged.text()).toBe('');
    },
  );

  it('answers 500 without Retry-After when DynamoDB refuses for good (no table), and says so in the log', async () => {
    // Prepare
    const error = jest.spyOn(app.logger, 'error');
    const token = newToken();
    ddb
      .on(GetCommand)
      .rejects(new ResourceNotFoundException({ message: 'not found', $metadata: { httpStatusCode: 400 } }));

    // Act
    const response = await handler(indexRoute)(httpEvent({ cookies: [sessionCookie(token)] }));

    // Assess
    expect(response.statusCode).toBe(500);
    expect(response.headers['retry-after']).toBeUndefined();
    expect(response.cookies).toEqual([]);
    expectNoInternals(response.body, token);
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0][0]).toBe('session store rejected the request');
    expect(error.mock.calls[0][1]).toMatchObject({ operation: 'load', cause: 'ResourceNotFoundException' });
  });

  it('logs a store failure without the token', async () => {
    // Prepare
    const error = jest.spyOn(app.logger, 'error');
    const token = newToken();
    ddb.on(GetCommand).rejects(throttled());

    // Act
    await handler(indexRoute)(httpEvent({ cookies: [sessionCookie(token)] }));

    // Assess
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0][1]).toMatchObject({ operation: 'load', cause: 'ThrottlingException' });
    expect(JSON.stringify(error.mock.calls)).not.toContain(token);
  });
});

describe('index route', () => {
  it('without a cookie: 200 "You are not logged in", no command', async () => {
    // Act
    const response = await handler(indexRoute)(httpEvent());

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('You are not logged in');
    expect(response.body).toContain('<a href="/login">click here to log in</a>');
    expect(response.cookies).toEqual([]);
    expect(ddb.calls()).toHaveLength(0);
    expectHtmlHeaders(response);
  });

  it('with a session: 200 "Logged in as admin" (escaped), one read, no write', async () => {
    // Prepare
    const token = newToken();
    ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: '<b>admin</b>' }) });

    // Act
    const response = await handler(indexRoute)(httpEvent({ cookies: [sessionCookie(token)] }));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Logged in as &lt;b&gt;admin&lt;/b&gt;');
    expect(response.body).toContain('<a href="/logout">click here to log out</a>');
    expect(ddb.calls()).toHaveLength(1);
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1);
    expectHtmlHeaders(response);
  });

  it('when the refresh finds the session gone: logged out page, no cookie', async () => {
    // Prepare
    const token = newToken();
    ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'x', $metadata: {} }));
    clock.advance(30 * 60 * 1000);

    // Act
    const response = await handler(indexRoute)(httpEvent({ cookies: [sessionCookie(token)] }));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('You are not logged in');
    expect(response.cookies).toEqual([]);
  });

  it('store throttling: 503 with retry-after and no cookie', async () => {
    // Prepare
    ddb.on(GetCommand).rejects(throttled());

    // Act
    const response = await handler(indexRoute)(httpEvent({ cookies: [sessionCookie(newToken())] }));

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
    expect(response.cookies).toEqual([]);
    expectNoInternals(response.body, 'Rate of requests');
  });

  it('refuses POST with 405', async () => {
    const response = await handler(indexRoute)(httpEvent({ method: 'POST' }));
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET');
  });
});

describe('login route', () => {
  it('GET: 200 with the form, no command', async () => {
    // Act
    const response = await handler(loginRoute)(httpEvent({ path: '/login' }));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<form method="post" action="/login">');
    expect(response.body).toContain('name="username"');
    expect(response.body).toContain('<button type="submit">Login</button>');
    expect(ddb.calls()).toHaveLength(0);
    expectHtmlHeaders(response);
  });

  it('POST with a valid form: 303 to / with a new session cookie and one PutCommand', async () => {
    // Act
    const response = await handler(loginRoute)(loginEvent('  admin  ', { headers: SAME_ORIGIN }));

    // Assess
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/');
    expect(ddb.calls()).toHaveLength(1);
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(response.cookies).toHaveLength(1);
    const [cookie] = response.cookies;
    expect(cookie).toMatch(/^__Host-session=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}; /);
    const verified = ring.verify(cookieJar(response.cookies)[0].slice('__Host-session='.length));
    expect(verified).not.toBe(false);
    const token = verified ? verified.token : '';
    const { Item } = ddb.commandCalls(PutCommand)[0].args[0].input;
    expect(Item?.id).toBe(sha256Base64Url(token));
    const { data, rejected } = sealFor(token).openAll(Item?.sealed);
    expect({ ...data, rejected }).toEqual({ username: 'admin', rejected: 0 });
    expectHtmlHeaders(response);
  });

  it('POST with "Keep me signed in" (remember=on): a permanent session, its cookie’s Max-Age the absolute timeout', async () => {
    // Act
    const response = await handler(loginRoute)(
      formEvent('/login', { username: 'admin', remember: 'on' }, { headers: SAME_ORIGIN }),
    );

    // Assess
    expect(response.statusCode).toBe(303);
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(ddb.commandCalls(PutCommand)[0].args[0].input.Item?.permanent).toBe(true);
    expect(response.cookies).toHaveLength(1);
    expect(response.cookies[0]).toContain(`; Max-Age=${ABSOLUTE_SECONDS}`);
  });

  it('POST without the box: not permanent, a browser-session cookie', async () => {
    const response = await handler(loginRoute)(loginEvent('admin', { headers: SAME_ORIGIN }));
    expect(ddb.commandCalls(PutCommand)[0].args[0].input.Item?.permanent).toBeUndefined();
    expect(response.cookies[0]).not.toMatch(/max-age/i);
  });

  it.each([
    ['yes', 'yes'],
    ['empty', ''],
    ['ON', 'ON'],
  ])(
    'POST with remember=%s: 400, the form with the error by the checkbox, no command, no cookie',
    async (_, value) => {
      const response = await handler(loginRoute)(
        formEvent('/login', { username: 'admin', remember: value }, { headers: SAME_ORIGIN }),
      );
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('id="remember-error"');
      expect(response.body).toContain('aria-describedby="remember-error"');
      expect(ddb.calls()).toHaveLength(0);
      expect(response.cookies).toEqual([]);
    },
  );

  it('POST with an invalid username keeps the box ticked in the form it shows again', async () => {
    const response = await handler(loginRoute)(
      formEvent('/login', { username: '   ', remember: 'on' }, { headers: SAME_ORIGIN }),
    );
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('name="remember" value="on" checked>');
    expect(response.body).toContain('aria-describedby="username-error"');
  });

  it('POST with an existing session: the old item is deleted and the cookie carries a new token', async () => {
    // Prepare
    const oldToken = newToken();

    // Act
    const response = await handler(loginRoute)(
      loginEvent('admin', { headers: SAME_ORIGIN, cookies: [sessionCookie(oldToken)] }),
    );

    // Assess
    expect(response.statusCode).toBe(303);
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: { id: sha256Base64Url(oldToken) } });
    expect(response.cookies[0]).not.toContain(oldToken);
  });

  it('login, then index with the returned cookie shows the user', async () => {
    // Prepare: the mocked table returns what was put
    let stored: SessionRecord | undefined;
    ddb.on(PutCommand).callsFake((input: PutCommandInput) => {
      stored = input.Item as SessionRecord;
      return {};
    });
    ddb.on(GetCommand).callsFake(() => ({ Item: stored }));

    // Act
    const login = await handler(loginRoute)(loginEvent('Zoë', { headers: SAME_ORIGIN }));
    const index = await handler(indexRoute)(httpEvent({ cookies: cookieJar(login.cookies) }));

    // Assess
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain('Logged in as Zoë');
  });

  it.each<[string, string | undefined]>([
    ['missing', undefined],
    ['empty', ''],
    ['whitespace', '   '],
    ['65 characters', 'a'.repeat(65)],
    ['a control character', 'ad\u0007min'],
    ['a zero-width space', 'ad\u200bmin'],
    ['a leading BOM (%EF%BB%BF)', '\ufeffadmin'],
    ['a trailing line separator', 'admin\u2028'],
  ])(
    'POST with an invalid username (%s): 400 with the form, no command, no cookie',
    async (_label, username) => {
      // Prepare
      const event =
        username === undefined
          ? httpEvent({
              method: 'POST',
              path: '/login',
              body: 'other=1',
              headers: { 'content-type': 'application/x-www-form-urlencoded', ...SAME_ORIGIN },
            })
          : loginEvent(username, { headers: SAME_ORIGIN });

      // Act
      const response = await handler(loginRoute)(event);

      // Assess
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('<form method="post" action="/login">');
      expect(response.body).toContain('id="username-error"');
      expect(response.cookies).toEqual([]);
      expect(ddb.calls()).toHaveLength(0);
      expectHtmlHeaders(response);
    },
  );

  it('POST with a JSON body: 415, no command', async () => {
    // Act
    const response = await handler(loginRoute)(
      httpEvent({
        method: 'POST',
        path: '/login',
        body: JSON.stringify({ username: 'admin' }),
        headers: { 'content-type': 'application/json', ...SAME_ORIGIN },
      }),
    );

    // Assess
    expect(response.statusCode).toBe(415);
    expect(response.cookies).toEqual([]);
    expect(ddb.calls()).toHaveLength(0);
    expectHtmlHeaders(response);
  });

  it('POST over 8 KB: 413, no command', async () => {
    const response = await handler(loginRoute)(loginEvent('a'.repeat(9000), { headers: SAME_ORIGIN }));
    expect(response.statusCode).toBe(413);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('POST with malformed encoding: 400, no command', async () => {
    // Act
    const response = await handler(loginRoute)(
      httpEvent({
        method: 'POST',
        path: '/login',
        body: 'username=%C3%28',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...SAME_ORIGIN },
      }),
    );

    // Assess
    expect(response.statusCode).toBe(400);
    expect(ddb.calls()).toHaveLength(0);
  });

  it.each([
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
    ['a foreign Origin', { origin: 'https://evil.example' }],
    ['Origin: null', { origin: 'null' }],
  ])('a cross-site POST (%s): 403, no command, no cookie', async (_label, headers) => {
    // Act
    const response = await handler(loginRoute)(
      loginEvent('admin', { headers, cookies: [sessionCookie(newToken())] }),
    );

    // Assess
    expect(response.statusCode).toBe(403);
    expect(response.cookies).toEqual([]);
    expect(ddb.calls()).toHaveLength(0);
    expectHtmlHeaders(response);
  });

  it('store throttling: 503 and no cookie', async () => {
    // Prepare
    ddb.on(PutCommand).rejects(throttled());

    // Act
    const response = await handler(loginRoute)(loginEvent('admin', { headers: SAME_ORIGIN }));

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
    expect(response.cookies).toEqual([]);
    expect(response.headers.location).toBeUndefined();
    expectNoInternals(response.body, 'Rate of requests');
  });

  it('store throttling while deleting the old session: 503 and no cookie', async () => {
    // Prepare
    ddb.on(DeleteCommand).rejects(throttled());

    // Act
    const response = await handler(loginRoute)(
      loginEvent('admin', { headers: SAME_ORIGIN, cookies: [sessionCookie(newToken())] }),
    );

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.cookies).toEqual([]);
  });
});

describe('logout route', () => {
  it.each(['GET', 'POST'])(
    '%s: deletes the hashed id, replaces the cookie with a new session’s holding the flash, redirects to /',
    async (method) => {
      // Prepare
      const token = newToken();

      // Act
      const response = await handler(logoutRouteFor(method))(
        httpEvent({ method, path: '/logout', cookies: [sessionCookie(token)], headers: SAME_ORIGIN }),
      );

      // Assess
      expect(response.statusCode).toBe(303); // GET and POST alike: the browser follows with a GET
      expect(response.headers.location).toBe('/');
      // Sent together: the delete, and the put of the anonymous session holding the flash.
      expect(
        ddb
          .calls()
          .map((call) => call.args[0].constructor.name)
          .sort(),
      ).toEqual(['DeleteCommand', 'PutCommand']);
      expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: { id: sha256Base64Url(token) } });
      const put = ddb.commandCalls(PutCommand)[0].args[0].input;
      expect(put.Item?.id).not.toBe(sha256Base64Url(token));
      expect(put.Item?.owner).toBeUndefined(); // anonymous
      expect(response.cookies).toHaveLength(1);
      expect(response.cookies[0]).toMatch(/^__Host-session=[\w-]{43}\.[\w-]{43};/);
      expect(response.cookies[0]).not.toContain(token);
      expect(response.cookies[0]).not.toMatch(/max-age/i);
      expectHtmlHeaders(response);
    },
  );

  it('without a cookie: no command, still clears the cookie', async () => {
    // Act
    const response = await handler(logoutRoute)(httpEvent({ path: '/logout' }));

    // Assess
    expect(response.statusCode).toBe(303);
    expect(ddb.calls()).toHaveLength(0);
    expect(response.cookies[0]).toContain('Max-Age=0');
  });

  it('over plain HTTP clears the plain cookie', async () => {
    // Act
    const response = await handler(logoutRoute)(httpEvent({ path: '/logout', secure: false }));

    // Assess
    expect(response.cookies[0]).toMatch(/^session=;/);
    expect(response.cookies[0]).not.toContain('Secure');
  });

  it('a cross-site POST: 403, no command, no cookie', async () => {
    // Act
    const response = await handler(sessionsRoute)(
      httpEvent({
        method: 'POST',
        path: '/logout',
        cookies: [sessionCookie(newToken())],
        headers: { 'sec-fetch-site': 'cross-site' },
      }),
    );

    // Assess
    expect(response.statusCode).toBe(403);
    expect(ddb.calls()).toHaveLength(0);
    expect(response.cookies).toEqual([]);
  });

  it('a cross-site GET (a link on another site): 403, the session survives', async () => {
    // Act
    const response = await handler(logoutRoute)(
      httpEvent({
        path: '/logout',
        cookies: [sessionCookie(newToken())],
        headers: { 'sec-fetch-site': 'cross-site' },
      }),
    );

    // Assess
    expect(response.statusCode).toBe(403);
    expect(ddb.calls()).toHaveLength(0);
    expect(response.cookies).toEqual([]);
  });

  it('a GET typed into the address bar (Sec-Fetch-Site: none) logs out', async () => {
    // Act
    const response = await handler(logoutRoute)(
      httpEvent({
        path: '/logout',
        cookies: [sessionCookie(newToken())],
        headers: { 'sec-fetch-site': 'none' },
      }),
    );

    // Assess
    expect(response.statusCode).toBe(303);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(1);
  });

  it('store throttling: 503 and no clearing cookie (never a silent logout)', async () => {
    // Prepare
    ddb.on(DeleteCommand).rejects(throttled());

    // Act
    const response = await handler(logoutRoute)(
      httpEvent({ path: '/logout', cookies: [sessionCookie(newToken())] }),
    );

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
    expect(response.cookies).toEqual([]);
    expectNoInternals(response.body, 'Rate of requests');
  });

  it('refuses PUT with 405', async () => {
    const response = await handler(logoutRoute)(httpEvent({ method: 'PUT', path: '/logout' }));
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, POST');
  });
});
