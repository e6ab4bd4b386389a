import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { untilAborted } from './abort.js';
import {
  DEFAULT_ABSOLUTE_TIMEOUT_SECONDS,
  DEFAULT_IDLE_TIMEOUT_SECONDS,
  FLASHES_KEY,
  MAX_SESSION_DATA_BYTES,
} from './constants.js';
import { SessionError, SessionUnavailableError } from './errors.js';
import { storedFlashes } from './flashes.js';
import { KeyRing } from './keys/KeyRing.js';
import type { KeyProvider } from './keys/keyProvider.js';
import { type Session, sessionOver, sessionState } from './Session.js';
import { openScope, type SessionRequest, type SessionScope } from './SessionScope.js';
import { DataValidator, type SessionSchema } from './schema.js';

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
import {
  type LoadResult,
  type SessionData,
  type SessionOwnership,
  type SessionRecord,
  SessionStore,
} from './store/SessionStore.js';
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
  /**
   * Stored values that failed the app's schema at the read (`SessionManagerOptions.schema`): read
   * as absent. Expected for a while after a deploy changes a schema; not a sign of tampering.
   */
  invalidValues: number;
}

export interface SessionManagerOptions<Data extends object = SessionData> {
  /** A DynamoDB document client (`createDocumentClient` gives one with bounded timeouts). */
  client: DynamoDBDocumentClient;
  /** The table: partition key `id` (string), TTL on `expiresAt` (or the `byExpiry` index, see `expiry`). */
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
  /**
   * How expired sessions leave the table. `'ttl'`: DynamoDB's TTL on `expiresAt`. `'sweeper'`: for
   * a table that cannot have TTL (a strongly consistent global table), every write that sets
   * `expiresAt` also sets `expiryBucket`, which puts the item in the sparse `byExpiry` index that
   * `sweepExpiredSessions` (`@lambda-sessions/dynamodb/sweep`) reads on a schedule. Reads refuse
   * an expired session either way; this only decides when its item is deleted.
   * @default 'ttl'
   */
  expiry?: 'ttl' | 'sweeper';
  /** Called after each successful commit, for logs and metrics. Must not throw. */
  onCommit?: (event: SessionCommitEvent) => void;
  /**
   * Validation of the data, which also gives its type: a Standard Schema (zod, valibot, arktype,
   * …) for the whole data (`{ whole }`: make its fields optional, a new session is empty), or one
   * per key (`{ keys }`). A stored value that fails reads as absent and is counted
   * (`invalidValues`); `set` with one throws `SessionDataError`. Synchronous schemas only.
   * @default no validation
   */
  schema?: SessionSchema<Data>;
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
 * `Data` is the data's type: given (`new SessionManager<{ username: string }>(…)`) or inferred
 * from `schema`; without either, any key and `unknown` values.
 * @example
 * const sessions = new SessionManager({ client: createDocumentClient(), tableName: 'sessions', keys: new StaticKeys([key]) });
 * const session = await sessions.load(request);
 * session.set('username', 'admin');
 * const setCookies = await sessions.commit(session, request);
 */
export class SessionManager<Data extends object = SessionData> {
  private readonly store: SessionStore;
  private readonly validator: DataValidator;
  private readonly keys: KeyProvider;
  private readonly cookie: SessionCookie;
  private readonly onCommit: ((event: SessionCommitEvent) => void) | undefined;
  private readonly rings = new WeakMap<readonly string[], KeyRing>();

  constructor(options: SessionManagerOptions<Data>) {
    if (typeof options?.tableName !== 'string' || options.tableName === '') {
      throw new TypeError('tableName: expected the name of the sessions table');
    }
    if (typeof options.client?.send !== 'function')
      throw new TypeError('client: expected a DynamoDB document client');
    if (typeof options.keys?.getKeys !== 'function') throw new TypeError('keys: expected a KeyProvider');
    if (options.expiry !== undefined && options.expiry !== 'ttl' && options.expiry !== 'sweeper') {
      throw new TypeError(`expiry: expected 'ttl' or 'sweeper', got ${JSON.stringify(options.expiry)}`);
    }
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
      ...(options.expiry ? { expiry: options.expiry } : {}),
    });
    this.keys = options.keys;
    this.cookie = new SessionCookie(options.cookie);
    this.onCommit = options.onCommit;
    this.validator = new DataValidator(options.schema as SessionSchema<unknown> | undefined);
  }

  /** The session cookie's name for a request: `__Host-session` over HTTPS, `session` over HTTP. */
  cookieName(secure: boolean): string {
    return this.cookie.nameFor(secure);
  }

  /**
   * Whether the table answers: one strongly consistent `GetItem` of a fixed key that no session
   * can have (`health-check`), projecting the key alone, so it reads next to nothing. No cookie, no
   * signing keys, no session. Resolves once the table answered, whether or not it holds that item;
   * otherwise fails as a session read does: `SessionUnavailableError` (operation `check`) when the
   * table did not answer in time, after the client's retries, or `signal` aborted first (on a
   * multi-Region strongly consistent table, also when this Region's replica lost its quorum),
   * `SessionRejectedError` when it refused (no table, no permission). For a health check; it
   * needs only `dynamodb:GetItem`.
   * @example
   * try {
   *   await sessions.checkStore({ signal: AbortSignal.timeout(1500) });
   *   return { statusCode: 200, body: 'ok' };
   * } catch (error) {
   *   if (error instanceof SessionUnavailableError) return { statusCode: 503, body: 'unavailable' };
   *   throw error; // SessionRejectedError: a deployment fault
   * }
   */
  async checkStore(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.store.probe({ signal: options.signal });
  }

  /** The request's session, read with one strongly consistent `GetItem` when the cookie's signature holds. */
  async load(request: SessionRequest): Promise<Session<Data>> {
    const state = await this.verify(request);
    if (state.token === undefined) {
      loaded(state, undefined, undefined);
    } else {
      const seal = new SessionSeal(state.token, state.keyRing);
      const result = await this.store.load(seal, request);
      loaded(state, seal, result, result.status === 'found' ? this.validated(result) : 0);
    }
    return sessionOver(state, this.validator);
  }

  /**
   * The found data checked in place: a stored flash list that is not one, and every value that
   * fails the app's schema, are left out. Returns how many were.
   */
  private validated(result: LoadResult & { status: 'found' }): number {
    const data: SessionData = result.data;
    let invalid = 0;
    const flashes = Object.hasOwn(data, FLASHES_KEY) ? storedFlashes(data[FLASHES_KEY]) : undefined;
    if (Object.hasOwn(data, FLASHES_KEY)) {
      delete data[FLASHES_KEY];
      if (flashes === undefined) invalid++;
    }
    const checked = this.validator.loaded(data);
    if (flashes !== undefined && flashes.length > 0) checked.data[FLASHES_KEY] = flashes;
    result.data = checked.data;
    return invalid + checked.invalid;
  }

  /**
   * The request's session without reading it, with no DynamoDB read: enough to `destroy()` it
   * (logout), or to `regenerate()` it, `clear()` it and `set()` new values (login). Reading it,
   * or changing it any other way, throws `SessionNotLoadedError`.
   */
  async attach(request: SessionRequest): Promise<Session<Data>> {
    return sessionOver(await this.verify(request), this.validator);
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
  ): SessionScope<Data> {
    return openScope(this, request, context, options.deadlineMarginMs);
  }

  /**
   * Writes what the session's changes require and returns the `Set-Cookie` values to send.
   * An unchanged session whose refresh is not due writes nothing.
   */
  async commit(session: Session<Data>, request: SessionRequest): Promise<string[]> {
    const state = sessionState(session);
    const cookies = await this.write(state, request);
    this.onCommit?.({
      request,
      outcome: state.outcome,
      writes: state.writes,
      rejectedValues: state.rejectedValues,
      invalidValues: state.invalidValues,
    });
    return cookies;
  }

  /** Carries out the commit's plan (`planCommit`): the writes, then the `Set-Cookie` values. */
  private async write(state: SessionState, request: SessionRequest): Promise<string[]> {
    const { store, cookie } = this;
    const plan: CommitPlan = planCommit(state, (record) => store.isRefreshDue(record));
    switch (plan.kind) {
      case 'destroy': {
        // Flashes given at the logout go on in a new anonymous session, which holds nothing else,
        // written beside the deletes (one round trip, not two). A store that fails to take the
        // flashes loses them, not the logout.
        const carried =
          plan.carry === undefined
            ? undefined
            : this.created(state, plan.carry, undefined, false, request).catch((error: unknown) => {
                if (error instanceof SessionError) return undefined;
                throw error;
              });
        // Both settle before the answer, so nothing is left writing after it.
        const [deleted, setCookie] = await Promise.allSettled([
          this.destroyed(state, plan.tokens, request),
          carried,
        ]);
        if (deleted.status === 'rejected') throw deleted.reason;
        if (setCookie.status === 'rejected') throw setCookie.reason;
        return [setCookie.value ?? cookie.clear(request.secure)];
      }
      case 'create': {
        const setCookie = await this.created(state, plan.data, plan.ownership, plan.permanent, request);
        // Delete only after the new session exists: a failure here must not leave the user with neither.
        if (plan.replaces !== undefined) {
          await store.destroy(plan.replaces, request);
          state.writes.push('destroyed');
        }
        return [setCookie];
      }
      case 'save':
      case 'refresh': {
        const updated: SessionRecord | undefined =
          plan.kind === 'save'
            ? await store.save(state.seal as SessionSeal, plan.record, plan.change, request, {
                permanent: plan.permanent,
                readBack: plan.forget,
              })
            : await store.refresh(plan.record, request);
        if (updated === undefined) {
          foundGone(state);
          return [];
        }
        state.writes.push(plan.kind === 'save' ? 'saved' : 'refreshed');
        // Forgotten only when the item holds nothing, other requests' keys included.
        if (plan.kind === 'save' && plan.forget && Object.keys(updated.sealed).length === 0) {
          return [cookie.clear(request.secure)];
        }
        return plan.resign ? [this.cookieFor(state, updated, request)] : [];
      }
      case 'none':
        if (plan.forget) return [cookie.clear(request.secure)];
        return plan.resign && state.record !== undefined
          ? [this.cookieFor(state, state.record, request)]
          : [];
    }
  }

  /** Deletes each of `tokens`' sessions, one after the other. */
  private async destroyed(
    state: SessionState,
    tokens: readonly string[],
    request: SessionRequest,
  ): Promise<void> {
    for (const token of tokens) {
      await this.store.destroy(token, request);
      state.writes.push('destroyed');
    }
  }

  /** A new session holding `data`, and its cookie. */
  private async created(
    state: SessionState,
    data: SessionData,
    ownership: SessionOwnership | undefined,
    permanent: boolean,
    request: SessionRequest,
  ): Promise<string> {
    const fresh = newToken();
    const seal = new SessionSeal(fresh, state.keyRing);
    const record = await this.store.create(seal, data, ownership, request, permanent);
    state.writes.push('created');
    return this.cookie.serialize(state.keyRing.sign(fresh), request.secure, this.maxAge(record));
  }

  /** The cookie of the request's session again: signed with the current key, with its lifetime. */
  private cookieFor(state: SessionState, record: SessionRecord, request: SessionRequest): string {
    return this.cookie.serialize(
      state.keyRing.sign(state.token as string),
      request.secure,
      this.maxAge(record),
    );
  }

  /**
   * A permanent session's cookie lives as long as the session may: its remaining absolute
   * lifetime (at least a second). Otherwise the cookie option's (undefined: a browser-session cookie).
   */
  private maxAge(record: SessionRecord): number | undefined {
    if (record.permanent !== true) return undefined;
    return Math.max(1, Math.floor((record.absoluteExpiresAt - this.store.now()) / 1000));
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
