import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { sessionRequestFromEvent, withCookies } from './httpApiEvent.js';
import type { Session } from './Session.js';
import type { SessionManager } from './SessionManager.js';
import { deadlineMargin } from './SessionScope.js';

/**
 * A plain API Gateway HTTP API handler with a session: the session is opened before `handler`
 * runs (`load`, the default, reads it; `attach` does not), committed after it returns, and its
 * `Set-Cookie` values appended to the result's `cookies`. When `handler` throws, nothing is
 * committed and the error goes on. Store and key calls run under a deadline (the function's
 * remaining time less `deadlineMarginMs`, default 500), so a store that hangs fails with a
 * `SessionUnavailableError` in time to answer.
 * @example
 * export const handler = withSession(sessions, async (_event, _context, session) => ({
 *   statusCode: 200,
 *   body: `Logged in as ${session.get('username')}`,
 * }));
 */
export function withSession<Result extends APIGatewayProxyStructuredResultV2 | string | undefined | null>(
  sessions: SessionManager,
  handler: (event: APIGatewayProxyEventV2, context: Context, session: Session) => Result | Promise<Result>,
  options: { mode?: 'load' | 'attach'; deadlineMarginMs?: number } = {},
): (event: APIGatewayProxyEventV2, context: Context) => Promise<Result | APIGatewayProxyStructuredResultV2> {
  const mode = openMode(options.mode);
  deadlineMargin(options.deadlineMarginMs);
  return async (event, context) => {
    const scope = sessions.open(sessionRequestFromEvent(event), context, options);
    try {
      const session = mode === 'load' ? await scope.load() : await scope.attach();
      const result = await handler(event, context, session);
      return withCookies(result, await scope.commit()) as Result | APIGatewayProxyStructuredResultV2;
    } finally {
      scope.end();
    }
  };
}

/** `mode` checked: a typo must not silently read (or not read) the session. */
export function openMode(mode: unknown = 'load'): 'load' | 'attach' {
  if (mode !== 'load' && mode !== 'attach') {
    throw new TypeError(`mode: expected 'load' or 'attach', got ${JSON.stringify(mode)}`);
  }
  return mode;
}
