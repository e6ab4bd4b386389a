import { createHash, createHmac } from 'node:crypto';
import { SigningKeyError } from '../../lambda/session/src/errors';
import { assertSigningKeys, KeyRing } from '../../lambda/session/src/keys/KeyRing';
import { hashToken, newToken } from '../../lambda/session/src/tokens';
import { testKey } from '../support/keys';

const CURRENT = testKey('current');
const OLD = testKey('old');

/** The HMAC the design specifies, computed here independently of KeyRing. */
function expectedSignature(key: string, token: string): string {
  return createHmac('sha256', key).update(token).digest('base64url');
}

/** A different base64url character at the same position (alternates so no single substitute dominates). */
function otherChar(char: string): string {
  return char === 'A' ? 'B' : 'A';
}

function replaceAt(text: string, index: number, char: string): string {
  return text.slice(0, index) + char + text.slice(index + 1);
}

describe('newToken', () => {
  it('is 43 base64url characters encoding 32 bytes (256 bits)', () => {
    // Act
    const token = newToken();

    // Assess
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('never repeats across many draws', () => {
    // Act
    const tokens = new Set(Array.from({ length: 5000 }, () => newToken()));

    // Assess
    expect(tokens.size).toBe(5000);
  });
});

describe('hashToken', () => {
  it('is the SHA-256 of the token, base64url, and never the token itself', () => {
    // Prepare
    const token = newToken();

    // Act
    const hashed = hashToken(token);

    // Assess
    expect(hashed).toBe(createHash('sha256').update(token).digest('base64url'));
    expect(hashed).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hashed).not.toBe(token);
  });

  it('differs for different tokens', () => {
    expect(hashToken(newToken())).not.toBe(hashToken(newToken()));
  });
});

describe('assertSigningKeys: each key at least 32 bytes of UTF-8', () => {
  /** The error for `keys`, or a failure when they pass. */
  function refusal(keys: string[]): SigningKeyError {
    try {
      assertSigningKeys(keys);
    } catch (error) {
      if (error instanceof SigningKeyError) return error;
      throw error;
    }
    throw new Error(`expected ${JSON.stringify(keys)} to be refused`);
  }

  it('refuses a 31-byte key and accepts a 32-byte one', () => {
    expect(refusal(['k'.repeat(31)])).toBeInstanceOf(SigningKeyError);
    expect(() => assertSigningKeys(['k'.repeat(32)])).not.toThrow();
    expect(() => new KeyRing(['k'.repeat(32)])).not.toThrow();
  });

  it('counts bytes, not characters: 16 two-byte characters pass, 31 bytes of them do not', () => {
    // Prepare: "é" is 2 bytes in UTF-8, "🔑" is 4 (and 2 UTF-16 code units).
    const sixteenAccents = 'é'.repeat(16); // 16 characters, 32 bytes
    const fifteenAccentsAndOne = `${'é'.repeat(15)}x`; // 16 characters, 31 bytes
    const sevenKeysAndThree = `${'🔑'.repeat(7)}abc`; // 17 UTF-16 units, 31 bytes

    // Act & Assess
    expect(() => assertSigningKeys([sixteenAccents])).not.toThrow();
    expect(refusal([fifteenAccentsAndOne]).message).toContain('is 31 bytes');
    expect(refusal([sevenKeysAndThree]).message).toContain('is 31 bytes');
    expect(() => assertSigningKeys(['🔑'.repeat(8)])).not.toThrow();
  });

  it('says which key, its length and how to make a good one, never the key itself', () => {
    // Act
    const error = refusal([CURRENT, 'short-old-key']);

    // Assess
    expect(error.message).toBe(
      'signing key 2 of 2 is 13 bytes, under the 32-byte minimum: make one with `openssl rand -base64 48`',
    );
    expect(error.message).not.toContain('short-old-key');
  });

  it('checks every key, not only the one that signs', () => {
    expect(refusal(['k'.repeat(31), CURRENT]).message).toMatch(/^signing key 1 of 2 /);
    expect(refusal([CURRENT, OLD, 'k']).message).toMatch(/^signing key 3 of 3 /);
  });
});

describe('KeyRing', () => {
  describe('construction', () => {
    it.each([
      [[]],
      [['']],
      [[CURRENT, '']],
      [[`${CURRENT}\u0000`]],
      [[`${CURRENT}\nkey`]],
      [[`${CURRENT}\u0085`]],
      [[CURRENT, 'x'.repeat(31)]],
    ])('refuses %j', (secrets) => {
      expect(() => new KeyRing(secrets)).toThrow(SigningKeyError);
    });
  });

  describe('sign', () => {
    it('produces token.HMAC-SHA256(first key) in base64url', () => {
      // Prepare
      const ring = new KeyRing([CURRENT, OLD]);
      const token = newToken();

      // Act
      const cookie = ring.sign(token);

      // Assess
      expect(cookie).toBe(`${token}.${expectedSignature(CURRENT, token)}`);
    });
  });

  describe('verify', () => {
    const ring = new KeyRing([CURRENT, OLD]);
    const token = newToken();
    const valid = ring.sign(token);
    const dot = valid.indexOf('.');

    it('round-trips a value it signed, with the current key', () => {
      expect(ring.verify(valid)).toEqual({ token, signedWithOldKey: false });
    });

    it('accepts a value signed with the second key and reports signedWithOldKey', () => {
      // Prepare
      const signedWithOld = new KeyRing([OLD]).sign(token);

      // Act
      const result = ring.verify(signedWithOld);

      // Assess
      expect(result).toEqual({ token, signedWithOldKey: true });
    });

    it('refuses a value signed with a key no longer in the ring', () => {
      // Prepare
      const retired = new KeyRing([testKey('retired')]).sign(token);

      // Act & Assess
      expect(ring.verify(retired)).toBe(false);
      expect(new KeyRing([CURRENT]).verify(new KeyRing([OLD]).sign(token))).toBe(false);
    });

    it('refuses a signature made by the right key over another token', () => {
      const other = newToken();
      expect(ring.verify(`${token}.${expectedSignature(CURRENT, other)}`)).toBe(false);
    });

    it.each(Array.from({ length: 43 }, (_, index) => index))(
      'refuses a change at token position %i',
      (index) => {
        const tampered = replaceAt(valid, index, otherChar(valid[index]));
        expect(tampered).not.toBe(valid);
        expect(ring.verify(tampered)).toBe(false);
      },
    );

    it.each(['', '_', '-', 'A', ',', ';', '=', '~'])('refuses the dot replaced by %j', (replacement) => {
      const tampered = replaceAt(valid, dot, replacement);
      expect(ring.verify(tampered)).toBe(false);
    });

    it.each(Array.from({ length: 43 }, (_, index) => index))(
      'refuses a change at signature position %i',
      (index) => {
        const position = dot + 1 + index;
        const tampered = replaceAt(valid, position, otherChar(valid[position]));
        expect(tampered).not.toBe(valid);
        expect(ring.verify(tampered)).toBe(false);
      },
    );

    it('refuses every other value of the signature’s last character, although some decode to the same bytes', () => {
      // Prepare: the last of 43 base64url characters carries 2 data bits and 4 spare bits, so 16
      // characters decode to the same 32 bytes. Only the canonical one may pass.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = valid.length - 1;
      const sameBytes = [...alphabet].filter(
        (char) =>
          char !== valid[last] &&
          Buffer.from(replaceAt(valid, last, char).slice(dot + 1), 'base64url').equals(
            Buffer.from(valid.slice(dot + 1), 'base64url'),
          ),
      );
      expect(sameBytes.length).toBeGreaterThan(0);

      // Act
      const accepted = [...alphabet]
        .filter((char) => char !== valid[last])
        .filter((char) => ring.verify(replaceAt(valid, last, char)) !== false);

      // Assess
      expect(accepted).toEqual([]);
    });

    it('refuses truncation at every length', () => {
      const accepted = Array.from({ length: valid.length }, (_, length) => valid.slice(0, length)).filter(
        (value) => ring.verify(value) !== false,
      );
      expect(accepted).toEqual([]);
    });

    it.each([
      ['a trailing character', `${valid}A`],
      ['a trailing dot', `${valid}.`],
      ['a trailing signature', `${valid}.${valid.slice(dot + 1)}`],
      ['a leading character', `A${valid}`],
      ['leading whitespace', ` ${valid}`],
      ['trailing whitespace', `${valid} `],
      ['base64 padding', `${valid}=`],
    ])('refuses an extension: %s', (_label, value) => {
      expect(ring.verify(value)).toBe(false);
    });

    it('refuses a case flip of any letter', () => {
      const flipped = [...valid]
        .map((char, index) => {
          const swapped = char === char.toLowerCase() ? char.toUpperCase() : char.toLowerCase();
          return swapped === char ? undefined : replaceAt(valid, index, swapped);
        })
        .filter((value): value is string => value !== undefined);
      expect(flipped.length).toBeGreaterThan(40);
      expect(flipped.filter((value) => ring.verify(value) !== false)).toEqual([]);
    });

    it('refuses the signature in standard base64 instead of base64url', () => {
      const standard = createHmac('sha256', CURRENT).update(token).digest('base64');
      expect(ring.verify(`${token}.${standard}`)).toBe(false);
    });

    it.each([
      ['a short token', 'admin'],
      ['an empty token', ''],
      ['a 44-character token', `${newToken()}A`],
      ['a 42-character token', newToken().slice(0, 42)],
      ['a token with a dot-free non-base64url character', `${newToken().slice(0, 42)}+`],
    ])('refuses a correctly signed value whose token is malformed: %s', (_label, badToken) => {
      expect(ring.verify(ring.sign(badToken))).toBe(false);
    });

    it('refuses swapped parts', () => {
      expect(ring.verify(`${valid.slice(dot + 1)}.${token}`)).toBe(false);
    });

    it.each([
      ['empty', ''],
      ['a dot', '.'],
      ['dots', '....'],
      ['many dots', '.'.repeat(10_000)],
      ['8 KB', 'a'.repeat(8 * 1024)],
      ['8 KB with a dot', `${'a'.repeat(4096)}.${'b'.repeat(4096)}`],
      ['non-ASCII', `${'é'.repeat(43)}.${'ü'.repeat(43)}`],
      ['emoji', '😀.😀'],
      ['null bytes', `${'\u0000'.repeat(43)}.${'\u0000'.repeat(43)}`],
      ['a null byte inside', `${token.slice(0, 42)}\u0000.${valid.slice(dot + 1)}`],
      ['a lone surrogate', '\ud800.\udc00'],
      ['the token alone', token],
      ['the token and a dot', `${token}.`],
      ['a dot and the signature', valid.slice(dot)],
    ])('returns false without throwing for garbage: %s', (_label, value) => {
      expect(() => ring.verify(value)).not.toThrow();
      expect(ring.verify(value)).toBe(false);
    });
  });
});

describe('KeyRing: the clear fields’ MAC', () => {
  const text = '[2,"item","fields"]';
  /** The MAC the design specifies: under HMAC-SHA256(signing key, label), computed here. */
  function expectedMac(key: string): string {
    const macKey = createHmac('sha256', key).update('server-sessions clear fields key v2').digest();
    return createHmac('sha256', macKey).update(text).digest('base64url');
  }

  it('makes the MAC with the first key’s derived key, never the signing key itself', () => {
    const mac = new KeyRing([CURRENT, OLD]).fieldsMac(text);
    expect(mac).toBe(expectedMac(CURRENT));
    expect(mac).not.toBe(expectedSignature(CURRENT, text));
  });

  it('verifies a MAC made under any key of the ring (a demoted key after a rotation)', () => {
    const rotated = new KeyRing([testKey('new'), CURRENT, OLD]);
    expect(rotated.fieldsMacVerifies(text, expectedMac(CURRENT))).toBe(true);
    expect(rotated.fieldsMacVerifies(text, expectedMac(OLD))).toBe(true);
    expect(rotated.fieldsMacVerifies(text, rotated.fieldsMac(text))).toBe(true);
  });

  it('refuses a MAC under a key not in the ring, of another text, or of another length', () => {
    const ring = new KeyRing([CURRENT, OLD]);
    expect(ring.fieldsMacVerifies(text, expectedMac(testKey('dropped')))).toBe(false);
    expect(ring.fieldsMacVerifies(`${text} `, expectedMac(CURRENT))).toBe(false);
    expect(ring.fieldsMacVerifies(text, expectedMac(CURRENT).slice(1))).toBe(false);
    expect(ring.fieldsMacVerifies(text, '')).toBe(false);
  });
});
