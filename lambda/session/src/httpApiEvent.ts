import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { SessionRequest } from './SessionScope.js';

/** What an HTTP API (payload 2.0) handler may return: a structured result, or a bare body. */
export type HttpApiResult = APIGatewayProxyStructuredResultV2 | string | undefined | null;

/**
 * The session's view of an API Gateway HTTP API (payload 2.0) event: its cookies, and whether the
 * client used HTTPS (API Gateway always does; a local emulator may say `x-forwarded-proto: http`).
 * Never throws: a malformed event gives no cookies.
 * @example const session = await sessions.load(sessionRequestFromEvent(event));
 */
export function sessionRequestFromEvent(event: APIGatewayProxyEventV2): SessionRequest {
  const cookies = Array.isArray(event?.cookies)
    ? event.cookies.filter((cookie): cookie is string => typeof cookie === 'string')
    : [];
  return { cookies, secure: forwardedProto(event?.headers)?.trim().toLowerCase() !== 'http' };
}

/** The `x-forwarded-proto` header, whatever its case (API Gateway sends lower case; others may not). */
function forwardedProto(headers: unknown): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  let proto: string | undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string' && name.toLowerCase() === 'x-forwarded-proto') proto = value;
  }
  return proto;
}

/**
 * `result` with `setCookies` appended to its `cookies`, where payload 2.0 wants them. A bare
 * string (or nothing) becomes what API Gateway makes of it: a 200 JSON body.
 */
export function withCookies(result: HttpApiResult, setCookies: readonly string[]): HttpApiResult {
  if (setCookies.length === 0) return result;
  const structured: APIGatewayProxyStructuredResultV2 =
    typeof result === 'string' || result === undefined || result === null
      ? { statusCode: 200, headers: { 'content-type': 'application/json' }, body: result ?? '' }
      : result;
  return { ...structured, cookies: [...(structured.cookies ?? []), ...setCookies] };
}
