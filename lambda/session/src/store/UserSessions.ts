import { DeleteCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_SESSION_LIST_LIMIT, TABLE_SCHEMA } from '../constants.js';
import type { SessionManagerOptions } from '../SessionManager.js';
import { isPublicId } from '../tokens.js';
import { ATTRIBUTES, attributeNames } from './attributes.js';
import { isStoredTime } from './SessionStore.js';
import { ConditionFailed, type Deadline, storeCall } from './storeCall.js';

/** One live session of a user, as a listing shows it. Times are epoch milliseconds. */
export interface SessionSummary {
  /** Opaque: neither the token nor the table key. Give it to `revoke`. */
  publicId: string;
  /** A coarse label such as `Firefox on Linux`. */
  device: string;
  /** When the session was created (the login). */
  signedInAt: number;
  /** The last sliding refresh: within a quarter of the idle timeout of the last request. */
  lastActiveAt: number;
  /** The session ends at this instant unless refreshed. */
  validUntil: number;
  /** A permanent session ("keep me signed in"): its cookie outlives the browser. */
  permanent: boolean;
}

/** What `list` returns: the live sessions, most recently active first, and whether there are more. */
export type SessionList = Awaited<ReturnType<UserSessions['list']>>;

const INDEX = TABLE_SCHEMA.ownerIndex;
/** Items per index page when looking up or revoking. */
const PAGE_SIZE = 100;
/** Index pages a listing reads at most: expired sessions not yet collected by TTL can fill some. */
const MAX_LIST_PAGES = 5;
/** Index pages a lookup of one public id reads at most (1,000 sessions of one user). */
const MAX_LOOKUP_PAGES = 10;
/** Passes of `revokeAll` at most: each queries the index again for sessions it did not see yet. */
const MAX_REVOKE_PASSES = 3;
/** Deletes sent at once. */
const DELETE_CONCURRENCY = 10;
/** The most sessions a listing may ask for. */
const MAX_LIST_LIMIT = 1000;

type IndexItem = Record<string, unknown>;

function assertOwner(owner: unknown): asserts owner is string {
  if (typeof owner !== 'string' || owner === '') throw new TypeError('owner: expected a non-empty string');
}

/**
 * The summary of a live session's index item, or undefined when expired or malformed: a public id
 * not shaped as one, or a time that is not finite epoch milliseconds in a `Date`'s range. The
 * index cannot check an item's MAC (that takes the token): what a listing shows is as stored.
 */
function summaryOf(item: IndexItem, now: number): SessionSummary | undefined {
  const { publicId, device, createdAt, refreshedAt, validUntil, permanent } = item;
  if (!isPublicId(publicId)) return undefined;
  if (!isStoredTime(validUntil) || !(validUntil > now)) return undefined;
  if (!isStoredTime(createdAt) || !isStoredTime(refreshedAt)) return undefined;
  return {
    publicId,
    device: typeof device === 'string' ? device : '',
    signedInAt: createdAt,
    lastActiveAt: refreshedAt,
    validUntil,
    permanent: permanent === true,
  };
}

/**
 * A user's sessions, through the owner index: list them, revoke one, revoke all (but one). Only
 * sessions created with `regenerate({ owner })` are in the index. Revoking deletes the item, so
 * the session ends at its very next request (reads are strongly consistent); every delete is
 * conditional on the owner, so a public id of someone else's session changes nothing. Needs no
 * signing key: an operator's tool can use it with table access alone.
 * @example
 * const users = new UserSessions({ client: createDocumentClient(), tableName: 'sessions' });
 * const { sessions, more } = await users.list('alice');
 */
export class UserSessions {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly now: () => number;

  /**
   * Takes the manager's own options: the document client, the sessions table (with the owner
   * index, `TABLE_SCHEMA.ownerIndex`) and, for tests, the clock.
   */
  constructor(options: Pick<SessionManagerOptions, 'client' | 'tableName' | 'now'>) {
    if (typeof options?.tableName !== 'string' || options.tableName === '') {
      throw new TypeError('tableName: expected the name of the sessions table');
    }
    if (typeof options.client?.send !== 'function')
      throw new TypeError('client: expected a DynamoDB document client');
    this.client = options.client;
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
  }

  /**
   * The owner's live sessions, most recently active first, at most `limit` (default 100), and
   * whether there are more. One index `Query` per page of `limit + 1` items; expired sessions
   * (still in the table until TTL collects them) are left out. The index is eventually
   * consistent: a session created or revoked a moment ago may not show the change yet.
   */
  async list(
    owner: string,
    options: { signal?: AbortSignal; limit?: number } = {},
  ): Promise<{ sessions: SessionSummary[]; more: boolean }> {
    assertOwner(owner);
    const limit = options.limit ?? DEFAULT_SESSION_LIST_LIMIT;
    if (!(Number.isSafeInteger(limit) && limit >= 1 && limit <= MAX_LIST_LIMIT)) {
      throw new TypeError(`limit: expected a whole number from 1 to ${MAX_LIST_LIMIT}, got ${limit}`);
    }
    const now = this.now();
    const sessions: SessionSummary[] = [];
    let start: IndexItem | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const output = await this.query('list', owner, options, {
        ProjectionExpression: '#publicId, #device, #createdAt, #refreshedAt, #validUntil, #permanent',
        Limit: limit + 1,
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      });
      for (const item of output.Items ?? []) {
        const summary = summaryOf(item, now);
        if (summary === undefined) continue;
        if (sessions.length === limit) return { sessions, more: true };
        sessions.push(summary);
      }
      start = output.LastEvaluatedKey;
      if (start === undefined) return { sessions, more: false };
    }
    // Pages of expired sessions: there may be more live ones after them.
    return { sessions, more: true };
  }

  /**
   * Revokes the owner's session with this public id: true when it was deleted, false when the
   * owner has no such session (an id of another user's session, a made-up one, one already
   * gone). An index `Query` finds the item, then one `DeleteItem` conditional on the owner and the
   * public id. A malformed id costs nothing.
   */
  async revoke(owner: string, publicId: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    assertOwner(owner);
    if (!isPublicId(publicId)) return false;
    let start: IndexItem | undefined;
    for (let page = 0; page < MAX_LOOKUP_PAGES; page++) {
      const output = await this.query('revoke', owner, options, {
        FilterExpression: '#publicId = :publicId',
        ProjectionExpression: '#id',
        Limit: PAGE_SIZE,
        ExpressionAttributeValues: { ':owner': owner, ':publicId': publicId },
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      });
      const found = output.Items?.[0];
      if (found !== undefined)
        return this.delete('revoke', found[ATTRIBUTES['#id']], owner, publicId, options);
      start = output.LastEvaluatedKey;
      if (start === undefined) return false;
    }
    return false;
  }

  /**
   * Revokes every session of the owner, expired ones included, except the one whose public id is
   * `except` (the current one, for "log out other devices"); returns how many it deleted. It pages
   * through the index oldest refresh first, deleting each page's sessions before reading the next,
   * so a session refreshed meanwhile moves ahead of the cursor, not behind it. The index is
   * eventually consistent, so it then queries again, and deletes what it had not seen, until a
   * pass finds nothing new (three passes at most): a login in the same instant may still be missed
   * (docs/security.md). No time budget: `revokeAllWithin` has one, and says whether it finished.
   */
  async revokeAll(owner: string, options: { signal?: AbortSignal; except?: string } = {}): Promise<number> {
    return (await this.revokeAllWithin(owner, { ...options, budgetMs: Number.POSITIVE_INFINITY })).revoked;
  }

  /**
   * `revokeAll` within a time budget: once `budgetMs` milliseconds have passed since the call, it
   * starts no new index page and no new batch of deletes (those under way finish), so a request can
   * answer before its deadline, whatever the number of sessions. Returns how many it deleted and
   * whether it finished (`complete`: a pass found nothing new). Not complete, some sessions may be
   * left: call it again. A store failure throws as in `revokeAll`; what it deleted before stays
   * deleted. `signal` (the request's deadline) still aborts the calls under way.
   * @example const { revoked, complete } = await users.revokeAllWithin('alice', { budgetMs: 5000, signal });
   */
  async revokeAllWithin(
    owner: string,
    options: { budgetMs: number; signal?: AbortSignal; except?: string },
  ): Promise<{ revoked: number; complete: boolean }> {
    assertOwner(owner);
    const budgetMs: unknown = options?.budgetMs;
    if (typeof budgetMs !== 'number' || !(budgetMs >= 0)) {
      throw new TypeError(`budgetMs: expected a number of milliseconds, 0 or more, got ${String(budgetMs)}`);
    }
    const started = performance.now();
    const spent = () => performance.now() - started >= budgetMs;
    const seen = new Set<unknown>();
    let revoked = 0;
    for (let pass = 0; pass < MAX_REVOKE_PASSES; pass++) {
      const swept = await this.revokePass(owner, seen, options, spent);
      revoked += swept.revoked;
      if (!swept.finished) return { revoked, complete: false };
      if (swept.found === 0) return { revoked, complete: true };
    }
    // The last pass still found sessions it had not seen: there may be more.
    return { revoked, complete: false };
  }

  /**
   * One pass of `revokeAllWithin` over the owner's index entries, oldest refresh first: each page's
   * entries whose item key is not in `seen` (adding them to it), but the one whose public id is
   * `except`, are deleted before the next page is read. `finished` false: the budget ran out first.
   */
  private async revokePass(
    owner: string,
    seen: Set<unknown>,
    options: Deadline & { except?: string },
    spent: () => boolean,
  ): Promise<{ found: number; revoked: number; finished: boolean }> {
    let found = 0;
    let revoked = 0;
    let start: IndexItem | undefined;
    do {
      if (spent()) return { found, revoked, finished: false };
      const output = await this.query('revokeAll', owner, options, {
        ProjectionExpression: '#id, #publicId',
        Limit: PAGE_SIZE,
        // refreshedAt only grows: a refresh moves its entry to the end, ahead of this cursor.
        ScanIndexForward: true,
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      });
      const ids: unknown[] = [];
      for (const item of output.Items ?? []) {
        const id = item[ATTRIBUTES['#id']];
        if (seen.has(id)) continue;
        if (options.except !== undefined && item[ATTRIBUTES['#publicId']] === options.except) continue;
        seen.add(id);
        ids.push(id);
      }
      found += ids.length;
      for (let next = 0; next < ids.length; next += DELETE_CONCURRENCY) {
        if (spent()) return { found, revoked, finished: false };
        const deleted = await Promise.all(
          ids
            .slice(next, next + DELETE_CONCURRENCY)
            .map((id) => this.delete('revokeAll', id, owner, undefined, options)),
        );
        revoked += deleted.filter(Boolean).length;
      }
      start = output.LastEvaluatedKey;
    } while (start !== undefined);
    return { found, revoked, finished: true };
  }

  /** One page of the owner's index entries, most recently refreshed first unless `ScanIndexForward`. */
  private query(
    operation: string,
    owner: string,
    deadline: Deadline,
    input: {
      ProjectionExpression: string;
      Limit: number;
      ScanIndexForward?: boolean;
      FilterExpression?: string;
      ExpressionAttributeValues?: Record<string, unknown>;
      ExclusiveStartKey?: IndexItem;
    },
  ) {
    const names = attributeNames('#owner', input.ProjectionExpression, input.FilterExpression ?? '');
    return storeCall(operation, deadline, () =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: INDEX.indexName,
          KeyConditionExpression: '#owner = :owner',
          ScanIndexForward: false,
          ExpressionAttributeValues: { ':owner': owner },
          ...input,
          ExpressionAttributeNames: names,
        }),
      ),
    );
  }

  /**
   * Deletes the item `id` if it still belongs to `owner` (and has this public id, when given):
   * false when the condition fails (gone already, or not the owner's).
   */
  private async delete(
    operation: string,
    id: unknown,
    owner: string,
    publicId: string | undefined,
    deadline: Deadline,
  ): Promise<boolean> {
    const condition =
      publicId === undefined ? '#owner = :owner' : '#owner = :owner AND #publicId = :publicId';
    try {
      await storeCall(operation, deadline, () =>
        this.client.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: { [TABLE_SCHEMA.partitionKey]: id },
            ConditionExpression: condition,
            ExpressionAttributeNames: attributeNames(condition),
            ExpressionAttributeValues: {
              ':owner': owner,
              ...(publicId === undefined ? {} : { ':publicId': publicId }),
            },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionFailed) return false;
      throw error;
    }
  }
}
