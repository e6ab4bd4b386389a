import type { Logger } from '@aws-lambda-powertools/logger';
import type { SessionManager } from '@lambda-sessions/dynamodb';
import { RETRY_AFTER_HEADERS, reportFailure } from '../app/failures.js';
import { type HttpResponse, textResponse } from '../http/response.js';

/**
 * How long a health check waits for the table. Route 53 counts a check not answered within 2 s
 * of connecting as failed: a table that hangs gets its 503 before that.
 */
export const HEALTH_CHECK_TIMEOUT_MS = 1500;

/** A health check's answer, and whether the store was unavailable (its line counts `SessionStoreError`). */
export interface HealthCheck {
  response: HttpResponse;
  unavailable: boolean;
}

/**
 * `GET /health` (`HEALTH_CHECK_PATH`): whether this region can serve sessions, for Route 53's
 * health checkers. One strongly consistent read of a key no session has (`checkStore`), waited
 * for `HEALTH_CHECK_TIMEOUT_MS` at most: 200 `ok` when the table answered; 503 `unavailable` with
 * `Retry-After` when it did not (on a multi-region table, also when this region's replica lost
 * its quorum); 500 `error` when it refused (no table, no permission). Plain text, with every
 * page's security headers; no cookie read or set, no session opened, no signing keys needed. A
 * failure is logged as any request's. The handler wrapper answers it before the edge's check: the
 * checkers ask each region's API directly, without CloudFront's header. Never throws.
 * @example const { response } = await checkHealth(app, { route: 'index', requestId: request.requestId });
 */
export async function checkHealth(
  app: { sessions: Pick<SessionManager, 'checkStore'>; logger: Logger },
  request: { route: string; requestId: string },
): Promise<HealthCheck> {
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DOMException('the health check took too long', 'TimeoutError')),
    HEALTH_CHECK_TIMEOUT_MS,
  );
  try {
    await app.sessions.checkStore({ signal: deadline.signal });
    return { response: textResponse(200, 'ok'), unavailable: false };
  } catch (error) {
    return reportFailure(error, app.logger, request) === 503
      ? { response: textResponse(503, 'unavailable', { headers: RETRY_AFTER_HEADERS }), unavailable: true }
      : { response: textResponse(500, 'error'), unavailable: false };
  } finally {
    clearTimeout(timer);
  }
}
