import 'aws-sdk-client-mock-jest';
import { Logger } from '@aws-lambda-powertools/logger';
import { ResourceNotFoundException, ThrottlingException } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createLambdaHandler } from '../../lambda/app/lambdaHandler';
import { originVerifier } from '../../lambda/app/originVerify';
import { HEALTH_CHECK_PATH, ROUTES } from '../../lambda/contract';
import { CONTENT_SECURITY_POLICY } from '../../lambda/http/pages';
import type { HttpResponse } from '../../lambda/http/response';
import { HEALTH_CHECK_TIMEOUT_MS } from '../../lambda/routes/healthRoute';
import { indexRoute } from '../../lambda/routes/indexRoute';
import { newToken } from '../../lambda/session/src/tokens';
import { httpEvent } from '../../lib/local/httpApiEvents';
import { storedItem, useMockedApp } from '../support/mockedStore';
import { captureOutput } from '../support/output';
import { TABLE } from '../support/table';

const { ddb, app, cookieFor } = useMockedApp(() => ({ logger: new Logger({ logLevel: 'INFO' }) }));
const index = () => createLambdaHandler(indexRoute, app);
const healthEvent = (options: Parameters<typeof httpEvent>[0] = {}) =>
  httpEvent({ path: HEALTH_CHECK_PATH, ...options });

/** The one read a health check makes. */
const PROBE = {
  TableName: TABLE,
  Key: { id: 'health-check' },
  ConsistentRead: true,
  ProjectionExpression: '#id',
  ExpressionAttributeNames: { '#id': 'id' },
};

/** Runs `call` with the output captured: the response, the request lines and the other records. */
async function logged(call: () => Promise<HttpResponse>) {
  const output = captureOutput();
  try {
    const response = await call();
    const records = output.records();
    return {
      response,
      // The request's line has no level; the Logger's lines have one.
      lines: records.filter((record) => record.level === undefined),
      errors: records.filter((record) => record.level === 'ERROR'),
    };
  } finally {
    output.restore();
  }
}

/** Plain text with every page's security headers (HSTS too: the event came over HTTPS), and no cookie. */
function expectTextAnswer(response: HttpResponse, status: number, body: string) {
  expect(response.statusCode).toBe(status);
  expect(response.body).toBe(body);
  expect(response.headers).toMatchObject({
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'strict-transport-security': 'max-age=31536000',
  });
  expect(response.cookies).toEqual([]);
}

describe('the route table', () => {
  it('gives GET /health, and only GET, to the index function (read-refresh: GetItem)', () => {
    expect(ROUTES.filter((route) => route.path === HEALTH_CHECK_PATH)).toEqual([
      { method: 'GET', path: '/health', function: 'index' },
    ]);
  });
});

describe('GET /health in the index function', () => {
  it('answers 200 "ok" after one strongly consistent read of the probe key; its line holds the request id alone', async () => {
    // Act
    const { response, lines, errors } = await logged(() => index()(healthEvent()));

    // Assess
    expectTextAnswer(response, 200, 'ok');
    expect(ddb.calls()).toHaveLength(1);
    expect(ddb).toHaveReceivedCommandWith(GetCommand, PROBE);
    expect(lines).toHaveLength(1);
    expect(Object.keys(lines[0])).toEqual(['requestId']);
    expect(errors).toEqual([]);
  });

  it("reads no session and sets no cookie, whatever the browser's cookie holds", async () => {
    // Prepare: a session whose page view would read (and re-sign) it
    const token = newToken();
    ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });

    // Act
    const { response } = await logged(() => index()(healthEvent({ cookies: [cookieFor(token)] })));

    // Assess
    expectTextAnswer(response, 200, 'ok');
    expect(ddb.calls()).toHaveLength(1);
    expect(ddb).toHaveReceivedCommandWith(GetCommand, PROBE);
  });

  it('a store that does not answer: 503 "unavailable" with Retry-After, logged and counted as any 503', async () => {
    // Prepare
    ddb.on(GetCommand).rejects(
      new ThrottlingException({
        message: 'Rate of requests exceeds the allowed throughput',
        $metadata: {},
      }),
    );

    // Act
    const { response, lines, errors } = await logged(() => index()(healthEvent()));

    // Assess
    expectTextAnswer(response, 503, 'unavailable');
    expect(response.headers['retry-after']).toBe('5');
    expect(errors).toEqual([
      expect.objectContaining({
        message: 'session store unavailable',
        route: 'index',
        operation: 'check',
        cause: 'ThrottlingException',
      }),
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ SessionStoreError: 1 });
  });

  it('a store that refuses (no table, no permission): 500 "error", no Retry-After, logged as a deployment fault', async () => {
    // Prepare
    ddb.on(GetCommand).rejects(
      new ResourceNotFoundException({
        message: 'Requested resource not found',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    // Act
    const { response, lines, errors } = await logged(() => index()(healthEvent()));

    // Assess
    expectTextAnswer(response, 500, 'error');
    expect(response.headers['retry-after']).toBeUndefined();
    expect(errors).toEqual([
      expect.objectContaining({ message: 'session store rejected the request', operation: 'check' }),
    ]);
    expect(Object.keys(lines[0])).toEqual(['requestId']);
  });

  it('a store that hangs: 503 after HEALTH_CHECK_TIMEOUT_MS, not before', async () => {
    // Prepare
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    ddb.on(GetCommand).callsFake(() => new Promise(() => undefined));
    const output = captureOutput();
    try {
      // Act
      let settled: HttpResponse | undefined;
      const pending = index()(healthEvent()).then((response) => {
        settled = response;
        return response;
      });
      await jest.advanceTimersByTimeAsync(HEALTH_CHECK_TIMEOUT_MS - 1);
      const early = settled;
      await jest.advanceTimersByTimeAsync(1);

      // Assess
      expect(early).toBeUndefined();
      expectTextAnswer(await pending, 503, 'unavailable');
    } finally {
      output.restore();
      jest.useRealTimers();
    }
  });

  it('is answered before the edge check: 200 without the header, where / gets 403', async () => {
    // Prepare: the function behind the edge
    const behindEdge = createLambdaHandler(indexRoute, {
      ...app,
      viaEdge: originVerifier('CloudFrontAddsThisValueToEveryRequest0123456789'),
    });

    // Act
    const { response } = await logged(() => behindEdge(healthEvent()));
    const page = await logged(() => behindEdge(httpEvent()));

    // Assess
    expectTextAnswer(response, 200, 'ok');
    expect(page.response.statusCode).toBe(403);
  });

  it('POST /health: 405 with Allow: GET, and no store call', async () => {
    // Act
    const { response } = await logged(() => index()(healthEvent({ method: 'POST' })));

    // Assess
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET');
    expect(ddb.calls()).toHaveLength(0);
  });
});
