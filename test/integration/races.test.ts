import type * as ContextModule from '../../lambda/app/context';
import type { HttpResponse } from '../../lambda/http/response';
import { httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { type CountingProxy, startCountingProxy } from '../../lib/local/storeProxy';
import { cookieAfter } from '../support/browsers';
import { TestClock } from '../support/clock';
import { type FakeSecretsManager, startFakeSecretsManager } from '../support/fakeSecretsManager';
import { testKey } from '../support/keys';
import { cookieFrom, itemIdOf, shownUsername } from '../support/responses';
import { useStore } from '../support/store';
import { getItem } from '../support/table';
import { createTestApp, type Handler, type TestApp, useTestApp } from '../support/testApp';

const TRIALS = 50;
/** Trials run side by side (each its own user): more interleavings, less waiting. */
const PARALLEL_TRIALS = 5;
/** Idle 4 s: a quarter (the refresh threshold) is 1 s. */
const IDLE_SECONDS = 4;

const db = useStore();
const { proxy } = db;
const clock = new TestClock();
const app = useTestApp(db, { idleSeconds: IDLE_SECONDS, now: clock.now });

/** Resolves each promise in `pending` and records the order in which they settled. */
async function settleOrder<T>(pending: Promise<T>[]): Promise<{ results: T[]; order: number[] }> {
  const order: number[] = [];
  const results = await Promise.all(
    pending.map((promise, index) =>
      promise.then((result) => {
        order.push(index);
        return result;
      }),
    ),
  );
  return { results, order };
}

describe('logout racing refreshes and saves', () => {
  /** One trial: two refresh-due GET /, two saves, a logout and another GET /, all at once. */
  async function storm(cookie: string): Promise<void> {
    const request = { cookies: [cookie], secure: true };
    const saves = await Promise.all([app.sessions.load(request), app.sessions.load(request)]);
    for (const session of saves) session.set('cart', ['book']);
    const [index1, index2, save1, save2, logout, index3] = await Promise.all([
      app.index(httpEvent({ cookies: [cookie] })),
      app.index(httpEvent({ cookies: [cookie] })),
      app.sessions.commit(saves[0], request),
      app.sessions.commit(saves[1], request),
      app.logout(httpEvent({ path: '/logout', cookies: [cookie] })),
      app.index(httpEvent({ cookies: [cookie] })),
    ]);
    expect(logout.statusCode).toBe(303);
    // The browser's cookie is replaced (by the session holding the logout's flash).
    expect(cookieAfter(cookie, logout)).not.toBe(cookie);
    for (const page of [index1, index2, index3]) {
      expect(page.statusCode).toBe(200);
      expect(page.cookies).toEqual([]); // a page that lost the race sets no cookie either
    }
    expect(save1).toEqual([]);
    expect(save2).toEqual([]);
    expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
    expect(shownUsername(await app.index(httpEvent({ cookies: [cookie] })))).toBeUndefined();
  }

  test(`the item stays deleted whatever the interleaving (${TRIALS} trials, 6 requests each)`, async () => {
    proxy.reset();
    for (let group = 0; group < TRIALS / PARALLEL_TRIALS; group++) {
      const cookies = await Promise.all(
        Array.from({ length: PARALLEL_TRIALS }, async (_, n) =>
          cookieFrom(await app.login(loginEvent(`storm-${group}-${n}`))),
        ),
      );
      clock.advance(1500); // the refresh is due: every GET / in the storm tries an UpdateItem
      await Promise.all(cookies.map(storm));
    }
    // The races were real: refreshes and saves reached the store.
    expect(proxy.count('UpdateItem')).toBeGreaterThan(TRIALS);
  });

  test('a save held at the store until the logout is done finds nothing to update', async () => {
    const cookie = cookieFrom(await app.login(loginEvent('held-save')));
    const request = { cookies: [cookie], secure: true };
    const session = await app.sessions.load(request);
    session.set('theme', 'dark');
    const gate = proxy.hold('UpdateItem');
    const pending = app.sessions.commit(session, request);
    await gate.arrived;
    expect((await app.logout(httpEvent({ path: '/logout', cookies: [cookie] }))).statusCode).toBe(303);
    gate.release();
    expect(await pending).toEqual([]);
    expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
  });
});

describe('two logins racing from one browser', () => {
  /** The browser keeps the cookie of the login whose answer arrived last: its index and cookie. */
  async function lastAnswered(logins: Promise<HttpResponse>[]): Promise<{ index: number; cookie: string }> {
    const { results, order } = await settleOrder(logins);
    for (const response of results) expect(response.statusCode).toBe(303);
    const index = order[order.length - 1];
    return { index, cookie: cookieFrom(results[index]) };
  }

  test(`the old session is gone and the cookie that wins works (${TRIALS} trials)`, async () => {
    const trial = async (n: number) => {
      const old = cookieFrom(await app.login(loginEvent(`before-${n}`)));
      const names = [`first-${n}`, `second-${n}`];
      const winner = await lastAnswered(names.map((name) => app.login(loginEvent(name, { cookies: [old] }))));
      expect(await getItem(db, itemIdOf(old))).toBeUndefined();
      expect(shownUsername(await app.index(httpEvent({ cookies: [old] })))).toBeUndefined();
      expect(shownUsername(await app.index(httpEvent({ cookies: [winner.cookie] })))).toBe(
        names[winner.index],
      );
    };
    for (let group = 0; group < TRIALS / PARALLEL_TRIALS; group++) {
      await Promise.all(
        Array.from({ length: PARALLEL_TRIALS }, (_, n) => trial(group * PARALLEL_TRIALS + n)),
      );
    }
  });

  test('a login held before its write while another completes: both new sessions work, the old is gone', async () => {
    const old = cookieFrom(await app.login(loginEvent('held-before')));
    const gate = proxy.hold('PutItem');
    const held = app.login(loginEvent('held-login', { cookies: [old] }));
    await gate.arrived;
    const quick = cookieFrom(await app.login(loginEvent('quick-login', { cookies: [old] })));
    expect(await getItem(db, itemIdOf(old))).toBeUndefined();
    gate.release();
    const late = await held;
    expect(late.statusCode).toBe(303); // its delete of the already-deleted old item is not an error
    const winner = cookieFrom(late); // answered last: the browser keeps this one
    expect(shownUsername(await app.index(httpEvent({ cookies: [winner] })))).toBe('held-login');
    expect(shownUsername(await app.index(httpEvent({ cookies: [quick] })))).toBe('quick-login');
    expect(shownUsername(await app.index(httpEvent({ cookies: [old] })))).toBeUndefined();
  });

  test(`a login racing a logout from the same browser never keeps the old session (${TRIALS} trials)`, async () => {
    const trial = async (n: number) => {
      const old = cookieFrom(await app.login(loginEvent(`leaving-${n}`)));
      const [login, logout] = await Promise.all([
        app.login(loginEvent(`returning-${n}`, { cookies: [old] })),
        app.logout(httpEvent({ path: '/logout', cookies: [old] })),
      ]);
      expect(login.statusCode).toBe(303);
      expect(logout.statusCode).toBe(303);
      expect(await getItem(db, itemIdOf(old))).toBeUndefined();
      const fresh = cookieFrom(login);
      expect(shownUsername(await app.index(httpEvent({ cookies: [fresh] })))).toBe(`returning-${n}`);
    };
    for (let group = 0; group < TRIALS / PARALLEL_TRIALS; group++) {
      await Promise.all(
        Array.from({ length: PARALLEL_TRIALS }, (_, n) => trial(group * PARALLEL_TRIALS + n)),
      );
    }
  });
});

describe('a cold container with its keys in Secrets Manager', () => {
  const SECRET_KEYS = [testKey('sm-current'), testKey('sm-previous')].join(',');
  let secrets: FakeSecretsManager;
  let secretsProxy: CountingProxy;
  /** Logs users in with the same signing key, as another (warm) container would. */
  let warm: TestApp;
  const saved = { ...process.env };

  beforeAll(async () => {
    secrets = await startFakeSecretsManager(SECRET_KEYS);
    secretsProxy = await startCountingProxy(secrets.endpoint);
    warm = createTestApp({ endpoint: db.endpoint, secret: SECRET_KEYS, now: Date.now });
  });

  afterAll(async () => {
    process.env = saved;
    await secretsProxy.close();
    await secrets.close();
  });

  beforeEach(() => {
    secretsProxy.heal();
    secretsProxy.reset();
  });

  interface Container {
    index: Handler;
    login: Handler;
    logout: Handler;
    context: typeof ContextModule;
  }

  /** The real handler modules loaded afresh, as in a new Lambda container (no request yet). */
  async function coldContainer(): Promise<Container> {
    process.env = {
      ...saved,
      DYNAMODB_ENDPOINT: db.endpoint,
      SESSION_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:session-keys-AbCdEf',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsProxy.endpoint,
    };
    delete process.env.SESSION_SECRET;
    jest.resetModules();
    const context = await import('../../lambda/app/context.js');
    const { handler: index } = await import('../../lambda/index.js');
    const { handler: login } = await import('../../lambda/login.js');
    const { handler: logout } = await import('../../lambda/logout.js');
    return { index, login, logout, context };
  }

  test('concurrent first requests share one key fetch, one context and one session manager', async () => {
    const users = await Promise.all(
      Array.from({ length: 10 }, async (_, n) => cookieFrom(await warm.login(loginEvent(`cold-${n}`)))),
    );
    const container = await coldContainer();
    expect(secretsProxy.operations).toEqual([]); // nothing fetched at import: the first request does

    const pages = container.index;
    const responses = await Promise.all([
      ...users.slice(0, 6).map((cookie) => pages(httpEvent({ cookies: [cookie] }))),
      ...users.slice(6).map((cookie) => container.logout(httpEvent({ path: '/logout', cookies: [cookie] }))),
      ...[1, 2, 3, 4].map((n) => container.login(loginEvent(`fresh-${n}`))),
    ]);
    expect(responses.slice(0, 6).map(shownUsername)).toEqual(users.slice(0, 6).map((_, n) => `cold-${n}`));
    expect(responses.slice(6).map((response) => response.statusCode)).toEqual(Array(8).fill(303));
    expect(secretsProxy.operations).toEqual(['GetSecretValue']);

    // The context was built once: one manager, one key provider, one client for every request.
    const context = container.context.containerAppContext();
    expect(container.context.containerAppContext()).toBe(context);
    // A cookie from this container verifies in the warm one: the fetched keys sign.
    const fresh = cookieFrom(responses[10]);
    expect(shownUsername(await warm.index(httpEvent({ cookies: [fresh] })))).toBe('fresh-1');
    expect(secretsProxy.operations).toEqual(['GetSecretValue']);
  });

  test('a Secrets Manager blip at the cold start is absorbed by the retries of the one fetch', async () => {
    const cookie = cookieFrom(await warm.login(loginEvent('blip')));
    const container = await coldContainer();
    secretsProxy.fault({ kind: 'internal', count: 2 });
    const pages = await Promise.all(
      Array.from({ length: 10 }, () => container.index(httpEvent({ cookies: [cookie] }))),
    );
    expect(pages.map(shownUsername)).toEqual(Array(10).fill('blip'));
    expect(secretsProxy.operations).toEqual(['GetSecretValue', 'GetSecretValue', 'GetSecretValue']);
  });

  test('Secrets Manager hanging at the cold start: 503s within seconds, then the keys are fetched again', async () => {
    const cookie = cookieFrom(await warm.login(loginEvent('patient')));
    const container = await coldContainer();
    secretsProxy.fault({ kind: 'hang' });
    const started = performance.now();
    const responses = await Promise.all([
      container.index(httpEvent({ cookies: [cookie] })),
      container.login(loginEvent('newcomer')),
      container.logout(httpEvent({ path: '/logout', cookies: [cookie] })),
    ]);
    // Inside the deployed function's timeout (15 s), not a speed figure: the shared machine may be busy.
    expect(performance.now() - started).toBeLessThan(15_000);
    for (const response of responses) {
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5'); // RETRY_AFTER_SECONDS, lambda/app/lambdaHandler.ts
      expect(response.cookies).toEqual([]);
    }
    expect(secretsProxy.count('GetSecretValue')).toBe(3); // one fetch, three attempts, shared

    secretsProxy.heal();
    secretsProxy.reset();
    expect(shownUsername(await container.index(httpEvent({ cookies: [cookie] })))).toBe('patient');
    expect(secretsProxy.operations).toEqual(['GetSecretValue']);
  }, 60_000);
});
