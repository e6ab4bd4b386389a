import { TABLE_SCHEMA } from '../constants.js';

const { bucketSeconds, shards } = TABLE_SCHEMA.expiryIndex;

/** The base64url alphabet, in value order: an item id (a SHA-256 in base64url) starts with any of it. */
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The shard of an item id: its first character's base64url value (0–63) modulo the shards, so the
 * uniformly random ids the library writes spread evenly over them. Another first character (an id
 * not written by the library) falls back to its UTF-16 code, so every id has a shard.
 */
export function expiryShard(id: string): number {
  const value = BASE64URL.indexOf(id.charAt(0));
  return (value === -1 ? id.charCodeAt(0) : value) % shards;
}

/** The hour (epoch seconds / 3600, floored) an epoch second falls in: a bucket's first part. */
export function expiryHour(epochSeconds: number): number {
  return Math.floor(epochSeconds / bucketSeconds);
}

/** The bucket key of an hour and a shard, as the index stores it: `<hour>.<shard>`. */
export function bucketKey(hour: number, shard: number): string {
  return `${hour}.${shard}`;
}

/**
 * The `expiryBucket` a session item holds on a table swept without TTL: `<hour>.<shard>`, the
 * hour its `expiresAt` falls in and the shard of its id (0 to 7). The sweeper queries each
 * bucket of the hours that have passed; this is what it queries for. Throws a `TypeError` for an
 * empty id or an `expiresAt` that is not a finite number.
 * @example expiryBucket('Qm9vaw…', 1768478400); // '491244.0': hour 491244, shard 0 ('Q' is 16)
 */
export function expiryBucket(id: string, expiresAtSeconds: number): string {
  if (typeof id !== 'string' || id === '') throw new TypeError('expiryBucket: expected an item id');
  if (!Number.isFinite(expiresAtSeconds)) {
    throw new TypeError(`expiryBucket: expected expiresAt in epoch seconds, got ${expiresAtSeconds}`);
  }
  return bucketKey(expiryHour(expiresAtSeconds), expiryShard(id));
}
