import { Logger } from '@aws-lambda-powertools/logger';
import {
  createSecretsManagerClient,
  type RotationEvent,
  rotateSigningKeys,
} from '@lambda-sessions/dynamodb/rotation';
import { readRotationConfig } from './config';

// Built at init: bad configuration fails the first invocation with a message naming the variable.
const config = readRotationConfig(process.env);
const client = createSecretsManagerClient();
const logger = new Logger({ serviceName: config.serviceName });

/**
 * Secrets Manager's rotation function for the signing-key secret: one step per invocation. The
 * package ships it bundled (assets/key-rotation), so a stack needs no bundler for it.
 */
export async function handler(event: RotationEvent): Promise<void> {
  const step = { step: event.Step, secretId: event.SecretId, version: event.ClientRequestToken };
  try {
    const result = await rotateSigningKeys(client, event, { ...config, now: Date.now });
    logger.info('key rotation step', { ...step, result });
  } catch (error) {
    logger.error('key rotation step failed', { ...step, error });
    throw error;
  }
}
