import 'aws-sdk-client-mock-jest';
import { ConditionalCheckFailedException, ThrottlingException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { SessionUnavailableError } from '../../lambda/session/src/errors';
import { UserSessions } from '../../lambda/session/src/store/UserSessions';
import { newPublicId } from '../../lambda/session/src/tokens';
import { T0 } from '../support/clock';
import { documentClient, IDLE_MS, makeUserSessions, useMockedStore } from '../support/mockedStore';
import { TABLE } from '../support/table';

const { ddb, clock } = useMockedStore();

/** An index item as the owner index projects it (keys, then the INCLUDE attributes). */
function indexItem(
  publicId: string,
  refreshedAt: number,
  validUntil = refreshedAt + IDLE_MS,
  permanent?: true,
) {
  return {
    id: `key-of-${publicId}`,
    owner: 'alice',
    refreshedAt,
    publicId,
    device: 'Firefox on Linux',
    createdAt: refreshedAt - 1000,
    validUntil,
    ...(permanent ? { permanent } : {}),
  };
}

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

/** The input of the nth Query (from 1). */
function queryInput(nth: number): unknown {
  return ddb.commandCalls(QueryCommand)[nth - 1]?.args[0].input;
}

/** Every command input the mock received, in order. */
function sentInputs(): unknown[] {
  return ddb.calls().map((call) => (call.args[0] as { input: unknown }).input);
}

describe('UserSessions', () => {
  it('refuses options that cannot work, naming them', () => {
    expect(() => new UserSessions({ client: documentClient(), tableName: '' })).toThrow(/^tableName:/);
    expect(() => new UserSessions({ client: {} as never, tableName: TABLE })).toThrow(/^client:/);
  });

  describe('list', () => {
    it('sends one Query on the owner index: newest refresh first, limit + 1, only the listed attributes', async () => {
      // Act
      const result = await makeUserSessions(clock).list('alice', { limit: 3 });

      // Assess
      expect(result).toEqual({ sessions: [], more: false });
      expect(sentInputs()).toEqual([
        {
          TableName: TABLE,
          IndexName: 'byOwner',
          KeyConditionExpression: '#owner = :owner',
          ScanIndexForward: false,
          ExpressionAttributeValues: { ':owner': 'alice' },
          ProjectionExpression: '#publicId, #device, #createdAt, #refreshedAt, #validUntil, #permanent',
          Limit: 4,
          ExpressionAttributeNames: {
            '#owner': 'owner',
            '#publicId': 'publicId',
            '#device': 'device',
            '#createdAt': 'createdAt',
            '#refreshedAt': 'refreshedAt',
            '#validUntil': 'validUntil',
            '#permanent': 'permanent',
          },
        },
      ]);
    });

    it('lists live sessions in the index order, as summaries, and leaves expired ones out', async () => {
      // Prepare: the middle one is past its (absolute) expiry though recently refreshed.
      const [a, b, c] = [newPublicId(), newPublicId(), newPublicId()];
      ddb.on(QueryCommand).resolves({
        Items: [
          indexItem(a, T0 - 10),
          indexItem(b, T0 - 20, T0),
          indexItem(c, T0 - 30, T0 - 30 + IDLE_MS, true),
        ],
      });

      // Act
      const { sessions, more } = await makeUserSessions(clock).list('alice');

      // Assess
      expect(more).toBe(false);
      expect(sessions).toEqual([
        {
          publicId: a,
          device: 'Firefox on Linux',
          signedInAt: T0 - 1010,
          lastActiveAt: T0 - 10,
          validUntil: T0 - 10 + IDLE_MS,
          permanent: false,
        },
        {
          publicId: c,
          device: 'Firefox on Linux',
          signedInAt: T0 - 1030,
          lastActiveAt: T0 - 30,
          validUntil: T0 - 30 + IDLE_MS,
          permanent: true,
        },
      ]);
      // Nothing that could act on a session is listed: no table key, no owner.
      expect(JSON.stringify(sessions)).not.toContain('key-of-');
    });

    it('says there are more when a live session is left beyond the limit', async () => {
      // Prepare
      const ids = [newPublicId(), newPublicId(), newPublicId()];
      ddb
        .on(QueryCommand)
        .resolves({ Items: ids.map((id, n) => indexItem(id, T0 - n)), LastEvaluatedKey: {} });

      // Act
      const result = await makeUserSessions(clock).list('alice', { limit: 2 });

      // Assess
      expect(result.sessions.map((session) => session.publicId)).toEqual(ids.slice(0, 2));
      expect(result.more).toBe(true);
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 1);
    });

    it('reads on past a page of expired sessions, from where the last page ended', async () => {
      // Prepare
      const live = newPublicId();
      const lastKey = { id: 'k', owner: 'alice', refreshedAt: 1 };
      ddb
        .on(QueryCommand)
        .resolvesOnce({ Items: [indexItem(newPublicId(), T0 - IDLE_MS - 1)], LastEvaluatedKey: lastKey })
        .resolvesOnce({ Items: [indexItem(live, T0 - 1)] });

      // Act
      const result = await makeUserSessions(clock).list('alice', { limit: 1 });

      // Assess
      expect(result).toEqual({ sessions: [expect.objectContaining({ publicId: live })], more: false });
      expect(queryInput(2)).toMatchObject({ ExclusiveStartKey: lastKey });
    });

    it('stops after five pages, and then says there may be more', async () => {
      ddb.on(QueryCommand).resolves({ Items: [indexItem(newPublicId(), 1)], LastEvaluatedKey: { id: 'k' } });
      expect(await makeUserSessions(clock).list('alice')).toEqual({ sessions: [], more: true });
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 5);
    });

    it.each([0, 1001, 1.5, Number.NaN])('refuses limit %p', async (limit) => {
      await expect(makeUserSessions(clock).list('alice', { limit })).rejects.toThrow(/^limit:/);
      expect(ddb.calls()).toHaveLength(0);
    });

    it('refuses an empty owner without a call', async () => {
      await expect(makeUserSessions(clock).list('')).rejects.toThrow(/^owner:/);
      expect(ddb.calls()).toHaveLength(0);
    });

    it('turns a store failure into SessionUnavailableError', async () => {
      ddb.on(QueryCommand).rejects(new ThrottlingException({ message: 'slow down', $metadata: {} }));
      await expect(makeUserSessions(clock).list('alice')).rejects.toMatchObject({
        constructor: SessionUnavailableError,
        operation: 'list',
      });
    });
  });

  describe('revoke', () => {
    it('finds the item through the index, then deletes it on condition of its owner and public id', async () => {
      // Prepare
      const publicId = newPublicId();
      ddb.on(QueryCommand).resolves({ Items: [{ id: 'the-item-key' }] });

      // Act
      const revoked = await makeUserSessions(clock).revoke('alice', publicId);

      // Assess
      expect(revoked).toBe(true);
      expect(sentInputs()).toEqual([
        {
          TableName: TABLE,
          IndexName: 'byOwner',
          KeyConditionExpression: '#owner = :owner',
          FilterExpression: '#publicId = :publicId',
          ScanIndexForward: false,
          ProjectionExpression: '#id',
          Limit: 100,
          ExpressionAttributeNames: { '#owner': 'owner', '#id': 'id', '#publicId': 'publicId' },
          ExpressionAttributeValues: { ':owner': 'alice', ':publicId': publicId },
        },
        {
          TableName: TABLE,
          Key: { id: 'the-item-key' },
          ConditionExpression: '#owner = :owner AND #publicId = :publicId',
          ExpressionAttributeNames: { '#owner': 'owner', '#publicId': 'publicId' },
          ExpressionAttributeValues: { ':owner': 'alice', ':publicId': publicId },
        },
      ]);
    });

    it('is false, and deletes nothing, when the owner has no session with that id', async () => {
      expect(await makeUserSessions(clock).revoke('alice', newPublicId())).toBe(false);
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 1);
      expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 0);
    });

    it('is false when the item went or changed hands between the lookup and the delete', async () => {
      ddb.on(QueryCommand).resolves({ Items: [{ id: 'the-item-key' }] });
      ddb.on(DeleteCommand).rejects(conditionFailed());
      expect(await makeUserSessions(clock).revoke('alice', newPublicId())).toBe(false);
    });

    it('looks through further pages: the filter applies after the page limit', async () => {
      ddb
        .on(QueryCommand)
        .resolvesOnce({ Items: [], LastEvaluatedKey: { id: 'k' } })
        .resolvesOnce({ Items: [{ id: 'found' }] });
      expect(await makeUserSessions(clock).revoke('alice', newPublicId())).toBe(true);
      expect(queryInput(2)).toMatchObject({ ExclusiveStartKey: { id: 'k' } });
      expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: { id: 'found' } });
    });

    it.each([
      ['empty', ''],
      ['too short', 'abc'],
      ['a word', 'others'],
      ['markup', '<script>alert(1)</script>'],
      ['not a string', 42],
    ])('is false for a malformed id (%s), without a call', async (_label, publicId) => {
      expect(await makeUserSessions(clock).revoke('alice', publicId as string)).toBe(false);
      expect(ddb.calls()).toHaveLength(0);
    });
  });

  describe('revokeAll', () => {
    const page = (...ids: string[]) => ({
      Items: ids.map((publicId) => ({ id: `key-${publicId}`, publicId })),
    });

    it('queries the owner’s entries, deletes each on condition of the owner, then queries again', async () => {
      // Prepare
      ddb.on(QueryCommand).resolvesOnce(page('p1', 'p2')).resolves(page('p1', 'p2'));

      // Act
      const revoked = await makeUserSessions(clock).revokeAll('alice');

      // Assess
      expect(revoked).toBe(2);
      const inputs = sentInputs();
      expect(inputs[0]).toEqual({
        TableName: TABLE,
        IndexName: 'byOwner',
        KeyConditionExpression: '#owner = :owner',
        // Oldest refresh first: a session refreshed meanwhile moves ahead of the cursor, not behind it.
        ScanIndexForward: true,
        ExpressionAttributeValues: { ':owner': 'alice' },
        ProjectionExpression: '#id, #publicId',
        Limit: 100,
        ExpressionAttributeNames: { '#owner': 'owner', '#id': 'id', '#publicId': 'publicId' },
      });
      for (const id of ['key-p1', 'key-p2']) {
        expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
          TableName: TABLE,
          Key: { id },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': 'alice' },
        });
      }
      // The second pass saw nothing new (the index still showed the deleted entries): it stopped.
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 2);
      expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 2);
    });

    it('deletes a session the index shows only at the second pass, and stops after three passes', async () => {
      ddb
        .on(QueryCommand)
        .resolvesOnce(page('p1'))
        .resolvesOnce(page('p1', 'late'))
        .resolvesOnce(page('p1', 'late', 'later'))
        .resolves(page('p1', 'late', 'later', 'latest'));
      expect(await makeUserSessions(clock).revokeAll('alice')).toBe(3);
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 3);
    });

    it('spares the session given as `except`', async () => {
      ddb.on(QueryCommand).resolves(page('current', 'other'));
      expect(await makeUserSessions(clock).revokeAll('alice', { except: 'current' })).toBe(1);
      expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 1);
      expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: { id: 'key-other' } });
    });

    it('counts only the deletes whose condition held', async () => {
      ddb.on(QueryCommand).resolves(page('p1', 'gone'));
      ddb.on(DeleteCommand, { Key: { id: 'key-gone' } }).rejects(conditionFailed());
      expect(await makeUserSessions(clock).revokeAll('alice')).toBe(1);
    });

    it('reads every page of a pass', async () => {
      ddb
        .on(QueryCommand)
        .resolvesOnce({ ...page('p1'), LastEvaluatedKey: { id: 'k' } })
        .resolvesOnce(page('p2'))
        .resolves({ Items: [] });
      expect(await makeUserSessions(clock).revokeAll('alice')).toBe(2);
      expect(queryInput(2)).toMatchObject({ ExclusiveStartKey: { id: 'k' } });
    });

    it('deletes each page’s sessions before it reads the next page', async () => {
      ddb
        .on(QueryCommand)
        .resolvesOnce({ ...page('p1', 'p2'), LastEvaluatedKey: { id: 'k' } })
        .resolvesOnce(page('p3'))
        .resolves(page('p1', 'p2', 'p3'));
      expect(await makeUserSessions(clock).revokeAll('alice')).toBe(3);
      expect(ddb.calls().map((call) => call.args[0].constructor.name)).toEqual([
        'QueryCommand',
        'DeleteCommand',
        'DeleteCommand',
        'QueryCommand',
        'DeleteCommand',
        'QueryCommand',
      ]);
    });

    it('revokes a session refreshed while it pages in that same pass: the next pass finds nothing new', async () => {
      // Prepare: 250 sessions, three pages; once the first page is read, session 120 (in the
      // middle: not on the first page in either order) is refreshed and becomes the newest.
      const index = fakeIndex(250, { afterQuery: { 1: (items) => items.refresh('key-120') } });

      // Act
      const revoked = await makeUserSessions(clock).revokeAll('alice');

      // Assess
      expect(revoked).toBe(250);
      expect(index.remaining()).toEqual([]);
      const secondPass = index.events.indexOf('query from the start', 1);
      expect(secondPass).toBeGreaterThan(0);
      expect(index.events.slice(0, secondPass)).toContain('delete key-120');
      // The second pass only confirms: it deletes nothing, and there is no third.
      expect(index.events.slice(secondPass).filter((event) => event.startsWith('delete'))).toEqual([]);
      expect(index.events.filter((event) => event === 'query from the start')).toHaveLength(2);
    });
  });

  describe('revokeAllWithin', () => {
    const page = (...ids: string[]) => ({
      Items: ids.map((publicId) => ({ id: `key-${publicId}`, publicId })),
    });
    /** The time `performance.now()` gives the code under test: moved by the mocked calls. */
    let elapsed = 0;

    beforeEach(() => {
      elapsed = 0;
      jest.spyOn(performance, 'now').mockImplementation(() => elapsed);
    });
    afterEach(() => jest.restoreAllMocks());

    it('within its budget: how many it revoked, and complete once a pass finds nothing new', async () => {
      ddb.on(QueryCommand).resolves(page('p1', 'p2', 'current'));
      expect(
        await makeUserSessions(clock).revokeAllWithin('alice', { budgetMs: 1000, except: 'current' }),
      ).toEqual({ revoked: 2, complete: true });
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 2);
    });

    it('starts no new batch of deletes once the budget is spent, and says it did not finish', async () => {
      // Prepare: 25 sessions; each delete takes 10 ms, ten at a time.
      const ids = Array.from({ length: 25 }, (_, n) => `p${n}`);
      ddb.on(QueryCommand).resolves(page(...ids));
      ddb.on(DeleteCommand).callsFake(() => {
        elapsed += 10;
        return {};
      });

      // Act
      const result = await makeUserSessions(clock).revokeAllWithin('alice', { budgetMs: 150 });

      // Assess: two batches started within 150 ms (at 0 and 100 ms), the third would start at 200.
      expect(result).toEqual({ revoked: 20, complete: false });
      expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 20);
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 1);
    });

    it('starts no new page once the budget is spent', async () => {
      // Pages of 100 ms each that hold only the spared session, and always say there is more.
      ddb.on(QueryCommand).callsFake(() => {
        elapsed += 100;
        return { ...page('current'), LastEvaluatedKey: { id: 'k' } };
      });
      const result = await makeUserSessions(clock).revokeAllWithin('alice', {
        budgetMs: 150,
        except: 'current',
      });
      expect(result).toEqual({ revoked: 0, complete: false });
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 2);
    });

    it('with no budget left, sends nothing', async () => {
      expect(await makeUserSessions(clock).revokeAllWithin('alice', { budgetMs: 0 })).toEqual({
        revoked: 0,
        complete: false,
      });
      expect(ddb.calls()).toHaveLength(0);
    });

    it('is not complete when the last pass still found sessions it had not seen', async () => {
      ddb
        .on(QueryCommand)
        .resolvesOnce(page('p1'))
        .resolvesOnce(page('p1', 'late'))
        .resolves(page('p1', 'late', 'later'));
      expect(await makeUserSessions(clock).revokeAllWithin('alice', { budgetMs: 1000 })).toEqual({
        revoked: 3,
        complete: false,
      });
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 3);
    });

    it('fails as revokeAll does when the store fails: what it deleted before stays deleted', async () => {
      ddb.on(QueryCommand).resolvesOnce({ ...page('p1'), LastEvaluatedKey: { id: 'k' } });
      ddb
        .on(QueryCommand, { ExclusiveStartKey: { id: 'k' } })
        .rejects(new ThrottlingException({ message: 'slow down', $metadata: {} }));
      await expect(
        makeUserSessions(clock).revokeAllWithin('alice', { budgetMs: 1000 }),
      ).rejects.toMatchObject({ constructor: SessionUnavailableError, operation: 'revokeAll' });
      expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: { id: 'key-p1' } });
    });

    it.each([
      ['negative', -1],
      ['not a number', Number.NaN],
      ['a string', '1000'],
      ['missing', undefined],
    ])('refuses a budget that is %s, without a call', async (_label, budgetMs) => {
      await expect(
        makeUserSessions(clock).revokeAllWithin('alice', { budgetMs: budgetMs as number }),
      ).rejects.toThrow(/^budgetMs:/);
      expect(ddb.calls()).toHaveLength(0);
    });
  });
});

/** One index entry of the fake owner index. */
interface FakeEntry {
  id: string;
  publicId: string;
  refreshedAt: number;
}

/**
 * A fake owner index behind the mock, for races: `count` sessions of alice, `key-0` refreshed
 * longest ago. A Query answers a page in `refreshedAt` order (then by key), as `ScanIndexForward`
 * says, after `ExclusiveStartKey`, with a `LastEvaluatedKey` when the page is full; a delete
 * removes the entry (gone already: the condition fails). `afterQuery[n]` runs once the nth Query
 * has been answered, before the next call: a refresh racing the paging.
 */
function fakeIndex(
  count: number,
  options: { afterQuery?: Record<number, (items: { refresh(id: string): void }) => void> } = {},
) {
  const entries = new Map<string, FakeEntry>();
  for (let n = 0; n < count; n++) {
    entries.set(`key-${n}`, { id: `key-${n}`, publicId: newPublicId(), refreshedAt: T0 - count + n });
  }
  const events: string[] = [];
  let queries = 0;
  const items = {
    refresh(id: string) {
      const entry = entries.get(id);
      if (entry) entry.refreshedAt = Math.max(...[...entries.values()].map((other) => other.refreshedAt)) + 1;
    },
  };
  ddb.on(QueryCommand).callsFake((input) => {
    const direction = input.ScanIndexForward === false ? -1 : 1;
    const order = (a: { refreshedAt: number; id: string }, b: { refreshedAt: number; id: string }) =>
      direction * (a.refreshedAt - b.refreshedAt || a.id.localeCompare(b.id));
    const sorted = [...entries.values()].sort(order);
    const start = input.ExclusiveStartKey as { refreshedAt: number; id: string } | undefined;
    const from = start === undefined ? 0 : sorted.findIndex((entry) => order(entry, start) > 0);
    const found = from < 0 ? [] : sorted.slice(from, from + input.Limit);
    events.push(start === undefined ? 'query from the start' : 'query on');
    queries += 1;
    options.afterQuery?.[queries]?.(items);
    const last = found.at(-1);
    return {
      Items: found.map(({ id, publicId }) => ({ id, publicId })),
      ...(found.length === input.Limit && last
        ? { LastEvaluatedKey: { id: last.id, owner: 'alice', refreshedAt: last.refreshedAt } }
        : {}),
    };
  });
  ddb.on(DeleteCommand).callsFake((input) => {
    events.push(`delete ${input.Key.id}`);
    if (!entries.delete(input.Key.id)) throw conditionFailed();
    return {};
  });
  return { events, remaining: () => [...entries.keys()] };
}
