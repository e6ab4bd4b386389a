import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseSecrets } from './config';
import { SessionStoreUnavailableError } from './errors';
import { KeyRing } from './KeyRing';

/** How long fetched keys are used before Secrets Manager is asked again. */
export const KEY_REFRESH_MS = 5 * 60 * 1000;

export interface SecretKeyRingOptions {
  client: SecretsManagerClient;
  secretArn: string;
  refreshMs?: number;
  now?: () => number;
}

/**
 * The key ring held in a Secrets Manager secret (comma-separated keys, the first signs), fetched
 * at the first request and again every few minutes, so a rotated key is picked up without a
 * deploy. When a refresh fails the keys already held stay in use; with none held, the request
 * fails as "store unavailable" (a 503, never a logout).
 * @example const ring = await new SecretKeyRing({ client, secretArn }).current();
 */
export class SecretKeyRing {
  private ring: KeyRing | undefined;
  private fetchedAt = 0;
  private pending: Promise<KeyRing> | undefined;
  private readonly refreshMs: number;
  private readonly now: () => number;

  constructor(private readonly options: SecretKeyRingOptions) {
    this.refreshMs = options.refreshMs ?? KEY_REFRESH_MS;
    this.now = options.now ?? Date.now;
  }

  async current(): Promise<KeyRing> {
    if (this.ring && this.now() - this.fetchedAt < this.refreshMs) return this.ring;
    // One fetch at a time: concurrent first requests share it.
    this.pending ??= this.fetch().finally(() => {
      this.pending = undefined;
    });
    try {
      return await this.pending;
    } catch (error) {
      if (!this.ring) throw error;
      this.fetchedAt = this.now(); // keep the held keys and retry after another interval
      return this.ring;
    }
  }

  private async fetch(): Promise<KeyRing> {
    let value: string | undefined;
    try {
      // Imported here, not at the top: a container that never reads the secret never loads the client.
      const { GetSecretValueCommand } = await import('./secretsManagerClient.js');
      const output = await this.options.client.send(
        new GetSecretValueCommand({ SecretId: this.options.secretArn }),
      );
      value = output.SecretString;
    } catch (error) {
      throw new SessionStoreUnavailableError('load signing keys', { cause: error });
    }
    this.ring = new KeyRing(parseSecrets('SESSION_SECRET_ARN', value));
    this.fetchedAt = this.now();
    return this.ring;
  }
}
