/** DynamoDB attribute names, shared by the store, the CDK construct and the local table. */
export const TABLE_SCHEMA = {
  /** Partition key: base64url SHA-256 of the session token (never the token itself). */
  partitionKey: 'id',
  /** Epoch seconds; DynamoDB TTL deletes the item some time after it. */
  ttlAttribute: 'expiresAt',
  /**
   * The global secondary index listing a user's sessions, most recently refreshed first. Sparse:
   * only sessions given an owner at login are in it; a page view never reads it.
   */
  ownerIndex: {
    indexName: 'byOwner',
    /** String: the user id the app logs in with. */
    partitionKey: 'owner',
    /** Number: epoch milliseconds of the last sliding refresh (or of the login). */
    sortKey: 'refreshedAt',
    /** Projected besides the keys (INCLUDE): what a listing shows, nothing of the data. */
    projectedAttributes: ['publicId', 'device', 'createdAt', 'validUntil', 'permanent'],
  },
  /**
   * The sparse index the expiry sweeper reads on a table without TTL (a strongly consistent
   * global table, which cannot have TTL): only items written with `expiry: 'sweeper'` hold its
   * key. Keys only: the sweeper needs the item's id, and checks the expiry in its delete's condition.
   */
  expiryIndex: {
    indexName: 'byExpiry',
    /**
     * String `<hour>.<shard>`: the hour (epoch seconds / 3600, floored) in which the session's
     * `expiresAt` falls, and one of `shards` partitions that spread an hour's writes.
     */
    partitionKey: 'expiryBucket',
    bucketSeconds: 3600,
    shards: 8,
  },
} as const;

/**
 * What a function does with sessions, and so the only table actions it needs:
 * - `read-refresh`: load a session and push its idle expiry forward (`GetItem`, `UpdateItem`);
 * - `login`: write a new session, delete the one it replaces, and read it back when a retried
 *   put meets its own item (`PutItem`, `DeleteItem`, `GetItem`);
 * - `logout`: delete the session, and start the anonymous one that carries a logout's flashes
 *   (`DeleteItem`, `PutItem`);
 * - `manage`: load and refresh the session, list its owner's sessions through the owner index,
 *   delete them, and carry a logout's flashes (`GetItem`, `UpdateItem`, `DeleteItem`, `PutItem`;
 *   `Query` on the owner index).
 */
export type SessionAccess = 'read-refresh' | 'login' | 'logout' | 'manage';

/**
 * The item's map of sealed values (name tag → sealed bytes). Items written before sealing hold a
 * plain `data` map instead, and read as absent.
 */
export const SEALED_ATTRIBUTE = 'sealed';

/**
 * The item's MAC of its clear fields (owner, device, public id and the times), keyed from the
 * token: a string of 43 base64url characters. An item without one (written before it existed)
 * reads as absent.
 */
export const MAC_ATTRIBUTE = 'mac';

/**
 * Present (`true`) on a permanent session (`Session.permanent`): its cookie outlives the browser.
 * Bound by the item's MAC, and projected into the owner index so a listing can show it.
 */
export const PERMANENT_ATTRIBUTE = 'permanent';

/**
 * The reserved data name flashes are stored under, sealed like any value. It starts with a NUL,
 * which no key of an app's own is expected to hold; `Session` refuses it as a key all the same.
 */
export const FLASHES_KEY = '\u0000flashes';

/** The category of a flash given none, as Flask's `flash()`. */
export const DEFAULT_FLASH_CATEGORY = 'message';

/**
 * The latest instant a stored time may hold, in epoch milliseconds (and the earliest, negated):
 * a JavaScript `Date`'s range. A stored time outside it, or not a finite number, reads as absent.
 */
export const MAX_EPOCH_MS = 8.64e15;

export const DEFAULT_IDLE_TIMEOUT_SECONDS = 3600;
export const DEFAULT_ABSOLUTE_TIMEOUT_SECONDS = 43200;

/** The cookie's name; over HTTPS it gets the `__Host-` prefix (Secure, Path=/, no Domain). */
export const DEFAULT_COOKIE_NAME = 'session';
export const HOST_PREFIX = '__Host-';

/** A session's public id (for listing and revoking) is 16 random bytes, base64url: 22 characters. */
export const PUBLIC_ID_BYTES = 16;

/** Longest owner, in UTF-8 bytes: well under DynamoDB's 2048-byte limit for an index's partition key. */
export const MAX_OWNER_BYTES = 1024;

/** Longest device label, in characters. */
export const MAX_DEVICE_LABEL_LENGTH = 64;

/** The label of a session whose login gave none. */
export const UNKNOWN_DEVICE = 'Unknown device';

/** Sessions `UserSessions.list` returns unless told otherwise. */
export const DEFAULT_SESSION_LIST_LIMIT = 100;

/** Tokens are 32 random bytes (256 bits). */
export const TOKEN_BYTES = 32;

/** A signing key's minimum length in UTF-8 bytes: as long as the HMAC-SHA256 output it keys. */
export const MIN_SIGNING_KEY_BYTES = 32;

/** The idle expiry is pushed forward only after this fraction of the idle window has passed. */
export const REFRESH_FRACTION = 0.25;

/** Size limit for the sealed session data in an item, well under DynamoDB's 400 KB item limit. */
export const MAX_SESSION_DATA_BYTES = 64 * 1024;

/**
 * Keys one commit writes one by one at most; a commit that changes more replaces the whole map,
 * which keeps the update expression far under DynamoDB's 4 KB limit.
 */
export const MAX_KEYS_PER_UPDATE = 100;

/** Cookies of our name looked at per request; more are ignored (each costs an HMAC). */
export const MAX_SESSION_COOKIE_CANDIDATES = 4;

/** How long keys fetched from Secrets Manager are used before it is asked again. */
export const DEFAULT_KEY_REFRESH_SECONDS = 300;

/** Time kept back from a Lambda function's remaining time to answer when a session call hangs. */
export const DEFAULT_DEADLINE_MARGIN_MS = 500;
