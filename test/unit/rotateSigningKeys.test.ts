import 'aws-sdk-client-mock-jest';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';

import { SigningKeyError } from '../../lambda/session/src/errors';
import {
  KeyRotationError,
  type RotationEvent,
  rotateSigningKeys,
} from '../../lambda/session/src/keys/rotateSigningKeys';
import {
  keyRotationDelays,
  parseSigningKeySet,
  rotateSigningKeySet,
} from '../../lambda/session/src/keys/signingKeySet';
import { RotationConfigError, readRotationConfig } from '../../lib/construct/rotation/config';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:session-keys-AbCdEf';
const TOKEN = 'c0ffee00-0000-4000-8000-000000000001';
const CURRENT_VERSION = 'c0ffee00-0000-4000-8000-000000000000';
const NOW = Date.parse('2026-03-01T00:00:00.000Z');
const DELAYS = keyRotationDelays({ absoluteTimeoutSeconds: 43200 });
const SETTINGS = { ...DELAYS, now: () => NOW };
const OLD_KEY = 'legacy-generated-key'.padEnd(64, 'x');

const secrets = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'us-east-1' });

beforeEach(() => {
  secrets.reset();
});

const event = (Step: string, token = TOKEN): RotationEvent => ({
  Step,
  SecretId: ARN,
  ClientRequestToken: token,
});

/** DescribeSecret as Secrets Manager answers it mid-rotation: the token pending, another version current. */
function describeRotation(
  stages: Record<string, string[]> = { [CURRENT_VERSION]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] },
) {
  secrets.on(DescribeSecretCommand, { SecretId: ARN }).resolves({
    ARN,
    RotationEnabled: true,
    VersionIdsToStages: stages,
  });
}

function noPendingValue() {
  secrets
    .on(GetSecretValueCommand, { SecretId: ARN, VersionId: TOKEN, VersionStage: 'AWSPENDING' })
    .rejects(
      new ResourceNotFoundException({ message: 'no such version', $metadata: { httpStatusCode: 400 } }),
    );
}

describe('createSecret', () => {
  it('puts the next key set, computed from the current one, as the pending version', async () => {
    // Prepare
    describeRotation();
    secrets
      .on(GetSecretValueCommand, { SecretId: ARN, VersionStage: 'AWSCURRENT' })
      .resolves({ SecretString: OLD_KEY, VersionId: CURRENT_VERSION });
    noPendingValue();

    // Act
    const result = await rotateSigningKeys(client, event('createSecret'), SETTINGS);

    // Assess
    expect(result).toBe('created pending key set');
    expect(secrets).toHaveReceivedCommandWith(DescribeSecretCommand, { SecretId: ARN });
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: ARN,
      VersionStage: 'AWSCURRENT',
    });
    expect(secrets).toHaveReceivedCommandTimes(PutSecretValueCommand, 1);
    const put = secrets.commandCalls(PutSecretValueCommand)[0].args[0].input;
    expect(put).toEqual({
      SecretId: ARN,
      ClientRequestToken: TOKEN,
      SecretString: expect.any(String),
      VersionStages: ['AWSPENDING'],
    });
    // The first rotation of the generated one-key secret: the key keeps signing, a new one is distributed.
    const pending = parseSigningKeySet(put.SecretString);
    expect(pending).toEqual({
      version: 1,
      current: { key: OLD_KEY, since: '2026-03-01T00:00:00.000Z' },
      next: { key: expect.stringMatching(/^[\w-]{64}$/), since: '2026-03-01T00:00:00.000Z' },
      previous: [],
    });
    expect(secrets).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
  });

  it('promotes the key distributed at the previous rotation', async () => {
    // Prepare: the key set the previous rotation made, a month ago.
    const monthAgo = rotateSigningKeySet(parseSigningKeySet(OLD_KEY), {
      now: NOW - 30 * 86_400_000,
      ...DELAYS,
    });
    describeRotation();
    secrets
      .on(GetSecretValueCommand, { SecretId: ARN, VersionStage: 'AWSCURRENT' })
      .resolves({ SecretString: JSON.stringify(monthAgo) });
    noPendingValue();

    // Act
    await rotateSigningKeys(client, event('createSecret'), SETTINGS);

    // Assess
    const pending = parseSigningKeySet(
      secrets.commandCalls(PutSecretValueCommand)[0].args[0].input.SecretString,
    );
    expect(pending.current.key).toBe(monthAgo.next?.key);
    expect(pending.previous.map((entry) => entry.key)).toEqual([OLD_KEY]);
    expect(pending.next?.key).not.toBe(monthAgo.next?.key);
  });

  it('puts nothing when the pending version already exists (a retried step)', async () => {
    // Prepare
    describeRotation();
    secrets
      .on(GetSecretValueCommand, { SecretId: ARN, VersionStage: 'AWSCURRENT' })
      .resolves({ SecretString: OLD_KEY });
    secrets
      .on(GetSecretValueCommand, { SecretId: ARN, VersionId: TOKEN, VersionStage: 'AWSPENDING' })
      .resolves({ SecretString: OLD_KEY });

    // Act
    const result = await rotateSigningKeys(client, event('createSecret'), SETTINGS);

    // Assess
    expect(result).toBe('pending key set already created');
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: ARN,
      VersionId: TOKEN,
      VersionStage: 'AWSPENDING',
    });
    expect(secrets).not.toHaveReceivedCommand(PutSecretValueCommand);
  });

  it('lets any other failure of the pending read through, and puts nothing', async () => {
    describeRotation();
    secrets
      .on(GetSecretValueCommand, { SecretId: ARN, VersionStage: 'AWSCURRENT' })
      .resolves({ SecretString: OLD_KEY });
    secrets
      .on(GetSecretValueCommand, { SecretId: ARN, VersionId: TOKEN, VersionStage: 'AWSPENDING' })
      .rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    await expect(rotateSigningKeys(client, event('createSecret'), SETTINGS)).rejects.toThrow('throttled');
    expect(secrets).not.toHaveReceivedCommand(PutSecretValueCommand);
  });

  it('refuses to rotate a current value that is no key set', async () => {
    describeRotation();
    secrets
      .on(GetSecretValueCommand, { SecretId: ARN, VersionStage: 'AWSCURRENT' })
      .resolves({ SecretString: '{"version":9}' });
    noPendingValue();
    await expect(rotateSigningKeys(client, event('createSecret'), SETTINGS)).rejects.toThrow(SigningKeyError);
    expect(secrets).not.toHaveReceivedCommand(PutSecretValueCommand);
  });
});

describe('setSecret', () => {
  it('has nothing to set: no other service holds the keys', async () => {
    describeRotation();
    expect(await rotateSigningKeys(client, event('setSecret'), SETTINGS)).toBe('nothing to set');
    expect(secrets.calls().map((call) => call.args[0].constructor)).toEqual([DescribeSecretCommand]);
  });
});

describe('testSecret', () => {
  it('reads the pending version and checks that it is a valid key set', async () => {
    // Prepare
    describeRotation();
    const pending = rotateSigningKeySet(parseSigningKeySet(OLD_KEY), { now: NOW, ...DELAYS });
    secrets
      .on(GetSecretValueCommand, { SecretId: ARN, VersionId: TOKEN, VersionStage: 'AWSPENDING' })
      .resolves({ SecretString: JSON.stringify(pending) });

    // Act
    const result = await rotateSigningKeys(client, event('testSecret'), SETTINGS);

    // Assess
    expect(result).toBe('pending key set is valid');
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secrets).not.toHaveReceivedCommand(PutSecretValueCommand);
    expect(secrets).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
  });

  it('fails on a pending version that does not parse', async () => {
    describeRotation();
    secrets
      .on(GetSecretValueCommand, { SecretId: ARN, VersionId: TOKEN, VersionStage: 'AWSPENDING' })
      .resolves({ SecretString: '{"version":1,"current":{"key":""}}' });
    await expect(rotateSigningKeys(client, event('testSecret'), SETTINGS)).rejects.toThrow(SigningKeyError);
  });
});

describe('finishSecret', () => {
  it('moves AWSCURRENT to the token, removing it from the current version', async () => {
    // Prepare
    describeRotation();
    secrets.on(UpdateSecretVersionStageCommand).resolves({});

    // Act
    const result = await rotateSigningKeys(client, event('finishSecret'), SETTINGS);

    // Assess
    expect(result).toBe('pending key set made current');
    expect(secrets).toHaveReceivedCommandTimes(UpdateSecretVersionStageCommand, 1);
    expect(secrets.commandCalls(UpdateSecretVersionStageCommand)[0].args[0].input).toEqual({
      SecretId: ARN,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: TOKEN,
      RemoveFromVersionId: CURRENT_VERSION,
    });
  });
});

describe('the checks every step makes first', () => {
  it.each(['createSecret', 'setSecret', 'testSecret', 'finishSecret'])(
    '%s does nothing when the token is already AWSCURRENT',
    async (step) => {
      // Prepare: a finished rotation retried.
      describeRotation({ [CURRENT_VERSION]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT', 'AWSPENDING'] });

      // Act
      const result = await rotateSigningKeys(client, event(step), SETTINGS);

      // Assess
      expect(result).toBe('already current');
      expect(secrets.calls().map((call) => call.args[0].constructor)).toEqual([DescribeSecretCommand]);
    },
  );

  it('refuses a token that is not a version of the secret', async () => {
    describeRotation();
    await expect(rotateSigningKeys(client, event('createSecret', 'not-a-version'), SETTINGS)).rejects.toThrow(
      new KeyRotationError(`version not-a-version is not a version of secret ${ARN}`),
    );
    expect(secrets).not.toHaveReceivedCommand(GetSecretValueCommand);
    expect(secrets).not.toHaveReceivedCommand(PutSecretValueCommand);
  });

  it('refuses a version that is neither current nor pending', async () => {
    describeRotation({ [CURRENT_VERSION]: ['AWSCURRENT'], [TOKEN]: ['AWSPREVIOUS'] });
    await expect(rotateSigningKeys(client, event('finishSecret'), SETTINGS)).rejects.toThrow(
      `version ${TOKEN} is not pending rotation`,
    );
    expect(secrets).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
  });

  it('refuses a secret whose rotation is not enabled', async () => {
    secrets.on(DescribeSecretCommand).resolves({ ARN, RotationEnabled: false, VersionIdsToStages: {} });
    await expect(rotateSigningKeys(client, event('createSecret'), SETTINGS)).rejects.toThrow(
      `rotation is not enabled on secret ${ARN}`,
    );
  });

  it('refuses an unknown step', async () => {
    describeRotation();
    await expect(rotateSigningKeys(client, event('deleteSecret'), SETTINGS)).rejects.toThrow(
      'unknown rotation step "deleteSecret"',
    );
    expect(secrets.calls()).toHaveLength(1);
  });
});

describe('readRotationConfig', () => {
  it('derives the delays from the handlers’ settings', () => {
    expect(
      readRotationConfig({ SESSION_ABSOLUTE_TIMEOUT_SECONDS: '7200', POWERTOOLS_SERVICE_NAME: 'stack' }),
    ).toEqual({
      promoteAfterSeconds: 86400,
      retireAfterSeconds: 7200 + 300 + 3600,
      serviceName: 'stack',
    });
    expect(readRotationConfig({})).toEqual({ ...DELAYS, serviceName: 'sessions' });
  });

  it.each([
    [{ SESSION_ABSOLUTE_TIMEOUT_SECONDS: 'soon' }, 'SESSION_ABSOLUTE_TIMEOUT_SECONDS'],
    [{ SESSION_KEY_REFRESH_SECONDS: '0' }, 'SESSION_KEY_REFRESH_SECONDS'],
    [{ SESSION_KEY_PROMOTE_AFTER_SECONDS: '600' }, 'SESSION_KEY_PROMOTE_AFTER_SECONDS'],
    [{ SESSION_KEY_REFRESH_SECONDS: '90000' }, 'SESSION_KEY_PROMOTE_AFTER_SECONDS'],
  ])('refuses %p naming the variable', (env, variable) => {
    expect(() => readRotationConfig(env)).toThrow(RotationConfigError);
    expect(() => readRotationConfig(env)).toThrow(new RegExp(`^${variable}: `));
  });
});
