import { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException, ThrottlingException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createLambdaHandler } from '../../lambda/app/lambdaHandler';
import { sessionMetricNames } from '../../lambda/app/metrics';
import { indexRoute } from '../../lambda/routes/indexRoute';
import { loginRoute } from '../../lambda/routes/loginRoute';
import { logoutRoute } from '../../lambda/routes/logoutRoute';
import { sessionsRoute } from '../../lambda/routes/sessionsRoute';
import { FLASHES_KEY } from '../../lambda/session/src/constants';
import { newPublicId, newToken } from '../../lambda/session/src/tokens';
import { formEvent, httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { IDLE_MS, ownedItem, storedItem, useMockedApp } from '../support/mockedStore';
import { sealFor } from '../support/sealed';

const NAMESPACE = 'SessionsUnitTest';
const { ddb, clock, app, manageApp, cookieFor } = useMockedApp(() => ({
  logger: new Logger({ logLevel: 'INFO', serviceName: 'sessions-unit' }),
  metricsNamespace: NAMESPACE,
}));

/** Every line written to stdout while a test runs: the EMF output. */
let stdout: string[];

interface EmfLine {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Metrics: { Name: string; Unit: string }[] }[];
  };
  service: string;
  requestId: string;
  [metric: string]: unknown;
}

function emfLines(): EmfLine[] {
  return stdout
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfLine);
}

/** The metric names of the request's log line, which must be the only EMF line printed. */
function countedBy(requestId: string): string[] {
  const lines = emfLines();
  expect(lines).toHaveLength(1);
  const [line] = lines;
  // The request's own line: the request id first, then the dimension and the metrics.
  expect(Object.keys(line).slice(0, 1)).toEqual(['requestId']);
  expect(line.requestId).toBe(requestId);
  expect(line.service).toBe('sessions-unit'); // the dimension's value
  expect(line._aws.CloudWatchMetrics[0]).toMatchObject({ Dimensions: [['service']] });
  expect(Math.abs(line._aws.Timestamp - Date.now())).toBeLessThan(60_000);
  expect(line._aws.CloudWatchMetrics[0].Namespace).toBe(NAMESPACE);
  const names = line._aws.CloudWatchMetrics[0].Metrics.map((metric) => metric.Name);
  for (const metric of line._aws.CloudWatchMetrics[0].Metrics) expect(metric.Unit).toBe('Count');
  for (const name of names) expect(line[name]).toBe(1);
  return names.sort();
}

beforeEach(() => {
  stdout = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(chunk.toString());
    return true;
  });
  // The 503 test's error line goes to stderr: kept out of the test output, it carries no metrics.
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('session metrics in Embedded Metric Format, on the request log line with its request id', () => {
  test('a logged-in page view counts a hit', async () => {
    const token = newToken();
    ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
    const event = httpEvent({ cookies: [cookieFor(token)] });
    await createLambdaHandler(indexRoute, app)(event);
    expect(countedBy(event.requestContext.requestId)).toEqual(['SessionHit']);
  });

  test('a page view whose session holds a value that does not authenticate counts it, once', async () => {
    // Prepare: two values sealed for another session, copied into this one's item
    const token = newToken();
    const item = storedItem(token, { username: 'admin' });
    const other = sealFor(newToken());
    const mine = sealFor(token);
    item.sealed[mine.nameTag('role')] = other.seal('role', 'root');
    item.sealed[mine.nameTag('admin')] = other.seal('admin', true);
    ddb.on(GetCommand).resolves({ Item: item });
    const event = httpEvent({ cookies: [cookieFor(token)] });

    // Act
    const page = await createLambdaHandler(indexRoute, app)(event);

    // Assess
    expect(page.body).toContain('Logged in as admin');
    expect(countedBy(event.requestContext.requestId)).toEqual(['SessionHit', 'SessionValueRejected']);
    const [line] = emfLines();
    expect(line.sessionRejectedValues).toBe(2);
    expect(JSON.stringify(line)).not.toContain('root');
  });

  test('a page view whose session holds a value that fails its schema counts it, once, and logs how many', async () => {
    // Prepare: a flash list the library would never write, sealed properly for this session
    const token = newToken();
    ddb.on(GetCommand).resolves({
      Item: storedItem(token, { username: 'admin', [FLASHES_KEY]: [{ message: 42 }] }),
    });
    const event = httpEvent({ cookies: [cookieFor(token)] });

    // Act
    const page = await createLambdaHandler(indexRoute, app)(event);

    // Assess: read as absent (no flash shown), counted, the page as usual
    expect(page.body).toContain('Logged in as admin');
    expect(page.body).not.toContain('role="status"');
    expect(countedBy(event.requestContext.requestId)).toEqual(['SessionHit', 'SessionValueInvalid']);
    const [line] = emfLines();
    expect(line.sessionInvalidValues).toBe(1);
    expect(line.sessionRejectedValues).toBeUndefined();
  });

  test('a page view with nothing invalid logs no invalid-values field', async () => {
    const token = newToken();
    ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
    const event = httpEvent({ cookies: [cookieFor(token)] });
    await createLambdaHandler(indexRoute, app)(event);
    expect(countedBy(event.requestContext.requestId)).toEqual(['SessionHit']);
    expect(emfLines()[0].sessionInvalidValues).toBeUndefined();
  });

  test('a hit whose sliding refresh is due also counts the refresh', async () => {
    const token = newToken();
    ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
    clock.advance(IDLE_MS / 2);
    const event = httpEvent({ cookies: [cookieFor(token)] });
    await createLambdaHandler(indexRoute, app)(event);
    expect(countedBy(event.requestContext.requestId)).toEqual(['SessionHit', 'SessionRefreshed']);
  });

  test('a refresh that finds the session deleted by a concurrent logout counts it gone', async () => {
    const token = newToken();
    ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'gone', $metadata: {} }));
    clock.advance(IDLE_MS / 2);
    const event = httpEvent({ cookies: [cookieFor(token)] });
    await createLambdaHandler(indexRoute, app)(event);
    expect(countedBy(event.requestContext.requestId)).toEqual(['SessionGone', 'SessionHit']);
  });

  test('a signed cookie with no item counts a miss', async () => {
    const event = httpEvent({ cookies: [cookieFor(newToken())] });
    await createLambdaHandler(indexRoute, app)(event);
    expect(countedBy(event.requestContext.requestId)).toEqual(['SessionMiss']);
  });

  test('an item past its idle timeout counts as expired', async () => {
    const token = newToken();
    ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
    clock.advance(IDLE_MS + 1);
    const event = httpEvent({ cookies: [cookieFor(token)] });
    await createLambdaHandler(indexRoute, app)(event);
    expect(countedBy(event.requestContext.requestId)).toEqual(['SessionExpired']);
  });

  test('a forged cookie counts a bad signature and reads nothing', async () => {
    const event = httpEvent({ cookies: [`__Host-session=${newToken()}.${'A'.repeat(43)}`] });
    await createLambdaHandler(indexRoute, app)(event);
    expect(countedBy(event.requestContext.requestId)).toEqual(['SessionBadSignature']);
    expect(ddb.calls()).toHaveLength(0);
  });

  test('a login counts a created session; replacing one also counts the old one destroyed', async () => {
    const first = loginEvent('admin');
    await createLambdaHandler(loginRoute, app)(first);
    expect(countedBy(first.requestContext.requestId)).toEqual(['SessionCreated']);

    stdout = [];
    const again = loginEvent('admin', { cookies: [cookieFor(newToken())] });
    await createLambdaHandler(loginRoute, app)(again);
    expect(countedBy(again.requestContext.requestId)).toEqual(['SessionCreated', 'SessionDestroyed']);
  });

  test('a logout counts a destroyed session, and the created one that holds its flash', async () => {
    const event = httpEvent({ path: '/logout', cookies: [cookieFor(newToken())] });
    await createLambdaHandler(logoutRoute, app)(event);
    expect(countedBy(event.requestContext.requestId)).toEqual(['SessionCreated', 'SessionDestroyed']);
  });

  test('a logout without a cookie counts nothing', async () => {
    await createLambdaHandler(logoutRoute, app)(httpEvent({ path: '/logout' }));
    expect(emfLines()).toEqual([]);
  });

  test('an unavailable store counts a store error', async () => {
    ddb.on(GetCommand).rejects(new ThrottlingException({ message: 'slow down', $metadata: {} }));
    const event = httpEvent({ cookies: [cookieFor(newToken())] });
    const response = await createLambdaHandler(indexRoute, app)(event);
    expect(response.statusCode).toBe(503);
    expect(countedBy(event.requestContext.requestId)).toEqual(['SessionStoreError']);
  });

  test('logging out other devices counts each session revoked', async () => {
    // Prepare: this session, and three others of its owner in the index
    const token = newToken();
    const current = newPublicId();
    ddb.on(GetCommand).resolves({ Item: ownedItem(token, 'alice', current) });
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: ['a', 'b', 'c'].map((id) => ({ id, publicId: newPublicId() })) })
      .resolves({ Items: [] });
    const event = formEvent(
      '/sessions/revoke',
      { session: 'others' },
      { cookies: [cookieFor(token)], headers: { 'sec-fetch-site': 'same-origin' } },
    );

    // Act
    const response = await createLambdaHandler(sessionsRoute, manageApp)(event);

    // Assess: one metric, SessionRevoked, whose value is the count
    expect(response.statusCode).toBe(303);
    const [line] = emfLines();
    expect(line.requestId).toBe(event.requestContext.requestId);
    expect(line._aws.CloudWatchMetrics[0].Metrics).toEqual(
      expect.arrayContaining([{ Name: 'SessionRevoked', Unit: 'Count' }]),
    );
    expect(
      line._aws.CloudWatchMetrics[0].Metrics.filter((metric) => metric.Name === 'SessionRevoked'),
    ).toHaveLength(1);
    expect(line.SessionRevoked).toBe(3);
  });

  test('requests with nothing to count log their line without metrics', async () => {
    await createLambdaHandler(indexRoute, app)(httpEvent());
    await createLambdaHandler(loginRoute, app)(httpEvent({ path: '/login' }));
    // Two lines, each the request id alone: nothing to count, so no dimension either.
    const lines = stdout.join('').trimEnd().split('\n');
    expect(lines.map((line) => Object.keys(JSON.parse(line)))).toEqual([['requestId'], ['requestId']]);
    expect(emfLines()).toEqual([]);
  });
});

describe('sessionMetricNames', () => {
  const commit = { outcome: 'found', writes: [], rejectedValues: 0, invalidValues: 0 } as const;

  it.each([
    ['nothing amiss', commit, ['SessionHit']],
    ['rejected values', { ...commit, rejectedValues: 3 }, ['SessionHit', 'SessionValueRejected']],
    ['invalid values', { ...commit, invalidValues: 2 }, ['SessionHit', 'SessionValueInvalid']],
    [
      'both, and a write',
      { ...commit, rejectedValues: 1, invalidValues: 1, writes: ['saved'] as const },
      ['SessionHit', 'SessionValueRejected', 'SessionValueInvalid', 'SessionSaved'],
    ],
  ])('%s', (_, event, names) => {
    expect(sessionMetricNames(event)).toEqual(names);
  });
});
