import { DEFAULT_DEADLINE_MARGIN_MS } from './constants.js';

/**
 * `promise`, or a rejection with the signal's reason as soon as `signal` aborts, whichever comes
 * first. The work behind `promise` goes on; only the caller stops waiting for it.
 * @example await untilAborted(client.send(command), request.signal);
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined); // settled later, by then nobody is waiting
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/**
 * A deadline at the Lambda function's remaining time less `marginMs`, so a store or secret that
 * hangs fails the session call in time to answer (a 503 page), not in a Lambda timeout. None
 * without a Lambda context (a handler called directly). A plain timer cleared at the end of the
 * request: `AbortSignal.timeout` leaves its timer behind and costs several times more per call.
 * Returns the signal the session calls run under (aborted with a `TimeoutError` when the deadline
 * passes; undefined when there is none) and `clear()`, to call when the request ends, whatever
 * its outcome.
 * @example
 * const deadline = requestDeadline(context, 500);
 * try { session = await sessions.load({ ...request, signal: deadline.signal }); } finally { deadline.clear(); }
 */
export function requestDeadline(
  context: { getRemainingTimeInMillis?: () => number } | undefined,
  marginMs: number = DEFAULT_DEADLINE_MARGIN_MS,
): { readonly signal: AbortSignal | undefined; clear(): void } {
  if (typeof context?.getRemainingTimeInMillis !== 'function') return NO_DEADLINE;
  const remainingMs = context.getRemainingTimeInMillis() - marginMs;
  // Not a time (an emulator's context): no deadline, rather than one that fires at once.
  if (!Number.isFinite(remainingMs)) return NO_DEADLINE;
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException('the request deadline passed', 'TimeoutError')),
    Math.min(Math.max(1, remainingMs), MAX_TIMER_MS),
  );
  // A request that never clears it (a crash between load and commit) must not keep a process alive.
  timer.unref?.();
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/** The longest delay a Node.js timer takes (about 24.8 days); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What `requestDeadline` returns. */
export type RequestDeadline = ReturnType<typeof requestDeadline>;

const NO_DEADLINE: RequestDeadline = { signal: undefined, clear: () => undefined };
