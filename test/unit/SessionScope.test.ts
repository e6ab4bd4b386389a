import 'aws-sdk-client-mock-jest';
import { ThrottlingException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SessionNotLoadedError, SessionUnavailableError } from '../../lambda/session/src/errors';
import { KeyRing } from '../../lambda/session/src/keys/KeyRing';
import type { SessionRequest } from '../../lambda/session/src/SessionManager';
import { newToken } from '../../lambda/session/src/tokens';
import {
  CURRENT_KEY,
  makeManager,
  sha256Base64Url,
  storedItem,
  useMockedStore,
} from '../support/mockedStore';
import { TABLE } from '../support/table';

// SessionScope, one request's session lifecycle, on a mocked document client: the session opened
// once however it is asked for, one commit whose Set-Cookie values are kept, and a deadline from
// the Lambda context that ends with the commit or end().

const { ddb, clock } = useMockedStore();
const ring = new KeyRing([CURRENT_KEY]);

/** A request carrying a signed cookie for `token`, or none. */
function request(token?: string): SessionRequest {
  return { cookies: token === undefined ? [] : [`__Host-session=${ring.sign(token)}`], secure: true };
}

/** A Lambda context with `remainingMs` left. */
function lambdaContext(remainingMs: number) {
  return { getRemainingTimeInMillis: () => remainingMs };
}

/** A stored session for a new token, as GetItem answers it. */
function storedSession(data: Record<string, unknown> = { username: 'admin' }): string {
  const token = newToken();
  ddb.on(GetCommand).resolves({ Item: storedItem(token, data) });
  return token;
}

const PENDING = Symbol('pending');

/** What `promise` has settled to by now, or PENDING. */
function settledValue<T>(promise: Promise<T>): Promise<T | typeof PENDING> {
  return Promise.race([promise, Promise.resolve(PENDING)]);
}

describe('SessionScope', () => {
  describe('opening once', () => {
    it('load() twice: one GetItem and the same Session object', async () => {
      // Prepare
      const token = storedSession();
      const scope = makeManager(clock).open(request(token));

      // Act
      const first = await scope.load();
      const second = await scope.load();

      // Assess
      expect(second).toBe(first);
      expect(first.get('username')).toBe('admin');
      expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1);
      expect(ddb).toHaveReceivedCommandWith(GetCommand, {
        TableName: TABLE,
        Key: { id: sha256Base64Url(token) },
        ConsistentRead: true,
      });
      expect(ddb.calls()).toHaveLength(1);
    });

    it('load() called again before the first read ends: the same promise, one GetItem', async () => {
      // Prepare
      const scope = makeManager(clock).open(request(storedSession()));

      // Act
      const first = scope.load();
      const second = scope.load();
      await first;

      // Assess
      expect(second).toBe(first);
      expect(ddb.calls()).toHaveLength(1);
    });

    it('attach() after load(): the loaded session, no extra call', async () => {
      // Prepare
      const scope = makeManager(clock).open(request(storedSession()));
      const loaded = await scope.load();

      // Act
      const attached = await scope.attach();

      // Assess
      expect(attached).toBe(loaded);
      expect(attached.isLoaded).toBe(true);
      expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1);
      expect(ddb.calls()).toHaveLength(1);
    });

    it('load() after attach(): the attached session, still unread, no call at all', async () => {
      // Prepare
      const scope = makeManager(clock).open(request(storedSession()));
      const attached = await scope.attach();

      // Act
      const loaded = await scope.load();

      // Assess
      expect(loaded).toBe(attached);
      expect(loaded.isLoaded).toBe(false);
      expect(() => loaded.get('username')).toThrow(SessionNotLoadedError);
      expect(ddb.calls()).toHaveLength(0);
    });
  });

  describe('committing once', () => {
    it('commit() without opening: no Set-Cookie and no command', async () => {
      // Prepare
      const scope = makeManager(clock).open(request(storedSession()));

      // Act
      const cookies = await scope.commit();

      // Assess
      expect(cookies).toEqual([]);
      expect(ddb.calls()).toHaveLength(0);
    });

    it('commit() twice: one conditional put, the same array of Set-Cookie values, a later change not written', async () => {
      // Prepare: a first visit's login.
      const scope = makeManager(clock).open(request());
      const session = await scope.attach();
      session.regenerate();
      session.clear();
      session.set('username', 'admin');

      // Act
      const first = await scope.commit();
      session.set('username', 'changed');
      const second = await scope.commit();

      // Assess
      expect(first).toEqual([
        expect.stringMatching(/^__Host-session=[\w-]{43}\.[\w-]{43}; Path=\/; HttpOnly;/),
      ]);
      expect(second).toBe(first);
      expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
      expect(ddb).toHaveReceivedCommandWith(PutCommand, {
        TableName: TABLE,
        ConditionExpression: 'attribute_not_exists(#id)',
      });
      expect(ddb.calls()).toHaveLength(1);
    });

    it('commit() twice on a loaded session: one UpdateItem', async () => {
      // Prepare
      const token = storedSession();
      const scope = makeManager(clock).open(request(token));
      (await scope.load()).set('visits', 1);

      // Act
      const first = scope.commit();
      const second = scope.commit();
      await first;

      // Assess
      expect(second).toBe(first);
      expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1);
      expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
      expect(ddb).toHaveReceivedCommandWith(UpdateCommand, { Key: { id: sha256Base64Url(token) } });
      expect(ddb.calls()).toHaveLength(2);
    });

    it('refuses a session opened after the commit: it could never be written', async () => {
      // Prepare
      const scope = makeManager(clock).open(request(storedSession()));
      await scope.commit();

      // Act + Assess
      expect(() => scope.load()).toThrow(/opened after its commit/);
      expect(() => scope.attach()).toThrow(TypeError);
      expect(ddb.calls()).toHaveLength(0);
    });

    it('a commit that failed may be tried again, and then writes', async () => {
      // Prepare
      const token = storedSession();
      ddb
        .on(UpdateCommand)
        .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }))
        .resolves({ Attributes: storedItem(token, { username: 'admin', visits: 1 }) });
      const scope = makeManager(clock).open(request(token));
      (await scope.load()).set('visits', 1);

      // Act
      const failed = scope.commit();
      await expect(failed).rejects.toBeInstanceOf(SessionUnavailableError);
      const retried = await scope.commit();

      // Assess
      expect(retried).toEqual([]);
      expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 2);
    });

    it('leaves the caller’s request object as it was', async () => {
      // Prepare
      const token = storedSession();
      const callerRequest = Object.freeze(request(token));
      const copy = structuredClone(callerRequest);
      const scope = makeManager(clock).open(callerRequest, lambdaContext(5_000));

      // Act
      (await scope.load()).set('visits', 1);
      await scope.commit();
      scope.end();

      // Assess
      expect(callerRequest).toEqual(copy);
      expect('signal' in callerRequest).toBe(false);
      expect(scope.request).not.toBe(callerRequest);
      expect(scope.request.cookies).toEqual(callerRequest.cookies);
      expect(scope.request.secure).toBe(true);
    });
  });

  describe('the deadline', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('scope.request.signal aborts with a TimeoutError at the remaining time less the margin', () => {
      // Prepare
      const scope = makeManager(clock).open(request(), lambdaContext(2_000), { deadlineMarginMs: 300 });

      // Act
      jest.advanceTimersByTime(1_699);
      const before = scope.request.signal?.aborted;
      jest.advanceTimersByTime(1);

      // Assess
      expect(before).toBe(false);
      expect(scope.request.signal?.aborted).toBe(true);
      expect(scope.request.signal?.reason).toMatchObject({ name: 'TimeoutError' });
    });

    it('keeps 500 ms back when no margin is given', () => {
      // Prepare
      const scope = makeManager(clock).open(request(), lambdaContext(2_000));

      // Act
      jest.advanceTimersByTime(1_499);
      const before = scope.request.signal?.aborted;
      jest.advanceTimersByTime(1);

      // Assess
      expect(before).toBe(false);
      expect(scope.request.signal?.aborted).toBe(true);
    });

    it('a read that hangs ends at the deadline in SessionUnavailableError, not before', async () => {
      // Prepare
      ddb.on(GetCommand).callsFake(() => new Promise(() => undefined));
      const scope = makeManager(clock).open(request(newToken()), lambdaContext(1_000), {
        deadlineMarginMs: 400,
      });
      const outcome = scope.load().then(
        () => 'loaded',
        (error: unknown) => error,
      );

      // Act
      await jest.advanceTimersByTimeAsync(599);
      const before = await settledValue(outcome);
      await jest.advanceTimersByTimeAsync(1);
      const after = await settledValue(outcome);

      // Assess
      expect(before).toBe(PENDING);
      expect(after).toBeInstanceOf(SessionUnavailableError);
      expect(after).toMatchObject({ dependency: 'store', operation: 'load', retryable: true });
      expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1);
      scope.end();
    });

    it('goes on after the commit, for the calls a page makes after it, until end()', async () => {
      // Prepare
      const scope = makeManager(clock).open(request(storedSession()), lambdaContext(2_000));
      (await scope.load()).set('visits', 1);

      // Act
      await scope.commit();
      const afterCommit = jest.getTimerCount();
      scope.end();
      jest.advanceTimersByTime(10_000);

      // Assess
      expect(afterCommit).toBe(1);
      expect(jest.getTimerCount()).toBe(0);
      expect(scope.request.signal?.aborted).toBe(false);
    });

    it('aborts a call made after the commit once it passes', async () => {
      // Prepare
      const scope = makeManager(clock).open(request(storedSession()), lambdaContext(2_000));
      await scope.load();
      await scope.commit();

      // Act
      jest.advanceTimersByTime(1_500);

      // Assess
      expect(scope.request.signal?.aborted).toBe(true);
      expect(scope.request.signal?.reason).toMatchObject({ name: 'TimeoutError' });
      scope.end();
    });

    it('is cleared by end(), which may be called again', () => {
      // Prepare
      const scope = makeManager(clock).open(request(), lambdaContext(2_000));
      const during = jest.getTimerCount();

      // Act
      scope.end();
      scope.end();
      jest.advanceTimersByTime(10_000);

      // Assess
      expect(during).toBe(1);
      expect(jest.getTimerCount()).toBe(0);
      expect(scope.request.signal?.aborted).toBe(false);
    });

    it('none without a Lambda context: no signal, no timer', async () => {
      // Prepare
      const sessions = makeManager(clock);

      // Act
      const scopes = [sessions.open(request()), sessions.open(request(), {})];
      await scopes[0].attach();

      // Assess
      expect(scopes.map((scope) => scope.request.signal)).toEqual([undefined, undefined]);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('without a Lambda context the caller’s own signal is kept', () => {
      // Prepare
      const { signal } = new AbortController();

      // Act
      const scope = makeManager(clock).open({ ...request(), signal });

      // Assess
      expect(scope.request.signal).toBe(signal);
    });

    it('with a Lambda context the caller’s own signal still aborts the session calls', async () => {
      // Prepare
      const own = new AbortController();
      const scope = makeManager(clock).open({ ...request(), signal: own.signal }, lambdaContext(60_000));

      // Act
      own.abort(new DOMException('the caller gave up', 'AbortError'));

      // Assess
      expect(scope.request.signal?.aborted).toBe(true);
      await expect(scope.attach()).rejects.toBeInstanceOf(SessionUnavailableError);
      scope.end();
    });

    it('past the deadline a commit sends nothing: no write lands while the caller answers 503', async () => {
      // Prepare: a login under a deadline that passes before the commit.
      const scope = makeManager(clock).open(request(), lambdaContext(1_000));
      const session = await scope.attach();
      session.regenerate();
      session.clear();
      session.set('username', 'admin');
      jest.advanceTimersByTime(600);

      // Act
      const committing = scope.commit();

      // Assess
      await expect(committing).rejects.toBeInstanceOf(SessionUnavailableError);
      expect(ddb).toHaveReceivedCommandTimes(PutCommand, 0);
      expect(ddb.calls()).toHaveLength(0);
    });

    it('a bad margin is a TypeError naming deadlineMarginMs, and starts no timer', () => {
      // Prepare
      const sessions = makeManager(clock);
      const open = (deadlineMarginMs: unknown) => () =>
        sessions.open(request(), lambdaContext(2_000), { deadlineMarginMs: deadlineMarginMs as number });

      // Act + Assess
      for (const margin of [-1, Number.NaN, Number.POSITIVE_INFINITY, '500', null]) {
        expect(open(margin)).toThrow(TypeError);
        expect(open(margin)).toThrow(/^deadlineMarginMs: /);
      }
      expect(jest.getTimerCount()).toBe(0);
      expect(open(0)).not.toThrow();
    });
  });
});
