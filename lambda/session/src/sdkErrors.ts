import { isRetryableByTrait, isThrottlingError, isTransientError } from '@smithy/core/retry';

/**
 * Whether an AWS service answered and refused the request in a way no retry fixes: a 4xx that is
 * not throttling, a timeout or an error the service model marks retryable (no table or secret, no
 * permission, a KMS key that cannot be used, an invalid request). Anything else, including no
 * answer at all (network errors, timeouts), may succeed later. Classified with the SDK's own retry
 * classifiers. A retryable 4xx, such as DynamoDB's `ReplicatedWriteConflictException` (a write
 * that met a write to the same item in another Region of a multi-Region strongly consistent
 * table), is retried by the SDK, and one that outlasts the retries is an outage. The trait is
 * checked on its own: that `isTransientError` also counts it is a detail of the SDK's version.
 */
export function isRejection(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const sdkError = error as Parameters<typeof isTransientError>[0];
  const status = sdkError.$metadata?.httpStatusCode;
  return (
    status !== undefined &&
    status >= 400 &&
    status < 500 &&
    !isRetryableByTrait(sdkError) &&
    !isThrottlingError(sdkError) &&
    !isTransientError(sdkError)
  );
}
