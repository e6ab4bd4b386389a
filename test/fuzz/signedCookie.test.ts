import fc from 'fast-check';
import { MAX_SESSION_COOKIE_CANDIDATES } from '../../lambda/session/src/constants';
import { KeyRing } from '../../lambda/session/src/keys/KeyRing';
import { StaticKeys } from '../../lambda/session/src/keys/keyProvider';
import { sessionState } from '../../lambda/session/src/Session';
import { SessionCookie } from '../../lambda/session/src/SessionCookie';
import { SessionManager, type SessionRequest } from '../../lambda/session/src/SessionManager';
import { testKey } from '../support/keys';
import { documentClient } from '../support/mockedStore';
import { base64UrlOf, fuzz, fuzzAsync, textWith } from './fuzz';

const cookie = new SessionCookie();

// Cookie verification never throws and never accepts a value the key ring did not sign.

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A token as `newToken()` makes them: 32 bytes, base64url (43 characters). */
const token = base64UrlOf(32);

/**
 * Signing keys: any printable text of at least 32 characters, so at least 32 bytes (the key ring
 * refuses shorter keys, and control characters, since HMAC pads a short key with zero bytes and
 * "k" and "k\0" would be the same key).
 */
const key = fc.string({ unit: 'binary', minLength: 32, maxLength: 48 }).filter((k) => !/\p{Cc}/u.test(k));
const keys = fc.uniqueArray(key, { minLength: 1, maxLength: 3 });
const FUZZ_KEY = testKey('fuzz');

/** One character: mostly base64url (the ones that get past the shape check), some others. */
const character = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...BASE64URL) },
  { weight: 1, arbitrary: fc.constantFrom('.', '=', '%', ' ', ';', '"', '+', '/', '\0') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);
const piece = fc.string({ unit: character, minLength: 1, maxLength: 50 });

/** A change to a signed value, as data so a failure prints which change it was. */
type Mutation =
  | { replace: number; with: string }
  | { cut: number; count: number }
  | { insert: number; text: string }
  | { truncateTo: number }
  | { append: string }
  | { prepend: string }
  | { swapAt: number }
  | { flipCaseAt: number };

/** Every way of changing a signed value: one character, a cut, an insertion, an end changed. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ replace: fc.nat(), with: character }),
  fc.record({ cut: fc.nat(), count: fc.integer({ min: 1, max: 90 }) }),
  fc.record({ insert: fc.nat(), text: piece }),
  fc.record({ truncateTo: fc.nat() }),
  fc.record({ append: piece }),
  fc.record({ prepend: piece }),
  fc.record({ swapAt: fc.nat() }),
  fc.record({ flipCaseAt: fc.nat() }),
);
/** One to three mutations in a row. */
const mutations = fc.array(mutation, { minLength: 1, maxLength: 3 });

function mutateOnce(value: string, change: Mutation): string {
  if (value.length < 2) return value;
  if ('replace' in change) {
    const i = change.replace % value.length;
    return value.slice(0, i) + change.with + value.slice(i + 1);
  }
  if ('cut' in change) {
    const i = change.cut % value.length;
    return value.slice(0, i) + value.slice(i + change.count);
  }
  if ('insert' in change) {
    const i = change.insert % (value.length + 1);
    return value.slice(0, i) + change.text + value.slice(i);
  }
  if ('truncateTo' in change) return value.slice(0, change.truncateTo % value.length);
  if ('append' in change) return value + change.append;
  if ('prepend' in change) return change.prepend + value;
  if ('swapAt' in change) {
    // A transposition keeps the length and the alphabet.
    const i = change.swapAt % (value.length - 1);
    return value.slice(0, i) + value[i + 1] + value[i] + value.slice(i + 2);
  }
  const i = change.flipCaseAt % value.length;
  const char = value[i];
  const flipped = char === char.toLowerCase() ? char.toUpperCase() : char.toLowerCase();
  return value.slice(0, i) + flipped + value.slice(i + 1);
}

function mutate(value: string, changes: readonly Mutation[]): string {
  return changes.reduce(mutateOnce, value);
}

describe('KeyRing.verify', () => {
  it('never throws and rejects arbitrary strings', () => {
    const ring = new KeyRing([FUZZ_KEY]);
    fuzz(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.string({ unit: character, maxLength: 100 }),
        ),
        (value) => ring.verify(value) === false,
      ),
    );
  });

  it('rejects well-formed forgeries: 43 base64url characters, a dot, 43 more', () => {
    fuzz(
      fc.property(
        keys,
        token,
        base64UrlOf(32),
        (secrets, forgedToken, forgedSignature) =>
          new KeyRing(secrets).verify(`${forgedToken}.${forgedSignature}`) === false,
      ),
    );
  });

  it('rejects a real token with any other signature of the right shape', () => {
    fuzz(
      fc.property(keys, token, base64UrlOf(32), (secrets, real, signature) => {
        const ring = new KeyRing(secrets);
        const signed = ring.sign(real);
        fc.pre(signed !== `${real}.${signature}`);
        return ring.verify(`${real}.${signature}`) === false;
      }),
    );
  });

  it('rejects every mutation of a valid cookie value unless it equals the original', () => {
    fuzz(
      fc.property(keys, token, mutations, (secrets, real, changes) => {
        // Prepare
        const ring = new KeyRing(secrets);
        const signed = ring.sign(real);
        const mutated = mutate(signed, changes);

        // Act
        const verified = ring.verify(mutated);

        // Assess
        if (mutated !== signed) return verified === false;
        return verified !== false && verified.token === real && !verified.signedWithOldKey;
      }),
    );
  });

  it('rejects a value signed with a key it does not hold, and flags one signed with an old key', () => {
    fuzz(
      fc.property(
        fc.uniqueArray(key, { minLength: 2, maxLength: 4 }),
        token,
        ([signingKey, ...others], real) => {
          // Prepare
          const signed = new KeyRing([signingKey]).sign(real);

          // Act
          const byOthers = new KeyRing(others).verify(signed);
          const withOldKey = new KeyRing([...others, signingKey]).verify(signed);

          // Assess
          return (
            byOthers === false &&
            withOldKey !== false &&
            withOldKey.token === real &&
            withOldKey.signedWithOldKey
          );
        },
      ),
    );
  });
});

describe('the session cookie on its way in', () => {
  /** The token the manager verified in a request; `attach` verifies without touching the store. */
  const verifiedToken = async (secrets: readonly string[], request: SessionRequest) => {
    const sessions = new SessionManager({
      client: documentClient(),
      tableName: 'unused',
      keys: new StaticKeys(secrets),
    });
    return sessionState(await sessions.attach(request)).token;
  };

  it('reads back what it serializes', async () => {
    await fuzzAsync(
      fc.asyncProperty(keys, token, fc.boolean(), async (secrets, real, secure) => {
        const ring = new KeyRing(secrets);
        const setCookie = cookie.serialize(ring.sign(real), secure);
        const pair = setCookie.split(';')[0];
        const values = cookie.read([pair], secure);
        return (
          values.length === 1 &&
          values[0] === ring.sign(real) &&
          (await verifiedToken(secrets, { cookies: [pair], secure })) === real
        );
      }),
    );
  });

  it('never throws on arbitrary cookie arrays, and never yields a token nobody signed', async () => {
    const entry = fc.oneof(
      textWith(['session=', '__Host-session=', ';', '=', ' ', '.', '%', '"', '\t']),
      fc.string({ unit: 'binary' }),
      fc.tuple(token, base64UrlOf(32)).map(([t, s]) => `session=${t}.${s}`),
    );
    await fuzzAsync(
      fc.asyncProperty(fc.array(entry, { maxLength: 12 }), fc.boolean(), async (cookies, secure) => {
        // Act
        const values = cookie.read(cookies, secure);
        const verified = await verifiedToken([FUZZ_KEY], { cookies, secure });

        // Assess
        return (
          values.length <= MAX_SESSION_COOKIE_CANDIDATES &&
          values.every((value) => typeof value === 'string') &&
          verified === undefined
        );
      }),
    );
  });

  it('finds the signed value among junk, and accepts nothing but that token from mutated entries', async () => {
    await fuzzAsync(
      fc.asyncProperty(
        token,
        fc.array(textWith(['=', ';', ' ', 'a']), { maxLength: 6 }),
        fc.array(mutations, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (real, junk, mutators, secure) => {
          // Prepare: junk with other names, mutated session entries, then the real one.
          const ring = new KeyRing([FUZZ_KEY]);
          const pair = `${cookie.nameFor(secure)}=${ring.sign(real)}`;
          const others = junk.map((text) => `other${text}`);
          const mutated = mutators.map((changes) => mutate(pair, changes));

          // Act
          const fromMutated = await verifiedToken([FUZZ_KEY], { cookies: [...others, ...mutated], secure });
          const withReal = await verifiedToken([FUZZ_KEY], { cookies: [...others, pair], secure });

          // Assess: a mutated entry may still carry the same signed value (the cookie parser
          // trims spaces and decodes %XX), never another one.
          return (fromMutated === undefined || fromMutated === real) && withReal === real;
        },
      ),
    );
  });
});
