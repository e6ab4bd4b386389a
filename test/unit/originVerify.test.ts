import 'aws-sdk-client-mock-jest';
import { Logger } from '@aws-lambda-powertools/logger';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { readAppConfig } from '../../lambda/app/config';
import { createAppContext } from '../../lambda/app/context';
import { createLambdaHandler } from '../../lambda/app/lambdaHandler';
import { originVerifier } from '../../lambda/app/originVerify';
import { ORIGIN_VERIFY } from '../../lambda/contract';
import { indexRoute } from '../../lambda/routes/indexRoute';
import { loginRoute } from '../../lambda/routes/loginRoute';
import { KeyRing } from '../../lambda/session/src/keys/KeyRing';
import { newToken } from '../../lambda/session/src/tokens';
import { httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { CURRENT_KEY, storedItem, useMockedStore } from '../support/mockedStore';
import { captureOutput } from '../support/output';
import { TABLE } from '../support/table';

const SIGNING_KEY = CURRENT_KEY; // the key the forged items' MAC is made with (test/support/sealed.ts)
const ORIGIN_SECRET = 'CloudFrontAddsThisValueToEveryRequest0123456789';
const VIA_EDGE = { [ORIGIN_VERIFY.header]: ORIGIN_SECRET };

describe('originVerifier', () => {
  const viaEdge = originVerifier(ORIGIN_SECRET);

  it('accepts exactly the secret', () => {
    expect(viaEdge(VIA_EDGE)).toBe(true);
  });

  it.each([
    ['no header', {}],
    ['an empty value', { [ORIGIN_VERIFY.header]: '' }],
    ['another value', { [ORIGIN_VERIFY.header]: 'x'.repeat(ORIGIN_SECRET.length) }],
    ['a prefix', { [ORIGIN_VERIFY.header]: ORIGIN_SECRET.slice(0, -1) }],
    ['a longer value', { [ORIGIN_VERIFY.header]: `${ORIGIN_SECRET}0` }],
    ['another case', { [ORIGIN_VERIFY.header]: ORIGIN_SECRET.toLowerCase() }],
    ['the secret in another header', { 'x-origin-verified': ORIGIN_SECRET }],
  ])('refuses %s', (_, headers: Record<string, string>) => {
    expect(viaEdge(headers)).toBe(false);
  });
});

describe('readAppConfig: ORIGIN_VERIFY_SECRET', () => {
  it('is read when set, and absent when unset or blank (the edge is off)', () => {
    expect(
      readAppConfig({ SESSION_SECRET: SIGNING_KEY, ORIGIN_VERIFY_SECRET: ` ${ORIGIN_SECRET} ` }).originSecret,
    ).toBe(ORIGIN_SECRET);
    expect(readAppConfig({ SESSION_SECRET: SIGNING_KEY }).originSecret).toBeUndefined();
    expect(
      readAppConfig({ SESSION_SECRET: SIGNING_KEY, ORIGIN_VERIFY_SECRET: ' ' }).originSecret,
    ).toBeUndefined();
  });
});

describe('a handler behind the edge', () => {
  const { ddb, clock } = useMockedStore();
  const ring = new KeyRing([SIGNING_KEY]);

  /** The handlers as production builds them: environment → config → context. */
  function handlers(env: Record<string, string>) {
    const config = readAppConfig({ SESSION_SECRET: SIGNING_KEY, TABLE_NAME: TABLE, ...env });
    const app = createAppContext(config, { now: clock.now, logger: new Logger({ logLevel: 'INFO' }) });
    return { index: createLambdaHandler(indexRoute, app), login: createLambdaHandler(loginRoute, app) };
  }

  function loggedInEvent(headers: Record<string, string>) {
    const token = newToken();
    ddb.on(GetCommand).resolves({ Item: storedItem(token, { username: 'admin' }) });
    return httpEvent({ cookies: [`__Host-session=${ring.sign(token)}`], headers });
  }

  it('refuses a request that did not come through CloudFront before reading any session', async () => {
    // Prepare
    const { index } = handlers({ [ORIGIN_VERIFY.variable]: ORIGIN_SECRET });
    const logged = captureOutput();

    // Act
    let response: Awaited<ReturnType<typeof index>>;
    try {
      response = await index(loggedInEvent({ [ORIGIN_VERIFY.header]: 'guessed' }));
    } finally {
      logged.restore();
    }

    // Assess: a 403 page, no store call, no cookie, and the log says why
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.cookies ?? []).toEqual([]);
    expect(ddb.calls()).toHaveLength(0);
    // The request's line (the one without a level): the status is in the access line.
    const [line] = logged.records().filter((record) => record.level === undefined);
    expect(line).toMatchObject({ refused: 'not via the edge' });
    expect(JSON.stringify(logged.records())).not.toContain(ORIGIN_SECRET);
  });

  it('refuses a form post too, and an unmatched path gets the 403 rather than a 404', async () => {
    // Prepare
    const { index, login } = handlers({ [ORIGIN_VERIFY.variable]: ORIGIN_SECRET });
    const unmatched = { ...httpEvent({ path: '/nowhere' }), routeKey: '$default' };
    const logged = captureOutput();

    // Act
    try {
      const posted = await login(loginEvent('admin'));
      const nowhere = await index(unmatched);

      // Assess
      expect(posted.statusCode).toBe(403);
      expect(nowhere.statusCode).toBe(403);
      expect(ddb.calls()).toHaveLength(0);
    } finally {
      logged.restore();
    }
  });

  it('serves a request that carries the secret', async () => {
    // Prepare
    const { index } = handlers({ [ORIGIN_VERIFY.variable]: ORIGIN_SECRET });
    const logged = captureOutput();

    // Act
    let response: Awaited<ReturnType<typeof index>>;
    try {
      response = await index(loggedInEvent(VIA_EDGE));
    } finally {
      logged.restore();
    }

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Logged in as admin');
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1);
  });

  it('checks nothing when the edge is off (no ORIGIN_VERIFY_SECRET)', async () => {
    // Prepare
    const { index } = handlers({});
    const logged = captureOutput();

    // Act
    let response: Awaited<ReturnType<typeof index>>;
    try {
      response = await index(loggedInEvent({}));
    } finally {
      logged.restore();
    }

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Logged in as admin');
  });
});
