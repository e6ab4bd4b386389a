import type { StandardSchemaV1 } from '@standard-schema/spec';

/**
 * Base class of every error the session library throws. `retryable` says whether the same request
 * may succeed if tried again, so a caller answers 503 (with `Retry-After`) or 500 without listing
 * classes.
 * @example
 * if (error instanceof SessionError) return { statusCode: error.retryable ? 503 : 500 };
 */
export abstract class SessionError extends Error {
  /** Whether trying again may help: the store or the keys did not answer, rather than refused. */
  abstract readonly retryable: boolean;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The store or the key provider did not answer in time or was throttled, after the SDK's retries
 * (timeouts, throttling, 5xx, network errors, the request's deadline), and no keys were held from
 * before. The session is not lost: answer 503. `retryable` is `true`.
 */
export class SessionUnavailableError extends SessionError {
  readonly retryable = true;

  constructor(
    /** `store`: the session table; `keys`: the key provider (Secrets Manager or your own). */
    readonly dependency: 'store' | 'keys',
    /** The store operation that failed (`load`, `create`, `refresh`, …); absent for the keys. */
    readonly operation?: string,
    options?: ErrorOptions,
  ) {
    super(
      dependency === 'keys'
        ? 'session signing keys unavailable'
        : `session store unavailable during ${operation}`,
      options,
    );
  }
}

/**
 * The store or the key provider refused in a way no retry fixes: a missing table or secret, no
 * permission, bad credentials, a KMS key that cannot be used, an invalid request. A deployment or
 * code fault: answer 500, not "try again". `retryable` is `false`.
 */
export class SessionRejectedError extends SessionError {
  readonly retryable = false;

  constructor(
    readonly dependency: 'store' | 'keys',
    readonly operation?: string,
    options?: ErrorOptions,
  ) {
    super(
      dependency === 'keys' ? 'session signing keys refused' : `session store rejected ${operation}`,
      options,
    );
  }
}

/**
 * Signing keys that cannot be used: none, an empty one, one with a control character, or one under
 * 32 bytes. The message names the rule and the key's position, never the key. Not retryable.
 */
export class SigningKeyError extends SessionError {
  readonly retryable = false;
}

/**
 * A value given to `Session.set` cannot be stored as it is, or fails its schema; nothing was
 * changed. Not retryable.
 */
export class SessionDataError extends SessionError {
  readonly retryable = false;

  constructor(
    /** The key the value was given for. */
    readonly key: string,
    message: string,
    /** The schema's issues, when the value failed its schema (`SessionManagerOptions.schema`). */
    readonly issues?: ReadonlyArray<StandardSchemaV1.Issue>,
  ) {
    super(message);
  }
}

/** Session data would exceed the configured size limit; nothing was written. Not retryable. */
export class SessionTooLargeError extends SessionError {
  readonly retryable = false;

  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`session data is ${bytes} bytes, over the ${limit}-byte limit`);
  }
}

/**
 * The data of a session attached without a read was read or changed: `load()` the session to
 * read or change it; an attached session can only be destroyed, or regenerated and then cleared
 * before new values are set. Not retryable.
 */
export class SessionNotLoadedError extends SessionError {
  readonly retryable = false;

  constructor() {
    super(
      'session data was not loaded: load() the session to read or change it, or regenerate() and clear() it to start a new one',
    );
  }
}
