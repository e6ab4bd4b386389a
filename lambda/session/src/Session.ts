import { MAX_DEVICE_LABEL_LENGTH, MAX_OWNER_BYTES } from './constants.js';
import { SessionNotLoadedError } from './errors.js';
import type { KeyRing } from './KeyRing.js';
import type { SessionSeal } from './SessionSeal.js';
import type { SessionData, SessionOwnership, SessionRecord } from './SessionStore.js';
import { assertStorable } from './storableValue.js';

/** What `regenerate` records of the new session, so that its owner can list and revoke it. */
type SessionOwnerOptions = Parameters<Session['regenerate']>[0] & {};

/** The label of a session whose login gave none. */
export const UNKNOWN_DEVICE = 'Unknown device';

/** What the request's cookie led to; `not-read`: a verified cookie whose session was attached, not read. */
export type SessionOutcome = 'no-cookie' | 'bad-signature' | 'absent' | 'expired' | 'found' | 'not-read';

/**
 * What a commit did to the store. `gone`: a save or refresh found the item deleted (a concurrent
 * logout), so nothing was written.
 */
export type SessionWrite = 'created' | 'destroyed' | 'saved' | 'refreshed' | 'gone';

/** What only the manager sees of a session: never reachable from the `Session` object itself. */
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
  /** Stored values that failed authentication at the read, and so were left out of `data`. */
  rejectedValues: number;
  outcome: SessionOutcome;
  modified: boolean;
  /** Keys set or popped since the read: a commit writes only these. */
  changed: Set<string>;
  /** `clear()` was called: a commit replaces the whole stored map. */
  cleared: boolean;
  regenerate: boolean;
  /** Who the regenerated session belongs to (`regenerate({ owner })`); undefined: anonymous. */
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

const states = new WeakMap<Session, SessionState>();

/** The manager's view of a session (internal: not exported by the library's entry). */
export function sessionState(session: Session): SessionState {
  const state = states.get(session);
  if (state === undefined) throw new TypeError('not a session made by a SessionManager');
  return state;
}

/**
 * A null-prototype copy of `data`: keys such as `__proto__` or `constructor` are ordinary keys,
 * never Object.prototype's members (a plain object would let `set('__proto__', …)` swap the
 * prototype and `get('constructor')` return a function for a key that was never set).
 */
export function dictionary(data: SessionData = {}): SessionData {
  return Object.assign(Object.create(null) as SessionData, data);
}

function hasControlCharacter(text: string): boolean {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return true;
  }
  return false;
}

/** The options checked: each bad one throws a `TypeError` that names it. */
function ownershipOf(options: SessionOwnerOptions): SessionOwnership {
  const { owner, device = UNKNOWN_DEVICE } = options;
  if (typeof owner !== 'string' || owner === '' || Buffer.byteLength(owner) > MAX_OWNER_BYTES) {
    throw new TypeError(`owner: expected a non-empty string of at most ${MAX_OWNER_BYTES} bytes`);
  }
  if (
    typeof device !== 'string' ||
    device.trim() === '' ||
    device.length > MAX_DEVICE_LABEL_LENGTH ||
    hasControlCharacter(device)
  ) {
    throw new TypeError(
      `device: expected a label of 1 to ${MAX_DEVICE_LABEL_LENGTH} characters without control characters`,
    );
  }
  return { owner, device };
}

function loaded(session: Session): SessionData {
  const { data } = sessionState(session);
  if (data === undefined) throw new SessionNotLoadedError();
  return data;
}

/**
 * A request's session with the tutorial's dictionary feel. It records what changed, so that
 * `SessionManager.commit` writes only what is due. Made by `SessionManager.load` / `attach`.
 * @example
 * session.set('username', 'admin');
 * session.get('username'); // 'admin'
 */
export class Session {
  /** @internal Use `SessionManager.load` or `attach`: the session takes `state` over. */
  constructor(state: SessionState) {
    if (state.data !== undefined) state.data = dictionary(state.data);
    states.set(this, state);
  }

  get(key: string): unknown {
    return loaded(this)[key];
  }

  has(key: string): boolean {
    return Object.hasOwn(loaded(this), key);
  }

  /** The keys the session holds. */
  keys(): string[] {
    return Object.keys(loaded(this));
  }

  /**
   * Sets `key`. The value must be JSON data whose numbers DynamoDB holds exactly, else
   * `SessionDataError` here and nothing changes; the size limit is checked at commit. A commit
   * writes the keys `set` or popped: a value read with `get` and changed in place is written only
   * when `set` again.
   */
  set(key: string, value: unknown): void {
    const data = loaded(this);
    assertStorable(key, value);
    data[key] = value;
    const state = sessionState(this);
    state.modified = true;
    state.changed.add(key);
  }

  /** Removes `key` and returns its value (undefined when absent). */
  pop(key: string): unknown {
    const data = loaded(this);
    if (!Object.hasOwn(data, key)) return undefined;
    const value = data[key];
    delete data[key];
    const state = sessionState(this);
    state.modified = true;
    state.changed.add(key);
    return value;
  }

  /**
   * Empties the session: the commit replaces the whole stored map. Allowed without a read: the old
   * contents no longer matter.
   */
  clear(): void {
    const state = sessionState(this);
    if (state.data !== undefined && Object.keys(state.data).length === 0) return;
    state.data = dictionary();
    state.modified = true;
    state.cleared = true;
    state.changed.clear();
  }

  /**
   * Gives the session a new id on commit and deletes the old item: call it at login. With an
   * owner, the new session is recorded as theirs (with its device label and a new public id), so
   * `UserSessions` can list and revoke it. Without one, it is anonymous.
   * `owner` is the user id the app logs in with: the new session is listed under it; `device` a
   * coarse label of the device, such as `deviceLabel(userAgent)` gives (default 'Unknown device').
   */
  regenerate(options?: { owner: string; device?: string }): void {
    const state = sessionState(this);
    state.ownership = options === undefined ? undefined : ownershipOf(options);
    state.regenerate = true;
  }

  /** Deletes the session and clears the cookie on commit: call it at logout. */
  destroy(): void {
    sessionState(this).destroy = true;
  }

  /** The owner of the session as read by `load` (undefined: anonymous, or not read). */
  get owner(): string | undefined {
    return sessionState(this).record?.owner;
  }

  /** The public id of the session as read by `load`, as `UserSessions.list` shows it; only with an owner. */
  get publicId(): string | undefined {
    return sessionState(this).record?.publicId;
  }

  /** How the request's cookie was read. */
  get outcome(): SessionOutcome {
    return sessionState(this).outcome;
  }

  /** Whether the data was read (`load`) rather than only attached. */
  get isLoaded(): boolean {
    return sessionState(this).data !== undefined;
  }

  get isModified(): boolean {
    return sessionState(this).modified;
  }

  get isRegenerated(): boolean {
    return sessionState(this).regenerate;
  }

  get isDestroyed(): boolean {
    return sessionState(this).destroy;
  }

  /** What commits of this session did to the store, in order. */
  get writes(): readonly SessionWrite[] {
    return sessionState(this).writes;
  }
}
