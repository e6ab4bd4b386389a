import { untilAborted } from '../abort.js';
import { SessionRejectedError, SessionUnavailableError } from '../errors.js';
import { isRejection } from '../sdkErrors.js';

/**
 * How every store call is given the request's deadline: an object with its `signal` (a
 * `SessionRequest` is one), the same convention as `UserSessions`' options.
 */
export interface Deadline {
  signal?: AbortSignal | undefined;
}

/** Internal: a write's condition did not hold. Each caller turns it into its own outcome. */
export class ConditionFailed extends Error {}

function isConditionalCheckFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * Runs one SDK call, waited for until the request's deadline at most: a failed condition becomes
 * `ConditionFailed`, a refusal for good "rejected", anything else (the deadline too) "unavailable".
 * The deadline is raced here rather than handed to the SDK as its `abortSignal`, which costs
 * every call far more (docs/performance.md); a call left behind still ends at its own timeout.
 */
export async function storeCall<T>(
  operation: string,
  { signal }: Deadline,
  call: () => Promise<T>,
): Promise<T> {
  try {
    // Past the deadline nothing is sent: the caller answers 503, so no write may land unseen.
    signal?.throwIfAborted();
    return await untilAborted(call(), signal);
  } catch (error) {
    if (isConditionalCheckFailure(error)) throw new ConditionFailed();
    if (isRejection(error)) throw new SessionRejectedError('store', operation, { cause: error });
    throw new SessionUnavailableError('store', operation, { cause: error });
  }
}
