import { isThrottlingError, isTransientError } from '@smithy/core/retry';

/**
 * Whether an AWS service answered and refused the request in a way no retry fixes: a 4xx that is
 * not throttling or a timeout (no table or secret, no permission, a KMS key that cannot be used,
 * an invalid request). Anything else, including no answer at all (network errors, timeouts), may
 * succeed later. Classified with the SDK's own retry classifiers.
 */
export function isRejection(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const sdkError = error as Parameters<typeof isTransientError>[0];
  const status = sdkError.$metadata?.httpStatusCode;
  return (
    status !== undefined &&
    status >= 400 &&
    status < 500 &&
    !isThrottlingError(sdkError) &&
    !isTransientError(sdkError)
  );
}
