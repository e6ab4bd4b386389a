import { SigningKeyError } from '../../lambda/session/src/errors';
import { parseSigningKeys } from '../../lambda/session/src/keys/keyProvider';
import {
  formatSigningKeySet,
  keyRotationDelays,
  newSigningKey,
  parseSigningKeySet,
  rotateSigningKeySet,
  type SigningKeySet,
  signingKeysOf,
} from '../../lambda/session/src/keys/signingKeySet';
import { testKey } from '../support/keys';

const HOUR_MS = 3600 * 1000;
const DAY_MS = 24 * HOUR_MS;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
/** The defaults: a 12-hour absolute timeout, 5-minute refresh, promotion after a day. */
const DELAYS = keyRotationDelays({ absoluteTimeoutSeconds: 43200 });

/** Rotates with the default delays at `at`, naming the new `next` key `newName`. */
function rotate(set: SigningKeySet, at: number, newName: string): SigningKeySet {
  return rotateSigningKeySet(set, { now: at, ...DELAYS, newKey: testKey(newName) });
}

/** The keys by role, for readable expectations. */
function roles(set: SigningKeySet) {
  return {
    current: set.current.key,
    next: set.next?.key,
    previous: set.previous.map((entry) => entry.key),
  };
}

describe('parseSigningKeySet and parseSigningKeys', () => {
  it('reads a comma-separated list as today: the first signs, the rest only verify', () => {
    // Act
    const set = parseSigningKeySet(` ${testKey('new')} , ${testKey('old')} `);

    // Assess
    expect(set).toEqual({
      version: 1,
      current: { key: testKey('new') },
      previous: [{ key: testKey('old') }],
    });
    expect(parseSigningKeys(`${testKey('new')},${testKey('old')}`)).toEqual([testKey('new'), testKey('old')]);
  });

  it('reads the JSON document, ordering the keys signing key first, next last', () => {
    // Prepare
    const document = JSON.stringify({
      version: 1,
      current: { key: testKey('current'), since: '2026-01-02T00:00:00.000Z' },
      next: { key: testKey('next'), since: '2026-01-03T00:00:00.000Z' },
      previous: [
        { key: testKey('previous-1'), since: '2026-01-02T00:00:00.000Z' },
        { key: testKey('previous-2') },
      ],
    });

    // Act
    const keys = parseSigningKeys(`\n ${document}`);

    // Assess
    expect(keys).toEqual([testKey('current'), testKey('previous-1'), testKey('previous-2'), testKey('next')]);
  });

  it('round-trips through formatSigningKeySet', () => {
    const set = rotate(parseSigningKeySet(testKey('legacy')), T0, 'next');
    expect(parseSigningKeySet(formatSigningKeySet(set))).toEqual(set);
    expect(JSON.parse(formatSigningKeySet(set))).toEqual({
      version: 1,
      current: { key: testKey('legacy'), since: '2026-01-01T00:00:00.000Z' },
      next: { key: testKey('next'), since: '2026-01-01T00:00:00.000Z' },
      previous: [],
    });
  });

  it('reads and writes the document with builtFrom, which the rotation adds to a pending set, and without it', () => {
    // Prepare
    const set = rotate(parseSigningKeySet(testKey('legacy')), T0, 'next');
    const builtFrom = { version: 'c0ffee00-0000-4000-8000-000000000000', at: '2026-01-01T00:00:00.000Z' };
    const document = JSON.stringify({ ...set, builtFrom });

    // Act
    const parsed = parseSigningKeySet(document);

    // Assess
    expect(parsed).toEqual({ ...set, builtFrom });
    expect(parseSigningKeys(document)).toEqual(signingKeysOf(set));
    expect(JSON.parse(formatSigningKeySet(parsed))).toEqual({ ...set, builtFrom });
    expect(parseSigningKeySet(formatSigningKeySet(set))).not.toHaveProperty('builtFrom');
    expect(JSON.parse(formatSigningKeySet(set))).not.toHaveProperty('builtFrom');
  });

  it('leaves builtFrom out of the set a rotation makes: it describes one pending version only', () => {
    const pending = {
      ...rotate(parseSigningKeySet(testKey('k0')), T0, 'k1'),
      builtFrom: { version: 'v1', at: new Date(T0).toISOString() },
    };
    expect(rotate(pending, T0 + HOUR_MS, 'unused')).not.toHaveProperty('builtFrom');
  });

  it.each([
    ['a builtFrom that is not an object', 'v1', /"builtFrom" is not an object/],
    ['a builtFrom without a version', { at: '2026-01-01T00:00:00.000Z' }, /"builtFrom.version" is not/],
    [
      'a builtFrom with an empty version',
      { version: '', at: '2026-01-01T00:00:00.000Z' },
      /"builtFrom.version"/,
    ],
    [
      'a builtFrom with a bad time',
      { version: 'v1', at: 'yesterday' },
      /"builtFrom.at" is not an ISO 8601 time/,
    ],
    [
      'a builtFrom with another field',
      { version: 'v1', at: '2026-01-01T00:00:00.000Z', by: 'x' },
      /"builtFrom" has unknown fields: by/,
    ],
  ])('refuses %s with SigningKeyError', (_, builtFrom, message) => {
    const text = JSON.stringify({ version: 1, current: { key: testKey('a') }, previous: [], builtFrom });
    expect(() => parseSigningKeySet(text)).toThrow(SigningKeyError);
    expect(() => parseSigningKeySet(text)).toThrow(message);
  });

  it.each([
    ['nothing', '', /no signing key/],
    ['broken JSON', '{"version":1,', /not valid JSON/],
    [
      'another version',
      JSON.stringify({ version: 2, current: { key: testKey('a') } }),
      /version is 2, expected 1/,
    ],
    ['no version', JSON.stringify({ current: { key: testKey('a') } }), /version is undefined/],
    ['no current key', JSON.stringify({ version: 1, previous: [] }), /"current" is not an object/],
    ['a key that is not a string', JSON.stringify({ version: 1, current: { key: 7 } }), /"current"/],
    [
      'previous not a list',
      JSON.stringify({ version: 1, current: { key: testKey('a') }, previous: {} }),
      /not a list/,
    ],
    [
      'a bad time',
      JSON.stringify({
        version: 1,
        current: { key: testKey('a') },
        next: { key: testKey('b'), since: 'soon' },
      }),
      /"next.since" is not an ISO 8601 time/,
    ],
    [
      'an unknown field',
      JSON.stringify({ version: 1, current: { key: testKey('a') }, keys: [] }),
      /unknown fields: keys/,
    ],
    [
      'an empty key in the document',
      JSON.stringify({ version: 1, current: { key: '' } }),
      /empty signing key/,
    ],
    ['a stray comma', `${testKey('a')},,${testKey('b')}`, /empty signing key/],
  ])('refuses %s with SigningKeyError', (_, text, message) => {
    expect(() => parseSigningKeySet(text)).toThrow(SigningKeyError);
    expect(() => parseSigningKeys(text)).toThrow(message);
  });
});

describe('keyRotationDelays', () => {
  it('promotes after a day and retires after the absolute timeout, the refresh interval and an hour', () => {
    expect(DELAYS).toEqual({ promoteAfterSeconds: 86400, retireAfterSeconds: 43200 + 300 + 3600 });
  });

  it('refuses a promote delay within the refresh interval plus the margin', () => {
    expect(() => keyRotationDelays({ absoluteTimeoutSeconds: 43200, promoteAfterSeconds: 3899 })).toThrow(
      /^promoteAfterSeconds: 3899 is too short, expected at least 3900/,
    );
    expect(
      keyRotationDelays({ absoluteTimeoutSeconds: 600, keyRefreshSeconds: 60, promoteAfterSeconds: 3660 }),
    ).toEqual({ promoteAfterSeconds: 3660, retireAfterSeconds: 600 + 60 + 3600 });
  });

  it.each([
    [{ absoluteTimeoutSeconds: 0 }, /^absoluteTimeoutSeconds: /],
    [{ absoluteTimeoutSeconds: 43200, keyRefreshSeconds: Number.NaN }, /^keyRefreshSeconds: /],
    [{ absoluteTimeoutSeconds: 43200, promoteAfterSeconds: -1 }, /^promoteAfterSeconds: /],
  ])('refuses %p', (options, message) => {
    expect(() => keyRotationDelays(options)).toThrow(message);
  });
});

describe('rotateSigningKeySet', () => {
  it('moves each key through next, current and previous over monthly rotations, then retires it', () => {
    // Prepare: the one-key secret the stack generates.
    const legacy = parseSigningKeySet(testKey('k0'));

    // Act + Assess: the first rotation only distributes a verify-only key.
    const first = rotate(legacy, T0, 'k1');
    expect(roles(first)).toEqual({ current: testKey('k0'), next: testKey('k1'), previous: [] });

    // A month later k1 has been everywhere long enough: it signs, k0 verifies, k2 is distributed.
    const second = rotate(first, T0 + 30 * DAY_MS, 'k2');
    expect(roles(second)).toEqual({ current: testKey('k1'), next: testKey('k2'), previous: [testKey('k0')] });
    expect(second.previous[0].since).toBe(new Date(T0 + 30 * DAY_MS).toISOString());
    expect(second.current.since).toBe(new Date(T0 + 30 * DAY_MS).toISOString());

    // Another month: k0 has been verify-only far past the absolute timeout, so it goes.
    const third = rotate(second, T0 + 60 * DAY_MS, 'k3');
    expect(roles(third)).toEqual({ current: testKey('k2'), next: testKey('k3'), previous: [testKey('k1')] });
    expect(signingKeysOf(third)).toEqual([testKey('k2'), testKey('k1'), testKey('k3')]);
  });

  it('never promotes a key distributed less than the promote delay ago (manual early rotations)', () => {
    // Prepare
    const first = rotate(parseSigningKeySet(testKey('k0')), T0, 'k1');

    // Act: rotated again an hour later, then just before the day is over.
    const early = rotate(first, T0 + HOUR_MS, 'unused-a');
    const almost = rotate(early, T0 + DAY_MS - 1, 'unused-b');

    // Assess: nothing changed, and the new key was not used.
    expect(early).toEqual(first);
    expect(almost).toEqual(first);
    // At the promote delay exactly, it is promoted.
    expect(roles(rotate(almost, T0 + DAY_MS, 'k2'))).toEqual({
      current: testKey('k1'),
      next: testKey('k2'),
      previous: [testKey('k0')],
    });
  });

  it('is idempotent: the same rotation twice gives the same key set', () => {
    const set = rotate(rotate(parseSigningKeySet(testKey('k0')), T0, 'k1'), T0 + 2 * DAY_MS, 'k2');
    expect(rotate(set, T0 + 2 * DAY_MS, 'other')).toEqual(set);
  });

  it('keeps a demoted key until the absolute timeout plus refresh and margin has passed', () => {
    // Prepare: daily rotations (promotion after a day), so k0 is demoted at T0 + 1 day.
    const demoted = rotate(rotate(parseSigningKeySet(testKey('k0')), T0, 'k1'), T0 + DAY_MS, 'k2');
    const retireMs = DELAYS.retireAfterSeconds * 1000;

    // Act + Assess: an early rotation (before k2 may sign) just before and after k0's retire time.
    expect(roles(rotate(demoted, T0 + DAY_MS + retireMs - 1, 'x')).previous).toEqual([testKey('k0')]);
    expect(roles(rotate(demoted, T0 + DAY_MS + retireMs, 'x'))).toEqual({
      current: testKey('k1'),
      next: testKey('k2'),
      previous: [],
    });
  });

  it('takes the verify-only keys of a comma list as demoted at the first rotation', () => {
    // Prepare: `new,old` put by hand.
    const first = rotate(parseSigningKeySet(`${testKey('new')},${testKey('old')}`), T0, 'k1');

    // Assess: old is kept for the retire delay from now, not dropped for lack of a time.
    expect(first.previous).toEqual([{ key: testKey('old'), since: new Date(T0).toISOString() }]);
    expect(roles(rotate(first, T0 + DAY_MS, 'k2')).previous).toEqual([testKey('new')]);
  });

  it('makes a fresh random key when none is given', () => {
    const set = rotateSigningKeySet(parseSigningKeySet(testKey('k0')), { now: T0, ...DELAYS });
    expect(set.next?.key).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(newSigningKey()).not.toBe(newSigningKey());
  });

  it('refuses bad delays and times', () => {
    const set = parseSigningKeySet(testKey('k0'));
    expect(() => rotateSigningKeySet(set, { now: Number.NaN, ...DELAYS })).toThrow(/^now: /);
    expect(() => rotateSigningKeySet(set, { now: T0, ...DELAYS, retireAfterSeconds: 0 })).toThrow(
      /^retireAfterSeconds: /,
    );
    expect(() => rotateSigningKeySet(set, { now: T0, ...DELAYS, rotateAfterSeconds: -1 })).toThrow(
      /^rotateAfterSeconds: expected zero or a positive number, got -1/,
    );
  });
});

// Security review, issue #20: old keys retired only when a rotation ran, every 30 days, so a
// demoted key verified for 30 days. Now the rotation runs every 4 hours (Secrets Manager's
// shortest schedule, ServerSessions' KEY_ROTATION_SCHEDULE) and decides on the key set's own
// clock: a new key takes over every `rotateAfterSeconds`, and a demoted key goes at the first run
// past its retire delay.
describe('rotateSigningKeySet on a 4-hour schedule', () => {
  const ROTATE_AFTER_DAYS = 30;
  const SETTINGS = { ...DELAYS, rotateAfterSeconds: ROTATE_AFTER_DAYS * 24 * 3600 };
  /**
   * The worst spacing Secrets Manager's `rate(4 hours)` allows: each run falls somewhere in the
   * first hour of its 4-hour window, here alternately at its start and at its end, so runs are
   * 3 hours (and a millisecond) or 5 hours (less one) apart.
   */
  const MAX_RUN_GAP_MS = 5 * HOUR_MS;
  const runAt = (index: number) => T0 + index * 4 * HOUR_MS + (index % 2 === 1 ? HOUR_MS - 1 : 0);

  /** The generated key through every run of `days` days: each run's time and key set. */
  function schedule(days: number) {
    let set = parseSigningKeySet(testKey('generated'));
    const runs: { at: number; set: SigningKeySet }[] = [];
    for (let index = 0; runAt(index) < T0 + days * DAY_MS; index++) {
      set = rotateSigningKeySet(set, { now: runAt(index), ...SETTINGS, newKey: testKey(`k${index}`) });
      runs.push({ at: runAt(index), set });
    }
    return runs;
  }

  it('lets a new key take over every rotateAfterSeconds, not at every run once it may', () => {
    // Act
    const runs = schedule(95);

    // Assess: three takeovers, each of the key distributed before, at the first run 30 days
    // after the takeover before it (the first rotation stamped the generated key).
    const takeovers = runs.flatMap((run, index) =>
      index > 0 && run.set.current.key !== runs[index - 1].set.current.key
        ? [{ run, before: runs[index - 1] }]
        : [],
    );
    expect(takeovers).toHaveLength(3);
    let signedSince = runs[0].at;
    for (const { run, before } of takeovers) {
      expect(run.set.current.key).toBe(before.set.next?.key);
      expect(run.set.previous[0].key).toBe(before.set.current.key);
      expect(run.at - signedSince).toBeGreaterThanOrEqual(ROTATE_AFTER_DAYS * DAY_MS);
      expect(run.at - signedSince).toBeLessThan(ROTATE_AFTER_DAYS * DAY_MS + MAX_RUN_GAP_MS);
      signedSince = run.at;
    }
  });

  it('keeps a demoted key for its retire delay, then drops it at the next run: hours, not 30 days', () => {
    // Act
    const runs = schedule(95);

    // Assess: for each key demoted, from the run that demoted it to the first run without it.
    const demoted = runs.filter(
      (run, index) => index > 0 && run.set.current.key !== runs[index - 1].set.current.key,
    );
    expect(demoted).toHaveLength(3);
    const retireMs = DELAYS.retireAfterSeconds * 1000;
    for (const demotion of demoted) {
      const key = demotion.set.previous[0].key;
      const afterwards = runs.filter((run) => run.at >= demotion.at);
      const gone = afterwards.find((run) => !signingKeysOf(run.set).includes(key));
      expect(gone).toBeDefined();
      const verifiesFor = (gone?.at ?? Number.POSITIVE_INFINITY) - demotion.at;
      // Never before every cookie it signed has expired (absolute timeout + refresh + an hour)...
      for (const run of afterwards.filter((run) => run.at - demotion.at < retireMs)) {
        expect(signingKeysOf(run.set)).toContain(key);
      }
      expect(verifiesFor).toBeGreaterThanOrEqual(retireMs);
      // ...and gone at the first run after: within the retire delay and one gap between runs.
      expect(verifiesFor).toBeLessThanOrEqual(retireMs + MAX_RUN_GAP_MS);
      expect(verifiesFor).toBeLessThan(DAY_MS);
      // Nor does it come back.
      for (const run of afterwards.filter((run) => run.at >= (gone?.at ?? 0))) {
        expect(signingKeysOf(run.set)).not.toContain(key);
      }
    }
  });

  it('promotes a next key only once it has been distributed for the promote delay, whatever rotateAfterSeconds says', () => {
    // Prepare: a new key takes over every hour (less than the promote delay, a day).
    const first = rotateSigningKeySet(parseSigningKeySet(testKey('k0')), {
      now: T0,
      ...DELAYS,
      rotateAfterSeconds: 3600,
      newKey: testKey('k1'),
    });

    // Act + Assess
    const early = rotateSigningKeySet(first, { now: T0 + DAY_MS - 1, ...DELAYS, rotateAfterSeconds: 3600 });
    expect(early).toEqual(first);
    const due = rotateSigningKeySet(first, {
      now: T0 + DAY_MS,
      ...DELAYS,
      rotateAfterSeconds: 3600,
      newKey: testKey('k2'),
    });
    expect(roles(due)).toEqual({ current: testKey('k1'), next: testKey('k2'), previous: [testKey('k0')] });
  });
});
