import { randomBytes } from 'node:crypto';
import { DEFAULT_KEY_REFRESH_SECONDS } from '../constants.js';
import { SigningKeyError } from '../errors.js';
import { assertSigningKeys } from './KeyRing.js';

/** The version of the key-set document this library writes and reads. */
export const SIGNING_KEY_SET_VERSION = 1;

/** One key and the time it entered its role (ISO 8601); without `since`, a rotation stamps it. */
export interface SigningKeyEntry {
  key: string;
  since?: string;
}

/**
 * The keys of a two-phase rotation, each in its role. `current` signs; `next` (distributed, not
 * signing yet) and `previous` (demoted, newest first) only verify. `builtFrom` is set only on a
 * pending set the rotation step writes: the secret version it was computed from (its
 * `VersionId`) and when (ISO 8601), so that no later step promotes it over another version.
 */
export interface SigningKeySet {
  version: typeof SIGNING_KEY_SET_VERSION;
  current: SigningKeyEntry;
  next?: SigningKeyEntry;
  previous: SigningKeyEntry[];
  builtFrom?: { version: string; at: string };
}

export interface RotateSigningKeySetOptions {
  /** Epoch milliseconds of this rotation. */
  now: number;
  /** `next` becomes `current` only once it has been distributed this long. See `keyRotationDelays`. */
  promoteAfterSeconds: number;
  /** A `previous` key is dropped once it has been demoted this long. See `keyRotationDelays`. */
  retireAfterSeconds: number;
  /**
   * `next` takes over only once `current` has signed this long (and `next` has been distributed
   * for `promoteAfterSeconds`): how often a new key signs, when rotations run more often than that.
   * @default 0 - as soon as `next` may be promoted
   */
  rotateAfterSeconds?: number;
  /** The new `next` key, when one is added. @default newSigningKey() */
  newKey?: string;
}

/** Slack on top of the key refresh interval for containers whose refreshes failed for a while. */
export const KEY_ROTATION_MARGIN_SECONDS = 3600;

/** How long a distributed key waits before it signs, unless told otherwise: a day. */
export const DEFAULT_KEY_PROMOTE_AFTER_SECONDS = 24 * 3600;

/** 48 random bytes, 64 base64url characters: the size `openssl rand -base64 48` makes. */
const NEW_KEY_BYTES = 48;

/**
 * A fresh signing key: 48 bytes from the CSPRNG, base64url (64 characters, no comma).
 * @example const key = newSigningKey(); // 'q3J…' (64 characters)
 */
export function newSigningKey(): string {
  return randomBytes(NEW_KEY_BYTES).toString('base64url');
}

/**
 * The key set a text holds: either the JSON document `formatSigningKeySet` writes, or a
 * comma-separated list (`new,old`: the first is `current`, the rest `previous`). Throws
 * `SigningKeyError` when it holds no usable key set. A text starting with `{` is read as JSON.
 * @example parseSigningKeySet('new-key…,old-key…').current.key; // 'new-key…'
 */
export function parseSigningKeySet(text: string | undefined): SigningKeySet {
  if (text === undefined || text.trim() === '') throw new SigningKeyError('no signing key');
  const set = text.trimStart().startsWith('{') ? parseDocument(text) : parseList(text);
  assertSigningKeys(signingKeysOf(set));
  return set;
}

function parseList(text: string): SigningKeySet {
  const [current, ...previous] = text.split(',').map((key) => ({ key: key.trim() }));
  return { version: SIGNING_KEY_SET_VERSION, current, previous };
}

function parseDocument(text: string): SigningKeySet {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // Not JSON.parse's message: it quotes the text, which holds the keys.
    throw new SigningKeyError('the key set is not valid JSON');
  }
  if (!isRecord(document)) throw new SigningKeyError('the key set is not a JSON object');
  if (document.version !== SIGNING_KEY_SET_VERSION) {
    throw new SigningKeyError(
      `the key set's version is ${JSON.stringify(document.version)}, expected ${SIGNING_KEY_SET_VERSION}`,
    );
  }
  const unknown = unknownFields(document, ['version', 'current', 'next', 'previous', 'builtFrom']);
  if (unknown) throw new SigningKeyError(`the key set has unknown fields: ${unknown}`);
  if (document.previous !== undefined && !Array.isArray(document.previous)) {
    throw new SigningKeyError('the key set\'s "previous" is not a list');
  }
  return {
    version: SIGNING_KEY_SET_VERSION,
    current: entryOf(document.current, 'current'),
    ...(document.next === undefined ? {} : { next: entryOf(document.next, 'next') }),
    previous: ((document.previous ?? []) as unknown[]).map((entry, index) =>
      entryOf(entry, `previous[${index}]`),
    ),
    ...(document.builtFrom === undefined ? {} : { builtFrom: builtFromOf(document.builtFrom) }),
  };
}

/** The names of `record` not in `known`, comma-separated; empty when there are none. */
function unknownFields(record: Record<string, unknown>, known: string[]): string {
  return Object.keys(record)
    .filter((name) => !known.includes(name))
    .join(', ');
}

function builtFromOf(value: unknown): NonNullable<SigningKeySet['builtFrom']> {
  if (!isRecord(value)) throw new SigningKeyError('the key set\'s "builtFrom" is not an object');
  const unknown = unknownFields(value, ['version', 'at']);
  if (unknown) throw new SigningKeyError(`the key set's "builtFrom" has unknown fields: ${unknown}`);
  if (typeof value.version !== 'string' || value.version === '') {
    throw new SigningKeyError('the key set\'s "builtFrom.version" is not a version id');
  }
  if (!isTime(value.at)) throw new SigningKeyError('the key set\'s "builtFrom.at" is not an ISO 8601 time');
  return { version: value.version, at: value.at };
}

function isTime(value: unknown): value is string {
  return typeof value === 'string' && Number.isFinite(Date.parse(value));
}

function entryOf(value: unknown, role: string): SigningKeyEntry {
  if (!isRecord(value) || typeof value.key !== 'string') {
    throw new SigningKeyError(`the key set's "${role}" is not an object with a "key" string`);
  }
  if (value.since === undefined) return { key: value.key };
  if (!isTime(value.since)) {
    throw new SigningKeyError(`the key set's "${role}.since" is not an ISO 8601 time`);
  }
  return { key: value.key, since: value.since };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The keys a `KeyProvider` gives: `current` first (it signs), then `previous` newest first, then
 * `next` (these only verify).
 * @example signingKeysOf(set); // [set.current.key, ...previous keys, set.next.key]
 */
export function signingKeysOf(set: SigningKeySet): string[] {
  return [set.current, ...set.previous, ...(set.next ? [set.next] : [])].map((entry) => entry.key);
}

/**
 * The JSON document a secret holds for the managed rotation; `parseSigningKeySet` reads it back.
 * `builtFrom` is written only when the set has it.
 * @example formatSigningKeySet(parseSigningKeySet('legacy-key…')); // '{"version":1,"current":{…},"previous":[]}'
 */
export function formatSigningKeySet(set: SigningKeySet): string {
  assertSigningKeys(signingKeysOf(set));
  return JSON.stringify({
    version: SIGNING_KEY_SET_VERSION,
    current: set.current,
    ...(set.next ? { next: set.next } : {}),
    previous: set.previous,
    ...(set.builtFrom ? { builtFrom: { version: set.builtFrom.version, at: set.builtFrom.at } } : {}),
  });
}

/**
 * The delays of a safe rotation for sessions that live `absoluteTimeoutSeconds` at most, on
 * containers that re-read their keys every `keyRefreshSeconds`. A key is promoted only once every
 * container has had time to pick it up (the refresh interval plus a margin for failed refreshes),
 * and retired only once every cookie it signed has expired (the absolute timeout plus the same).
 * Throws `RangeError` naming the option when a value is not a positive number or the promote
 * delay is too short.
 * @example keyRotationDelays({ absoluteTimeoutSeconds: 43200 }); // { promoteAfterSeconds: 86400, retireAfterSeconds: 47100 }
 */
export function keyRotationDelays(options: {
  absoluteTimeoutSeconds: number;
  keyRefreshSeconds?: number;
  promoteAfterSeconds?: number;
}): { promoteAfterSeconds: number; retireAfterSeconds: number } {
  const refresh = positive('keyRefreshSeconds', options.keyRefreshSeconds ?? DEFAULT_KEY_REFRESH_SECONDS);
  const absolute = positive('absoluteTimeoutSeconds', options.absoluteTimeoutSeconds);
  const promote = positive(
    'promoteAfterSeconds',
    options.promoteAfterSeconds ?? DEFAULT_KEY_PROMOTE_AFTER_SECONDS,
  );
  const minimumPromote = refresh + KEY_ROTATION_MARGIN_SECONDS;
  if (promote < minimumPromote) {
    throw new RangeError(
      `promoteAfterSeconds: ${promote} is too short, expected at least ${minimumPromote} (the key refresh interval plus ${KEY_ROTATION_MARGIN_SECONDS} s)`,
    );
  }
  return {
    promoteAfterSeconds: promote,
    retireAfterSeconds: absolute + refresh + KEY_ROTATION_MARGIN_SECONDS,
  };
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0))
    throw new RangeError(`${name}: expected a positive number, got ${value}`);
  return value;
}

/**
 * The key set after one rotation at `now`: promote `next` if it has been distributed for
 * `promoteAfterSeconds` and `current` has signed for `rotateAfterSeconds` (the current key becomes
 * the newest `previous`), drop `previous` keys demoted `retireAfterSeconds` ago or more, and
 * distribute a new `next` key if there is none. A key without `since` is taken to enter its role
 * now, so nothing is promoted or retired early. Each decision is made on the set's own times, so
 * rotations may run as often as wanted: one with nothing due changes nothing, and a retried or
 * early rotation is harmless. The result has no `builtFrom`.
 * @example
 * const rotated = rotateSigningKeySet(set, { now: Date.now(), ...keyRotationDelays({ absoluteTimeoutSeconds: 43200 }) });
 */
export function rotateSigningKeySet(set: SigningKeySet, options: RotateSigningKeySetOptions): SigningKeySet {
  const { now } = options;
  if (!Number.isFinite(now)) throw new RangeError(`now: expected epoch milliseconds, got ${now}`);
  const promoteMs = positive('promoteAfterSeconds', options.promoteAfterSeconds) * 1000;
  const retireMs = positive('retireAfterSeconds', options.retireAfterSeconds) * 1000;
  const rotateAfter = options.rotateAfterSeconds ?? 0;
  if (!(Number.isFinite(rotateAfter) && rotateAfter >= 0)) {
    throw new RangeError(`rotateAfterSeconds: expected zero or a positive number, got ${rotateAfter}`);
  }
  const stamp = new Date(now).toISOString();
  const stamped = (entry: SigningKeyEntry): Required<SigningKeyEntry> => ({
    key: entry.key,
    since: entry.since ?? stamp,
  });
  const heldFor = (entry: Required<SigningKeyEntry>) => now - Date.parse(entry.since);

  let current = stamped(set.current);
  let next = set.next ? stamped(set.next) : undefined;
  let previous = set.previous.map(stamped);
  if (next && heldFor(next) >= promoteMs && heldFor(current) >= rotateAfter * 1000) {
    previous = [{ key: current.key, since: stamp }, ...previous];
    current = { key: next.key, since: stamp };
    next = undefined;
  }
  previous = previous.filter((entry) => heldFor(entry) < retireMs);
  next ??= { key: options.newKey ?? newSigningKey(), since: stamp };
  const rotated: SigningKeySet = { version: SIGNING_KEY_SET_VERSION, current, next, previous };
  assertSigningKeys(signingKeysOf(rotated));
  return rotated;
}
