import { type AppConfig, ConfigError, getIntegerFromEnv, readAppConfig } from '../../lambda/app/config';
import { SigningKeyError } from '../../lambda/session/src/errors';
import { parseSigningKeys } from '../../lambda/session/src/keys/keyProvider';
import { testKey } from '../support/keys';

const SECRET = testKey('config');
const [NEW, OLD] = [testKey('new'), testKey('old')];
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:session-keys-AbCdEf';

/** The error readAppConfig throws for `env`, or a failure when it does not throw. */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    readAppConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('readAppConfig', () => {
  it('applies the documented defaults outside Lambda', () => {
    // Act
    const config = readAppConfig({ SESSION_SECRET: SECRET });

    // Assess
    expect(config).toEqual<AppConfig>({
      tableName: 'sessions',
      endpoint: undefined,
      keys: [SECRET],
      secretArn: undefined,
      idleTimeoutSeconds: 3600,
      absoluteTimeoutSeconds: 43200,
      serviceName: 'sessions',
      metricsNamespace: 'ServerSessions',
    });
  });

  it('reads every variable', () => {
    // Act
    const config = readAppConfig({
      TABLE_NAME: 'my-table',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      SESSION_SECRET: `${NEW},${OLD}`,
      SESSION_IDLE_TIMEOUT_SECONDS: '60',
      SESSION_ABSOLUTE_TIMEOUT_SECONDS: ' 600 ',
      POWERTOOLS_SERVICE_NAME: 'my-stack',
      METRICS_NAMESPACE: 'MyApp',
    });

    // Assess
    expect(config).toEqual<AppConfig>({
      tableName: 'my-table',
      endpoint: 'http://127.0.0.1:8000',
      keys: [NEW, OLD],
      secretArn: undefined,
      idleTimeoutSeconds: 60,
      absoluteTimeoutSeconds: 600,
      serviceName: 'my-stack',
      metricsNamespace: 'MyApp',
    });
  });

  it('does not read process.env when given an env', () => {
    // process.env (test/support/env.ts) has TABLE_NAME=sessions-test
    expect(readAppConfig({ SESSION_SECRET: SECRET }).tableName).toBe('sessions');
  });

  it('requires TABLE_NAME in Lambda', () => {
    // Act
    const error = configError({ AWS_LAMBDA_FUNCTION_NAME: 'index', SESSION_SECRET: SECRET });

    // Assess
    expect(error.variable).toBe('TABLE_NAME');
    expect(error.message).toMatch(/^TABLE_NAME: /);
  });

  it('treats a blank TABLE_NAME in Lambda as missing', () => {
    expect(
      configError({ AWS_LAMBDA_FUNCTION_NAME: 'index', TABLE_NAME: '  ', SESSION_SECRET: SECRET }).variable,
    ).toBe('TABLE_NAME');
  });

  it('accepts TABLE_NAME in Lambda', () => {
    expect(
      readAppConfig({
        AWS_LAMBDA_FUNCTION_NAME: 'index',
        TABLE_NAME: 'prod-sessions',
        SESSION_SECRET: SECRET,
      }).tableName,
    ).toBe('prod-sessions');
  });

  describe.each(['SESSION_IDLE_TIMEOUT_SECONDS', 'SESSION_ABSOLUTE_TIMEOUT_SECONDS'])('%s', (variable) => {
    it.each([
      'abc',
      '0',
      '-5',
      '1.5',
      '1e3',
      '0x10',
      '12abc',
      'Infinity',
      'NaN',
      '99999999999999999999',
      '315360001',
    ])('refuses %j with an error naming the variable', (raw) => {
      // Act
      const error = configError({ SESSION_SECRET: SECRET, [variable]: raw });

      // Assess
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.variable).toBe(variable);
      expect(error.message).toContain(variable);
      expect(error.message).toContain(raw);
    });

    it('falls back to the default when blank', () => {
      const config = readAppConfig({ SESSION_SECRET: SECRET, [variable]: '' });
      expect(config.idleTimeoutSeconds).toBe(3600);
      expect(config.absoluteTimeoutSeconds).toBe(43200);
    });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['blank', '   '],
    ['an empty middle entry', `${NEW},,${OLD}`],
    ['a trailing comma', `${NEW},`],
    ['a leading comma', `,${NEW}`],
    ['a blank entry', `${NEW}, ,${OLD}`],
    ['only a comma', ','],
    ['a key with a NUL (HMAC would treat "key" and "key\\0" alike)', `${NEW}\u0000`],
    ['a key with a newline inside', `${NEW}\nkey,${OLD}`],
    ['a key with a C1 control character', `${NEW}\u0085x`],
    ['a key under 32 bytes', `${NEW},a-key-of-31-bytes-0123456789abc`],
  ])('refuses SESSION_SECRET %s, naming SESSION_SECRET', (_label, secret) => {
    // Act
    const error = configError({ SESSION_SECRET: secret });

    // Assess
    expect(error.variable).toBe('SESSION_SECRET');
    expect(error.message).toMatch(/^SESSION_SECRET: /);
  });

  it('names SESSION_SECRET when a key is too short, and says how to make one', () => {
    // Act
    const error = configError({ SESSION_SECRET: `${NEW},too-short-old-key` });

    // Assess
    expect(error.variable).toBe('SESSION_SECRET');
    expect(error.message).toBe(
      'SESSION_SECRET: signing key 2 of 2 is 17 bytes, under the 32-byte minimum: make one with ' +
        '`openssl rand -base64 48`',
    );
  });

  it('never puts a key into an error message', () => {
    for (const secret of [`${NEW},,${OLD}`, `${NEW},too-short-old-key`]) {
      const error = configError({ SESSION_SECRET: secret });
      expect(error.message).not.toContain(NEW);
      expect(error.message).not.toContain('too-short-old-key');
    }
  });

  describe('SESSION_SECRET beside SESSION_SECRET_ARN', () => {
    const lambda = { AWS_LAMBDA_FUNCTION_NAME: 'index', TABLE_NAME: 'sessions' };

    it('is refused in Lambda, naming both: a console-set key would replace the rotated ones', () => {
      // Act
      const error = configError({ ...lambda, SESSION_SECRET_ARN: ARN, SESSION_SECRET: SECRET });

      // Assess
      expect(error.variable).toBe('SESSION_SECRET');
      expect(error.message).toMatch(/^SESSION_SECRET: not allowed beside SESSION_SECRET_ARN in Lambda/);
      expect(error.message).not.toContain(SECRET);
    });

    it.each([
      [
        'SESSION_SECRET',
        { SESSION_SECRET_ARN: ARN, SESSION_SECRET: '  ' },
        { keys: undefined, secretArn: ARN },
      ],
      [
        'SESSION_SECRET_ARN',
        { SESSION_SECRET_ARN: '', SESSION_SECRET: SECRET },
        { keys: [SECRET], secretArn: undefined },
      ],
    ])(
      'counts a blank %s as unset in Lambda (sam local invoke blanks the ARN)',
      (_blank, keyEnv, expected) => {
        expect(readAppConfig({ ...lambda, ...keyEnv })).toMatchObject(expected);
      },
    );

    it('lets SESSION_SECRET win outside Lambda (the local server, the bench, npm run invoke)', () => {
      expect(readAppConfig({ SESSION_SECRET_ARN: ARN, SESSION_SECRET: SECRET })).toMatchObject({
        keys: [SECRET],
        secretArn: undefined,
      });
    });
  });
});

describe('parseSigningKeys', () => {
  it('keeps the order: the first signs', () => {
    expect(parseSigningKeys(`${NEW},${OLD}`)).toEqual([NEW, OLD]);
  });

  it('accepts printable keys beyond ASCII', () => {
    const keys = ['clé-ünïcode-ßigning-kéy-0123456', '🔑'.repeat(8)];
    expect(parseSigningKeys(keys.join(','))).toEqual(keys);
  });

  it('trims each key', () => {
    expect(parseSigningKeys(` ${NEW} , ${OLD} `)).toEqual([NEW, OLD]);
  });

  it.each([undefined, '', ' ', `${NEW},`, ',', `${NEW}\u0000`, 'k'.repeat(31)])(
    'refuses %j with SigningKeyError',
    (text) => {
      expect(() => parseSigningKeys(text)).toThrow(SigningKeyError);
    },
  );
});

describe('SESSION_EXPIRY', () => {
  it('is unset by default: the library then uses TTL', () => {
    expect(readAppConfig({ SESSION_SECRET: SECRET }).expiry).toBeUndefined();
    expect(readAppConfig({ SESSION_SECRET: SECRET, SESSION_EXPIRY: ' ' }).expiry).toBeUndefined();
  });

  it.each(['ttl', 'sweeper', ' sweeper '])('reads %j', (value) => {
    expect(readAppConfig({ SESSION_SECRET: SECRET, SESSION_EXPIRY: value }).expiry).toBe(value.trim());
  });

  it.each(['Sweeper', 'scan', 'none', 'ttl,sweeper'])(
    'refuses %j, naming the variable and the values',
    (value) => {
      // Act
      const error = configError({ SESSION_SECRET: SECRET, SESSION_EXPIRY: value });

      // Assess
      expect(error.variable).toBe('SESSION_EXPIRY');
      expect(error.message).toBe(`SESSION_EXPIRY: expected ttl or sweeper, got "${value}"`);
    },
  );
});

describe('getIntegerFromEnv', () => {
  it('returns the default when unset or blank', () => {
    expect(getIntegerFromEnv({}, 'X', 7)).toBe(7);
    expect(getIntegerFromEnv({ X: ' ' }, 'X', 7)).toBe(7);
  });

  it('parses a whole number', () => {
    expect(getIntegerFromEnv({ X: '1' }, 'X', 7)).toBe(1);
    expect(getIntegerFromEnv({ X: '86400' }, 'X', 7)).toBe(86400);
  });

  it('refuses 0 by default', () => {
    expect(() => getIntegerFromEnv({ X: '0' }, 'X', 7)).toThrow(ConfigError);
  });

  it('honours min and max, inclusive', () => {
    expect(getIntegerFromEnv({ X: '0' }, 'X', 7, { min: 0 })).toBe(0);
    expect(getIntegerFromEnv({ X: '10' }, 'X', 7, { min: 5, max: 10 })).toBe(10);
    expect(() => getIntegerFromEnv({ X: '4' }, 'X', 7, { min: 5, max: 10 })).toThrow(/^X: /);
    expect(() => getIntegerFromEnv({ X: '11' }, 'X', 7, { min: 5, max: 10 })).toThrow(/^X: /);
  });
});
