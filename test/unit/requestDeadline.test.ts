import { type SessionMiddlewareRequest, sessionMiddleware } from '@lambda-sessions/dynamodb/middy';
import { requestDeadline } from '../../lambda/session/src/abort';
import { localLambdaContext } from '../../lib/local/apiGateway';
import { httpEvent } from '../../lib/local/httpApiEvents';
import { makeManager, useMockedStore } from '../support/mockedStore';

const { clock } = useMockedStore();

function lambdaContext(remainingMs: number) {
  return { getRemainingTimeInMillis: () => remainingMs };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('requestDeadline', () => {
  it('aborts with a TimeoutError at the remaining time less the margin', () => {
    // Act
    const deadline = requestDeadline(lambdaContext(2_000), 500);
    jest.advanceTimersByTime(1_499);
    const before = deadline.signal?.aborted;
    jest.advanceTimersByTime(1);

    // Assess
    expect(before).toBe(false);
    expect(deadline.signal?.aborted).toBe(true);
    expect(deadline.signal?.reason).toMatchObject({ name: 'TimeoutError' });
  });

  it('never aborts once cleared, and leaves no timer behind', () => {
    const deadline = requestDeadline(lambdaContext(2_000), 500);
    expect(jest.getTimerCount()).toBe(1);

    deadline.clear();
    jest.advanceTimersByTime(10_000);

    expect(deadline.signal?.aborted).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('gives at least a millisecond when less than the margin is left', () => {
    const deadline = requestDeadline(lambdaContext(100), 500);
    jest.advanceTimersByTime(1);
    expect(deadline.signal?.aborted).toBe(true);
  });

  it('has no deadline, rather than one that fires at once, when the context gives no time (NaN)', () => {
    // Act
    const deadline = requestDeadline({ getRemainingTimeInMillis: () => Number.NaN }, 500);
    jest.advanceTimersByTime(10_000);

    // Assess
    expect(deadline.signal).toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('waits at most a Node.js timer’s longest delay, rather than firing at once past it', () => {
    // Act
    const deadline = requestDeadline({ getRemainingTimeInMillis: () => 2 ** 40 }, 500);
    jest.advanceTimersByTime(1_000);

    // Assess
    expect(deadline.signal?.aborted).toBe(false);
    deadline.clear();
  });

  it('has no signal and no timer without a Lambda context', () => {
    const deadline = requestDeadline(undefined, 500);
    expect(deadline.signal).toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
    expect(() => deadline.clear()).not.toThrow();
  });
});

describe('sessionMiddleware: one deadline per request, ended whatever the outcome', () => {
  /** Middy's request object for one invocation, as `before`, `after` and `onError` share it. */
  function middyRequest(remainingMs: number): SessionMiddlewareRequest {
    const context = { ...localLambdaContext('deadline-unit'), getRemainingTimeInMillis: () => remainingMs };
    return {
      event: httpEvent({}),
      context: context as SessionMiddlewareRequest['context'],
      response: undefined,
    };
  }

  it('starts the deadline in before and ends it after the commit', async () => {
    // Prepare
    const middleware = sessionMiddleware(makeManager(clock), { mode: 'attach' });
    const request = middyRequest(5_000);

    // Act
    await middleware.before(request);
    const during = jest.getTimerCount();
    await middleware.after(request);

    // Assess
    expect(during).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('ends it when the handler throws (onError), with nothing committed', async () => {
    // Prepare
    const middleware = sessionMiddleware(makeManager(clock), { mode: 'attach' });
    const request = middyRequest(5_000);

    // Act
    await middleware.before(request);
    await middleware.onError(request);

    // Assess
    expect(jest.getTimerCount()).toBe(0);
    expect(request.response).toBeUndefined();
  });
});
