import { MAX_USERNAME_LENGTH } from '../http/pages.js';

export type UsernameCheck = { ok: true; username: string } | { ok: false; error: string };

/**
 * A login username: trimmed, 1 to 64 characters, no control or invisible formatting characters.
 * @example validateUsername(' admin ') // { ok: true, username: 'admin' }
 */
export function validateUsername(raw: string | undefined): UsernameCheck {
  const username = (raw ?? '').trim();
  if (username === '') return { ok: false, error: 'Enter a username.' };
  if ([...username].length > MAX_USERNAME_LENGTH) {
    return { ok: false, error: `Use at most ${MAX_USERNAME_LENGTH} characters.` };
  }
  if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(username)) {
    return { ok: false, error: 'The username contains characters that are not allowed.' };
  }
  return { ok: true, username };
}
