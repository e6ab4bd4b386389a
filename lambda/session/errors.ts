/** Base class of every error the session library throws. */
export class SessionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The store could not be reached or refused the request after the SDK's retries
 * (throttling, timeouts, 5xx, network errors). Answer 503: the session is not lost.
 */
export class SessionStoreUnavailableError extends SessionError {
  constructor(
    readonly operation: string,
    options?: ErrorOptions,
  ) {
    super(`session store unavailable during ${operation}`, options);
  }
}

/**
 * The store refused the request in a way no retry can fix: a missing table, no permission, bad
 * credentials, an invalid request. A deployment or code fault: answer 500, not "try again".
 */
export class SessionStoreRejectedError extends SessionError {
  constructor(
    readonly operation: string,
    options?: ErrorOptions,
  ) {
    super(`session store rejected ${operation}`, options);
  }
}

/**
 * The key provider could not give the signing keys (Secrets Manager unreachable, throttled, or
 * any error of a custom provider) and none were held from before. Answer 503.
 */
export class SessionKeysUnavailableError extends SessionError {
  constructor(options?: ErrorOptions) {
    super('session signing keys unavailable', options);
  }
}

/**
 * The key provider was refused in a way no retry fixes (Secrets Manager: no such secret, no
 * permission, a KMS key that cannot be used). A deployment fault: answer 500, not "try again".
 */
export class SessionKeysRejectedError extends SessionError {
  constructor(options?: ErrorOptions) {
    super('session signing keys refused', options);
  }
}

/** Signing keys that cannot be used: none, an empty one, one with a control character, or one under 32 bytes. */
export class SigningKeyError extends SessionError {}

/** A new session id collided with an existing item (the conditional put failed). */
export class SessionIdCollisionError extends SessionError {
  constructor() {
    super('a new session id collided with an existing session');
  }
}

/** A value given to `Session.set` cannot be stored as it is; nothing was changed. */
export class SessionDataError extends SessionError {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

/** Session data would exceed the configured size limit; nothing was written. */
export class SessionTooLargeError extends SessionError {
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`session data is ${bytes} bytes, over the ${limit}-byte limit`);
  }
}

/** Session data was read before it was loaded (a session attached without a read). */
export class SessionNotLoadedError extends SessionError {
  constructor() {
    super('session data was not loaded: use load(), not attach(), to read a session');
  }
}
