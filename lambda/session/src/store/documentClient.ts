import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { boundedClientConfig } from '../clientConfig.js';

/**
 * The DynamoDB document client every session call goes through. Each attempt is bounded
 * (`throwOnRequestTimeout`: without it a hung request only logs a warning), so three attempts
 * with backoff end in an error, and a 503, within about four seconds. `config` adds to the
 * client's configuration (an endpoint, a region, credentials); the bounds stay.
 * @example const client = createDocumentClient({ endpoint: 'http://127.0.0.1:8000' });
 */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  const defined = Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined));
  const client = new DynamoDBClient({ ...defined, ...boundedClientConfig() });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
