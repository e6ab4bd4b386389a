import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Per attempt; DynamoDB answers in milliseconds, so a second means it is not answering. */
export const REQUEST_TIMEOUT_MS = 1000;
export const CONNECTION_TIMEOUT_MS = 500;
/** The standard retry mode's attempts: a short throttling blip is absorbed. */
export const MAX_ATTEMPTS = 3;

/** Retries and per-attempt timeouts for every AWS client a handler uses (DynamoDB, Secrets Manager). */
export function boundedClientConfig() {
  return {
    maxAttempts: MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    }),
  };
}

/**
 * The DynamoDB document client every session call goes through. Each attempt is bounded
 * (`throwOnRequestTimeout`: without it a hung request only logs a warning), so three attempts
 * with backoff end in an error, and a 503, within about four seconds.
 * @example const client = createDocumentClient({ endpoint: 'http://127.0.0.1:8000' });
 */
export function createDocumentClient(
  options: { endpoint?: string | undefined } = {},
): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...boundedClientConfig(),
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
