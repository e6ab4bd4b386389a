import { HEALTH_CHECK_PATH, ORIGIN_VERIFY } from '../../lambda/contract';
import type { HttpResponse } from '../../lambda/http/response';
import { HEALTH_CHECK_TIMEOUT_MS } from '../../lambda/routes/healthRoute';
import { httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import type { FaultKind } from '../../lib/local/storeProxy';
import { TestClock } from '../support/clock';
import { cookieFrom } from '../support/responses';
import { useStore } from '../support/store';
import { createTestApp, useTestApp } from '../support/testApp';

// `GET /health` through the real handlers on dynalite, behind the counting, fault-injecting proxy:
// what Route 53's health checkers see of a region whose table answers, or does not.

const db = useStore();
const { proxy } = db;
const clock = new TestClock();
const app = useTestApp(db, { now: clock.now });
const ORIGIN_SECRET = 'CloudFrontAddsThisValueToEveryRequest0123456789';

const health = (headers: Record<string, string> = {}, cookies?: string[]) =>
  httpEvent({ path: HEALTH_CHECK_PATH, headers, ...(cookies ? { cookies } : {}) });

/** A health check's answer: plain text, every page's security headers, never a cookie. */
function expectHealthAnswer(response: HttpResponse, status: number, body: string) {
  expect(response.statusCode).toBe(status);
  expect(response.body).toBe(body);
  expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
  expect(response.headers['cache-control']).toBe('no-store');
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.cookies).toEqual([]);
}

describe('GET /health on a store that answers', () => {
  test('200 "ok", with exactly one GetItem per check and nothing else', async () => {
    for (let check = 1; check <= 3; check++) {
      expectHealthAnswer(await app.index(health()), 200, 'ok');
      expect(proxy.operations).toEqual(Array.from({ length: check }, () => 'GetItem'));
    }
  });

  test("a logged-in browser's cookie is neither read nor refreshed nor set", async () => {
    // Prepare: a session whose refresh is due, so a page view would write
    const cookie = cookieFrom(await app.login(loginEvent('admin')));
    clock.advance(30 * 60 * 1000);
    proxy.reset();

    // Act
    const response = await app.index(health({}, [cookie]));

    // Assess: the one probe read, no write, no Set-Cookie
    expectHealthAnswer(response, 200, 'ok');
    expect(proxy.operations).toEqual(['GetItem']);
  });
});

describe('GET /health on a store that does not answer', () => {
  test.each(['lost-quorum', 'internal'] as const satisfies FaultKind[])(
    '%s: 503 "unavailable" with Retry-After, then 200 once healed',
    async (kind) => {
      // Prepare
      proxy.fault({ kind });

      // Act
      const failed = await app.index(health());

      // Assess: the one check, tried as the client tries every call (three attempts)
      expectHealthAnswer(failed, 503, 'unavailable');
      expect(failed.headers['retry-after']).toBe('5'); // RETRY_AFTER_SECONDS
      expect(proxy.operations).toEqual(['GetItem', 'GetItem', 'GetItem']);

      proxy.heal();
      proxy.reset();
      expectHealthAnswer(await app.index(health()), 200, 'ok');
      expect(proxy.operations).toEqual(['GetItem']);
    },
  );

  test('lost-quorum: the index page of an anonymous visitor still answers 200, with no store call', async () => {
    // Why `/` is no health check: it asks nothing of the table.
    proxy.fault({ kind: 'lost-quorum' });
    expect((await app.index(httpEvent())).statusCode).toBe(200);
    expect((await app.index(health())).statusCode).toBe(503);
    expect(proxy.operations).toEqual(['GetItem', 'GetItem', 'GetItem']);
  });
});

describe('GET /health behind the edge (ORIGIN_VERIFY_SECRET set)', () => {
  const edgeApp = () =>
    createTestApp({ endpoint: proxy.endpoint, now: clock.now, originSecret: ORIGIN_SECRET });

  test("answers without CloudFront's header, where / gets 403", async () => {
    // Prepare
    const edge = edgeApp();

    // Act
    const checked = await edge.index(health());
    const page = await edge.index(httpEvent());

    // Assess
    expectHealthAnswer(checked, 200, 'ok');
    expect(page.statusCode).toBe(403);
    expect(proxy.operations).toEqual(['GetItem']);
  });

  test('answers through CloudFront (with the header) the same way, and 503 when the store does not answer', async () => {
    // Prepare
    const edge = edgeApp();
    const viaEdge = { [ORIGIN_VERIFY.header]: ORIGIN_SECRET };

    // Act + Assess
    expectHealthAnswer(await edge.index(health(viaEdge)), 200, 'ok');
    proxy.fault({ kind: 'lost-quorum' });
    expectHealthAnswer(await edge.index(health()), 503, 'unavailable');
    expectHealthAnswer(await edge.index(health(viaEdge)), 503, 'unavailable');
  });
});

// Last in the file: the client's abandoned attempts at the hung store go on for a few seconds after
// the answer, and would reach the proxy during a later test.
describe('GET /health on a store that hangs', () => {
  test('503 once HEALTH_CHECK_TIMEOUT_MS has passed, not after the client gives up (three 1 s attempts)', async () => {
    // Prepare
    proxy.fault({ kind: 'hang' });
    const started = performance.now();

    // Act
    const response = await app.index(health());
    const ms = performance.now() - started;

    // Assess
    expectHealthAnswer(response, 503, 'unavailable');
    expect(ms).toBeGreaterThanOrEqual(HEALTH_CHECK_TIMEOUT_MS - 50);
    // The deadline, not the client: its three timed-out attempts take over 3 s. Route 53 waits 2 s.
    expect(ms).toBeLessThan(3000);
  });
});
