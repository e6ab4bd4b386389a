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
  type SigningKeySet,
  signingKeysOf,
} from '../../lambda/session/src/keys/signingKeySet';
import { RotationConfigError, readRotationConfig } from '../../lib/construct/rotation/config';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:session-keys-AbCdEf';
const TOKEN = 'c0ffee00-0000-4000-8000-000000000001';
const CURRENT_VERSION = 'c0ffee00-0000-4000-8000-000000000000';
const NOW = Date.parse('2026-03-01T00:00:00.000Z');
const DELAYS = keyRotationDelays({ absoluteTimeoutSeconds: 43200 });
const SETTINGS = { ...DELAYS, now: () => NOW };
const OLD_KEY = 'legacy-generated-key'.padEnd(64, 'x');
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

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

function noPendingValue(token = TOKEN) {
  secrets
    .on(GetSecretValueCommand, { SecretId: ARN, VersionId: token, VersionStage: 'AWSPENDING' })
    .rejects(
      new ResourceNotFoundException({ message: 'no such version', $metadata: { httpStatusCode: 400 } }),
    );
}

/** GetSecretValue of the pending version answers `value`. */
function pendingValue(value: string, token = TOKEN) {
  secrets
    .on(GetSecretValueCommand, { SecretId: ARN, VersionId: token, VersionStage: 'AWSPENDING' })
    .resolves({ SecretString: value, VersionId: token });
}

/**
 * A pending key set as `createSecret` writes it: the first rotation of OLD_KEY, built from
 * `version` at `at`. Written by hand, so that the document is exactly what a rotation left.
 */
function pendingSet(version: string, at: number): string {
  const set = rotateSigningKeySet(parseSigningKeySet(OLD_KEY), { now: at, ...DELAYS });
  return JSON.stringify({ ...set, builtFrom: { version, at: iso(at) } });
}

/** The document of the pending version `createSecret` put. */
function putKeySet(call = 0): SigningKeySet {
  return parseSigningKeySet(secrets.commandCalls(PutSecretValueCommand)[call].args[0].input.SecretString);
}

/** AWSPENDING taken off `token`: how a step drops a pending key set it must not use. */
const dropPending = (token = TOKEN) => ({
  SecretId: ARN,
  VersionStage: 'AWSPENDING',
  RemoveFromVersionId: token,
});

const stageUpdates = () =>
  secrets.commandCalls(UpdateSecretVersionStageCommand).map((call) => call.args[0].input);

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
    // It records the version it was built from, and when.
    const pending = parseSigningKeySet(put.SecretString);
    expect(pending).toEqual({
      version: 1,
      current: { key: OLD_KEY, since: '2026-03-01T00:00:00.000Z' },
      next: { key: expect.stringMatching(/^[\w-]{64}$/), since: '2026-03-01T00:00:00.000Z' },
      previous: [],
      builtFrom: { version: CURRENT_VERSION, at: '2026-03-01T00:00:00.000Z' },
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
      .resolves({ SecretString: JSON.stringify(monthAgo), VersionId: CURRENT_VERSION });
    noPendingValue();

    // Act
    await rotateSigningKeys(client, event('createSecret'), SETTINGS);

    // Assess
    const pending = putKeySet();
    expect(pending.current.key).toBe(monthAgo.next?.key);
    expect(pending.previous.map((entry) => entry.key)).toEqual([OLD_KEY]);
    expect(pending.next?.key).not.toBe(monthAgo.next?.key);
  });

  it('keeps the current key signing until it has signed for rotateAfterSeconds', async () => {
    // Prepare: a key set whose current key took over, and whose next key was distributed, 10 days ago.
    const tenDaysAgo = rotateSigningKeySet(parseSigningKeySet(OLD_KEY), {
      now: NOW - 10 * DAY_MS,
      ...DELAYS,
    });
    describeRotation();
    secrets
      .on(GetSecretValueCommand, { SecretId: ARN, VersionStage: 'AWSCURRENT' })
      .resolves({ SecretString: JSON.stringify(tenDaysAgo), VersionId: CURRENT_VERSION });
    noPendingValue();

    // Act: a new key takes over every 30 days.
    await rotateSigningKeys(client, event('createSecret'), { ...SETTINGS, rotateAfterSeconds: 30 * 86400 });

    // Assess: the same keys in the same roles, with the same times.
    const { builtFrom, ...kept } = putKeySet();
    expect(kept).toEqual(tenDaysAgo);
    expect(builtFrom).toEqual({ version: CURRENT_VERSION, at: iso(NOW) });

    // Act: every 10 days, the next key takes over now.
    secrets.resetHistory();
    await rotateSigningKeys(client, event('createSecret'), { ...SETTINGS, rotateAfterSeconds: 10 * 86400 });

    // Assess
    expect(putKeySet().current).toEqual({ key: tenDaysAgo.next?.key, since: iso(NOW) });
  });

  it('puts nothing when the pending version already exists, built from the current version (a retried step)', async () => {
    // Prepare: the step ran five minutes ago and its answer was lost.
    describeRotation();
    secrets
      .on(GetSecretValueCommand, { SecretId: ARN, VersionStage: 'AWSCURRENT' })
      .resolves({ SecretString: OLD_KEY, VersionId: CURRENT_VERSION });
    pendingValue(pendingSet(CURRENT_VERSION, NOW - 5 * MINUTE_MS));

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
    expect(secrets).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
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
  it('reads the pending version and checks that it is a valid key set built from the current version', async () => {
    // Prepare
    describeRotation();
    pendingValue(pendingSet(CURRENT_VERSION, NOW - MINUTE_MS));

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
    pendingValue(pendingSet(CURRENT_VERSION, NOW - MINUTE_MS));
    secrets.on(UpdateSecretVersionStageCommand).resolves({});

    // Act
    const result = await rotateSigningKeys(client, event('finishSecret'), SETTINGS);

    // Assess
    expect(result).toBe('pending key set made current');
    expect(secrets).toHaveReceivedCommandTimes(UpdateSecretVersionStageCommand, 1);
    expect(stageUpdates()).toEqual([
      {
        SecretId: ARN,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: TOKEN,
        RemoveFromVersionId: CURRENT_VERSION,
      },
    ]);
  });
});

// Security review, issue #20: Secrets Manager reattempts a rotation left unfinished (AWSPENDING on
// a version that is not AWSCURRENT) at the next rotation. A pending key set is a plan made from the
// keys current when it was built; promoted later, over a key put by hand since, it would bring
// back the keys that key replaced and drop the one everybody signed in with.
describe('a pending key set not built from the current version, just now', () => {
  const HAND_VERSION = 'c0ffee00-0000-4000-8000-0000000000aa';
  const NEXT_TOKEN = 'c0ffee00-0000-4000-8000-000000000002';
  const HAND_KEY = 'put-by-hand-after-the-leak'.padEnd(64, 'h');
  const DAY_TWO = { ...SETTINGS, now: () => NOW + DAY_MS };
  /** The secret's versions after `put-secret-value` of HAND_KEY, with the failed rotation's version still pending. */
  const AFTER_HAND_PUT = {
    [HAND_VERSION]: ['AWSCURRENT'],
    [CURRENT_VERSION]: ['AWSPREVIOUS'],
    [TOKEN]: ['AWSPENDING'],
  };

  function currentIsHandKey() {
    secrets
      .on(GetSecretValueCommand, { SecretId: ARN, VersionStage: 'AWSCURRENT' })
      .resolves({ SecretString: HAND_KEY, VersionId: HAND_VERSION });
  }

  it('replays the finding: a rotation throttled at finishSecret, a key put by hand, the rotation reattempted a day later', async () => {
    // Prepare, day 1: createSecret builds the pending set from the current version.
    describeRotation();
    secrets
      .on(GetSecretValueCommand, { SecretId: ARN, VersionStage: 'AWSCURRENT' })
      .resolves({ SecretString: OLD_KEY, VersionId: CURRENT_VERSION });
    noPendingValue();
    expect(await rotateSigningKeys(client, event('createSecret'), SETTINGS)).toBe('created pending key set');
    const stale = secrets.commandCalls(PutSecretValueCommand)[0].args[0].input.SecretString as string;

    // finishSecret is throttled, every attempt: the pending version stays AWSPENDING.
    secrets.reset();
    describeRotation();
    pendingValue(stale);
    secrets
      .on(UpdateSecretVersionStageCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(rotateSigningKeys(client, event('finishSecret'), SETTINGS)).rejects.toThrow('Rate exceeded');

    // A key leaks; the operator puts a new one by hand. Day 2: Secrets Manager reattempts the
    // unfinished rotation, with the same token, from createSecret.
    secrets.reset();
    describeRotation(AFTER_HAND_PUT);
    currentIsHandKey();
    pendingValue(stale);
    secrets.on(UpdateSecretVersionStageCommand).resolves({});

    // Act
    const reattempt = rotateSigningKeys(client, event('createSecret'), DAY_TWO);

    // Assess: refused, AWSPENDING taken off the stale version, nothing else written.
    await expect(reattempt).rejects.toThrow(KeyRotationError);
    await expect(reattempt).rejects.toThrow(
      `the pending key set (version ${TOKEN}) was built from version ${CURRENT_VERSION}, not from the current version ${HAND_VERSION}`,
    );
    expect(stageUpdates()).toEqual([dropPending()]);
    expect(secrets).not.toHaveReceivedCommand(PutSecretValueCommand);
    // It knew by what the pending set says it was built from.
    expect(JSON.parse(stale).builtFrom).toEqual({ version: CURRENT_VERSION, at: iso(NOW) });

    // Act: the next rotation starts afresh (no version is pending any more), with a new token.
    secrets.reset();
    describeRotation({
      [HAND_VERSION]: ['AWSCURRENT'],
      [CURRENT_VERSION]: ['AWSPREVIOUS'],
      [NEXT_TOKEN]: ['AWSPENDING'],
    });
    currentIsHandKey();
    noPendingValue(NEXT_TOKEN);
    await rotateSigningKeys(client, event('createSecret', NEXT_TOKEN), DAY_TWO);

    // Assess: built on the key put by hand, without the keys it replaced.
    const fresh = putKeySet();
    expect(fresh.current).toEqual({ key: HAND_KEY, since: iso(NOW + DAY_MS) });
    expect(fresh.builtFrom).toEqual({ version: HAND_VERSION, at: iso(NOW + DAY_MS) });
    expect(signingKeysOf(fresh)).not.toContain(OLD_KEY);
    expect(signingKeysOf(fresh)).not.toContain(parseSigningKeySet(stale).next?.key);

    // Act: testSecret and finishSecret of that rotation.
    const freshValue = secrets.commandCalls(PutSecretValueCommand)[0].args[0].input.SecretString as string;
    secrets.reset();
    describeRotation({
      [HAND_VERSION]: ['AWSCURRENT'],
      [CURRENT_VERSION]: ['AWSPREVIOUS'],
      [NEXT_TOKEN]: ['AWSPENDING'],
    });
    pendingValue(freshValue, NEXT_TOKEN);
    secrets.on(UpdateSecretVersionStageCommand).resolves({});
    expect(await rotateSigningKeys(client, event('testSecret', NEXT_TOKEN), DAY_TWO)).toBe(
      'pending key set is valid',
    );
    expect(await rotateSigningKeys(client, event('finishSecret', NEXT_TOKEN), DAY_TWO)).toBe(
      'pending key set made current',
    );

    // Assess
    expect(stageUpdates()).toEqual([
      {
        SecretId: ARN,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: NEXT_TOKEN,
        RemoveFromVersionId: HAND_VERSION,
      },
    ]);
  });

  it.each(['testSecret', 'finishSecret'])(
    '%s refuses it, drops it and never moves AWSCURRENT (a key put by hand mid-rotation)',
    async (step) => {
      // Prepare
      describeRotation(AFTER_HAND_PUT);
      pendingValue(pendingSet(CURRENT_VERSION, NOW - MINUTE_MS));
      secrets.on(UpdateSecretVersionStageCommand).resolves({});

      // Act
      const result = rotateSigningKeys(client, event(step), SETTINGS);

      // Assess
      await expect(result).rejects.toThrow(KeyRotationError);
      expect(stageUpdates()).toEqual([dropPending()]);
      expect(secrets).not.toHaveReceivedCommand(PutSecretValueCommand);
    },
  );

  it('drops one built from the current version more than 10 minutes ago: its times are stale', async () => {
    // Prepare: finishSecret failed yesterday, and nothing was put since. Promoted today, the set
    // would date its new next key, and its demoted key, to yesterday: a later rotation would
    // promote a key containers have held for minutes, and retire one that still signed cookies.
    describeRotation();
    secrets
      .on(GetSecretValueCommand, { SecretId: ARN, VersionStage: 'AWSCURRENT' })
      .resolves({ SecretString: OLD_KEY, VersionId: CURRENT_VERSION });
    pendingValue(pendingSet(CURRENT_VERSION, NOW - 11 * MINUTE_MS));
    secrets.on(UpdateSecretVersionStageCommand).resolves({});

    // Act
    const result = rotateSigningKeys(client, event('createSecret'), SETTINGS);

    // Assess
    await expect(result).rejects.toThrow(`built at ${iso(NOW - 11 * MINUTE_MS)}, over 600 seconds ago`);
    expect(stageUpdates()).toEqual([dropPending()]);
    expect(secrets).not.toHaveReceivedCommand(PutSecretValueCommand);

    // The same at finishSecret.
    secrets.resetHistory();
    await expect(rotateSigningKeys(client, event('finishSecret'), SETTINGS)).rejects.toThrow(
      KeyRotationError,
    );
    expect(stageUpdates()).toEqual([dropPending()]);
  });

  it('drops one that does not say what it was built from (put by hand, or by an older rotation)', async () => {
    // Prepare
    describeRotation();
    pendingValue(JSON.stringify(rotateSigningKeySet(parseSigningKeySet(OLD_KEY), { now: NOW, ...DELAYS })));
    secrets.on(UpdateSecretVersionStageCommand).resolves({});

    // Act
    const result = rotateSigningKeys(client, event('finishSecret'), SETTINGS);

    // Assess
    await expect(result).rejects.toThrow('does not say which version it was built from');
    expect(stageUpdates()).toEqual([dropPending()]);
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
      rotateAfterSeconds: 30 * 86400,
      serviceName: 'stack',
    });
    expect(readRotationConfig({})).toEqual({
      ...DELAYS,
      rotateAfterSeconds: 30 * 86400,
      serviceName: 'sessions',
    });
  });

  it('reads how often a new key takes over from SESSION_KEY_ROTATE_AFTER_SECONDS', () => {
    expect(readRotationConfig({ SESSION_KEY_ROTATE_AFTER_SECONDS: '604800' })).toMatchObject({
      rotateAfterSeconds: 604800,
    });
  });

  it.each([
    [{ SESSION_ABSOLUTE_TIMEOUT_SECONDS: 'soon' }, 'SESSION_ABSOLUTE_TIMEOUT_SECONDS'],
    [{ SESSION_KEY_REFRESH_SECONDS: '0' }, 'SESSION_KEY_REFRESH_SECONDS'],
    [{ SESSION_KEY_PROMOTE_AFTER_SECONDS: '600' }, 'SESSION_KEY_PROMOTE_AFTER_SECONDS'],
    [{ SESSION_KEY_REFRESH_SECONDS: '90000' }, 'SESSION_KEY_PROMOTE_AFTER_SECONDS'],
    [{ SESSION_KEY_ROTATE_AFTER_SECONDS: 'monthly' }, 'SESSION_KEY_ROTATE_AFTER_SECONDS'],
  ])('refuses %p naming the variable', (env, variable) => {
    expect(() => readRotationConfig(env)).toThrow(RotationConfigError);
    expect(() => readRotationConfig(env)).toThrow(new RegExp(`^${variable}: `));
  });
});
