import 'aws-sdk-client-mock-jest';
import { Logger } from '@aws-lambda-powertools/logger';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { readAppConfig } from '../../lambda/app/config';
import { createAppContext } from '../../lambda/app/context';
import { createLambdaHandler } from '../../lambda/app/lambdaHandler';
import { indexRoute } from '../../lambda/routes/indexRoute';
import { DEFAULT_KEY_REFRESH_SECONDS } from '../../lambda/session/src/constants';
import {
  SessionRejectedError,
  SessionUnavailableError,
  SigningKeyError,
} from '../../lambda/session/src/errors';
import { KeyRing } from '../../lambda/session/src/keys/KeyRing';
import { SecretsManagerKeys } from '../../lambda/session/src/keys/SecretsManagerKeys';
import { newToken } from '../../lambda/session/src/tokens';
import { httpEvent } from '../../lib/local/httpApiEvents';
import { testKey } from '../support/keys';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:session-keys-AbCdEf';
const secrets = mockClient(SecretsManagerClient);
const ddb = mockClient(DynamoDBDocumentClient);

beforeEach(() => {
  secrets.reset();
  ddb.reset();
});

const KEY_REFRESH_MS = DEFAULT_KEY_REFRESH_SECONDS * 1000;
const [A, B] = [testKey('a'), testKey('b')];

/** An error as the SDK builds it from a Secrets Manager answer with this name and status. */
function sdkError(name: string, httpStatusCode: number): Error {
  return Object.assign(new Error(`${name} from Secrets Manager`), {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
  });
}

function ringWith(now: () => number, refreshSeconds?: number) {
  return new SecretsManagerKeys({
    client: new SecretsManagerClient({ region: 'us-east-1' }),
    secretId: ARN,
    now,
    refreshSeconds,
  });
}

describe('SecretsManagerKeys', () => {
  it('fetches the secret by ARN once and gives its keys, newest first', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: `${B}, ${A}` });
    const ring = ringWith(() => 1_000);

    // Act
    const first = await ring.getKeys();
    const second = await ring.getKeys();

    // Assess
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: ARN });
    expect(second).toBe(first);
    expect(first).toEqual([B, A]);
  });

  it('creates its own client at the first request when none is given', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: A });
    const keys = new SecretsManagerKeys({ secretId: ARN });
    await expect(keys.getKeys()).resolves.toEqual([A]);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: ARN });
  });

  it.each([
    [{ secretId: '' }, /^secretId: /],
    [{ secretId: ARN, refreshSeconds: 0 }, /^refreshSeconds: /],
    [{ secretId: ARN, refreshSeconds: Number.NaN }, /^refreshSeconds: /],
  ])('refuses bad options with a TypeError naming the option (%o)', (options, message) => {
    expect(() => new SecretsManagerKeys(options)).toThrow(TypeError);
    expect(() => new SecretsManagerKeys(options)).toThrow(message);
  });

  it('shares one fetch between concurrent first requests', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: A });
    const ring = ringWith(() => 0);
    const rings = await Promise.all(Array.from({ length: 10 }, () => ring.getKeys()));
    expect(new Set(rings).size).toBe(1);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('re-reads the secret after the refresh interval, picking up a rotated key', async () => {
    // Prepare
    let now = 0;
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: A })
      .resolves({ SecretString: `${B},${A}` });
    const ring = ringWith(() => now);
    const before = await ring.getKeys();

    // Act
    now = KEY_REFRESH_MS - 1;
    const stillCached = await ring.getKeys();
    now = KEY_REFRESH_MS;
    const after = await ring.getKeys();

    // Assess
    expect(stillCached).toBe(before);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
    expect(before).toEqual([A]);
    expect(after).toEqual([B, A]);
  });

  it('keeps the keys it holds when a refresh fails, and tries again 30 seconds later, not a whole interval', async () => {
    // Prepare
    let now = 0;
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: A })
      .rejectsOnce(new Error('throttled'))
      .resolves({ SecretString: `${B},${A}` });
    const ring = ringWith(() => now);
    const held = await ring.getKeys();

    // Act and assess: the failed refresh keeps the keys, and so do requests in the next 30 s
    now = KEY_REFRESH_MS;
    expect(await ring.getKeys()).toBe(held);
    now = KEY_REFRESH_MS + 29_999;
    expect(await ring.getKeys()).toBe(held);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);

    // Assess: the try at 30 s reads the rotated keys
    now = KEY_REFRESH_MS + 30_000;
    expect(await ring.getKeys()).toEqual([B, A]);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 3);
  });

  it('with a refresh interval under 30 seconds, retries a failed refresh after the interval', async () => {
    let now = 0;
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: A })
      .rejectsOnce(new Error('throttled'))
      .resolves({ SecretString: `${B},${A}` });
    const ring = ringWith(() => now, 10);
    await ring.getKeys();

    now = 10_000;
    await ring.getKeys(); // fails, keeps A
    now = 19_999;
    expect(await ring.getKeys()).toEqual([A]);
    now = 20_000;
    expect(await ring.getKeys()).toEqual([B, A]);
  });

  it('with no keys yet, a failing Secrets Manager is SessionUnavailableError with the cause', async () => {
    const cause = new Error('connect ETIMEDOUT');
    secrets.on(GetSecretValueCommand).rejects(cause);
    const error = await ringWith(() => 0)
      .getKeys()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionUnavailableError);
    expect((error as Error).cause).toBe(cause);
  });

  it.each([
    ['AccessDeniedException', 400, SessionRejectedError],
    ['ResourceNotFoundException', 400, SessionRejectedError],
    ['DecryptionFailure', 400, SessionRejectedError],
    ['ThrottlingException', 400, SessionUnavailableError],
    ['InternalServiceError', 500, SessionUnavailableError],
  ])('classifies %s (HTTP %i) as %p', async (name, httpStatusCode, expected) => {
    // Prepare
    const answer = sdkError(name, httpStatusCode);
    secrets.on(GetSecretValueCommand).rejects(answer);

    // Act
    const error = await ringWith(() => 0)
      .getKeys()
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(expected);
    expect((error as Error).cause).toBe(answer);
  });

  it.each([
    ['no string value', undefined],
    ['an empty entry', `${A},,${B}`],
    ['a control character', `${A}\u0000`],
    ['a key under 32 bytes', `${A},a-key-of-31-bytes-0123456789abc`],
  ])(
    'refuses a secret with %s as SigningKeyError (a deployment fault, not "try again")',
    async (_label, value) => {
      secrets.on(GetSecretValueCommand).resolves({ SecretString: value });
      await expect(ringWith(() => 0).getKeys()).rejects.toBeInstanceOf(SigningKeyError);
    },
  );
});

describe('the handlers with SESSION_SECRET_ARN (a deployed stack)', () => {
  const env = { TABLE_NAME: 'sessions', SESSION_SECRET_ARN: ARN, AWS_LAMBDA_FUNCTION_NAME: 'index' };

  it('reads the ARN when SESSION_SECRET is not set; in Lambda, both set is refused', () => {
    expect(readAppConfig(env)).toMatchObject({ keys: undefined, secretArn: ARN });
    expect(() => readAppConfig({ ...env, SESSION_SECRET: A })).toThrow(
      /^SESSION_SECRET: .*SESSION_SECRET_ARN/,
    );
  });

  it('verifies cookies with the keys from the secret', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: A });
    ddb.on(GetCommand).resolves({});
    const handler = createLambdaHandler(
      indexRoute,
      createAppContext(readAppConfig(env), { logger: new Logger({ logLevel: 'SILENT' }) }),
    );
    const token = newToken();

    // Act
    const signedWithSecret = await handler(
      httpEvent({ cookies: [`__Host-session=${new KeyRing([A]).sign(token)}`] }),
    );
    const signedElsewhere = await handler(
      httpEvent({ cookies: [`__Host-session=${new KeyRing([B]).sign(token)}`] }),
    );

    // Assess: only the secret's key earns a read; the secret is fetched once for both requests.
    expect(signedWithSecret.statusCode).toBe(200);
    expect(signedElsewhere.statusCode).toBe(200);
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('answers 500 without Retry-After when Secrets Manager refuses for good, logged as a deployment fault', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).rejects(sdkError('AccessDeniedException', 400));
    const logger = new Logger({ logLevel: 'SILENT' });
    const error = jest.spyOn(logger, 'error');
    const handler = createLambdaHandler(indexRoute, createAppContext(readAppConfig(env), { logger }));

    // Act
    const response = await handler(httpEvent());

    // Assess
    expect(response.statusCode).toBe(500);
    expect(response.headers['retry-after']).toBeUndefined();
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0][0]).toBe('session keys refused');
    expect(error.mock.calls[0][1]).toMatchObject({ cause: 'AccessDeniedException' });
  });

  it('answers 500 without Retry-After when the secret holds a key under 32 bytes, logged as a deployment fault', async () => {
    // Prepare: a key put into the secret by hand, too short to sign with.
    const shortKey = 'a-key-of-31-bytes-0123456789abc';
    secrets.on(GetSecretValueCommand).resolves({ SecretString: `${A},${shortKey}` });
    const logger = new Logger({ logLevel: 'SILENT' });
    const error = jest.spyOn(logger, 'error');
    const handler = createLambdaHandler(indexRoute, createAppContext(readAppConfig(env), { logger }));

    // Act
    const response = await handler(httpEvent());

    // Assess: not "try again" (no retry fixes the secret), nothing read, and the log says which key
    // by position, never the key.
    expect(response.statusCode).toBe(500);
    expect(response.headers['retry-after']).toBeUndefined();
    expect(ddb.calls()).toHaveLength(0);
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0][0]).toBe('session keys unusable');
    expect(error.mock.calls[0][1]).toMatchObject({
      errorName: 'SigningKeyError',
      reason: expect.stringContaining('signing key 2 of 2 is 31 bytes, under the 32-byte minimum'),
    });
    expect(JSON.stringify(error.mock.calls)).not.toContain(shortKey);
  });

  it('answers 503 with Retry-After while the keys cannot be fetched, logged as the keys, not the store', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).rejects(new Error('connect ETIMEDOUT'));
    const logger = new Logger({ logLevel: 'SILENT' });
    const error = jest.spyOn(logger, 'error');
    const handler = createLambdaHandler(indexRoute, createAppContext(readAppConfig(env), { logger }));

    // Act
    const response = await handler(httpEvent());

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.cookies).toEqual([]);
    expect(ddb.calls()).toHaveLength(0);
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0][0]).toBe('session keys unavailable');
    expect(error.mock.calls[0][1]).toMatchObject({
      errorName: 'SessionUnavailableError',
      cause: 'Error',
    });
  });
});
