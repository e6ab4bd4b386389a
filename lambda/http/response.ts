import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CONTENT_SECURITY_POLICY, errorPage } from './pages.js';

/** A payload 2.0 result whose headers are always set (tests and the local server read them). */
export type HttpResponse = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: string;
};

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  // Every page depends on the session (or answers a form post): never cache one.
  'cache-control': 'no-store',
};

/**
 * The one response builder: security headers on everything, each cookie its own entry in
 * `cookies` (payload 2.0 sends each as a `Set-Cookie`).
 * @example htmlResponse(200, indexPage('admin'), { cookies })
 */
export function htmlResponse(
  statusCode: number,
  body: string,
  options: { cookies?: string[]; headers?: Record<string, string> } = {},
): HttpResponse {
  return {
    statusCode,
    headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', ...options.headers },
    cookies: options.cookies ?? [],
    body,
    isBase64Encoded: false,
  };
}

/**
 * A plain-text response (a health check's answer) with the same security headers as every page.
 * @example textResponse(200, 'ok')
 */
export function textResponse(
  statusCode: number,
  body: string,
  options: { headers?: Record<string, string> } = {},
): HttpResponse {
  return {
    statusCode,
    headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', ...options.headers },
    cookies: [],
    body,
    isBase64Encoded: false,
  };
}

/**
 * HTTPS responses tell the browser to use nothing else for this host for a year (HSTS). Not over
 * plain HTTP (the local server), where browsers ignore it anyway.
 */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000';

/** `response` with the HSTS header when the request came over HTTPS. */
export function withTransportSecurity(response: HttpResponse, secure: boolean): HttpResponse {
  if (!secure) return response;
  return {
    ...response,
    headers: { ...response.headers, 'strict-transport-security': STRICT_TRANSPORT_SECURITY },
  };
}

/** A See Other redirect (the browser follows it with GET). */
export function redirect(location: string, cookies: string[] = []): HttpResponse {
  return htmlResponse(303, '', { cookies, headers: { location } });
}

/** An error page response. */
export function errorResponse(status: number, message: string, headers: Record<string, string> = {}) {
  return htmlResponse(status, errorPage(status, message), { headers });
}
