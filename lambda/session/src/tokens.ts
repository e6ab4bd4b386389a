import { createHash, randomBytes } from 'node:crypto';
import { PUBLIC_ID_BYTES, TOKEN_BYTES } from './constants.js';

// Every random or derived identifier of a session, in one place: the token (the cookie's secret),
// the item key derived from it, and the public id a listing shows.

/** base64url of `bytes` bytes, unpadded: exactly this many characters. */
const base64url = (bytes: number) => new RegExp(`^[A-Za-z0-9_-]{${Math.ceil((bytes * 4) / 3)}}$`);
const TOKEN = base64url(TOKEN_BYTES);
const SHA256 = base64url(32);
const PUBLIC_ID = base64url(PUBLIC_ID_BYTES);

/** A fresh session token: 32 bytes from the CSPRNG, base64url. */
export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** The stored key for a token: SHA-256, base64url. A leaked table gives no working cookie. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** A new public id: 16 random bytes, base64url; neither the token nor the item key. */
export function newPublicId(): string {
  return randomBytes(PUBLIC_ID_BYTES).toString('base64url');
}

/** Whether `value` has a public id's shape: a malformed one is refused before any store call. */
export function isPublicId(value: unknown): value is string {
  return typeof value === 'string' && PUBLIC_ID.test(value);
}

/** Whether `token` and `signature` have the shapes of a token and an HMAC-SHA256, both base64url. */
export function isSignedTokenShape(token: string, signature: string): boolean {
  return TOKEN.test(token) && SHA256.test(signature);
}

/**
 * The token of a value shaped like a signed cookie (`token.signature`), whether or not any key
 * signed it; undefined otherwise. Only a logout may act on it.
 */
export function wellFormedToken(value: string): string | undefined {
  const dot = value.indexOf('.');
  if (dot < 0) return undefined;
  const token = value.slice(0, dot);
  return isSignedTokenShape(token, value.slice(dot + 1)) ? token : undefined;
}
