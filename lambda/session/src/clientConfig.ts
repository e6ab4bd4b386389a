/** Per attempt; DynamoDB answers in milliseconds, so a second means it is not answering. */
export const REQUEST_TIMEOUT_MS = 1000;
export const CONNECTION_TIMEOUT_MS = 500;
/** The standard retry mode's attempts: a short throttling blip is absorbed. */
export const MAX_ATTEMPTS = 3;

/**
 * Retries and per-attempt timeouts for every AWS client a handler uses (DynamoDB, Secrets
 * Manager). The request handler is given as its options, which the SDK turns into its own Node.js
 * handler: `throwOnRequestTimeout` makes a hung attempt fail instead of only logging a warning.
 */
export function boundedClientConfig() {
  return {
    maxAttempts: MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: {
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  };
}
