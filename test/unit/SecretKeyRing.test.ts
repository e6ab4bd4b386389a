import 'aws-sdk-client-mock-jest';
import { Logger } from '@aws-lambda-powertools/logger';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createAppContext } from '../../lambda/app/context';
import { createLambdaHandler } from '../../lambda/app/lambdaHandler';
import { indexRoute } from '../../lambda/index';
import { readSessionConfig } from '../../lambda/session/config';
import { SessionConfigError, SessionStoreUnavailableError } from '../../lambda/session/errors';
import { KeyRing, newToken } from '../../lambda/session/KeyRing';
import { KEY_REFRESH_MS, SecretKeyRing } from '../../lambda/session/SecretKeyRing';
import { httpEvent } from '../support/events';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:session-keys-AbCdEf';
const secrets = mockClient(SecretsManagerClient);
const ddb = mockClient(DynamoDBDocumentClient);

beforeEach(() => {
  secrets.reset();
  ddb.reset();
});

function ringWith(now: () => number) {
  return new SecretKeyRing({
    client: new SecretsManagerClient({ region: 'us-east-1' }),
    secretArn: ARN,
    now,
  });
}

describe('SecretKeyRing', () => {
  it('fetches the secret by ARN once and signs with its first key', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'new-key,old-key' });
    const ring = ringWith(() => 1_000);
    const token = newToken();

    // Act
    const first = await ring.current();
    const second = await ring.current();

    // Assess
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: ARN });
    expect(second).toBe(first);
    expect(first.sign(token)).toBe(new KeyRing(['new-key']).sign(token));
    expect(first.verify(new KeyRing(['old-key']).sign(token))).toEqual({ token, signedWithOldKey: true });
  });

  it('shares one fetch between concurrent first requests', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'k' });
    const ring = ringWith(() => 0);
    const rings = await Promise.all(Array.from({ length: 10 }, () => ring.current()));
    expect(new Set(rings).size).toBe(1);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('re-reads the secret after the refresh interval, picking up a rotated key', async () => {
    // Prepare
    let now = 0;
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'a' }).resolves({ SecretString: 'b,a' });
    const ring = ringWith(() => now);
    const token = newToken();
    const before = await ring.current();

    // Act
    now = KEY_REFRESH_MS - 1;
    const stillCached = await ring.current();
    now = KEY_REFRESH_MS;
    const after = await ring.current();

    // Assess
    expect(stillCached).toBe(before);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
    expect(after.sign(token)).toBe(new KeyRing(['b']).sign(token));
    expect(after.verify(before.sign(token))).toEqual({ token, signedWithOldKey: true });
  });

  it('keeps the keys it holds when a refresh fails, and retries after another interval', async () => {
    let now = 0;
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'a' })
      .rejectsOnce(new Error('throttled'))
      .resolves({ SecretString: 'b,a' });
    const ring = ringWith(() => now);
    const held = await ring.current();

    now = KEY_REFRESH_MS;
    expect(await ring.current()).toBe(held);
    now = KEY_REFRESH_MS + 1;
    expect(await ring.current()).toBe(held);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);

    now = 2 * KEY_REFRESH_MS;
    expect(await ring.current()).not.toBe(held);
  });

  it('with no keys yet, a failing Secrets Manager means "unavailable" (a 503)', async () => {
    secrets.on(GetSecretValueCommand).rejects(new Error('connect ETIMEDOUT'));
    await expect(ringWith(() => 0).current()).rejects.toBeInstanceOf(SessionStoreUnavailableError);
  });

  it.each([
    ['no string value', undefined],
    ['an empty entry', 'a,,b'],
  ])('refuses a secret with %s, naming SESSION_SECRET_ARN', async (_label, value) => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: value });
    const error = await ringWith(() => 0)
      .current()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionConfigError);
    expect((error as SessionConfigError).variable).toBe('SESSION_SECRET_ARN');
  });
});

describe('the handlers with SESSION_SECRET_ARN (a deployed stack)', () => {
  const env = { TABLE_NAME: 'sessions', SESSION_SECRET_ARN: ARN, AWS_LAMBDA_FUNCTION_NAME: 'index' };

  it('reads the ARN when SESSION_SECRET is not set, and SESSION_SECRET wins when both are', () => {
    expect(readSessionConfig(env)).toMatchObject({ secrets: undefined, secretArn: ARN });
    expect(readSessionConfig({ ...env, SESSION_SECRET: 'k' })).toMatchObject({
      secrets: ['k'],
      secretArn: undefined,
    });
  });

  it('verifies cookies with the keys from the secret', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'deployed-key' });
    ddb.on(GetCommand).resolves({});
    const handler = createLambdaHandler(
      indexRoute,
      createAppContext(readSessionConfig(env), { logger: new Logger({ logLevel: 'SILENT' }) }),
    );
    const token = newToken();

    // Act
    const signedWithSecret = await handler(
      httpEvent({ cookies: [`__Host-session=${new KeyRing(['deployed-key']).sign(token)}`] }),
    );
    const signedElsewhere = await handler(
      httpEvent({ cookies: [`__Host-session=${new KeyRing(['other-key']).sign(token)}`] }),
    );

    // Assess: only the secret's key earns a read; the secret is fetched once for both requests.
    expect(signedWithSecret.statusCode).toBe(200);
    expect(signedElsewhere.statusCode).toBe(200);
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('answers 503 with Retry-After while the keys cannot be fetched', async () => {
    secrets.on(GetSecretValueCommand).rejects(new Error('AccessDeniedException'));
    const handler = createLambdaHandler(
      indexRoute,
      createAppContext(readSessionConfig(env), { logger: new Logger({ logLevel: 'SILENT' }) }),
    );
    const response = await handler(httpEvent());
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBeDefined();
    expect(response.cookies).toEqual([]);
    expect(ddb.calls()).toHaveLength(0);
  });
});
