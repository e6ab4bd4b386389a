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
