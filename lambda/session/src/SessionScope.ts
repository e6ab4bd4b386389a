import { type RequestDeadline, requestDeadline } from './abort.js';
import { DEFAULT_DEADLINE_MARGIN_MS } from './constants.js';
import type { Session } from './Session.js';
import type { SessionData } from './store/SessionStore.js';

/** The parts of a request the session needs. */
export interface SessionRequest {
  /** `name=value` entries, as payload 2.0's `cookies` delivers them (`sessionRequestFromEvent` reads any source). */
  cookies: readonly string[];
  /** HTTPS: the cookie gets `Secure` (and the `__Host-` prefix). */
  secure: boolean;
  /**
   * The request's deadline: when it aborts, the store and key calls still running end at once in
   * `SessionUnavailableError` (a 503), not in a timeout of the whole function. `SessionManager.open`
   * sets it from the Lambda context.
   */
  signal?: AbortSignal;
}

/** Aborts when either does: the request's deadline, or the caller's own signal. */
function eitherSignal(
  deadline: AbortSignal | undefined,
  own: AbortSignal | undefined,
): AbortSignal | undefined {
  if (deadline === undefined || own === undefined) return deadline ?? own;
  return AbortSignal.any([deadline, own]);
}

/** `deadlineMarginMs` checked, so a bad one fails where it is given (adapters check it at init). */
export function deadlineMargin(value: number = DEFAULT_DEADLINE_MARGIN_MS): number {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new TypeError(`deadlineMarginMs: expected a number of milliseconds, got ${value}`);
  }
  return value;
}

/** The manager's calls the scope drives (`SessionManager` has them). */
interface SessionOpener<Data extends object> {
  load(request: SessionRequest): Promise<Session<Data>>;
  attach(request: SessionRequest): Promise<Session<Data>>;
  commit(session: Session<Data>, request: SessionRequest): Promise<string[]>;
}

/**
 * One request's session lifecycle, the one every adapter drives (`withSession`, the Middy
 * middleware, an app's own wrapper): a deadline from the Lambda context, the session opened once
 * (`load` reads it, `attach` does not), one commit that writes what is due and gives the
 * `Set-Cookie` values, and `end()` whatever happened. Made by `SessionManager.open`.
 * @example
 * const scope = sessions.open(sessionRequestFromEvent(event), context);
 * try {
 *   const session = await scope.load();
 *   session.set('visits', Number(session.get('visits') ?? 0) + 1);
 *   const cookies = await scope.commit();
 * } finally {
 *   scope.end();
 * }
 */
export interface SessionScope<Data extends object = SessionData> {
  /** The request the session calls run under: the caller's, with the deadline's signal. */
  readonly request: SessionRequest;
  /** The session, read with one `GetItem` when the cookie verifies. Opened once: later calls give the same session. */
  load(): Promise<Session<Data>>;
  /**
   * The session without a read: enough to `destroy()` it, or to `regenerate()` and `clear()` it
   * before setting values. Opened once: later calls give the same session, however it was opened.
   */
  attach(): Promise<Session<Data>>;
  /**
   * Writes what the session's changes require and returns the `Set-Cookie` values: none when the
   * session was never opened. Commit once, after the last change: a later call writes nothing and
   * gives the same values, so a page that must show the committed state (a refresh that found the
   * session logged out elsewhere) commits before it renders, and an adapter's own commit afterwards
   * changes nothing. A commit that failed may be tried again; a session opened after the commit
   * is refused (a `TypeError`). The deadline goes on until `end()`: calls a page makes after an
   * early commit (listing the user's sessions) still run under it.
   */
  commit(): Promise<string[]>;
  /** Ends the request's deadline: call it when the request ends, whatever its outcome (idempotent). */
  end(): void;
}

/**
 * A scope for `request` driving `sessions`: what `SessionManager.open` returns. `context` gives
 * the time left for the deadline (a Lambda context).
 */
export function openScope<Data extends object>(
  sessions: SessionOpener<Data>,
  request: SessionRequest,
  context: { getRemainingTimeInMillis?: () => number } | undefined,
  deadlineMarginMs?: number,
): SessionScope<Data> {
  return new RequestScope(sessions, request, context, deadlineMarginMs);
}

class RequestScope<Data extends object> implements SessionScope<Data> {
  readonly request: SessionRequest;
  private readonly deadline: RequestDeadline;
  private opened: Promise<Session<Data>> | undefined;
  private committed: Promise<string[]> | undefined;

  constructor(
    private readonly sessions: SessionOpener<Data>,
    request: SessionRequest,
    context: { getRemainingTimeInMillis?: () => number } | undefined,
    deadlineMarginMs: number = DEFAULT_DEADLINE_MARGIN_MS,
  ) {
    this.deadline = requestDeadline(context, deadlineMargin(deadlineMarginMs));
    this.request = { ...request, signal: eitherSignal(this.deadline.signal, request.signal) };
  }

  load(): Promise<Session<Data>> {
    return this.open(() => this.sessions.load(this.request));
  }

  attach(): Promise<Session<Data>> {
    return this.open(() => this.sessions.attach(this.request));
  }

  /** The session, opened once. One opened after the commit could never be written: refused rather than lost. */
  private open(how: () => Promise<Session<Data>>): Promise<Session<Data>> {
    if (this.opened === undefined) {
      if (this.committed !== undefined) {
        throw new TypeError('this request’s session was opened after its commit: open it before commit()');
      }
      this.opened = how();
    }
    return this.opened;
  }

  commit(): Promise<string[]> {
    this.committed ??= this.commitOnce().catch((error: unknown) => {
      this.committed = undefined;
      throw error;
    });
    return this.committed;
  }

  private async commitOnce(): Promise<string[]> {
    return this.opened === undefined ? [] : this.sessions.commit(await this.opened, this.request);
  }

  end(): void {
    this.deadline.clear();
  }
}
