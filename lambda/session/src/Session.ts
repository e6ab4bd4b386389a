import { FLASHES_KEY, MAX_DEVICE_LABEL_LENGTH, MAX_OWNER_BYTES, UNKNOWN_DEVICE } from './constants.js';
import { type FlashMessage, flashOf } from './flashes.js';
import type { DataValidator } from './schema.js';
import {
  cleared,
  destroyed,
  flashed,
  flashesTaken,
  isPermanent,
  knownData,
  permanenceSet,
  regenerated,
  type SessionOutcome,
  type SessionState,
  type SessionWrite,
  valuePopped,
  valueSet,
} from './sessionState.js';
import { assertStorable } from './storableValue.js';
import type { SessionData, SessionOwnership } from './store/SessionStore.js';

/** What `regenerate` records of the new session, so that its owner can list and revoke it. */
type SessionOwnerOptions = Parameters<Session['regenerate']>[0] & {};

interface SessionInternals {
  state: SessionState;
  validator: DataValidator;
}

const internals = new WeakMap<object, SessionInternals>();

function internalsOf(session: object): SessionInternals {
  const found = internals.get(session);
  if (found === undefined) throw new TypeError('not a session made by a SessionManager');
  return found;
}

/** The state behind a session (internal: only the manager and the state's transitions use it). */
export function sessionState(session: object): SessionState {
  return internalsOf(session).state;
}

/**
 * A session over `state`, which it takes over, checking values with `validator`: the manager's
 * only way to make one.
 */
export function sessionOver<Data extends object>(
  state: SessionState,
  validator: DataValidator,
): Session<Data> {
  const session = Object.create(Session.prototype) as Session<Data>;
  internals.set(session, { state, validator });
  return session;
}

/** The flashes' name is the library's: as a key of the app's, it would read or overwrite them. */
function appKey(key: string): string {
  if (key === FLASHES_KEY)
    throw new TypeError('this key is reserved for flashes: use flash() and flashedMessages()');
  return key;
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
 * `Data` is the data's type (`SessionManager<Data>` gives it): `get` and `set` then take its keys
 * only, with their types; without it, any key and `unknown` values.
 * @example
 * session.set('username', 'admin');
 * session.get('username'); // 'admin'
 */
export class Session<Data extends object = SessionData> {
  /** Made by `SessionManager.load` or `attach` only. */
  private constructor() {}

  /** The value of `key`, or undefined when the session does not hold it. */
  get<K extends Extract<keyof Data, string>>(key: K): Data[K] | undefined {
    if (key === FLASHES_KEY) return undefined;
    return knownData(sessionState(this))[key] as Data[K] | undefined;
  }

  has(key: Extract<keyof Data, string>): boolean {
    return key !== FLASHES_KEY && Object.hasOwn(knownData(sessionState(this)), key);
  }

  /** The keys the session holds. */
  keys(): Extract<keyof Data, string>[] {
    return Object.keys(knownData(sessionState(this))).filter((key) => key !== FLASHES_KEY) as Extract<
      keyof Data,
      string
    >[];
  }

  /**
   * Sets `key`. The value must be JSON data whose numbers DynamoDB holds exactly, and pass the
   * key's schema when the manager has one, else `SessionDataError` (naming the key, with the
   * schema's issues) here and nothing changes; what is kept is the schema's output. The size
   * limit is checked at commit. A commit writes the keys `set` or popped: a value read with `get`
   * and changed in place is written only when `set` again.
   */
  set<K extends Extract<keyof Data, string>>(key: K, value: Exclude<Data[K], undefined>): void {
    const { state, validator } = internalsOf(this);
    const data = knownData(state);
    const checked = validator.valueFor(appKey(key), value, data);
    assertStorable(key, checked);
    valueSet(state, key, checked);
  }

  /** Removes `key` and returns its value (undefined when absent). */
  pop<K extends Extract<keyof Data, string>>(key: K): Data[K] | undefined {
    return valuePopped(sessionState(this), appKey(key)) as Data[K] | undefined;
  }

  /**
   * Flask's `flash()`: a message for the next page the user sees, stored in the session until
   * `flashedMessages()` takes it (so it survives one redirect). Works on a session attached to be
   * destroyed: the logout's commit leaves a new anonymous session holding only the flashes.
   * @example session.flash('You were logged out.');
   */
  flash(message: string, category?: string): void {
    flashed(sessionState(this), flashOf(message, category));
  }

  /**
   * Flask's `get_flashed_messages(with_categories=True)`: the flashes, oldest first, taken out of
   * the session. None pending: an empty list, and nothing to write.
   */
  flashedMessages(): FlashMessage[] {
    return flashesTaken(sessionState(this));
  }

  /**
   * Flask's `session.permanent`: a permanent session's cookie carries a `Max-Age` (the remaining
   * absolute lifetime), so it outlives the browser; otherwise it is a browser-session cookie. The
   * idle and absolute timeouts hold either way. Setting it needs the session loaded, or
   * regenerated (at login); a regenerated session keeps the permanence it was read with.
   */
  get permanent(): boolean {
    return isPermanent(sessionState(this));
  }

  set permanent(permanent: boolean) {
    if (typeof permanent !== 'boolean') throw new TypeError('permanent: expected true or false');
    permanenceSet(sessionState(this), permanent);
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
