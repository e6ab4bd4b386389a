import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** What the handlers need from an API Gateway HTTP API (payload 2.0) event. */
export interface HttpRequest {
  method: string;
  path: string;
  /** Lower-case names. API Gateway joins repeated headers with commas. */
  headers: Record<string, string>;
  /** `name=value` entries, as payload 2.0 delivers them. */
  cookies: string[];
  body: Buffer;
  requestId: string;
  /** HTTPS (API Gateway always; the local server says `x-forwarded-proto: http`). */
  secure: boolean;
  /** Aborts the request's store and key calls when the function's time is nearly up. */
  signal?: AbortSignal;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

/**
 * The request inside a payload 2.0 event. Never throws: fields of the wrong type are treated
 * as absent, so a malformed event ends in a 4xx page, not a crash.
 * @example const request = parseRequest(event); request.cookies; // ['session=…']
 */
export function parseRequest(event: APIGatewayProxyEventV2): HttpRequest {
  const http = event?.requestContext?.http;
  const headers: Record<string, string> = {};
  if (event?.headers && typeof event.headers === 'object') {
    for (const [name, value] of Object.entries(event.headers)) {
      if (typeof value === 'string') headers[name.toLowerCase()] = value;
    }
  }
  const cookies = Array.isArray(event?.cookies)
    ? event.cookies.filter((cookie): cookie is string => typeof cookie === 'string')
    : [];
  const rawBody = typeof event?.body === 'string' ? event.body : '';
  return {
    method: stringOr(http?.method, 'GET').toUpperCase(),
    path: stringOr(http?.path, stringOr(event?.rawPath, '/')),
    headers,
    cookies,
    body: Buffer.from(rawBody, event?.isBase64Encoded === true ? 'base64' : 'utf8'),
    requestId: stringOr(event?.requestContext?.requestId, 'unknown'),
    secure: headers['x-forwarded-proto']?.trim().toLowerCase() !== 'http',
  };
}
