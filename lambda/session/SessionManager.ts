import type { KeyRing } from './KeyRing';
import { newToken } from './KeyRing';
import { Session, type SessionState } from './Session';
import type { SessionRecord, SessionStore } from './SessionStore';
import { clearSessionCookie, readSessionCookieValues, serializeSessionCookie } from './sessionCookie';

/** The parts of a request the session needs. */
export interface SessionRequest {
  cookies: readonly string[];
  /** HTTPS: the cookie gets `Secure` and the `__Host-` prefix. */
  secure: boolean;
}

export interface SessionManagerOptions {
  store: SessionStore;
  keyRing: KeyRing;
  /** Cookie lifetime; omitted, the cookie lasts for the browser session. */
  cookieMaxAgeSeconds?: number;
}

/**
 * Turns cookies into sessions and sessions back into writes and `Set-Cookie` values.
 * @example
 * const session = await sessions.load(request);
 * session.set('username', 'admin');
 * const cookies = await sessions.commit(session, request);
 */
export class SessionManager {
  constructor(private readonly options: SessionManagerOptions) {}

  /** The key ring this manager signs and verifies with. */
  get keyRing(): KeyRing {
    return this.options.keyRing;
  }

  /** The request's session, read with one `GetItem` when the cookie's signature holds. */
  async load(request: SessionRequest): Promise<Session> {
    const state = this.verify(request);
    if (state.token === undefined) return new Session({ ...state, data: {} });
    const result = await this.options.store.load(state.token);
    if (result.status !== 'found') return new Session({ ...state, data: {}, outcome: result.status });
    return new Session({ ...state, record: result.record, data: result.record.data, outcome: 'found' });
  }

  /**
   * The request's session without reading it: enough to `destroy()` it (logout) or to
   * `regenerate()` + `clear()` it (login), with no DynamoDB read.
   */
  attach(request: SessionRequest): Session {
    const state = this.verify(request);
    return new Session({ ...state, outcome: state.token === undefined ? state.outcome : 'not-read' });
  }

  /**
   * Writes what the session's changes require and returns the `Set-Cookie` values to send.
   * An unchanged session whose refresh is not due writes nothing.
   */
  async commit(session: Session, request: SessionRequest): Promise<string[]> {
    const { store, keyRing } = this.options;
    const { token, record, signedWithOldKey } = session.state;

    if (session.isDestroyed) {
      if (token !== undefined) {
        await store.destroy(token);
        session.recordWrite('destroyed');
      }
      return [clearSessionCookie(request.secure)];
    }

    const data = session.isModified || session.isRegenerated ? session.snapshot() : undefined;
    if (
      session.isRegenerated ||
      (record === undefined && data !== undefined && Object.keys(data).length > 0)
    ) {
      const fresh = newToken();
      await store.create(fresh, data ?? {});
      session.recordWrite('created');
      // Delete only after the new session exists: a failure here must not leave the user with neither.
      if (token !== undefined) {
        await store.destroy(token);
        session.recordWrite('destroyed');
      }
      return [this.cookie(keyRing.sign(fresh), request)];
    }

    if (record === undefined || token === undefined) return [];

    let updated: SessionRecord | undefined = record;
    if (data !== undefined) {
      updated = await store.save(record, data);
      if (updated) session.recordWrite('saved');
    } else if (store.isRefreshDue(record)) {
      updated = await store.refresh(record);
      if (updated) session.recordWrite('refreshed');
    }
    if (updated === undefined) {
      session.markGone();
      return [];
    }
    return signedWithOldKey ? [this.cookie(keyRing.sign(token), request)] : [];
  }

  private verify(request: SessionRequest): SessionState {
    const empty: SessionState = {
      token: undefined,
      signedWithOldKey: false,
      record: undefined,
      data: undefined,
      outcome: 'no-cookie',
    };
    const values = readSessionCookieValues(request.cookies, request.secure);
    for (const value of values) {
      const verified = this.options.keyRing.verify(value);
      if (verified) return { ...empty, token: verified.token, signedWithOldKey: verified.signedWithOldKey };
    }
    return values.length > 0 ? { ...empty, outcome: 'bad-signature' } : empty;
  }

  private cookie(value: string, request: SessionRequest): string {
    return serializeSessionCookie(value, {
      secure: request.secure,
      maxAgeSeconds: this.options.cookieMaxAgeSeconds,
    });
  }
}
