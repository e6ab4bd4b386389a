import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { untilAborted } from './abort.js';
import {
  DEFAULT_ABSOLUTE_TIMEOUT_SECONDS,
  DEFAULT_IDLE_TIMEOUT_SECONDS,
  MAX_SESSION_DATA_BYTES,
} from './constants.js';
import { SessionError, SessionUnavailableError } from './errors.js';
import { KeyRing } from './keys/KeyRing.js';
import type { KeyProvider } from './keys/keyProvider.js';
import { type Session, sessionOver, sessionState } from './Session.js';
import { openScope, type SessionRequest, type SessionScope } from './SessionScope.js';

export type { SessionRequest } from './SessionScope.js';

import { SessionCookie, type SessionCookieOptions } from './SessionCookie.js';
import { SessionSeal } from './SessionSeal.js';
import {
  type CommitPlan,
  cookieVerified,
  foundGone,
  initialSessionState,
  loaded,
  planCommit,
  type SessionOutcome,
  type SessionState,
  type SessionWrite,
} from './sessionState.js';
import { type SessionRecord, SessionStore } from './store/SessionStore.js';
import { newToken, wellFormedToken } from './tokens.js';

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
    if (state.token === undefined) {
      loaded(state, undefined, undefined);
    } else {
      const seal = new SessionSeal(state.token, state.keyRing);
      loaded(state, seal, await this.store.load(seal, request));
    }
    return sessionOver(state);
  }

  /**
   * The request's session without reading it, with no DynamoDB read: enough to `destroy()` it
   * (logout), or to `regenerate()` it, `clear()` it and `set()` new values (login). Reading it,
   * or changing it any other way, throws `SessionNotLoadedError`.
   */
  async attach(request: SessionRequest): Promise<Session> {
    return sessionOver(await this.verify(request));
  }

  /**
   * One request's session lifecycle: its deadline (the Lambda `context`'s remaining time less
   * `deadlineMarginMs`), the session opened once, one commit. What `withSession` and the Middy
   * middleware use; use it for an adapter of your own.
   * @example const scope = sessions.open(sessionRequestFromEvent(event), context);
   */
  open(
    request: SessionRequest,
    context?: { getRemainingTimeInMillis?: () => number },
    options: { deadlineMarginMs?: number } = {},
  ): SessionScope {
    return openScope(this, request, context, options.deadlineMarginMs);
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

  /** Carries out the commit's plan (`planCommit`): the writes, then the `Set-Cookie` values. */
  private async write(state: SessionState, request: SessionRequest): Promise<string[]> {
    const { store, cookie } = this;
    const plan: CommitPlan = planCommit(state, (record) => store.isRefreshDue(record));
    switch (plan.kind) {
      case 'destroy':
        for (const token of plan.tokens) {
          await store.destroy(token, request);
          state.writes.push('destroyed');
        }
        return [cookie.clear(request.secure)];
      case 'create': {
        const fresh = newToken();
        await store.create(new SessionSeal(fresh, state.keyRing), plan.data, plan.ownership, request);
        state.writes.push('created');
        // Delete only after the new session exists: a failure here must not leave the user with neither.
        if (plan.replaces !== undefined) {
          await store.destroy(plan.replaces, request);
          state.writes.push('destroyed');
        }
        return [cookie.serialize(state.keyRing.sign(fresh), request.secure)];
      }
      case 'save':
      case 'refresh': {
        const updated: SessionRecord | undefined =
          plan.kind === 'save'
            ? await store.save(state.seal as SessionSeal, plan.record, plan.change, request)
            : await store.refresh(plan.record, request);
        if (updated === undefined) {
          foundGone(state);
          return [];
        }
        state.writes.push(plan.kind === 'save' ? 'saved' : 'refreshed');
        return this.resigned(state, plan.resign, request);
      }
      case 'none':
        return this.resigned(state, plan.resign, request);
    }
  }

  /** The cookie again, signed with the current key, when it verified with an old one. */
  private resigned(state: SessionState, resign: boolean, request: SessionRequest): string[] {
    return resign && state.token !== undefined
      ? [this.cookie.serialize(state.keyRing.sign(state.token), request.secure)]
      : [];
  }

  private async verify(request: SessionRequest): Promise<SessionState> {
    const keyRing = await this.keyRing(request.signal);
    const state = initialSessionState(keyRing);
    const values = this.cookie.read(request.cookies, request.secure);
    let verified: { token: string; signedWithOldKey: boolean } | undefined;
    const unverified: string[] = [];
    for (const value of values) {
      const result = keyRing.verify(value);
      if (result) {
        verified ??= result;
      } else {
        const token = wellFormedToken(value);
        if (token !== undefined && !unverified.includes(token)) unverified.push(token);
      }
    }
    cookieVerified(state, verified, unverified, values.length);
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
