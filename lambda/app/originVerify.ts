import { createHash, timingSafeEqual } from 'node:crypto';
import { ORIGIN_VERIFY } from '../contract.js';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * A test that a request came through the edge: its `x-origin-verify` header (ORIGIN_VERIFY) holds
 * `secret`. Compared in constant time, over digests so that the length leaks nothing either.
 * @example const viaEdge = originVerifier(config.originSecret); viaEdge(request.headers); // false: refuse
 */
export function originVerifier(secret: string): (headers: Record<string, string>) => boolean {
  const expected = digest(secret);
  return (headers) => {
    const sent = headers[ORIGIN_VERIFY.header];
    return sent !== undefined && timingSafeEqual(digest(sent), expected);
  };
}
