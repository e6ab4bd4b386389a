import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { newPublicId, newToken } from '../../lambda/session/src/tokens';
import { T0 } from '../support/clock';
import { IDLE_MS, makeStore, makeUserSessions, storedItem, useMockedStore } from '../support/mockedStore';
import { bound, sealFor } from '../support/sealed';

// Security review, finding 6 (issue #20): a stored time a `Date` cannot hold made the sessions
// page throw a RangeError (a 500). Where the library reads times, one that is not a finite number
// of epoch milliseconds within a Date's range (±8.64e15) reads as absent: a load treats the item
// as absent, a listing skips it.

const { ddb, clock } = useMockedStore();

/** Just past a Date's range, yet a safe integer: the document client gives it as a number. */
const PAST_DATE_RANGE = 8.64e15 + 1;

const outOfRange: Array<[string, unknown]> = [
  ['past a Date’s range', PAST_DATE_RANGE],
  ['before a Date’s range', -PAST_DATE_RANGE],
  ['NaN', Number.NaN],
  ['infinite', Number.POSITIVE_INFINITY],
  ['a BigInt (an integer past 2^53, as the document client gives it)', 10n ** 20n],
  ['a string', String(T0)],
];

describe('SessionStore.load: an item with a time out of range reads as absent', () => {
  describe.each(['createdAt', 'refreshedAt', 'absoluteExpiresAt', 'validUntil'])('%s', (field) => {
    it.each(outOfRange)('%s: absent, counted', async (_label, value) => {
      // Prepare: the MAC made over the odd value where it can be, so the range alone decides
      const token = newToken();
      const item = { ...storedItem(token, { username: 'alice' }), [field]: value };
      const stored = typeof value === 'number' ? bound(item as never, token) : item;
      ddb.on(GetCommand).resolves({ Item: stored });

      // Act & Assess
      await expect(makeStore(clock).load(sealFor(token))).resolves.toEqual({
        status: 'absent',
        rejectedValues: 1,
      });
    });
  });

  it('reads the edges of a Date’s range', async () => {
    const token = newToken();
    const item = bound({ ...storedItem(token, {}), absoluteExpiresAt: 8.64e15, createdAt: -8.64e15 }, token);
    ddb.on(GetCommand).resolves({ Item: item });
    await expect(makeStore(clock).load(sealFor(token))).resolves.toMatchObject({ status: 'found' });
  });
});

describe('UserSessions.list: an index item with a time out of range, or a malformed public id, is skipped', () => {
  /** A live index item of alice's, as the owner index projects it. */
  function indexItem(change: Record<string, unknown> = {}) {
    return {
      id: `key-${newPublicId()}`,
      owner: 'alice',
      publicId: newPublicId(),
      device: 'Firefox on Linux',
      createdAt: T0 - 1000,
      refreshedAt: T0,
      validUntil: T0 + IDLE_MS,
      ...change,
    };
  }

  describe.each(['createdAt', 'refreshedAt', 'validUntil'])('%s', (field) => {
    it.each(outOfRange)('%s: skipped, the others listed', async (_label, value) => {
      // Prepare
      const live = indexItem();
      ddb.on(QueryCommand).resolves({ Items: [indexItem({ [field]: value }), live] });

      // Act
      const { sessions, more } = await makeUserSessions(clock).list('alice');

      // Assess
      expect(sessions.map((session) => session.publicId)).toEqual([live.publicId]);
      expect(more).toBe(false);
    });
  });

  it.each([
    ['a malformed public id', { publicId: 'not a public id' }],
    ['no public id', { publicId: undefined }],
  ])('%s: skipped', async (_label, change) => {
    const live = indexItem();
    ddb.on(QueryCommand).resolves({ Items: [indexItem(change), live] });
    const { sessions } = await makeUserSessions(clock).list('alice');
    expect(sessions.map((session) => session.publicId)).toEqual([live.publicId]);
  });
});
