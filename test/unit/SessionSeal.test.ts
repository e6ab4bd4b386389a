import { createHmac, hkdfSync } from 'node:crypto';
import { KeyRing } from '../../lambda/session/src/keys/KeyRing';
import {
  type ClearFields,
  hkdfExpand,
  hkdfExtract,
  SEALED_FORMAT,
  SessionSeal,
} from '../../lambda/session/src/SessionSeal';
import { newToken } from '../../lambda/session/src/tokens';
import { testKey } from '../support/keys';
import { sha256Base64Url } from '../support/mockedStore';

const CURRENT = testKey('current');
const PREVIOUS = testKey('previous');
const ring = new KeyRing([CURRENT, PREVIOUS]);
const token = newToken();
const seal = new SessionSeal(token, ring);

/** A copy of `sealed` with the byte at `index` flipped. */
function flipped(sealed: Uint8Array, index: number): Uint8Array {
  const copy = Uint8Array.from(sealed);
  copy[index] ^= 0x01;
  return copy;
}

describe('SessionSeal', () => {
  it('derives its keys with HKDF-SHA256 (RFC 5869) from the token alone, as crypto.hkdfSync does', () => {
    for (const info of [
      'server-sessions sealed value key v1',
      'server-sessions name tag key v1',
      'server-sessions clear fields key v1',
    ]) {
      expect(hkdfExpand(hkdfExtract(token), info)).toEqual(
        Buffer.from(hkdfSync('sha256', token, Buffer.alloc(0), info, 32)),
      );
    }
  });

  it('keys the item by the SHA-256 of the token', () => {
    expect(seal.itemKey).toBe(sha256Base64Url(token));
  });

  it('opens what it sealed: the real name and the value, JSON data of any shape', () => {
    for (const value of [
      'admin',
      0,
      -12.5,
      true,
      null,
      [1, 'two', { three: [] }],
      { nested: { a: 'é€😀' } },
    ]) {
      const tag = seal.nameTag('some key');
      expect(seal.open(tag, seal.seal('some key', value))).toEqual({ name: 'some key', value });
    }
  });

  it('opens under another instance made from the same token (a later request)', () => {
    const sealed = seal.seal('username', 'admin');
    const later = new SessionSeal(token, ring);
    expect(later.open(later.nameTag('username'), sealed)).toEqual({ name: 'username', value: 'admin' });
  });

  it('starts every sealed value with the format byte, and refuses an unknown format', () => {
    const sealed = seal.seal('username', 'admin');
    expect(sealed[0]).toBe(SEALED_FORMAT);
    const unknown = Uint8Array.from(sealed);
    unknown[0] = SEALED_FORMAT + 1;
    expect(seal.open(seal.nameTag('username'), unknown)).toBeUndefined();
  });

  it('names keys by a keyed hash: 43 base64url characters, stable per session, different across sessions', () => {
    const tag = seal.nameTag('username');
    expect(tag).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tag).toBe(new SessionSeal(token, ring).nameTag('username'));
    expect(tag).not.toBe(new SessionSeal(newToken(), ring).nameTag('username'));
    expect(tag).not.toBe(sha256Base64Url('username'));
    expect(tag).not.toBe(seal.nameTag('Username'));
  });

  it('uses a fresh IV for every value: the same value sealed twice gives different bytes', () => {
    const ivs = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const sealed = seal.seal('username', 'admin');
      ivs.add(Buffer.from(sealed.subarray(1, 13)).toString('hex'));
    }
    expect(ivs.size).toBe(100);
  });

  it('leaves nothing of the name or the value readable in the sealed bytes or the tag', () => {
    const secret = 'correct-horse-battery-staple';
    const tag = seal.nameTag('oauth_refresh_token');
    const sealed = Buffer.from(seal.seal('oauth_refresh_token', secret));
    for (const text of [secret, 'oauth_refresh_token', 'refresh', token]) {
      expect(sealed.includes(text)).toBe(false);
      expect(sealed.toString('base64')).not.toContain(Buffer.from(text).toString('base64'));
      expect(tag).not.toContain(text);
    }
  });

  describe('refuses (reads as absent) a value that does not authenticate', () => {
    const tag = seal.nameTag('username');
    const sealed = seal.seal('username', 'admin');

    it.each([
      ['the format byte', 0],
      ['the IV', 1],
      ['the ciphertext', 13],
      ['the last ciphertext byte', sealed.length - 17],
      ['the GCM tag', sealed.length - 1],
    ])('a flipped bit in %s', (_label, index) => {
      expect(seal.open(tag, flipped(sealed, index))).toBeUndefined();
    });

    it('a value moved to another name of the same session', () => {
      expect(seal.open(seal.nameTag('role'), sealed)).toBeUndefined();
    });

    it('a value copied from another session under the same name', () => {
      const other = new SessionSeal(newToken(), ring);
      expect(seal.open(tag, other.seal('username', 'admin'))).toBeUndefined();
      expect(seal.open(other.nameTag('username'), other.seal('username', 'admin'))).toBeUndefined();
    });

    it('a value opened with a wrong token', () => {
      const wrong = new SessionSeal(newToken(), ring);
      expect(wrong.open(tag, sealed)).toBeUndefined();
      expect(wrong.open(wrong.nameTag('username'), sealed)).toBeUndefined();
    });

    it.each([
      ['truncated', sealed.subarray(0, 28)],
      ['empty', new Uint8Array(0)],
      ['a string', 'admin'],
      ['a number', 42],
      ['a map', { S: 'admin' }],
      ['null', null],
    ])('a stored value that is %s', (_label, stored) => {
      expect(seal.open(tag, stored)).toBeUndefined();
    });
  });

  it('openAll gives the data by real names and counts what did not open', () => {
    // Prepare
    const sealed = seal.sealAll({ username: 'admin', cart: ['book'] });
    sealed[seal.nameTag('role')] = new SessionSeal(newToken(), ring).seal('role', 'root');
    sealed[seal.nameTag('theme')] = flipped(seal.seal('theme', 'dark'), 20);

    // Act
    const { data, rejected } = seal.openAll(sealed);

    // Assess
    expect({ ...data }).toEqual({ username: 'admin', cart: ['book'] });
    expect(rejected).toBe(2);
  });

  describe('the MAC of the clear fields', () => {
    const T = 1_768_478_400_123;
    const fields: ClearFields = {
      createdAt: T,
      refreshedAt: T + 900_000,
      absoluteExpiresAt: T + 43_200_000,
      validUntil: T + 4_500_000,
      owner: 'alice',
      device: 'Firefox on Linux',
      publicId: 'AAAAAAAAAAAAAAAAAAAAAA',
    };
    const mac = seal.fieldsMac(fields);

    it('is HMAC-SHA256, keyed by HMAC-SHA256 of the current signing key and its label, of the JSON of the format, the item key and the fields', () => {
      // Computed here independently of the code: the documented key and text.
      const key = createHmac('sha256', CURRENT).update('server-sessions clear fields key v2').digest();
      const text = `[2,"${sha256Base64Url(token)}",${T},${T + 43_200_000},${T + 900_000},${T + 4_500_000},"alice","Firefox on Linux","AAAAAAAAAAAAAAAAAAAAAA"]`;
      expect(mac).toBe(createHmac('sha256', key).update(text, 'utf8').digest('base64url'));
      expect(mac).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const anonymous = { ...fields, owner: undefined, device: undefined, publicId: undefined };
      expect(seal.fieldsMac(anonymous)).toBe(
        createHmac('sha256', key)
          .update(
            `[2,"${sha256Base64Url(token)}",${T},${T + 43_200_000},${T + 900_000},${T + 4_500_000},null,null,null]`,
          )
          .digest('base64url'),
      );
    });

    it('authenticates the fields it was made for, under another instance and another ring of the same keys', () => {
      expect(seal.fieldsAuthentic(fields, mac)).toBe(true);
      expect(
        new SessionSeal(token, new KeyRing([CURRENT, PREVIOUS])).fieldsAuthentic({ ...fields }, mac),
      ).toBe(true);
    });

    it('verifies under a previous key of the ring (a rotation), and fails under a key not in the ring', () => {
      // Prepare: a MAC made while PREVIOUS was the current key
      const before = new SessionSeal(token, new KeyRing([PREVIOUS])).fieldsMac(fields);

      // Act & Assess: after the rotation PREVIOUS is demoted, still verifying; new MACs use CURRENT
      expect(before).not.toBe(mac);
      expect(seal.fieldsAuthentic(fields, before)).toBe(true);
      expect(new SessionSeal(token, new KeyRing([CURRENT])).fieldsAuthentic(fields, before)).toBe(false);
      expect(new SessionSeal(token, new KeyRing([testKey('other')])).fieldsAuthentic(fields, mac)).toBe(
        false,
      );
    });

    it('refuses a MAC keyed from the token alone (format 1 or 2), as a holder of the cookie could make', () => {
      const tokenKey = Buffer.from(
        hkdfSync('sha256', token, Buffer.alloc(0), 'server-sessions clear fields key v1', 32),
      );
      for (const format of [1, 2]) {
        const text = `[${format},"${sha256Base64Url(token)}",${T},${T + 43_200_000},${T + 900_000},${T + 4_500_000},"alice","Firefox on Linux","AAAAAAAAAAAAAAAAAAAAAA"]`;
        const forged = createHmac('sha256', tokenKey).update(text, 'utf8').digest('base64url');
        expect(seal.fieldsAuthentic(fields, forged)).toBe(false);
      }
    });

    it.each([
      ['the owner', { owner: 'mallory' }],
      ['the owner, removed', { owner: undefined }],
      ['the owner, as the text "null"', { owner: 'null' }],
      ['the device', { device: 'Chrome on Windows' }],
      ['the public id', { publicId: 'BBBBBBBBBBBBBBBBBBBBBB' }],
      ['the login time', { createdAt: T + 1 }],
      ['the last refresh', { refreshedAt: T + 900_001 }],
      ['the absolute expiry', { absoluteExpiresAt: T + 86_400_000 }],
      ['the idle expiry', { validUntil: T + 43_200_000 }],
      ['two fields swapped', { owner: 'Firefox on Linux', device: 'alice' }],
    ])('refuses the fields with %s changed', (_label, change) => {
      expect(seal.fieldsAuthentic({ ...fields, ...change }, mac)).toBe(false);
    });

    it('refuses the MAC under another token, or of another item', () => {
      expect(new SessionSeal(newToken(), ring).fieldsAuthentic(fields, mac)).toBe(false);
      expect(seal.fieldsAuthentic(fields, new SessionSeal(newToken(), ring).fieldsMac(fields))).toBe(false);
    });

    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['cut short', mac.slice(0, 42)],
      ['one character off', `${mac.slice(0, 42)}${mac.endsWith('A') ? 'B' : 'A'}`],
      ['a number', 42],
      ['bytes', Buffer.from(mac)],
    ])('refuses a stored MAC that is %s', (_label, stored) => {
      expect(seal.fieldsAuthentic(fields, stored)).toBe(false);
    });

    it('uses a key of its own: not the signing key itself, nor a key from the token', () => {
      const text = `[2,"${sha256Base64Url(token)}",${T},${T + 43_200_000},${T + 900_000},${T + 4_500_000},"alice","Firefox on Linux","AAAAAAAAAAAAAAAAAAAAAA"]`;
      expect(mac).not.toBe(createHmac('sha256', CURRENT).update(text, 'utf8').digest('base64url'));
      const fieldsKey = createHmac('sha256', CURRENT).update('server-sessions clear fields key v2').digest();
      const prk = hkdfExtract(token);
      expect(fieldsKey).not.toEqual(hkdfExpand(prk, 'server-sessions sealed value key v1'));
      expect(fieldsKey).not.toEqual(hkdfExpand(prk, 'server-sessions name tag key v1'));
    });
  });

  it('keeps __proto__ an ordinary name', () => {
    const { data } = seal.openAll(seal.sealAll(JSON.parse('{"__proto__":{"username":"admin"}}')));
    expect(Object.keys(data)).toEqual(['__proto__']);
    expect((data as { username?: unknown }).username).toBeUndefined();
  });
});
