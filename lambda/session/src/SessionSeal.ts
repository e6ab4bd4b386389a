import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { hashToken } from './tokens.js';

/** Sealed session values as stored: keyed-hash name tag → sealed bytes. */
export type SealedValues = Record<string, Uint8Array>;

/** Values by name, as a session holds them (the store's `SessionData`). */
type Values = Record<string, unknown>;

/** The first byte of every sealed value: the format, so that it can evolve value by value. */
export const SEALED_FORMAT = 1;

const IV_BYTES = 12;
const AUTH_TAG_BYTES = 16;
/** Format byte, IV and GCM tag: what sealing adds to the JSON of `[name, value]`. */
const SEALED_OVERHEAD_BYTES = 1 + IV_BYTES + AUTH_TAG_BYTES;

/**
 * HKDF `info` labels: one key for the values, one for the names, both from the token alone. The
 * clear fields' MAC is keyed from the signing keys instead (`FieldsMacKeys`).
 */
const VALUE_KEY_INFO = 'server-sessions sealed value key v1';
const NAME_KEY_INFO = 'server-sessions name tag key v1';

/**
 * The first element of the text the clear fields' MAC covers: its format. 2: keyed from the
 * signing keys (1, keyed from the token, is no longer accepted: such an item reads as absent).
 */
export const FIELDS_MAC_FORMAT = 2;

/**
 * What keys the clear fields' MAC: the server's signing keys, which the table does not hold
 * (`KeyRing`). Makes a MAC with the current key; verifies one against every key, in constant time.
 */
export interface FieldsMacKeys {
  fieldsMac(text: string): string;
  fieldsMacVerifies(text: string, mac: string): boolean;
}

/** A MAC as stored: base64url of the 32-byte HMAC-SHA256. */
const MAC_LENGTH = 43;

/**
 * What an item keeps in the clear and the library decides on: who the session belongs to, and
 * how long it lives. Its MAC, under the signing keys, binds them to the item (`SessionSeal.fieldsMac`).
 * Times are epoch milliseconds.
 */
export interface ClearFields {
  createdAt: number;
  refreshedAt: number;
  absoluteExpiresAt: number;
  validUntil: number;
  owner?: string | undefined;
  device?: string | undefined;
  publicId?: string | undefined;
  /** Only ever `true` when present: a permanent session (`Session.permanent`). */
  permanent?: true | undefined;
}

/** RFC 5869 with no salt: HashLen zero bytes. */
const HKDF_SALT = Buffer.alloc(32);

/**
 * HKDF-SHA256 (RFC 5869) for 32-byte keys: one extract per token, then one expand block per key.
 * Written with HMAC: two `crypto.hkdfSync` calls cost about three times as much, on every page
 * view. A unit test checks that both give the same keys.
 */
export function hkdfExtract(token: string): Buffer {
  return createHmac('sha256', HKDF_SALT).update(token, 'utf8').digest();
}

/** HKDF's expand step for one 32-byte key (a single block). */
export function hkdfExpand(pseudoRandomKey: Buffer, info: string): Buffer {
  return createHmac('sha256', pseudoRandomKey).update(info, 'utf8').update(Buffer.of(1)).digest();
}

/** A value that opened: its real name and its value. */
export interface OpenedValue {
  name: string;
  value: unknown;
}

/**
 * Seals and opens one session's values with keys derived from its token (HKDF-SHA256): values in
 * AES-256-GCM, each under a fresh random 96-bit IV, with the item's key and the value's name tag
 * as associated data; names as HMAC-SHA256 tags. The token is never stored, so the table alone
 * opens or forges nothing; the signing keys play no part in them, so rotating them leaves sealed
 * data readable. The item's clear fields (owner, device, public id, times) are bound by an
 * HMAC-SHA256 MAC under the signing keys (`keys`), which the holder of a cookie does not have.
 * Keys are derived on first use: a request that only learns the item is absent derives none.
 * @example
 * const seal = new SessionSeal(token, keyRing);
 * const tag = seal.nameTag('username');
 * seal.open(tag, seal.seal('username', 'admin')); // { name: 'username', value: 'admin' }
 */
export class SessionSeal {
  /** The item's key: SHA-256 of the token. */
  readonly itemKey: string;
  private readonly token: string;
  private pseudoRandomKey: Buffer | undefined;
  private valueKey: Buffer | undefined;
  private nameKey: Buffer | undefined;
  private readonly keys: FieldsMacKeys;

  constructor(token: string, keys: FieldsMacKeys) {
    this.token = token;
    this.keys = keys;
    this.itemKey = hashToken(token);
  }

  private derive(info: string): Buffer {
    this.pseudoRandomKey ??= hkdfExtract(this.token);
    return hkdfExpand(this.pseudoRandomKey, info);
  }

  /** The stored name of a value: base64url HMAC-SHA256 under the session's name key. */
  nameTag(name: string): string {
    this.nameKey ??= this.derive(NAME_KEY_INFO);
    return createHmac('sha256', this.nameKey).update(name, 'utf8').digest('base64url');
  }

  /** `value` (JSON data) sealed with its name: format byte, IV, ciphertext, GCM tag. */
  seal(name: string, value: unknown): Uint8Array {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.sealingKey(), iv, { authTagLength: AUTH_TAG_BYTES });
    cipher.setAAD(this.associatedData(this.nameTag(name)));
    const body = cipher.update(JSON.stringify([name, value]), 'utf8');
    const final = cipher.final();
    const sealed = Buffer.concat([Buffer.of(SEALED_FORMAT), iv, body, final, cipher.getAuthTag()]);
    // A plain Uint8Array, as the document client gives binary values back.
    return new Uint8Array(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  }

  /**
   * The name and value sealed under `tag`, or undefined when it does not authenticate: tampered,
   * sealed for another item, stored under another name, or of an unknown format.
   */
  open(tag: string, sealed: unknown): OpenedValue | undefined {
    if (!(sealed instanceof Uint8Array) || sealed.length < SEALED_OVERHEAD_BYTES) return undefined;
    if (sealed[0] !== SEALED_FORMAT) return undefined;
    const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    let opened: unknown;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.sealingKey(), bytes.subarray(1, 1 + IV_BYTES), {
        authTagLength: AUTH_TAG_BYTES,
      });
      decipher.setAAD(this.associatedData(tag));
      decipher.setAuthTag(bytes.subarray(bytes.length - AUTH_TAG_BYTES));
      opened = JSON.parse(
        decipher.update(bytes.subarray(1 + IV_BYTES, bytes.length - AUTH_TAG_BYTES), undefined, 'utf8') +
          decipher.final('utf8'),
      );
    } catch {
      return undefined;
    }
    if (!Array.isArray(opened) || opened.length !== 2 || typeof opened[0] !== 'string') return undefined;
    // No need to hash the name again: the associated data binds the value to the tag it was sealed
    // under, and only `seal` writes one, under the name's own tag. Reads need no name key at all.
    const [name, value] = opened as [string, unknown];
    return { name, value };
  }

  /**
   * The MAC of an item's clear fields: base64url HMAC-SHA256, under the current signing key's
   * clear fields' MAC key (`KeyRing.fieldsMac`), of the JSON of `[format, item key, createdAt,
   * absoluteExpiresAt, refreshedAt, validUntil, owner, device, publicId]` (null for an absent
   * one), and `true` after them for a permanent session (so items written before permanence keep
   * their MAC). Whoever writes the table without the signing keys can neither make one, even holding
   * the session's token, nor move one to another item.
   */
  fieldsMac(fields: ClearFields): string {
    return this.keys.fieldsMac(this.fieldsText(fields));
  }

  /**
   * True when `mac` is the MAC of these fields in this item under any signing key of the ring
   * (compared in constant time).
   */
  fieldsAuthentic(fields: ClearFields, mac: unknown): boolean {
    if (typeof mac !== 'string' || mac.length !== MAC_LENGTH) return false;
    return this.keys.fieldsMacVerifies(this.fieldsText(fields), mac);
  }

  /** The text the clear fields' MAC covers. */
  private fieldsText(fields: ClearFields): string {
    return JSON.stringify([
      FIELDS_MAC_FORMAT,
      this.itemKey,
      fields.createdAt,
      fields.absoluteExpiresAt,
      fields.refreshedAt,
      fields.validUntil,
      fields.owner ?? null,
      fields.device ?? null,
      fields.publicId ?? null,
      ...(fields.permanent === true ? [true] : []),
    ]);
  }

  /** Every value of `data`, sealed under its name tag. */
  sealAll(data: Values): SealedValues {
    const sealed: SealedValues = {};
    for (const [name, value] of Object.entries(data)) sealed[this.nameTag(name)] = this.seal(name, value);
    return sealed;
  }

  /** The data the sealed values hold, and how many did not authenticate (left out). */
  openAll(sealed: SealedValues): { data: Values; rejected: number } {
    const data: Values = Object.create(null);
    let rejected = 0;
    for (const [tag, value] of Object.entries(sealed)) {
      const opened = this.open(tag, value);
      if (opened === undefined) rejected++;
      else data[opened.name] = opened.value;
    }
    return { data, rejected };
  }

  private sealingKey(): Buffer {
    this.valueKey ??= this.derive(VALUE_KEY_INFO);
    return this.valueKey;
  }

  /** Format byte, item key and name tag: a value opens only where it was sealed. */
  private associatedData(tag: string): Buffer {
    return Buffer.from(`${SEALED_FORMAT}.${this.itemKey}.${tag}`, 'utf8');
  }
}
