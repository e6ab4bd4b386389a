import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { SessionRequest } from './SessionManager.js';

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
