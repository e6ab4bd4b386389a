import { KeyRing } from '../../lambda/session/src/keys/KeyRing';
import {
  cleared,
  cookieVerified,
  destroyed,
  foundGone,
  initialSessionState,
  loaded,
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
    expect(planCommit(found({ username: 'admin' }), notDue)).toEqual({ kind: 'none', resign: false });
  });

  it('only refreshes an unchanged session whose refresh is due', () => {
    const state = found({ username: 'admin' });
    expect(planCommit(state, due)).toEqual({ kind: 'refresh', record: state.record, resign: false });
  });

  it('re-signs a cookie verified with an old key with a refresh, due or not, so the item’s MAC moves to the current key', () => {
    const state = found({}, true);
    expect(planCommit(state, notDue)).toEqual({ kind: 'refresh', record: state.record, resign: true });
    expect(planCommit(found({}, true), due)).toMatchObject({ kind: 'refresh', resign: true });
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
      resign: false,
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
    expect(planCommit(anonymous, due)).toEqual({ kind: 'none', resign: false });

    valueSet(anonymous, 'theme', 'dark');
    expect(planCommit(anonymous, due)).toEqual({
      kind: 'create',
      data: { theme: 'dark' },
      ownership: undefined,
      replaces: undefined,
    });
  });

  it('writes nothing for an attached session left alone, and never creates one from it unasked', () => {
    expect(planCommit(attached(), due)).toEqual({ kind: 'none', resign: false });
  });

  it('destroys the verified session and every well-formed token no key verified, each once', () => {
    // Prepare: a verified cookie, and two copies of one a key this process lacks signed.
    const state = initialSessionState(ring);
    cookieVerified(state, { token: 'verified', signedWithOldKey: false }, ['unverified', 'verified'], 3);

    // Act
    destroyed(state);

    // Assess
    expect(planCommit(state, due)).toEqual({ kind: 'destroy', tokens: ['verified', 'unverified'] });
  });

  it('lets destroy win over every other change', () => {
    const state = found({ username: 'admin' });
    valueSet(state, 'username', 'other');
    regenerated(state, undefined);
    destroyed(state);
    expect(planCommit(state, due)).toMatchObject({ kind: 'destroy' });
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
    expect(planCommit(state, notDue)).toEqual({ kind: 'none', resign: false });
  });
});
