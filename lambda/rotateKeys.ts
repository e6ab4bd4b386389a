import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readRotationConfig } from './app/rotationConfig.js';
import { type RotationEvent, rotateSigningKeys } from './rotation/rotateSigningKeys.js';
import { boundedClientConfig } from './session/index.js';

// Built at init: bad configuration fails the first invocation with a message naming the variable.
const config = readRotationConfig(process.env);
const client = new SecretsManagerClient(boundedClientConfig());
const logger = new Logger({ serviceName: config.serviceName });

/** Secrets Manager's rotation function for the signing-key secret: one step per invocation. */
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
