import {
  DEFAULT_KEY_PROMOTE_AFTER_SECONDS,
  DEFAULT_KEY_REFRESH_SECONDS,
  keyRotationDelays,
} from '@lambda-sessions/dynamodb/keys';
import { DEFAULT_ABSOLUTE_TIMEOUT_SECONDS } from '@lambda-sessions/dynamodb/table';

/** The key rotation function's configuration, read once from the environment the construct sets. */
export interface RotationConfig {
  /** How long a distributed key waits before it signs. */
  promoteAfterSeconds: number;
  /** How long a demoted key keeps verifying. */
  retireAfterSeconds: number;
  /** How long a key signs before the next takes over: the construct's `keyRotationInterval`. */
  rotateAfterSeconds: number;
  serviceName: string;
}

/** A variable of the rotation function is missing or invalid; the message names it. */
export class RotationConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'RotationConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** How often a new key takes over unless told otherwise: the construct's default, 30 days. */
const DEFAULT_ROTATE_AFTER_SECONDS = 30 * 24 * 3600;

/** Ten years: a longer timeout is a mistake, not a setting. */
const MAX_SECONDS = 10 * 365 * 24 * 3600;

/** A whole number of seconds from 1 to ten years, or `defaultValue` when unset or blank. */
function seconds(env: Env, key: string, defaultValue: number): number {
  const raw = env[key]?.trim();
  if (!raw) return defaultValue;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > MAX_SECONDS) {
    throw new RotationConfigError(key, `expected a whole number from 1 to ${MAX_SECONDS}, got "${raw}"`);
  }
  return value;
}

/**
 * The rotation delays from the handlers' settings, as `ServerSessions` passes them:
 * `SESSION_ABSOLUTE_TIMEOUT_SECONDS` (the handlers' absolute timeout), `SESSION_KEY_REFRESH_SECONDS`
 * (how often the handlers re-read the secret), `SESSION_KEY_PROMOTE_AFTER_SECONDS` and
 * `SESSION_KEY_ROTATE_AFTER_SECONDS` (how often a new key takes over; the function runs more
 * often, every 4 hours). Throws `RotationConfigError` naming the variable at fault.
 * @example const config = readRotationConfig(process.env);
 */
export function readRotationConfig(env: Env): RotationConfig {
  const absoluteTimeoutSeconds = seconds(
    env,
    'SESSION_ABSOLUTE_TIMEOUT_SECONDS',
    DEFAULT_ABSOLUTE_TIMEOUT_SECONDS,
  );
  const keyRefreshSeconds = seconds(env, 'SESSION_KEY_REFRESH_SECONDS', DEFAULT_KEY_REFRESH_SECONDS);
  const promoteAfterSeconds = seconds(
    env,
    'SESSION_KEY_PROMOTE_AFTER_SECONDS',
    DEFAULT_KEY_PROMOTE_AFTER_SECONDS,
  );
  const rotateAfterSeconds = seconds(env, 'SESSION_KEY_ROTATE_AFTER_SECONDS', DEFAULT_ROTATE_AFTER_SECONDS);
  try {
    return {
      ...keyRotationDelays({ absoluteTimeoutSeconds, keyRefreshSeconds, promoteAfterSeconds }),
      rotateAfterSeconds,
      serviceName: env.POWERTOOLS_SERVICE_NAME?.trim() || 'sessions',
    };
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new RotationConfigError(
      'SESSION_KEY_PROMOTE_AFTER_SECONDS',
      `${error.message} (SESSION_KEY_REFRESH_SECONDS + 3600)`,
    );
  }
}
