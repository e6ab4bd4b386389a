import {
  DEFAULT_ABSOLUTE_TIMEOUT_SECONDS,
  DEFAULT_KEY_PROMOTE_AFTER_SECONDS,
  DEFAULT_KEY_REFRESH_SECONDS,
  keyRotationDelays,
} from '../session/index.js';
import { ConfigError, getIntegerFromEnv, MAX_TIMEOUT_SECONDS } from './config.js';

/** The key rotation function's configuration, read once from the environment. */
export interface RotationConfig {
  /** How long a distributed key waits before it signs. */
  promoteAfterSeconds: number;
  /** How long a demoted key keeps verifying. */
  retireAfterSeconds: number;
  serviceName: string;
}

type Env = Record<string, string | undefined>;

/**
 * The rotation delays from the handlers' settings: `SESSION_ABSOLUTE_TIMEOUT_SECONDS` (as the
 * handlers read it), `SESSION_KEY_REFRESH_SECONDS` (how often the handlers re-read the secret:
 * the library's default) and `SESSION_KEY_PROMOTE_AFTER_SECONDS`. Throws `ConfigError` naming the
 * variable at fault.
 * @example const config = readRotationConfig(process.env);
 */
export function readRotationConfig(env: Env = process.env): RotationConfig {
  const absoluteTimeoutSeconds = getIntegerFromEnv(
    env,
    'SESSION_ABSOLUTE_TIMEOUT_SECONDS',
    DEFAULT_ABSOLUTE_TIMEOUT_SECONDS,
    { max: MAX_TIMEOUT_SECONDS },
  );
  const keyRefreshSeconds = getIntegerFromEnv(
    env,
    'SESSION_KEY_REFRESH_SECONDS',
    DEFAULT_KEY_REFRESH_SECONDS,
    {
      max: MAX_TIMEOUT_SECONDS,
    },
  );
  const promoteAfterSeconds = getIntegerFromEnv(
    env,
    'SESSION_KEY_PROMOTE_AFTER_SECONDS',
    DEFAULT_KEY_PROMOTE_AFTER_SECONDS,
    { max: MAX_TIMEOUT_SECONDS },
  );
  try {
    return {
      ...keyRotationDelays({ absoluteTimeoutSeconds, keyRefreshSeconds, promoteAfterSeconds }),
      serviceName: env.POWERTOOLS_SERVICE_NAME?.trim() || 'sessions',
    };
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ConfigError(
      'SESSION_KEY_PROMOTE_AFTER_SECONDS',
      `${error.message} (SESSION_KEY_REFRESH_SECONDS + 3600)`,
    );
  }
}
