import { Logger } from '@aws-lambda-powertools/logger';
import { KeyRing } from '../../lambda/session/src/keys/KeyRing';
import { hashToken, newToken } from '../../lambda/session/src/tokens';
import { httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { deadEndpoint } from '../../lib/local/storeProxy';
import { TestClock } from '../support/clock';
import { testKey } from '../support/keys';
import { type CapturedOutput, captureOutput } from '../support/output';
import { cookieFrom, cookieValue } from '../support/responses';
import { useStore } from '../support/store';
import { scanRaw } from '../support/table';
import { createTestApp, type TestApp } from '../support/testApp';

// Secrets stay secret: no token, cookie value, signature or key in any log line, in the table,
// or twice from the generator.
const KEYS = [testKey('secrets-test-current'), testKey('secrets-test-old')];
const SECRET = KEYS.join(',');
const IDLE_SECONDS = 400;

const db = useStore();
const { proxy } = db;
let app: TestApp;
let dead: TestApp;
let output: CapturedOutput;
const clock = new TestClock();
/** Every cookie value the flows saw, in `token.signature` form. */
const cookieValues = new Set<string>();

beforeAll(async () => {
  // The most verbose level: whatever the handlers could log, they log here.
  const logger = new Logger({ serviceName: 'sessions-secrets-test', logLevel: 'DEBUG' });
  app = createTestApp({
    endpoint: proxy.endpoint,
    secret: SECRET,
    now: clock.now,
    idleSeconds: IDLE_SECONDS,
    logger,
  });
  dead = createTestApp({ endpoint: await deadEndpoint(), secret: SECRET, now: clock.now, logger });
  output = captureOutput();
  await fullFlows();
  output.restore();
});

afterAll(async () => {
  output?.restore();
});

/** `name=value` of the response's session cookie, remembered for the assertions. */
function remember(pair: string): string {
  cookieValues.add(cookieValue(pair));
  return pair;
}

/** Every path a token, cookie or key travels: logins, refreshes, saves, re-signing, faults, logouts. */
async function fullFlows(): Promise<void> {
  const first = remember(cookieFrom(await app.login(loginEvent('alice'))));
  await app.index(httpEvent({ cookies: [first] }));
  clock.advance(150_000); // the sliding refresh is due
  await app.index(httpEvent({ cookies: [first] }));
  const request = { cookies: [first], secure: true };
  const session = await app.sessions.load(request);
  session.set('cart', ['book', 'pen']);
  await app.sessions.commit(session, request);

  // A cookie signed with the old key is re-signed with the current one.
  const oldKeyCookie = `__Host-session=${new KeyRing([KEYS[1]]).sign(newToken())}`;
  remember(oldKeyCookie);
  await app.index(httpEvent({ cookies: [oldKeyCookie] }));
  const second = remember(cookieFrom(await app.login(loginEvent('bob', { cookies: [oldKeyCookie] }))));
  const resigned = await app.index(
    httpEvent({
      cookies: [`__Host-session=${new KeyRing([KEYS[1]]).sign(cookieValue(second).split('.')[0])}`],
    }),
  );
  expect(resigned.cookies).toHaveLength(1); // re-signed with the current key: the value `second` holds
  remember(cookieFrom(resigned));

  // A tampered cookie, a login over an old session, then faults of every kind.
  await app.index(httpEvent({ cookies: [`${second}x`] }));
  const third = remember(cookieFrom(await app.login(loginEvent('carol', { cookies: [second] }))));
  for (const kind of ['throttling', 'internal', 'reset'] as const) {
    proxy.fault({ kind });
    await app.index(httpEvent({ cookies: [third] }));
    await app.login(loginEvent('dave', { cookies: [third] }));
    await app.logout(httpEvent({ path: '/logout', cookies: [third] }));
    proxy.heal();
  }
  proxy.fault({ kind: 'drop-answer', count: 1, operations: ['PutItem'] });
  const fourth = remember(cookieFrom(await app.login(loginEvent('erin', { cookies: [third] }))));
  await dead.index(httpEvent({ cookies: [fourth] }));
  await dead.logout(httpEvent({ path: '/logout', cookies: [fourth] }));
  // An HTTP (not HTTPS) request: the cookie without the __Host- prefix.
  const plain = remember(cookieFrom(await app.login(loginEvent('frank', { secure: false }))));
  await app.index(httpEvent({ cookies: [plain], secure: false }));
  await app.logout(httpEvent({ path: '/logout', cookies: [first] }));
}

/** Tokens, signatures and whole cookie values the flows used: the things that must not leak. */
function secretParts(): string[] {
  const parts = new Set<string>();
  for (const value of cookieValues) {
    const [token, signature] = value.split('.');
    parts.add(value);
    parts.add(token);
    parts.add(signature);
  }
  return [...parts];
}

describe('secrets stay secret', () => {
  test('the flows really ran: logins, re-signing, refreshes, faults and 503s were logged', () => {
    expect(cookieValues.size).toBe(6);
    const records = output.records();
    // The request lines (no level) count what happened: pages read, logins, refreshes, 503s.
    const counted = new Set(
      records.filter((record) => record.level === undefined).flatMap((record) => Object.keys(record)),
    );
    for (const metric of ['SessionHit', 'SessionCreated', 'SessionRefreshed', 'SessionStoreError'])
      expect(counted).toContain(metric);
    expect(records.filter((record) => record.level === 'ERROR').length).toBeGreaterThanOrEqual(9);
  });

  test('no log line holds a token, a cookie value, a signature or a key', () => {
    const text = output.text();
    expect(text.length).toBeGreaterThan(0);
    for (const secret of [...secretParts(), ...KEYS]) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/(__Host-)?session=[A-Za-z0-9_-]/);
  });

  test('no stored item holds a token, a cookie value or a signature; items are keyed by the hash', async () => {
    const items = await scanRaw(db);
    expect(items.length).toBeGreaterThan(0);
    // Names and values of every attribute, nested maps and lists included (base64url needs no escaping).
    const stored = JSON.stringify(items);
    for (const secret of [...secretParts(), ...KEYS]) expect(stored).not.toContain(secret);
    const liveIds = new Set(items.map((item) => item.id.S));
    const tokens = [...cookieValues].map((value) => value.split('.')[0]);
    expect(tokens.some((token) => liveIds.has(hashToken(token)))).toBe(true);
  });

  test('tokens are unique over 100,000 draws, each 32 random bytes in base64url', () => {
    const draws = 100_000;
    const tokens = new Set<string>();
    for (let draw = 0; draw < draws; draw++) tokens.add(newToken());
    expect(tokens.size).toBe(draws);
    for (const token of [...tokens].slice(0, 1000)) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    }
  });
});
