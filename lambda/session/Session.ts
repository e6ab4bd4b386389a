import { SessionNotLoadedError } from './errors';
import type { SessionData, SessionRecord } from './SessionStore';

/** What the request's cookie led to; logged and counted as a metric. */
export type SessionOutcome = 'no-cookie' | 'bad-signature' | 'absent' | 'expired' | 'found' | 'not-read';

/**
 * What a commit did to the store; logged and counted as metrics. `gone`: a save or refresh
 * found the item deleted (a concurrent logout), so nothing was written.
 */
export type SessionWrite = 'created' | 'destroyed' | 'saved' | 'refreshed' | 'gone';

export interface SessionState {
  /** The verified token from the request's cookie, if any. */
  token: string | undefined;
  signedWithOldKey: boolean;
  record: SessionRecord | undefined;
  /** undefined: the session was attached without a read, so its data is unknown. */
  data: SessionData | undefined;
  outcome: SessionOutcome;
}

/**
 * A null-prototype copy of `data`: keys such as `__proto__` or `constructor` are ordinary keys,
 * never Object.prototype's members (a plain object would let `set('__proto__', …)` swap the
 * prototype and `get('constructor')` return a function for a key that was never set).
 */
function dictionary(data: SessionData = {}): SessionData {
  return Object.assign(Object.create(null) as SessionData, data);
}

/**
 * A request's session with the tutorial's dictionary feel. It records what changed so that
 * `SessionManager.commit` writes only when needed.
 * @example
 * session.set('username', 'admin');
 * session.get('username'); // 'admin'
 */
export class Session {
  private data: SessionData | undefined;
  private modifiedFlag = false;
  private regenerateFlag = false;
  private destroyFlag = false;
  private readonly writeLog: SessionWrite[] = [];

  constructor(readonly state: SessionState) {
    this.data = state.data === undefined ? undefined : dictionary(state.data);
  }

  get(key: string): unknown {
    return this.loaded()[key];
  }

  has(key: string): boolean {
    return Object.hasOwn(this.loaded(), key);
  }

  set(key: string, value: unknown): void {
    this.loaded()[key] = value;
    this.modifiedFlag = true;
  }

  /** Removes `key` and returns its value (undefined when absent). */
  pop(key: string): unknown {
    const data = this.loaded();
    if (!Object.hasOwn(data, key)) return undefined;
    const value = data[key];
    delete data[key];
    this.modifiedFlag = true;
    return value;
  }

  /** Empties the session. Allowed without a read: the old contents no longer matter. */
  clear(): void {
    if (this.data !== undefined && Object.keys(this.data).length === 0) return;
    this.data = dictionary();
    this.modifiedFlag = true;
  }

  /** Gives the session a new id on commit and deletes the old item: call it at login. */
  regenerate(): void {
    this.regenerateFlag = true;
  }

  /** Deletes the session and clears the cookie on commit: call it at logout. */
  destroy(): void {
    this.destroyFlag = true;
  }

  get isModified(): boolean {
    return this.modifiedFlag;
  }

  get isRegenerated(): boolean {
    return this.regenerateFlag;
  }

  get isDestroyed(): boolean {
    return this.destroyFlag;
  }

  /** What commits of this session did to the store, in order. */
  get writes(): readonly SessionWrite[] {
    return this.writeLog;
  }

  /** Called by the manager for each store write a commit made. */
  recordWrite(write: Exclude<SessionWrite, 'gone'>): void {
    this.writeLog.push(write);
  }

  /** A copy of the current data (for commit). */
  snapshot(): SessionData {
    return { ...this.loaded() };
  }

  /** Called by the manager after a commit found the session gone (a concurrent logout). */
  markGone(): void {
    this.writeLog.push('gone');
    this.data = dictionary();
    this.modifiedFlag = false;
  }

  private loaded(): SessionData {
    if (this.data === undefined) throw new SessionNotLoadedError();
    return this.data;
  }
}
