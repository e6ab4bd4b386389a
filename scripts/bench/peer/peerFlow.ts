import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { localLambdaContext } from '../../../lib/local/apiGateway';
import { httpEvent, loginEvent } from '../../../lib/local/httpApiEvents';
import type { CompanionFactory, CompanionRequestType, CompanionSetup, FlowCompanion } from '../companion';
import { PEER_TABLE, randomSigningKey } from '../constants';
import { createPeerHandler, PEER_COOKIE_NAME, type PeerHandler, type PeerResult } from './app';
import { createPeerTable } from './table';

/** The peer's request types in `npm run bench`, with the label printed for each. */
export const PEER_REQUEST_TYPES = {
  login: 'POST /login',
  loggedInIndex: 'GET / logged in',
  logout: 'GET /logout',
  afterLogout: 'GET / after logout',
} as const;

export type PeerRequestType = keyof typeof PEER_REQUEST_TYPES;

/** Its recorder type: the peer's requests are recorded next to ours, under their own names. */
const recorded = (type: PeerRequestType) => `peer:${type}`;

const PEER_COOKIE = new RegExp(`^${PEER_COOKIE_NAME.replace('.', '\\.')}=`);
const SAME_SITE_HEADERS = { 'sec-fetch-site': 'same-origin' };

/**
 * The peer (scripts/bench/peer/app.ts) as the flow bench's companion: its own table on the same
 * dynalite, its own DynamoDB client through the same counting proxy, a fresh secret. Each flow:
 * `POST /login` before our logged-in reads, one logged-in `GET /` next to each of ours,
 * `GET /logout` and `GET /` with the old cookie after. Every response is checked (the page
 * names the user; logout clears the cookie and the old one no longer works).
 * @example await runFlowBench({ flows: 300, k: 5, warmupFlows: 20, companion: peerCompanion() });
 */
export function peerCompanion(): CompanionFactory {
  return async (setup) => {
    const { handler, client } = createPeerHandler({
      tableName: PEER_TABLE,
      secret: randomSigningKey(),
      endpoint: setup.endpoint,
    });
    try {
      await createPeerTable(client, PEER_TABLE);
    } catch (error) {
      client.destroy();
      throw error;
    }
    return new PeerFlow(handler, setup, () => client.destroy());
  };
}

class PeerFlow implements FlowCompanion {
  readonly name = 'Express 5 + express-session + connect-dynamodb, via serverless-http';
  readonly pairedType = recorded('loggedInIndex');
  private userCounter = 0;
  private username = '';
  private cookie = '';

  constructor(
    private readonly handler: PeerHandler,
    private readonly setup: CompanionSetup,
    private readonly destroyClient: () => void,
  ) {}

  async beforeReads(flow: string): Promise<void> {
    this.username = `peer-user-${++this.userCounter}`;
    const step = `${flow}: peer ${PEER_REQUEST_TYPES.login}`;
    const response = await this.send('login', loginEvent(this.username, { headers: SAME_SITE_HEADERS }));
    this.expectRedirect(step, response);
    const cookies = setCookies(response).filter((cookie) => PEER_COOKIE.test(cookie));
    this.setup.check(step, cookies.length === 1, `one ${PEER_COOKIE_NAME} cookie set`, () =>
      describe(response),
    );
    this.cookie = cookies[0].split(';')[0];
  }

  async read(flow: string): Promise<void> {
    const step = `${flow}: peer ${PEER_REQUEST_TYPES.loggedInIndex}`;
    const response = await this.send('loggedInIndex', httpEvent({ cookies: [this.cookie] }));
    this.expectPage(step, response, `<p>Logged in as ${this.username}</p>`);
    this.setup.check(step, setCookies(response).length === 0, 'no Set-Cookie', () => describe(response));
  }

  async afterReads(flow: string): Promise<void> {
    const logoutStep = `${flow}: peer ${PEER_REQUEST_TYPES.logout}`;
    const logout = await this.send(
      'logout',
      httpEvent({ path: '/logout', cookies: [this.cookie], headers: SAME_SITE_HEADERS }),
    );
    this.expectRedirect(logoutStep, logout);
    this.setup.check(
      logoutStep,
      setCookies(logout).some((cookie) =>
        new RegExp(`${PEER_COOKIE.source};.*Expires=Thu, 01 Jan 1970`).test(cookie),
      ),
      `the ${PEER_COOKIE_NAME} cookie cleared`,
      () => describe(logout),
    );
    const after = await this.send('afterLogout', httpEvent({ cookies: [this.cookie] }));
    this.expectPage(`${flow}: peer ${PEER_REQUEST_TYPES.afterLogout}`, after, '<p>You are not logged in</p>');
  }

  requestTypes(): CompanionRequestType[] {
    return (Object.keys(PEER_REQUEST_TYPES) as PeerRequestType[]).map((type) => ({
      type,
      label: PEER_REQUEST_TYPES[type],
      ...this.setup.recorder.summary(recorded(type)),
    }));
  }

  async close(): Promise<void> {
    this.destroyClient();
  }

  /** Times one handler call (event and context built before the clock starts). */
  private async send(type: PeerRequestType, event: APIGatewayProxyEventV2): Promise<PeerResult> {
    const context = localLambdaContext('sessions-peer');
    const { result } = await this.setup.recorder.measure(recorded(type), () => this.handler(event, context));
    return result;
  }

  private expectPage(step: string, response: PeerResult, text: string): void {
    this.setup.check(
      step,
      response.statusCode === 200 && response.body.includes(text),
      `200 with "${text}"`,
      () => describe(response),
    );
  }

  private expectRedirect(step: string, response: PeerResult): void {
    this.setup.check(step, response.statusCode === 303 && response.headers.location === '/', '303 to /', () =>
      describe(response),
    );
  }
}

/**
 * Every Set-Cookie of a serverless-http result: payload 2.0 `cookies`, or a lone `set-cookie`
 * header (serverless-http leaves a single one there, which API Gateway also accepts).
 */
function setCookies(response: PeerResult): string[] {
  const header = response.headers['set-cookie'];
  return [...(response.cookies ?? []), ...(header === undefined ? [] : [header])];
}

function describe(response: PeerResult): string {
  const cookies = setCookies(response).map((cookie) => cookie.replace(/=[^;]*/, '=…'));
  const body = response.body
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 160);
  return `status ${response.statusCode}${response.headers.location ? ` → ${response.headers.location}` : ''}, set-cookie [${cookies.join(' | ')}], body "${body}"`;
}
