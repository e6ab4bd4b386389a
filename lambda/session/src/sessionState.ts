import { MAX_KEYS_PER_UPDATE, UNKNOWN_DEVICE } from './constants.js';
import { SessionNotLoadedError } from './errors.js';
import type { KeyRing } from './keys/KeyRing.js';
import type { SessionSeal } from './SessionSeal.js';
import type {
  DataChange,
  LoadResult,
  SessionData,
  SessionOwnership,
  SessionRecord,
} from './store/SessionStore.js';

/** What the request's cookie led to; `not-read`: a verified cookie whose session was attached, not read. */
export type SessionOutcome = 'no-cookie' | 'bad-signature' | 'absent' | 'expired' | 'found' | 'not-read';

/**
 * What a commit did to the store. `gone`: a save or refresh found the item deleted (a concurrent
 * logout), so nothing was written.
 */
export type SessionWrite = 'created' | 'destroyed' | 'saved' | 'refreshed' | 'gone';

/**
 * One request's session as the library tracks it. This module alone changes it: `Session` calls
 * its transitions, `SessionManager` reads it to plan and carry out the commit.
 */
export interface SessionState {
  keyRing: KeyRing;
  /** The verified token from the request's cookie, if any. */
  token: string | undefined;
  /**
   * Tokens of well-formed cookie values no key verified. Only `destroy` acts on them: knowing a
   * token already gives its session, and a cookie signed with a key this process does not hold
   * yet (a rotation in progress) must still be logged out.
   */
  unverifiedTokens: string[];
  signedWithOldKey: boolean;
  /** Seals and opens the verified token's values: made by `load`, so undefined on an attached session. */
  seal: SessionSeal | undefined;
  record: SessionRecord | undefined;
  /** undefined: the session was attached without a read, so its data is unknown. */
  data: SessionData | undefined;
  /**
   * Stored values that failed authentication at the read, and so were left out of `data`; or 1
   * when the item's clear fields failed their MAC, and so the whole item read as absent.
   */
  rejectedValues: number;
  outcome: SessionOutcome;
  modified: boolean;
  /** Keys set or popped since the read: a commit writes only these. */
  changed: Set<string>;
  /** `clear()` was called: a commit replaces the whole stored map. */
  cleared: boolean;
  regenerate: boolean;
  /**
   * Who the regenerated session belongs to: `regenerate({ owner })`'s, else the owner read;
   * undefined: anonymous.
   */
  ownership: SessionOwnership | undefined;
  destroy: boolean;
  writes: SessionWrite[];
}

/** The state of a request's session before its cookie is read: nothing verified, nothing to write. */
export function initialSessionState(keyRing: KeyRing): SessionState {
  return {
    keyRing,
    token: undefined,
    unverifiedTokens: [],
    signedWithOldKey: false,
    seal: undefined,
    record: undefined,
    data: undefined,
    rejectedValues: 0,
    outcome: 'no-cookie',
    modified: false,
    changed: new Set(),
    cleared: false,
    regenerate: false,
    ownership: undefined,
    destroy: false,
    writes: [],
  };
}

/**
 * A null-prototype copy of `data`: keys such as `__proto__` or `constructor` are ordinary keys,
 * never Object.prototype's members (a plain object would let `set('__proto__', …)` swap the
 * prototype and `get('constructor')` return a function for a key that was never set).
 */
export function dictionary(data: SessionData = {}): SessionData {
  return Object.assign(Object.create(null) as SessionData, data);
}

// Transitions, one per thing that can happen to a request's session.

/** The cookie's values were checked: the verified token (if any) and the ones no key verified. */
export function cookieVerified(
  state: SessionState,
  verified: { token: string; signedWithOldKey: boolean } | undefined,
  unverifiedTokens: string[],
  cookiesSeen: number,
): void {
  state.token = verified?.token;
  state.signedWithOldKey = verified?.signedWithOldKey ?? false;
  state.unverifiedTokens = unverifiedTokens;
  if (verified === undefined && cookiesSeen > 0) state.outcome = 'bad-signature';
  else if (verified !== undefined) state.outcome = 'not-read';
}

/** The store answered the read (or there was nothing to read): the data is known from now on. */
export function loaded(
  state: SessionState,
  seal: SessionSeal | undefined,
  result: LoadResult | undefined,
): void {
  state.seal = seal;
  state.data = dictionary(result?.status === 'found' ? result.data : {});
  if (result === undefined) return;
  state.outcome = result.status;
  if (result.status === 'found') {
    state.record = result.record;
    state.rejectedValues = result.rejectedValues;
  } else if (result.status === 'absent') {
    state.rejectedValues = result.rejectedValues ?? 0;
  }
}

/** The data, which only a loaded (or cleared) session has. */
export function knownData(state: SessionState): SessionData {
  if (state.data === undefined) throw new SessionNotLoadedError();
  return state.data;
}

export function valueSet(state: SessionState, key: string, value: unknown): void {
  knownData(state)[key] = value;
  state.modified = true;
  state.changed.add(key);
}

export function valuePopped(state: SessionState, key: string): unknown {
  const data = knownData(state);
  if (!Object.hasOwn(data, key)) return undefined;
  const value = data[key];
  delete data[key];
  state.modified = true;
  state.changed.add(key);
  return value;
}

/**
 * Emptied: the commit replaces the whole stored map. Without a read, only a regenerated session
 * may be emptied (a new session starts from nothing); emptying an existing session unread would
 * either write nothing or quietly replace it, so it throws `SessionNotLoadedError`.
 */
export function cleared(state: SessionState): void {
  if (state.data === undefined && !state.regenerate) throw new SessionNotLoadedError();
  if (state.data !== undefined && Object.keys(state.data).length === 0) return;
  state.data = dictionary();
  state.modified = true;
  state.cleared = true;
  state.changed.clear();
}

/**
 * A new id at the commit. With `ownership` (`regenerate({ owner, device })`), the new session is
 * theirs; without, it keeps the owner and device label the read found, so it stays in its owner's
 * listing and ends with their "log out everywhere". An attached session was not read, so it has
 * none to keep: regenerated without options, it is anonymous.
 */
export function regenerated(state: SessionState, ownership: SessionOwnership | undefined): void {
  const owner = state.record?.owner;
  state.ownership =
    ownership ??
    (owner === undefined ? undefined : { owner, device: state.record?.device ?? UNKNOWN_DEVICE });
  state.regenerate = true;
}

export function destroyed(state: SessionState): void {
  state.destroy = true;
}

/** A save or refresh found the item gone (a concurrent logout): the session is empty and unchanged. */
export function foundGone(state: SessionState): void {
  state.writes.push('gone');
  state.data = dictionary();
  state.modified = false;
  state.changed.clear();
  state.cleared = false;
}

/**
 * What a commit must do, decided from the state alone (and whether the sliding refresh is due):
 * - `destroy`: delete the verified session and any whose cookie no key verified, clear the cookie;
 * - `create`: a new session with `data` (a login, or a first value in an anonymous session), then
 *   delete `replaces`;
 * - `save`: write the changed keys (or the whole map), with the refresh;
 * - `refresh`: push the idle expiry forward only;
 * - `none`: write nothing.
 * `resign`: the cookie verified with an old key, so it is sent again signed with the current one.
 */
export type CommitPlan =
  | { kind: 'destroy'; tokens: string[] }
  | {
      kind: 'create';
      data: SessionData;
      ownership: SessionOwnership | undefined;
      replaces: string | undefined;
    }
  | { kind: 'save'; record: SessionRecord; change: DataChange; resign: boolean }
  | { kind: 'refresh'; record: SessionRecord; resign: boolean }
  | { kind: 'none'; resign: boolean };

/** The commit's plan: a pure function of the state, tested without a store. */
export function planCommit(state: SessionState, refreshDue: (record: SessionRecord) => boolean): CommitPlan {
  const { token, record } = state;
  if (state.destroy) {
    // A logout always ends the session, whatever keys this container holds.
    return {
      kind: 'destroy',
      tokens: [...new Set([...(token === undefined ? [] : [token]), ...state.unverifiedTokens])],
    };
  }
  const data = state.modified || state.regenerate ? dictionary(state.data) : undefined;
  if (state.regenerate || (record === undefined && data !== undefined && Object.keys(data).length > 0)) {
    return { kind: 'create', data: data ?? dictionary(), ownership: state.ownership, replaces: token };
  }
  if (record === undefined || token === undefined || state.seal === undefined)
    return { kind: 'none', resign: false };
  const resign = state.signedWithOldKey;
  if (data !== undefined) return { kind: 'save', record, change: dataChange(state, data), resign };
  // A cookie signed with an old key is re-signed with the current one, and its item's clear-fields
  // MAC rewritten under it too (a refresh does both): the session then outlives the old key.
  if (refreshDue(record) || resign) return { kind: 'refresh', record, resign };
  return { kind: 'none', resign };
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
