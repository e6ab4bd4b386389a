import { createHmac, timingSafeEqual } from 'node:crypto';
import { MIN_SIGNING_KEY_BYTES } from '../constants.js';
import { SigningKeyError } from '../errors.js';
import { isSignedTokenShape } from '../tokens.js';

/**
 * The label the clear fields' MAC key is derived under from each signing key:
 * `HMAC-SHA256(signing key, label)`. A distinct key for a distinct use, never the signing key itself.
 */
export const FIELDS_MAC_KEY_LABEL = 'server-sessions clear fields key v2';

/** A cookie value that verified: the token, and whether it must be re-signed with the current key. */
export interface VerifiedToken {
  token: string;
  signedWithOldKey: boolean;
}

function hasControlCharacter(text: string): boolean {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return true;
  }
  return false;
}

/**
 * Throws `SigningKeyError` unless `keys` is a usable key list: at least one key, none empty, none
 * with a control character (HMAC zero-pads a short key, so "k" and "k\0" would sign alike), each
 * at least 32 bytes in UTF-8 (a short key can be guessed offline from a single cookie). The
 * message says which key by position, never the key itself.
 */
export function assertSigningKeys(keys: readonly string[]): void {
  if (keys.length === 0) throw new SigningKeyError('no signing key');
  if (keys.some((key) => typeof key !== 'string' || key === '')) {
    throw new SigningKeyError('an empty signing key (check for stray commas)');
  }
  if (keys.some(hasControlCharacter)) {
    throw new SigningKeyError('a signing key contains a control character: use printable text only');
  }
  const short = keys.findIndex((key) => Buffer.byteLength(key, 'utf8') < MIN_SIGNING_KEY_BYTES);
  if (short >= 0) {
    throw new SigningKeyError(
      `signing key ${short + 1} of ${keys.length} is ${Buffer.byteLength(keys[short], 'utf8')} bytes, ` +
        `under the ${MIN_SIGNING_KEY_BYTES}-byte minimum: make one with \`openssl rand -base64 48\``,
    );
  }
}

/**
 * Signs session tokens as `token.signature` (HMAC-SHA256, base64url) with the first key and
 * verifies them against every key in constant time. Does the same for the MAC of an item's clear
 * fields (`SessionSeal.fieldsMac`), under a key derived from each signing key: whoever writes the
 * table without the signing keys cannot make one, even for a session whose cookie they hold.
 * @example
 * const ring = new KeyRing([newKey, oldKey]); // each at least 32 bytes: `openssl rand -base64 48`
 * const cookie = ring.sign(newToken());
 * ring.verify(cookie); // { token, signedWithOldKey: false }
 */
export class KeyRing {
  private readonly keys: Buffer[];
  /** Per signing key, in the same order, its clear fields' MAC key: derived once, at first use. */
  private fieldsKeys: Buffer[] | undefined;

  constructor(secrets: readonly string[]) {
    assertSigningKeys(secrets);
    this.keys = secrets.map((secret) => Buffer.from(secret, 'utf8'));
  }

  /** base64url HMAC-SHA256 of `text` under the current (first) key's clear fields' MAC key. */
  fieldsMac(text: string): string {
    return this.mac(this.macKeys()[0], text);
  }

  /**
   * True when `mac` is the MAC of `text` under the clear fields' MAC key of any key in the ring,
   * compared in constant time, as cookies are: a demoted key keeps verifying while it stays.
   */
  fieldsMacVerifies(text: string, mac: string): boolean {
    const given = Buffer.from(mac, 'utf8');
    for (const key of this.macKeys()) {
      const expected = Buffer.from(this.mac(key, text), 'ascii');
      if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
    }
    return false;
  }

  sign(token: string): string {
    return `${token}.${this.signature(this.keys[0], token)}`;
  }

  /**
   * The token inside a signed value, or `false` when the value is malformed or no key signed it.
   * Never throws, whatever the input.
   */
  verify(value: string): VerifiedToken | false {
    const dot = value.indexOf('.');
    if (dot < 0) return false;
    const token = value.slice(0, dot);
    const signature = value.slice(dot + 1);
    if (!isSignedTokenShape(token, signature)) return false;
    // Compare the text, not decoded bytes: base64url's last character carries unused bits, so
    // two different strings can decode to the same bytes.
    const given = Buffer.from(signature, 'ascii');
    for (const [index, key] of this.keys.entries()) {
      const expected = Buffer.from(this.signature(key, token), 'ascii');
      if (timingSafeEqual(given, expected)) return { token, signedWithOldKey: index > 0 };
    }
    return false;
  }

  private macKeys(): Buffer[] {
    this.fieldsKeys ??= this.keys.map((key) =>
      createHmac('sha256', key).update(FIELDS_MAC_KEY_LABEL, 'utf8').digest(),
    );
    return this.fieldsKeys;
  }

  private mac(key: Buffer, text: string): string {
    return createHmac('sha256', key).update(text, 'utf8').digest('base64url');
  }

  private signature(key: Buffer, token: string): string {
    return createHmac('sha256', key).update(token).digest('base64url');
  }
}
