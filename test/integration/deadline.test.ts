import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { localLambdaContext } from '../../lib/local/apiGateway';
import { httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { TestClock } from '../support/clock';
import { cookieFrom } from '../support/responses';
import { useStore } from '../support/store';
import { createTestApp } from '../support/testApp';

// A deadline on every call: each store and secret call runs under an abort signal derived from
// the function's remaining time, so a hanging store ends in the app's own 503 page (with its
// headers), never in a Lambda timeout and API Gateway's bare 5xx.

const db = useStore();
const { proxy } = db;
const clock = new TestClock();

/** A Lambda context with `remainingMs` left. */
function contextWith(remainingMs: number): Context {
  return { ...localLambdaContext('deadline-test'), getRemainingTimeInMillis: () => remainingMs };
}

function appWithErrors() {
  const logger = new Logger({ serviceName: 'deadline-test', logLevel: 'SILENT' });
  const errors = jest.spyOn(logger, 'error');
  return { app: createTestApp({ endpoint: proxy.endpoint, now: clock.now, logger }), errors };
}

describe('the request deadline', () => {
  test('a store that hangs, with little time left: one attempt, then the 503 page before the deadline', async () => {
    // Prepare: 1.2 s left, so the calls are aborted at 0.7 s, inside the first 1 s attempt.
    const { app, errors } = appWithErrors();
    const cookie = cookieFrom(await app.login(loginEvent('hurried')));
    proxy.fault({ kind: 'hang', operations: ['GetItem'] });
    proxy.reset();

    // Act
    const response = await app.index(httpEvent({ cookies: [cookie] }), contextWith(1200));

    // Assess: the SDK stopped at the deadline instead of retrying three times.
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(proxy.count('GetItem')).toBe(1);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors.mock.calls[0][1]).toMatchObject({ operation: 'load' });
    expect(String((errors.mock.calls[0][1] as { cause?: string }).cause)).toMatch(/Abort|Timeout/);
  });

  test('a login whose put hangs ends in the 503 page and issues no cookie', async () => {
    const { app } = appWithErrors();
    proxy.fault({ kind: 'hang', operations: ['PutItem'] });
    const response = await app.login(loginEvent('stuck'), contextWith(1200));
    expect(response.statusCode).toBe(503);
    expect(response.cookies).toEqual([]);
  });

  test('with time enough, the same requests go through untouched', async () => {
    const { app } = appWithErrors();
    const cookie = cookieFrom(await app.login(loginEvent('relaxed'), contextWith(15_000)));
    const response = await app.index(httpEvent({ cookies: [cookie] }), contextWith(15_000));
    expect(response.body).toContain('Logged in as relaxed');
  });
});
