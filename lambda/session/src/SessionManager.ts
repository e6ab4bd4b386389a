import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { untilAborted } from './abort.js';
import {
  DEFAULT_ABSOLUTE_TIMEOUT_SECONDS,
  DEFAULT_IDLE_TIMEOUT_SECONDS,
  MAX_KEYS_PER_UPDATE,
  MAX_SESSION_DATA_BYTES,
} from './constants.js';
import { SessionError, SessionUnavailableError } from './errors.js';
import { KeyRing, newToken, wellFormedToken } from './KeyRing.js';
import type { KeyProvider } from './keyProvider.js';
import {
  dictionary,
  initialSessionState,
  Session,
  type SessionOutcome,
  type SessionState,
  type SessionWrite,
  sessionState,
} from './Session.js';
import { SessionCookie, type SessionCookieOptions } from './SessionCookie.js';
import { SessionSeal } from './SessionSeal.js';
import { type DataChange, type SessionData, type SessionRecord, SessionStore } from './SessionStore.js';

/** The parts of a request the session needs. */
export interface SessionRequest {
  /** `name=value` entries, as API Gateway's payload 2.0 `cookies` delivers them. */
  cookies: readonly string[];
  /** HTTPS: the cookie gets `Secure` (and the `__Host-` prefix). */
  secure: boolean;
  /**
   * The request's deadline: when it aborts, the store and key calls still running end at once in
   * `SessionUnavailableError` (a 503), not in a timeout of
   * the whole function. For example `requestDeadline(context, DEFAULT_DEADLINE_MARGIN_MS).signal`.
   */
  signal?: AbortSignal;
}

/** What one commit did, given to `onCommit`: how the cookie was read and what was written. */
export interface SessionCommitEvent {
  /** The request object passed to `commit`, so a caller can tie the event to its own request. */
  request: SessionRequest;
  outcome: SessionOutcome;
  writes: readonly SessionWrite[];
  /**
   * Stored values that failed authentication at the read (tampered with, or copied from another
   * session or another name): read as absent, never as data. Anything above 0 deserves a look.
   */
  rejectedValues: number;
}

export interface SessionManagerOptions {
  /** A DynamoDB document client (`createDocumentClient` gives one with bounded timeouts). */
  client: DynamoDBDocumentClient;
  /** The table: partition key `id` (string), TTL on `expiresAt`. */
  tableName: string;
  /** Where the signing keys come from: `StaticKeys`, `SecretsManagerKeys` or your own. */
  keys: KeyProvider;
  /** Sliding idle timeout. @default 3600 */
  idleTimeoutSeconds?: number;
  /** Lifetime since login, never extended. @default 43200 */
  absoluteTimeoutSeconds?: number;
  /** Largest session data, as stored: sealed values and their name tags, in bytes. @default 65536 */
  maxDataBytes?: number;
  cookie?: SessionCookieOptions;
  /** Epoch milliseconds; injectable so tests can move time. @default Date.now */
  now?: () => number;
  /** Called after each successful commit, for logs and metrics. Must not throw. */
  onCommit?: (event: SessionCommitEvent) => void;
}

/**
 * What a commit writes of the data: the keys changed since the read, one path each, or the whole
 * map after `clear()` (or when more keys changed than one update should carry).
 */
function dataChange(state: SessionState, data: SessionData): DataChange {
  if (state.cleared || state.changed.size > MAX_KEYS_PER_UPDATE) return { kind: 'whole', data };
  const set = dictionary();
  const removed: string[] = [];
  for (const key of state.changed) {
    if (Object.hasOwn(data, key)) set[key] = data[key];
    else removed.push(key);
  }
  return { kind: 'keys', set, removed };
}

/** Timeouts up to ten years: longer is a mistake, and would overflow the epoch arithmetic. */
const MAX_TIMEOUT_SECONDS = 10 * 365 * 24 * 3600;

function wholeNumber(name: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isSafeInteger(value) && value >= 1 && value <= max)) {
    throw new TypeError(`${name}: expected a whole number from 1 to ${max}, got ${value}`);
  }
  return value;
}

/**
 * Server-side sessions in DynamoDB behind a signed cookie: turns a request's cookies into a
 * `Session` and the session's changes back into writes and `Set-Cookie` values.
 * @example
 * const sessions = new SessionManager({ client: createDocumentClient(), tableName: 'sessions', keys: new StaticKeys([key]) });
 * const session = await sessions.load(request);
 * session.set('username', 'admin');
 * const setCookies = await sessions.commit(session, request);
 */
export class SessionManager {
  private readonly store: SessionStore;
  private readonly keys: KeyProvider;
  private readonly cookie: SessionCookie;
  private readonly onCommit: ((event: SessionCommitEvent) => void) | undefined;
  private readonly rings = new WeakMap<readonly string[], KeyRing>();

  constructor(options: SessionManagerOptions) {
    if (typeof options?.tableName !== 'string' || options.tableName === '') {
      throw new TypeError('tableName: expected the name of the sessions table');
    }
    if (typeof options.client?.send !== 'function')
      throw new TypeError('client: expected a DynamoDB document client');
    if (typeof options.keys?.getKeys !== 'function') throw new TypeError('keys: expected a KeyProvider');
    const idleTimeoutSeconds = wholeNumber(
      'idleTimeoutSeconds',
      options.idleTimeoutSeconds,
      DEFAULT_IDLE_TIMEOUT_SECONDS,
      MAX_TIMEOUT_SECONDS,
    );
    const absoluteTimeoutSeconds = wholeNumber(
      'absoluteTimeoutSeconds',
      options.absoluteTimeoutSeconds,
      DEFAULT_ABSOLUTE_TIMEOUT_SECONDS,
      MAX_TIMEOUT_SECONDS,
    );
    this.store = new SessionStore({
      client: options.client,
      tableName: options.tableName,
      idleTimeoutSeconds,
      absoluteTimeoutSeconds,
      maxDataBytes: wholeNumber('maxDataBytes', options.maxDataBytes, MAX_SESSION_DATA_BYTES, 350 * 1024),
      ...(options.now ? { now: options.now } : {}),
    });
    this.keys = options.keys;
    this.cookie = new SessionCookie(options.cookie);
    this.onCommit = options.onCommit;
  }

  /** The session cookie's name for a request: `__Host-session` over HTTPS, `session` over HTTP. */
  cookieName(secure: boolean): string {
    return this.cookie.nameFor(secure);
  }

  /** The request's session, read with one strongly consistent `GetItem` when the cookie's signature holds. */
  async load(request: SessionRequest): Promise<Session> {
    const state = await this.verify(request);
    state.data = {};
    if (state.token === undefined) return new Session(state);
    state.seal = new SessionSeal(state.token);
    const result = await this.store.load(state.seal, request.signal);
    if (result.status === 'found') {
      state.record = result.record;
      state.data = result.data;
      state.rejectedValues = result.rejectedValues;
    }
    state.outcome = result.status;
    return new Session(state);
  }

  /**
   * The request's session without reading it: enough to `destroy()` it (logout) or to
   * `regenerate()` + `clear()` it (login), with no DynamoDB read. `get` on it throws.
   */
  async attach(request: SessionRequest): Promise<Session> {
    const state = await this.verify(request);
    if (state.token !== undefined) state.outcome = 'not-read';
    return new Session(state);
  }

  /**
   * Writes what the session's changes require and returns the `Set-Cookie` values to send.
   * An unchanged session whose refresh is not due writes nothing.
   */
  async commit(session: Session, request: SessionRequest): Promise<string[]> {
    const state = sessionState(session);
    const cookies = await this.write(state, request);
    this.onCommit?.({
      request,
      outcome: state.outcome,
      writes: state.writes,
      rejectedValues: state.rejectedValues,
    });
    return cookies;
  }

  private async write(state: SessionState, request: SessionRequest): Promise<string[]> {
    const { store } = this;
    const { token, record, signedWithOldKey, keyRing } = state;

    if (state.destroy) {
      // The verified session, and any session whose token came with a signature this process
      // cannot check: a logout always ends the session, whatever keys this container holds.
      const doomed = new Set([...(token === undefined ? [] : [token]), ...state.unverifiedTokens]);
      for (const doomedToken of doomed) {
        await store.destroy(doomedToken, request.signal);
        state.writes.push('destroyed');
      }
      return [this.cookie.clear(request.secure)];
    }

    const data = state.modified || state.regenerate ? dictionary(state.data) : undefined;
    if (state.regenerate || (record === undefined && data !== undefined && Object.keys(data).length > 0)) {
      const fresh = newToken();
      await store.create(new SessionSeal(fresh), data ?? {}, state.ownership, request.signal);
      state.writes.push('created');
      // Delete only after the new session exists: a failure here must not leave the user with neither.
      if (token !== undefined) {
        await store.destroy(token, request.signal);
        state.writes.push('destroyed');
      }
      return [this.cookie.serialize(keyRing.sign(fresh), request.secure)];
    }

    if (record === undefined || token === undefined || state.seal === undefined) return [];

    let updated: SessionRecord | undefined = record;
    if (data !== undefined) {
      updated = await store.save(state.seal, record, dataChange(state, data), request.signal);
      if (updated) state.writes.push('saved');
    } else if (store.isRefreshDue(record)) {
      updated = await store.refresh(record, request.signal);
      if (updated) state.writes.push('refreshed');
    }
    if (updated === undefined) {
      state.writes.push('gone');
      state.data = dictionary();
      state.modified = false;
      state.changed.clear();
      state.cleared = false;
      return [];
    }
    return signedWithOldKey ? [this.cookie.serialize(keyRing.sign(token), request.secure)] : [];
  }

  private async verify(request: SessionRequest): Promise<SessionState> {
    const keyRing = await this.keyRing(request.signal);
    const state = initialSessionState(keyRing);
    const values = this.cookie.read(request.cookies, request.secure);
    for (const value of values) {
      const verified = keyRing.verify(value);
      if (verified && state.token === undefined) {
        state.token = verified.token;
        state.signedWithOldKey = verified.signedWithOldKey;
      } else if (!verified) {
        const unverified = wellFormedToken(value);
        if (unverified !== undefined && !state.unverifiedTokens.includes(unverified)) {
          state.unverifiedTokens.push(unverified);
        }
      }
    }
    if (state.token === undefined && values.length > 0) state.outcome = 'bad-signature';
    return state;
  }

  /** The key ring for the provider's current keys: one per key list, so a rotation gets a new one. */
  private async keyRing(signal: AbortSignal | undefined): Promise<KeyRing> {
    let keys: readonly string[];
    try {
      // The fetch may be shared with other requests: only this request stops waiting for it.
      keys = await untilAborted(this.keys.getKeys(), signal);
    } catch (error) {
      if (error instanceof SessionError) throw error;
      throw new SessionUnavailableError('keys', undefined, { cause: error });
    }
    let ring = this.rings.get(keys);
    if (ring === undefined) {
      ring = new KeyRing(keys);
      this.rings.set(keys, ring);
    }
    return ring;
  }
}
