import { SigningKeyError } from '@lambda-sessions/dynamodb';
import { parseSigningKeys } from '@lambda-sessions/dynamodb/keys';
import {
  DEFAULT_ABSOLUTE_TIMEOUT_SECONDS,
  DEFAULT_IDLE_TIMEOUT_SECONDS,
} from '@lambda-sessions/dynamodb/table';
import { DEFAULT_METRICS_NAMESPACE, ENVIRONMENT } from '../contract.js';

/** A configuration value is missing or invalid; `variable` names the environment variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_TABLE_NAME = 'sessions';

/** The app's configuration, read once from the environment (docs/design.md, "Environment contract"). */
export interface AppConfig {
  tableName: string;
  /** DynamoDB endpoint override (dynalite, DynamoDB Local, `sam local`); unset means AWS. */
  endpoint: string | undefined;
  /** Signing keys from `SESSION_SECRET`, newest first; undefined when they come from `secretArn`. */
  keys: string[] | undefined;
  /** Secrets Manager secret holding the comma-separated keys (deployed stacks). */
  secretArn: string | undefined;
  idleTimeoutSeconds: number;
  absoluteTimeoutSeconds: number;
  /** The logs' `service` field, which is also the metrics' dimension. */
  serviceName: string;
  metricsNamespace: string;
  /** `ORIGIN_VERIFY_SECRET`: set when the site runs behind the edge; requests must then carry it. */
  originSecret?: string;
  /**
   * `SESSION_EXPIRY`: how expired sessions leave the table, the library's `expiry` option. Set to
   * `sweeper` on a table without TTL (a strongly consistent global table); unset means `ttl`.
   */
  expiry?: SessionExpiry;
}

/** The values of `SESSION_EXPIRY`. */
const SESSION_EXPIRY_VALUES = ['ttl', 'sweeper'] as const;
export type SessionExpiry = (typeof SESSION_EXPIRY_VALUES)[number];

type Env = Record<string, string | undefined>;

/** A variable's trimmed value, or undefined when unset or blank. */
function readString(env: Env, key: string): string | undefined {
  const value = env[key]?.trim();
  return value ? value : undefined;
}

/**
 * A whole number from the environment within [min, max], or `defaultValue` when unset.
 * @example getIntegerFromEnv(process.env, 'SESSION_IDLE_TIMEOUT_SECONDS', 3600)
 */
export function getIntegerFromEnv(
  env: Env,
  key: string,
  defaultValue: number,
  { min = 1, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
): number {
  const raw = readString(env, key);
  if (raw === undefined) return defaultValue;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(key, `expected a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/**
 * Keys from SESSION_SECRET when set, else the SESSION_SECRET_ARN to fetch them from. In Lambda
 * both at once is refused: a SESSION_SECRET set in the console would silently replace the rotated
 * keys (and show in GetFunctionConfiguration). Blank counts as unset, so `sam local invoke` can
 * blank the ARN.
 */
function readKeySource(env: Env, inLambda: boolean): Pick<AppConfig, 'keys' | 'secretArn'> {
  const secretArn = readString(env, ENVIRONMENT.secretArn);
  if (secretArn !== undefined) {
    if (readString(env, ENVIRONMENT.secret) === undefined) return { keys: undefined, secretArn };
    if (inLambda) {
      throw new ConfigError(
        ENVIRONMENT.secret,
        'not allowed beside SESSION_SECRET_ARN in Lambda: the keys come from the secret. Remove ' +
          'SESSION_SECRET from the function, or blank SESSION_SECRET_ARN to test locally',
      );
    }
  }
  try {
    return { keys: parseSigningKeys(env.SESSION_SECRET), secretArn: undefined };
  } catch (error) {
    if (!(error instanceof SigningKeyError)) throw error;
    const hint = env.SESSION_SECRET?.trim()
      ? ''
      : ': set one or more comma-separated keys (or SESSION_SECRET_ARN in a deployed stack)';
    throw new ConfigError(ENVIRONMENT.secret, `${error.message}${hint}`);
  }
}

/** `SESSION_EXPIRY` as given, or undefined when unset (the library's default, `ttl`). */
function readExpiry(env: Env): SessionExpiry | undefined {
  const raw = readString(env, ENVIRONMENT.expiry);
  if (raw === undefined) return undefined;
  const value = SESSION_EXPIRY_VALUES.find((each) => each === raw);
  if (value === undefined) {
    throw new ConfigError(ENVIRONMENT.expiry, `expected ${SESSION_EXPIRY_VALUES.join(' or ')}, got "${raw}"`);
  }
  return value;
}

/** Ten years: a longer timeout is a mistake, not a setting. */
export const MAX_TIMEOUT_SECONDS = 10 * 365 * 24 * 3600;

/**
 * Reads and validates the configuration once, failing with an error that names the variable at
 * fault. The one place the app maps environment to options: the session library reads none.
 * @example const config = readAppConfig(process.env);
 */
export function readAppConfig(env: Env = process.env): AppConfig {
  const inLambda = readString(env, 'AWS_LAMBDA_FUNCTION_NAME') !== undefined;
  const tableName = readString(env, ENVIRONMENT.tableName);
  if (inLambda && tableName === undefined) {
    throw new ConfigError(ENVIRONMENT.tableName, 'required in Lambda: the DynamoDB table holding sessions');
  }
  return {
    tableName: tableName ?? DEFAULT_TABLE_NAME,
    endpoint: readString(env, ENVIRONMENT.endpoint),
    ...readKeySource(env, inLambda),
    idleTimeoutSeconds: getIntegerFromEnv(env, ENVIRONMENT.idleTimeoutSeconds, DEFAULT_IDLE_TIMEOUT_SECONDS, {
      max: MAX_TIMEOUT_SECONDS,
    }),
    absoluteTimeoutSeconds: getIntegerFromEnv(
      env,
      ENVIRONMENT.absoluteTimeoutSeconds,
      DEFAULT_ABSOLUTE_TIMEOUT_SECONDS,
      {
        max: MAX_TIMEOUT_SECONDS,
      },
    ),
    serviceName: readString(env, ENVIRONMENT.serviceName) ?? 'sessions',
    metricsNamespace: readString(env, ENVIRONMENT.metricsNamespace) ?? DEFAULT_METRICS_NAMESPACE,
    originSecret: readString(env, ENVIRONMENT.originSecret),
    expiry: readExpiry(env),
  };
}
