import { FLASHES_KEY, MAX_KEYS_PER_UPDATE, UNKNOWN_DEVICE } from './constants.js';
import { SessionNotLoadedError } from './errors.js';
import { type FlashMessage, MAX_FLASHES } from './flashes.js';
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
  /** Stored values that failed the app's schema (or a stored flash list that is not one): read as absent. */
  invalidValues: number;
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
  /** `Session.permanent` as set during this request; undefined: as read. */
  permanent: boolean | undefined;
  /**
   * Flashes given to a session whose data was not read (attached to be destroyed or regenerated):
   * the session the commit leaves holds them.
   */
  flashesForNext: FlashMessage[];
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
    invalidValues: 0,
    outcome: 'no-cookie',
    modified: false,
    changed: new Set(),
    cleared: false,
    regenerate: false,
    ownership: undefined,
    destroy: false,
    permanent: undefined,
    flashesForNext: [],
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

/**
 * The store answered the read (or there was nothing to read): the data is known from now on.
 * `invalidValues`: values the app's schema refused, already left out of the result's data.
 */
export function loaded(
  state: SessionState,
  seal: SessionSeal | undefined,
  result: LoadResult | undefined,
  invalidValues = 0,
): void {
  state.seal = seal;
  state.data = dictionary(result?.status === 'found' ? result.data : {});
  state.invalidValues = invalidValues;
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

/** The flashes the data holds (validated at the read): none when absent. */
export function flashesIn(data: SessionData | undefined): FlashMessage[] {
  const value = data?.[FLASHES_KEY];
  return Array.isArray(value) ? (value as FlashMessage[]) : [];
}

/**
 * A flash for the next page: kept with the data when it is known, else (a session attached to be
 * destroyed or regenerated) for the session the commit leaves. An attached session that is
 * neither has no data to keep it with: `SessionNotLoadedError`. The newest `MAX_FLASHES` are kept.
 */
export function flashed(state: SessionState, flash: FlashMessage): void {
  if (state.data !== undefined) {
    valueSet(state, FLASHES_KEY, [...flashesIn(state.data), flash].slice(-MAX_FLASHES));
  } else if (state.destroy || state.regenerate) {
    state.flashesForNext.push(flash);
  } else {
    throw new SessionNotLoadedError();
  }
}

/** The flashes, taken out of the session: a change only when there were some. */
export function flashesTaken(state: SessionState): FlashMessage[] {
  const flashes = flashesIn(knownData(state));
  if (flashes.length > 0) valuePopped(state, FLASHES_KEY);
  return flashes;
}

/** Whether the session is permanent: as set during this request, else as read (or regenerated from). */
export function isPermanent(state: SessionState): boolean {
  return state.permanent ?? state.record?.permanent === true;
}

/**
 * Made permanent, or not. Needs the session read, or regenerated: an attached session's stored
 * flag, and the times its MAC binds, are unknown, so it cannot be written.
 */
export function permanenceSet(state: SessionState, permanent: boolean): void {
  if (state.data === undefined && !state.regenerate) throw new SessionNotLoadedError();
  if (permanent === isPermanent(state) && state.permanent === undefined) return;
  state.permanent = permanent;
  state.modified = true;
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
 *   with `carry` (flashes given at the logout), a new anonymous session holds them;
 * - `create`: a new session with `data` (a login, or a first value in an anonymous session), then
 *   delete `replaces`;
 * - `save`: write the changed keys (or the whole map) and the permanence, with the refresh;
 * - `refresh`: push the idle expiry forward only;
 * - `none`: write nothing.
 * `resign`: the cookie is sent again: it verified with an old key (it is signed with the current
 * one), or the permanence changed (its lifetime with it).
 * `forget`: an anonymous session left empty, so its cookie is cleared (after the save, if the item
 * is found empty): an empty session and no session read the same, and a logged-out visitor then
 * costs no store call.
 */
export type CommitPlan =
  | { kind: 'destroy'; tokens: string[]; carry: SessionData | undefined }
  | {
      kind: 'create';
      data: SessionData;
      ownership: SessionOwnership | undefined;
      permanent: boolean;
      replaces: string | undefined;
    }
  | {
      kind: 'save';
      record: SessionRecord;
      change: DataChange;
      permanent: boolean;
      resign: boolean;
      forget: boolean;
    }
  | { kind: 'refresh'; record: SessionRecord; resign: boolean }
  | { kind: 'none'; resign: boolean; forget: boolean };

/** The commit's plan: a pure function of the state, tested without a store. */
export function planCommit(state: SessionState, refreshDue: (record: SessionRecord) => boolean): CommitPlan {
  const { token, record } = state;
  if (state.destroy) {
    // A logout always ends the session, whatever keys this container holds.
    const carried = [...flashesIn(state.data), ...state.flashesForNext].slice(-MAX_FLASHES);
    return {
      kind: 'destroy',
      tokens: [...new Set([...(token === undefined ? [] : [token]), ...state.unverifiedTokens])],
      carry: carried.length > 0 ? dictionary({ [FLASHES_KEY]: carried }) : undefined,
    };
  }
  const data = state.modified || state.regenerate ? dictionary(state.data) : undefined;
  if (data !== undefined && state.flashesForNext.length > 0) {
    data[FLASHES_KEY] = [...flashesIn(data), ...state.flashesForNext].slice(-MAX_FLASHES);
  }
  const permanent = isPermanent(state);
  if (state.regenerate || (record === undefined && data !== undefined && Object.keys(data).length > 0)) {
    return {
      kind: 'create',
      data: data ?? dictionary(),
      ownership: state.ownership,
      permanent,
      replaces: token,
    };
  }
  if (record === undefined || token === undefined || state.seal === undefined)
    return { kind: 'none', resign: false, forget: false };
  const permanenceChanged = permanent !== (record.permanent === true);
  const resign = state.signedWithOldKey || permanenceChanged;
  const forget =
    record.owner === undefined && !permanent && Object.keys(data ?? state.data ?? {}).length === 0;
  if (data !== undefined) {
    return { kind: 'save', record, change: dataChange(state, data), permanent, resign, forget };
  }
  // A cookie signed with an old key is re-signed with the current one, and its item's clear-fields
  // MAC rewritten under it too (a refresh does both): the session then outlives the old key.
  if (forget) return { kind: 'none', resign: false, forget };
  if (refreshDue(record) || resign) return { kind: 'refresh', record, resign };
  return { kind: 'none', resign, forget };
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
