import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { boundedClientConfig } from '../clientConfig.js';
import { SessionError } from '../errors.js';
import { formatSigningKeySet, parseSigningKeySet, rotateSigningKeySet } from './signingKeySet.js';

/**
 * A Secrets Manager client with the library's bounded retries and per-attempt timeouts, so a
 * rotation step that hangs ends in an error well inside its function's timeout.
 * @example const client = createSecretsManagerClient(); // in the rotation function's module scope
 */
export function createSecretsManagerClient(config: SecretsManagerClientConfig = {}): SecretsManagerClient {
  return new SecretsManagerClient({ ...config, ...boundedClientConfig() });
}

/** What Secrets Manager sends a rotation function, once per step. */
export interface RotationEvent {
  Step: string;
  SecretId: string;
  ClientRequestToken: string;
}

/** The delays `keyRotationDelays` gives, and the clock (epoch milliseconds). */
export interface KeyRotationSettings {
  promoteAfterSeconds: number;
  retireAfterSeconds: number;
  now: () => number;
}

/** What a step did, for the log. */
export type RotationStepResult =
  | 'created pending key set'
  | 'pending key set already created'
  | 'nothing to set'
  | 'pending key set is valid'
  | 'pending key set made current'
  | 'already current';

/** The rotation cannot go on: a disabled rotation, a token that is not a version of the secret, an unknown step. */
export class KeyRotationError extends SessionError {
  readonly retryable = false;
}

const CURRENT = 'AWSCURRENT';
const PENDING = 'AWSPENDING';

/**
 * One step of a Secrets Manager rotation of the signing-key secret, as AWS's rotation function
 * templates do it: check the rotation, then `createSecret` puts the next key set (computed from
 * the current one by `rotateSigningKeySet`) as the pending version, `testSecret` checks that it
 * parses, `finishSecret` makes it current. Every step may be retried: a step already done does
 * nothing. A step that finds the token already current does nothing.
 * @example await rotateSigningKeys(client, event, { ...keyRotationDelays({ absoluteTimeoutSeconds: 43200 }), now: Date.now });
 */
export async function rotateSigningKeys(
  client: SecretsManagerClient,
  event: RotationEvent,
  settings: KeyRotationSettings,
): Promise<RotationStepResult> {
  const { SecretId: secretId, ClientRequestToken: token } = event;
  const secret = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  if (!secret.RotationEnabled) throw new KeyRotationError(`rotation is not enabled on secret ${secretId}`);
  const stages = secret.VersionIdsToStages?.[token];
  if (stages === undefined)
    throw new KeyRotationError(`version ${token} is not a version of secret ${secretId}`);
  if (stages.includes(CURRENT)) return 'already current';
  if (!stages.includes(PENDING)) throw new KeyRotationError(`version ${token} is not pending rotation`);

  switch (event.Step) {
    case 'createSecret':
      return createSecret(client, secretId, token, settings);
    case 'setSecret':
      // The keys live only in this secret: no database or service holds a copy to update. The
      // containers pick up the new version themselves when they next refresh their keys.
      return 'nothing to set';
    case 'testSecret':
      parseSigningKeySet(await pendingValue(client, secretId, token));
      return 'pending key set is valid';
    case 'finishSecret':
      return finishSecret(client, secretId, token, secret.VersionIdsToStages ?? {});
    default:
      throw new KeyRotationError(`unknown rotation step ${JSON.stringify(event.Step)}`);
  }
}

async function createSecret(
  client: SecretsManagerClient,
  secretId: string,
  token: string,
  settings: KeyRotationSettings,
): Promise<RotationStepResult> {
  const current = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: CURRENT }));
  try {
    await pendingValue(client, secretId, token);
    return 'pending key set already created';
  } catch (error) {
    if ((error as { name?: unknown }).name !== 'ResourceNotFoundException') throw error;
  }
  const next = rotateSigningKeySet(parseSigningKeySet(current.SecretString), {
    now: settings.now(),
    promoteAfterSeconds: settings.promoteAfterSeconds,
    retireAfterSeconds: settings.retireAfterSeconds,
  });
  await client.send(
    new PutSecretValueCommand({
      SecretId: secretId,
      ClientRequestToken: token,
      SecretString: formatSigningKeySet(next),
      VersionStages: [PENDING],
    }),
  );
  return 'created pending key set';
}

async function pendingValue(client: SecretsManagerClient, secretId: string, token: string) {
  const pending = await client.send(
    new GetSecretValueCommand({ SecretId: secretId, VersionId: token, VersionStage: PENDING }),
  );
  return pending.SecretString;
}

async function finishSecret(
  client: SecretsManagerClient,
  secretId: string,
  token: string,
  versions: Record<string, string[]>,
): Promise<RotationStepResult> {
  const currentVersion = Object.keys(versions).find((version) => versions[version].includes(CURRENT));
  await client.send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretId,
      VersionStage: CURRENT,
      MoveToVersionId: token,
      ...(currentVersion === undefined ? {} : { RemoveFromVersionId: currentVersion }),
    }),
  );
  return 'pending key set made current';
}
