import { MAX_USERNAME_LENGTH } from '../http/pages.js';

export type UsernameCheck = { ok: true; username: string } | { ok: false; error: string };

/**
 * Spaces (Unicode's space separators) and ASCII whitespace at either end. Not
 * `String.prototype.trim`: it also strips U+FEFF, U+2028 and U+2029, so `%EF%BB%BFadmin` would
 * log in as `admin` instead of being refused for its invisible character.
 */
const SURROUNDING_SPACE = /^[\p{Zs}\t\n\v\f\r]+|[\p{Zs}\t\n\v\f\r]+$/gu;

/**
 * A login username: trimmed of spaces, 1 to 64 characters, no control or invisible formatting
 * characters.
 * @example validateUsername(' admin ') // { ok: true, username: 'admin' }
 */
export function validateUsername(raw: string | undefined): UsernameCheck {
  const username = (raw ?? '').replace(SURROUNDING_SPACE, '');
  if (username === '') return { ok: false, error: 'Enter a username.' };
  if ([...username].length > MAX_USERNAME_LENGTH) {
    return { ok: false, error: `Use at most ${MAX_USERNAME_LENGTH} characters.` };
  }
  if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(username)) {
    return { ok: false, error: 'The username contains characters that are not allowed.' };
  }
  return { ok: true, username };
}
