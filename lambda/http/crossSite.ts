import { HttpError } from './HttpError.js';
import type { HttpRequest } from './request.js';

/**
 * True when a state-changing request comes from another site: `Sec-Fetch-Site` when the browser
 * sends it, otherwise `Origin` compared with this site's origin (scheme, host and port, default
 * ports normalised; the scheme is HTTPS unless `X-Forwarded-Proto` says http, as in
 * `parseRequest`). Requests with neither (curl, old browsers on same-origin GET-free flows) are
 * allowed: SameSite=Lax already keeps the cookie off cross-site POSTs in those browsers.
 */
export function isCrossSiteRequest(headers: Record<string, string>): boolean {
  const fetchSite = headers['sec-fetch-site'];
  if (fetchSite !== undefined) return fetchSite !== 'same-origin' && fetchSite !== 'none';
  const origin = headers.origin;
  if (origin === undefined) return false;
  const host = headers['x-forwarded-host'] ?? headers.host;
  if (host === undefined) return true;
  const scheme = headers['x-forwarded-proto']?.trim().toLowerCase() === 'http' ? 'http' : 'https';
  try {
    return new URL(origin).origin !== new URL(`${scheme}://${host}`).origin;
  } catch {
    return true; // "null" or garbage: not provably same-origin
  }
}

/** Refuses a state-changing request from another site: `HttpError` 403 naming `what` (e.g. "form posts"). */
export function refuseCrossSite(request: HttpRequest, what: string): void {
  if (isCrossSiteRequest(request.headers)) throw new HttpError(403, `Cross-site ${what} are not accepted.`);
}
