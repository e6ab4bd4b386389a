import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { boundedClientConfig } from '../clientConfig.js';
import { DEFAULT_KEY_REFRESH_SECONDS } from '../constants.js';
import { SessionRejectedError, SessionUnavailableError } from '../errors.js';
import { isRejection } from '../sdkErrors.js';
import { type KeyProvider, parseSigningKeys } from './keyProvider.js';

export interface SecretsManagerKeysOptions {
  /** The secret's ARN or name. Its `SecretString` holds keys as `parseSigningKeys` reads them. */
  secretId: string;
  /**
   * The client to call. Omitted, one is created at the first request with bounded timeouts and
   * retries, and the Secrets Manager client code is loaded only then.
   */
  client?: SecretsManagerClient;
  /** How long fetched keys are used before the secret is read again. @default 300 */
  refreshSeconds?: number;
  /** Epoch milliseconds; injectable so tests can move time. */
  now?: () => number;
}

/** After a failed refresh, the next try comes this much later (or after the interval, if shorter). */
const RETRY_AFTER_FAILED_REFRESH_MS = 30_000;

/**
 * Signing keys held in a Secrets Manager secret, fetched at the first request and again every
 * `refreshSeconds`, so a rotated key is picked up without a deploy. Concurrent first requests
 * share one fetch. When a refresh fails the keys already held stay in use and the next request
 * after 30 seconds tries again (a rotation must not wait a whole interval more); with none held, the request fails with `SessionUnavailableError`,
 * or `SessionRejectedError` when Secrets Manager refused for good (no secret, no permission).
 * @example
 * const keys = new SecretsManagerKeys({ secretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:keys' });
 */
export class SecretsManagerKeys implements KeyProvider {
  private keys: readonly string[] | undefined;
  private fetchedAt = 0;
  private pending: Promise<readonly string[]> | undefined;
  private client: SecretsManagerClient | undefined;
  private readonly refreshMs: number;
  private readonly now: () => number;

  constructor(private readonly options: SecretsManagerKeysOptions) {
    if (typeof options.secretId !== 'string' || options.secretId.trim() === '') {
      throw new TypeError('secretId: expected the ARN or name of a secret');
    }
    const refreshSeconds = options.refreshSeconds ?? DEFAULT_KEY_REFRESH_SECONDS;
    if (!(Number.isFinite(refreshSeconds) && refreshSeconds > 0)) {
      throw new TypeError(`refreshSeconds: expected a positive number, got ${refreshSeconds}`);
    }
    this.refreshMs = refreshSeconds * 1000;
    this.client = options.client;
    this.now = options.now ?? Date.now;
  }

  async getKeys(): Promise<readonly string[]> {
    if (this.keys && this.now() - this.fetchedAt < this.refreshMs) return this.keys;
    this.pending ??= this.fetch().finally(() => {
      this.pending = undefined;
    });
    try {
      return await this.pending;
    } catch (error) {
      if (!this.keys) throw error;
      // Keep the held keys; count the interval so that the next try comes after the retry delay.
      this.fetchedAt = this.now() - this.refreshMs + Math.min(this.refreshMs, RETRY_AFTER_FAILED_REFRESH_MS);
      return this.keys;
    }
  }

  private async fetch(): Promise<readonly string[]> {
    let value: string | undefined;
    try {
      // Imported here, not at the top: a process that never reads a secret never loads the client.
      const sdk = await import('./secretsManagerClient.js');
      this.client ??= new sdk.SecretsManagerClient(boundedClientConfig());
      const output = await this.client.send(
        new sdk.GetSecretValueCommand({ SecretId: this.options.secretId }),
      );
      value = output.SecretString;
    } catch (error) {
      if (isRejection(error)) throw new SessionRejectedError('keys', undefined, { cause: error });
      throw new SessionUnavailableError('keys', undefined, { cause: error });
    }
    // A secret that holds no usable key is a deployment fault: SigningKeyError, not "try again".
    const keys = Object.freeze(parseSigningKeys(value));
    this.keys = keys;
    this.fetchedAt = this.now();
    return keys;
  }
}
