import {
  DEFAULT_ABSOLUTE_TIMEOUT_SECONDS,
  DEFAULT_IDLE_TIMEOUT_SECONDS,
  DEFAULT_TABLE_NAME,
} from './constants';
import { SessionConfigError } from './errors';

export interface SessionConfig {
  tableName: string;
  /** DynamoDB endpoint override (dynalite, DynamoDB Local, `sam local`); unset means AWS. */
  endpoint: string | undefined;
  /** Signing keys, newest first: the first signs, all verify. Undefined when read from `secretArn`. */
  secrets: string[] | undefined;
  /** Secrets Manager secret holding the comma-separated keys (deployed stacks). */
  secretArn: string | undefined;
  idleTimeoutSeconds: number;
  absoluteTimeoutSeconds: number;
}

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
    throw new SessionConfigError(key, `expected a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/**
 * Signing keys from a comma-separated list; an empty entry is an error, not something to skip,
 * because a stray comma would otherwise silently drop a key.
 */
export function parseSecrets(key: string, raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') {
    throw new SessionConfigError(
      key,
      'no signing key: set one or more comma-separated keys (or SESSION_SECRET_ARN in a deployed stack)',
    );
  }
  const secrets = raw.split(',').map((secret) => secret.trim());
  if (secrets.some((secret) => secret === '')) {
    throw new SessionConfigError(key, 'contains an empty key (check for stray commas)');
  }
  // HMAC pads a short key with zero bytes, so "k" and "k\0" would be the same key: only printable text.
  if (secrets.some(hasControlCharacter)) {
    throw new SessionConfigError(key, 'a key contains a control character: use printable text only');
  }
  return secrets;
}

function hasControlCharacter(text: string): boolean {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return true;
  }
  return false;
}

/** Keys from SESSION_SECRET when set, else the SESSION_SECRET_ARN to fetch them from. */
function readKeySource(env: Env): Pick<SessionConfig, 'secrets' | 'secretArn'> {
  const secretArn = readString(env, 'SESSION_SECRET_ARN');
  if (secretArn !== undefined && readString(env, 'SESSION_SECRET') === undefined) {
    return { secrets: undefined, secretArn };
  }
  return { secrets: parseSecrets('SESSION_SECRET', env.SESSION_SECRET), secretArn: undefined };
}

/**
 * Reads and validates the session configuration once, failing with an error that names the
 * variable at fault.
 * @example const config = readSessionConfig(process.env);
 */
export function readSessionConfig(env: Env = process.env): SessionConfig {
  const inLambda = readString(env, 'AWS_LAMBDA_FUNCTION_NAME') !== undefined;
  const tableName = readString(env, 'TABLE_NAME');
  if (inLambda && tableName === undefined) {
    throw new SessionConfigError('TABLE_NAME', 'required in Lambda: the DynamoDB table holding sessions');
  }
  return {
    tableName: tableName ?? DEFAULT_TABLE_NAME,
    endpoint: readString(env, 'DYNAMODB_ENDPOINT'),
    ...readKeySource(env),
    idleTimeoutSeconds: getIntegerFromEnv(env, 'SESSION_IDLE_TIMEOUT_SECONDS', DEFAULT_IDLE_TIMEOUT_SECONDS),
    absoluteTimeoutSeconds: getIntegerFromEnv(
      env,
      'SESSION_ABSOLUTE_TIMEOUT_SECONDS',
      DEFAULT_ABSOLUTE_TIMEOUT_SECONDS,
    ),
  };
}
