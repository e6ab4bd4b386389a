import { MAX_DEVICE_LABEL_LENGTH, MAX_OWNER_BYTES, UNKNOWN_DEVICE } from './constants.js';
import {
  cleared,
  destroyed,
  knownData,
  regenerated,
  type SessionOutcome,
  type SessionState,
  type SessionWrite,
  valuePopped,
  valueSet,
} from './sessionState.js';
import { assertStorable } from './storableValue.js';
import type { SessionOwnership } from './store/SessionStore.js';

/** What `regenerate` records of the new session, so that its owner can list and revoke it. */
type SessionOwnerOptions = Parameters<Session['regenerate']>[0] & {};

const states = new WeakMap<Session, SessionState>();

/** The state behind a session (internal: only the manager and the state's transitions use it). */
export function sessionState(session: Session): SessionState {
  const state = states.get(session);
  if (state === undefined) throw new TypeError('not a session made by a SessionManager');
  return state;
}

/** A session over `state`, which it takes over: the manager's only way to make one. */
export function sessionOver(state: SessionState): Session {
  const session = Object.create(Session.prototype) as Session;
  states.set(session, state);
  return session;
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

/**
 * A request's session with the tutorial's dictionary feel. It records what changed, so that
 * `SessionManager.commit` writes only what is due. Made by `SessionManager.load` / `attach`.
 * @example
 * session.set('username', 'admin');
 * session.get('username'); // 'admin'
 */
export class Session {
  /** Made by `SessionManager.load` or `attach` only. */
  private constructor() {}

  get(key: string): unknown {
    return knownData(sessionState(this))[key];
  }

  has(key: string): boolean {
    return Object.hasOwn(knownData(sessionState(this)), key);
  }

  /** The keys the session holds. */
  keys(): string[] {
    return Object.keys(knownData(sessionState(this)));
  }

  /**
   * Sets `key`. The value must be JSON data whose numbers DynamoDB holds exactly, else
   * `SessionDataError` here and nothing changes; the size limit is checked at commit. A commit
   * writes the keys `set` or popped: a value read with `get` and changed in place is written only
   * when `set` again.
   */
  set(key: string, value: unknown): void {
    const state = sessionState(this);
    knownData(state);
    assertStorable(key, value);
    valueSet(state, key, value);
  }

  /** Removes `key` and returns its value (undefined when absent). */
  pop(key: string): unknown {
    return valuePopped(sessionState(this), key);
  }

  /**
   * Empties the session: the commit replaces the whole stored map. On a session attached without
   * a read, only after `regenerate()` (a new session starting empty); else `SessionNotLoadedError`.
   */
  clear(): void {
    cleared(sessionState(this));
  }

  /**
   * Gives the session a new id on commit and deletes the old item: call it at login, or when the
   * session's privileges change. With an owner, the new session is recorded as theirs (with its
   * device label and a new public id), so `UserSessions` can list and revoke it. Without options,
   * a loaded session keeps the owner and device label it was read with (and gets a new public
   * id); a session attached without a read has none to keep, so the new one is anonymous.
   * `owner` is the user id the app logs in with: the new session is listed under it; `device` a
   * coarse label of the device, such as `deviceLabel(userAgent)` gives (default 'Unknown device').
   */
  regenerate(options?: { owner: string; device?: string }): void {
    regenerated(sessionState(this), options === undefined ? undefined : ownershipOf(options));
  }

  /** Deletes the session and clears the cookie on commit: call it at logout. */
  destroy(): void {
    destroyed(sessionState(this));
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
