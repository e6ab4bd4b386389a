import { FLASHES_KEY } from '../../lambda/session/src/constants';
import { SessionNotLoadedError } from '../../lambda/session/src/errors';
import { KeyRing } from '../../lambda/session/src/keys/KeyRing';
import {
  cleared,
  cookieVerified,
  destroyed,
  flashed,
  flashesTaken,
  foundGone,
  initialSessionState,
  isPermanent,
  loaded,
  permanenceSet,
  planCommit,
  regenerated,
  type SessionState,
  valuePopped,
  valueSet,
} from '../../lambda/session/src/sessionState';
import type { SessionRecord } from '../../lambda/session/src/store/SessionStore';
import { newToken } from '../../lambda/session/src/tokens';
import { testKey } from '../support/keys';
import { sealFor } from '../support/sealed';

// The commit decision is a pure function of the session's state: each case below is decided
// without a store, a clock or a cookie.

const ring = new KeyRing([testKey('current')]);
const due = () => true;
const notDue = () => false;

function record(ownership: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: 'item-key',
    sealed: {},
    createdAt: 1,
    refreshedAt: 1,
    absoluteExpiresAt: 100,
    validUntil: 50,
    expiresAt: 0,
    mac: 'mac',
    ...ownership,
  };
}

/** A request whose cookie verified and whose read found `data` (in an item with `ownership`). */
function found(
  data: Record<string, unknown>,
  signedWithOldKey = false,
  ownership: Partial<SessionRecord> = {},
): SessionState {
  const state = initialSessionState(ring);
  const token = newToken();
  cookieVerified(state, { token, signedWithOldKey }, [], 1);
  loaded(state, sealFor(token), {
    status: 'found',
    record: record(ownership),
    data,
    rejectedValues: 0,
  });
  return state;
}

/** A request whose cookie verified and whose session was attached, not read. */
function attached(): SessionState {
  const state = initialSessionState(ring);
  cookieVerified(state, { token: newToken(), signedWithOldKey: false }, [], 1);
  return state;
}

describe('planCommit', () => {
  it('writes nothing for a session read and left alone while the refresh is not due', () => {
    expect(planCommit(found({ username: 'admin' }), notDue)).toEqual({
      kind: 'none',
      resign: false,
      forget: false,
    });
  });

  it('only refreshes an unchanged session whose refresh is due', () => {
    const state = found({ username: 'admin' });
    expect(planCommit(state, due)).toEqual({ kind: 'refresh', record: state.record, resign: false });
  });

  it('re-signs a cookie verified with an old key with a refresh, due or not, so the item’s MAC moves to the current key', () => {
    const state = found({ username: 'admin' }, true);
    expect(planCommit(state, notDue)).toEqual({ kind: 'refresh', record: state.record, resign: true });
    expect(planCommit(found({ username: 'admin' }, true), due)).toMatchObject({
      kind: 'refresh',
      resign: true,
    });
  });

  it('saves only the keys set or popped since the read', () => {
    // Prepare
    const state = found({ username: 'admin', theme: 'dark', cart: 3 });

    // Act
    valueSet(state, 'theme', 'light');
    valuePopped(state, 'cart');
    valuePopped(state, 'never-there');

    // Assess
    expect(planCommit(state, notDue)).toEqual({
      kind: 'save',
      record: state.record,
      change: { kind: 'keys', set: { theme: 'light' }, removed: ['cart'] },
      permanent: false,
      resign: false,
      forget: false,
    });
  });

  it('replaces the whole map after clear(), and when more than 100 keys changed', () => {
    const clearedState = found({ username: 'admin' });
    cleared(clearedState);
    valueSet(clearedState, 'username', 'other');
    expect(planCommit(clearedState, notDue)).toMatchObject({
      kind: 'save',
      change: { kind: 'whole', data: { username: 'other' } },
    });

    const many = found({});
    for (let i = 0; i < 101; i++) valueSet(many, `key${i}`, i);
    expect(planCommit(many, notDue)).toMatchObject({ kind: 'save', change: { kind: 'whole' } });
  });

  it('creates a session, replacing the old one, at a regenerate with its owner', () => {
    // Prepare
    const state = found({ username: 'admin' });
    regenerated(state, { owner: 'admin', device: 'Firefox on Linux' });

    // Act
    const plan = planCommit(state, notDue);

    // Assess
    expect(plan).toEqual({
      kind: 'create',
      data: { username: 'admin' },
      ownership: { owner: 'admin', device: 'Firefox on Linux' },
      permanent: false,
      replaces: state.token,
    });
  });

  describe('regenerate without options (security review, finding 3)', () => {
    const alices = { owner: 'alice', device: 'Safari on iOS', publicId: 'AAAAAAAAAAAAAAAAAAAAAA' };

    it('keeps the owner and device label the read found: the new session stays theirs', () => {
      const state = found({ username: 'alice' }, false, alices);
      regenerated(state, undefined);
      expect(planCommit(state, notDue)).toEqual({
        kind: 'create',
        data: { username: 'alice' },
        ownership: { owner: 'alice', device: 'Safari on iOS' },
        permanent: false,
        replaces: state.token,
      });
    });

    it('takes the owner and device the call gives instead, when it gives them', () => {
      const state = found({}, false, alices);
      regenerated(state, { owner: 'bob', device: 'Firefox on Linux' });
      expect(planCommit(state, notDue)).toMatchObject({
        kind: 'create',
        ownership: { owner: 'bob', device: 'Firefox on Linux' },
      });
    });

    it('keeps none for an anonymous session, or one attached without a read (nothing known to keep)', () => {
      const anonymous = found({ theme: 'dark' });
      regenerated(anonymous, undefined);
      expect(planCommit(anonymous, notDue)).toMatchObject({ kind: 'create', ownership: undefined });

      const unread = attached();
      regenerated(unread, undefined);
      expect(planCommit(unread, notDue)).toMatchObject({ kind: 'create', data: {}, ownership: undefined });
    });
  });

  it('creates a session for an anonymous visitor only once a value is set', () => {
    const anonymous = initialSessionState(ring);
    loaded(anonymous, undefined, undefined);
    expect(planCommit(anonymous, due)).toEqual({ kind: 'none', resign: false, forget: false });

    valueSet(anonymous, 'theme', 'dark');
    expect(planCommit(anonymous, due)).toEqual({
      kind: 'create',
      data: { theme: 'dark' },
      ownership: undefined,
      permanent: false,
      replaces: undefined,
    });
  });

  it('writes nothing for an attached session left alone, and never creates one from it unasked', () => {
    expect(planCommit(attached(), due)).toEqual({ kind: 'none', resign: false, forget: false });
  });

  it('destroys the verified session and every well-formed token no key verified, each once', () => {
    // Prepare: a verified cookie, and two copies of one a key this process lacks signed.
    const state = initialSessionState(ring);
    cookieVerified(state, { token: 'verified', signedWithOldKey: false }, ['unverified', 'verified'], 3);

    // Act
    destroyed(state);

    // Assess
    expect(planCommit(state, due)).toEqual({
      kind: 'destroy',
      tokens: ['verified', 'unverified'],
      carry: undefined,
    });
  });

  it('lets destroy win over every other change', () => {
    const state = found({ username: 'admin' });
    valueSet(state, 'username', 'other');
    regenerated(state, undefined);
    destroyed(state);
    expect(planCommit(state, due)).toMatchObject({ kind: 'destroy' });
  });
});

describe('planCommit with flashes', () => {
  const flash = { category: 'message', message: 'You were logged out.' };

  it('carries the flashes given at a logout into a new anonymous session, and only them', () => {
    // Prepare: a logout attaches the session (no read), destroys it, then flashes.
    const state = attached();
    destroyed(state);

    // Act
    flashed(state, flash);

    // Assess
    expect(planCommit(state, notDue)).toEqual({
      kind: 'destroy',
      tokens: [state.token],
      carry: { [FLASHES_KEY]: [flash] },
    });
  });

  it('keeps a flash with the data of a loaded session, as a change of one key', () => {
    const state = found({ username: 'admin' }, false, { owner: 'admin' });
    flashed(state, flash);
    expect(planCommit(state, notDue)).toMatchObject({
      kind: 'save',
      change: { kind: 'keys', set: { [FLASHES_KEY]: [flash] }, removed: [] },
    });
  });

  it('writes nothing when a page takes no flashes, and removes them when it takes some', () => {
    const none = found({ username: 'admin' }, false, { owner: 'admin' });
    expect(flashesTaken(none)).toEqual([]);
    expect(planCommit(none, notDue)).toMatchObject({ kind: 'none' });

    const some = found({ username: 'admin', [FLASHES_KEY]: [flash] }, false, { owner: 'admin' });
    expect(flashesTaken(some)).toEqual([flash]);
    expect(planCommit(some, notDue)).toMatchObject({
      kind: 'save',
      change: { kind: 'keys', set: {}, removed: [FLASHES_KEY] },
      forget: false,
    });
  });

  it('forgets an anonymous session whose last flash was taken: its cookie is cleared once the item is empty', () => {
    const state = found({ [FLASHES_KEY]: [flash] });
    flashesTaken(state);
    expect(planCommit(state, notDue)).toMatchObject({ kind: 'save', forget: true });
  });

  it('adds a login’s flashes to the new session', () => {
    const state = attached();
    regenerated(state, { owner: 'admin', device: 'Firefox on Linux' });
    flashed(state, flash);
    cleared(state);
    valueSet(state, 'username', 'admin');
    expect(planCommit(state, notDue)).toMatchObject({
      kind: 'create',
      data: { username: 'admin', [FLASHES_KEY]: [flash] },
    });
  });

  it('refuses a flash on an attached session that is neither destroyed nor regenerated (no data to keep it with)', () => {
    expect(() => flashed(attached(), flash)).toThrow(SessionNotLoadedError);
  });
});

describe('planCommit with permanence', () => {
  it('creates a permanent session at a login that asks for one', () => {
    const state = attached();
    regenerated(state, { owner: 'admin', device: 'Firefox on Linux' });
    permanenceSet(state, true);
    expect(planCommit(state, notDue)).toMatchObject({ kind: 'create', permanent: true });
  });

  it('keeps the permanence a regenerated session was read with', () => {
    const state = found({ username: 'admin' }, false, { owner: 'admin', permanent: true });
    regenerated(state, undefined);
    expect(planCommit(state, notDue)).toMatchObject({ kind: 'create', permanent: true });
  });

  it('saves a change of permanence, and sends the cookie again with its new lifetime', () => {
    const state = found({ username: 'admin' }, false, { owner: 'admin', permanent: true });
    permanenceSet(state, false);
    expect(isPermanent(state)).toBe(false);
    expect(planCommit(state, notDue)).toEqual({
      kind: 'save',
      record: state.record,
      change: { kind: 'keys', set: {}, removed: [] },
      permanent: false,
      resign: true,
      forget: false,
    });
  });

  it('writes nothing when the permanence is set to what it was', () => {
    const state = found({ username: 'admin' }, false, { owner: 'admin', permanent: true });
    permanenceSet(state, true);
    expect(planCommit(state, notDue)).toMatchObject({ kind: 'none', resign: false });
  });

  it('refuses permanence on a session attached without a read or a regenerate', () => {
    expect(() => permanenceSet(attached(), true)).toThrow(SessionNotLoadedError);
  });
});

describe('the session state transitions', () => {
  it('record how the cookie was read', () => {
    const none = initialSessionState(ring);
    cookieVerified(none, undefined, [], 0);
    expect(none.outcome).toBe('no-cookie');

    const forged = initialSessionState(ring);
    cookieVerified(forged, undefined, [], 1);
    expect(forged.outcome).toBe('bad-signature');

    expect(attached().outcome).toBe('not-read');
    expect(found({}).outcome).toBe('found');
  });

  it('count an item whose clear fields failed their MAC as one rejected value, read as absent', () => {
    const state = initialSessionState(ring);
    const token = newToken();
    cookieVerified(state, { token, signedWithOldKey: false }, [], 1);
    loaded(state, sealFor(token), { status: 'absent', rejectedValues: 1 });
    expect([state.outcome, state.rejectedValues, state.record]).toEqual(['absent', 1, undefined]);
    expect({ ...state.data }).toEqual({});
  });

  it('empty a session whose save found its item gone, so nothing more is written', () => {
    // Prepare
    const state = found({ username: 'admin' });
    valueSet(state, 'theme', 'dark');

    // Act
    foundGone(state);

    // Assess
    expect(state.writes).toEqual(['gone']);
    expect({ ...state.data }).toEqual({});
    // Anonymous and now empty: its cookie is cleared.
    expect(planCommit(state, notDue)).toEqual({ kind: 'none', resign: false, forget: true });
  });
});
