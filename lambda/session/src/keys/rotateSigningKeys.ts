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
import {
  formatSigningKeySet,
  parseSigningKeySet,
  rotateSigningKeySet,
  type SigningKeySet,
} from './signingKeySet.js';

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

/**
 * The delays `keyRotationDelays` gives, how often a new key takes over (`rotateAfterSeconds`, see
 * `RotateSigningKeySetOptions`), and the clock (epoch milliseconds).
 */
export interface KeyRotationSettings {
  promoteAfterSeconds: number;
  retireAfterSeconds: number;
  rotateAfterSeconds?: number;
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

/**
 * The rotation cannot go on: a disabled rotation, a token that is not a version of the secret, an
 * unknown step, or a pending key set not built from the current version just now (which the
 * step has dropped: the next rotation builds a new one).
 */
export class KeyRotationError extends SessionError {
  readonly retryable = false;
}

const CURRENT = 'AWSCURRENT';
const PENDING = 'AWSPENDING';

/**
 * How long after it was built a pending key set may still be used. Its times are when it was
 * built; used later, they would say a key was distributed, or demoted, before it was.
 */
const PENDING_MAX_AGE_SECONDS = 600;

/**
 * One step of a Secrets Manager rotation of the signing-key secret, as AWS's rotation function
 * templates do it: check the rotation, then `createSecret` puts the next key set (computed from
 * the current one by `rotateSigningKeySet`) as the pending version, recording the current
 * version it was built from and when (`builtFrom`); `testSecret` checks it; `finishSecret`
 * makes it current. Every step may be retried: a step already done does nothing. A step that
 * finds the token already current does nothing.
 *
 * Each step uses a pending key set only if it was built from the version current now, within the
 * last 10 minutes. Secrets Manager reattempts a rotation left unfinished at the next one, with
 * the same token; by then a key may have been put by hand, and the set's times are stale. Such a
 * set (or one that does not parse) is dropped: the step takes AWSPENDING off it, never makes it
 * current, and throws `KeyRotationError`, so the next rotation starts afresh from the current
 * version. `finishSecret` moves AWSCURRENT from the version it checked, so a key put by hand in
 * between makes it fail rather than overwrite that key.
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
  const versions = secret.VersionIdsToStages ?? {};
  const stages = versions[token];
  if (stages === undefined)
    throw new KeyRotationError(`version ${token} is not a version of secret ${secretId}`);
  if (stages.includes(CURRENT)) return 'already current';
  if (!stages.includes(PENDING)) throw new KeyRotationError(`version ${token} is not pending rotation`);
  const currentVersion = Object.keys(versions).find((version) => versions[version].includes(CURRENT));
  const pending: Pending = { client, secretId, token, now: settings.now };

  switch (event.Step) {
    case 'createSecret':
      return createSecret(pending, currentVersion, settings);
    case 'setSecret':
      // The keys live only in this secret: no database or service holds a copy to update. The
      // containers pick up the new version themselves when they next refresh their keys.
      return 'nothing to set';
    case 'testSecret':
      await checkPending(pending, await pendingValue(pending), currentVersion);
      return 'pending key set is valid';
    case 'finishSecret':
      await checkPending(pending, await pendingValue(pending), currentVersion);
      return finishSecret(pending, currentVersion);
    default:
      throw new KeyRotationError(`unknown rotation step ${JSON.stringify(event.Step)}`);
  }
}

/** The rotation's pending version: where it is, and the clock. */
interface Pending {
  client: SecretsManagerClient;
  secretId: string;
  token: string;
  now: () => number;
}

async function createSecret(
  pending: Pending,
  describedCurrent: string | undefined,
  settings: KeyRotationSettings,
): Promise<RotationStepResult> {
  const { client, secretId, token } = pending;
  const current = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: CURRENT }));
  const currentVersion = current.VersionId ?? describedCurrent;
  let existing: string | undefined;
  try {
    existing = await pendingValue(pending);
  } catch (error) {
    if ((error as { name?: unknown }).name !== 'ResourceNotFoundException') throw error;
  }
  if (existing !== undefined) {
    await checkPending(pending, existing, currentVersion);
    return 'pending key set already created';
  }
  const now = settings.now();
  const next = rotateSigningKeySet(parseSigningKeySet(current.SecretString), {
    now,
    promoteAfterSeconds: settings.promoteAfterSeconds,
    retireAfterSeconds: settings.retireAfterSeconds,
    rotateAfterSeconds: settings.rotateAfterSeconds,
  });
  if (currentVersion === undefined)
    throw new KeyRotationError(`secret ${secretId} has no version labelled ${CURRENT}`);
  await client.send(
    new PutSecretValueCommand({
      SecretId: secretId,
      ClientRequestToken: token,
      SecretString: formatSigningKeySet({
        ...next,
        builtFrom: { version: currentVersion, at: new Date(now).toISOString() },
      }),
      VersionStages: [PENDING],
    }),
  );
  return 'created pending key set';
}

async function pendingValue({ client, secretId, token }: Pending): Promise<string | undefined> {
  const pending = await client.send(
    new GetSecretValueCommand({ SecretId: secretId, VersionId: token, VersionStage: PENDING }),
  );
  return pending.SecretString;
}

/**
 * Returns when `text`, the pending version's value, is a key set built from `currentVersion`
 * within `PENDING_MAX_AGE_SECONDS`. Otherwise takes AWSPENDING off the pending version and throws:
 * `KeyRotationError`, or the `SigningKeyError` of a value that does not parse.
 */
async function checkPending(pending: Pending, text: string | undefined, currentVersion: string | undefined) {
  let set: SigningKeySet;
  try {
    set = parseSigningKeySet(text);
  } catch (error) {
    await dropPending(pending);
    throw error;
  }
  const reason = staleness(set, currentVersion, pending.now());
  if (reason === undefined) return;
  await dropPending(pending);
  throw new KeyRotationError(
    `the pending key set (version ${pending.token}) ${reason}: AWSPENDING is taken off it, and the next rotation builds a new one`,
  );
}

/** Why a pending key set may not be used now, or undefined when it may. */
function staleness(set: SigningKeySet, currentVersion: string | undefined, now: number): string | undefined {
  const { builtFrom } = set;
  if (builtFrom === undefined) return 'does not say which version it was built from';
  if (builtFrom.version !== currentVersion) {
    return `was built from version ${builtFrom.version}, not from the current version ${currentVersion}`;
  }
  const age = now - Date.parse(builtFrom.at);
  if (age > PENDING_MAX_AGE_SECONDS * 1000)
    return `was built at ${builtFrom.at}, over ${PENDING_MAX_AGE_SECONDS} seconds ago`;
  if (age < -PENDING_MAX_AGE_SECONDS * 1000)
    return `was built at ${builtFrom.at}, later than now (${new Date(now).toISOString()})`;
  return undefined;
}

async function dropPending({ client, secretId, token }: Pending): Promise<void> {
  await client.send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretId,
      VersionStage: PENDING,
      RemoveFromVersionId: token,
    }),
  );
}

async function finishSecret(
  pending: Pending,
  currentVersion: string | undefined,
): Promise<RotationStepResult> {
  const { client, secretId, token } = pending;
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
