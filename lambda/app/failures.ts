import type { Logger } from '@aws-lambda-powertools/logger';
import {
  SessionError,
  SessionRejectedError,
  SessionUnavailableError,
  SigningKeyError,
} from '@lambda-sessions/dynamodb';

/** Seconds a client is asked to wait after a 503. */
export const RETRY_AFTER_SECONDS = 5;

/** The `Retry-After` header of every 503. */
export const RETRY_AFTER_HEADERS: Readonly<Record<string, string>> = {
  'retry-after': String(RETRY_AFTER_SECONDS),
};

/** Failures that may pass (the store or the key provider did not answer in time): a 503. */
export function isUnavailable(error: unknown): error is SessionError {
  return error instanceof SessionError && error.retryable;
}

/** The name of the error's cause (an SDK error, the deadline's `TimeoutError`), for the log. */
function causeName(error: unknown): string | undefined {
  const cause: unknown = error instanceof Error ? error.cause : undefined;
  const name = typeof cause === 'object' && cause !== null ? (cause as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? name : undefined;
}

/**
 * Logs a request's failure (anything but an `HttpError`, which is an answer, not a failure) at
 * ERROR, with what failed and never what the request held, and gives the status the request ends
 * in: 503 when it may pass (`isUnavailable`), 500 otherwise.
 * @example const status = reportFailure(error, app.logger, { route: 'index', requestId }); // 503
 */
export function reportFailure(
  error: unknown,
  logger: Logger,
  request: { route: string; requestId: string },
): 503 | 500 {
  const fields = {
    ...request,
    errorName: error instanceof Error ? error.name : typeof error,
    cause: causeName(error),
  };
  if (isUnavailable(error)) {
    const operation = error instanceof SessionUnavailableError ? error.operation : undefined;
    logger.error(operation === undefined ? 'session keys unavailable' : 'session store unavailable', {
      ...fields,
      ...(operation === undefined ? {} : { operation }),
    });
    return 503;
  }
  if (error instanceof SessionRejectedError && error.dependency === 'store') {
    // A missing table or permission: no retry will help, so no Retry-After; the log says which.
    logger.error('session store rejected the request', { ...fields, operation: error.operation });
  } else if (error instanceof SessionRejectedError) {
    // No secret, no permission to read it or to use its KMS key: a deployment fault, as above.
    logger.error('session keys refused', fields);
  } else if (error instanceof SigningKeyError) {
    // The secret holds keys the library refuses (none, or one too short): a deployment fault too.
    // The message says which rule and which key by position, never the key.
    logger.error('session keys unusable', { ...fields, reason: error.message });
  } else {
    logger.error('unexpected error', { ...fields, error: error instanceof Error ? error : String(error) });
  }
  return 500;
}
