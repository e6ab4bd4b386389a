import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import connectDynamoDB from 'connect-dynamodb';
import session from 'express-session';
import { localLambdaContext } from '../../../lib/local/apiGateway';
import { httpEvent, loginEvent } from '../../../lib/local/httpApiEvents';
import { type Checks, describeResponse, expectAnswer, PEER_TABLE, randomSigningKey } from '../common';
import type { RequestRecorder, RequestSummary } from '../recorder';
import { createPeerHandler, PEER_COOKIE_NAME, type PeerHandler, type PeerResult } from './app';

export const PEER_NAME = 'Express 5 + express-session + connect-dynamodb, via serverless-http';

/** The peer's request types, with the label printed for each. */
export const PEER_REQUEST_TYPES = {
  login: 'POST /login',
  loggedInIndex: 'GET / logged in',
  logout: 'GET /logout',
  afterLogout: 'GET / after logout',
} as const;

export type PeerRequestType = keyof typeof PEER_REQUEST_TYPES;

export interface PeerRequestTypeResult extends RequestSummary {
  type: PeerRequestType;
  label: string;
}

/** The peer's requests are recorded next to ours, under their own names. */
const recorded = (type: PeerRequestType) => `peer:${type}`;
const PEER_COOKIE = new RegExp(`^${PEER_COOKIE_NAME.replace('.', '\\.')}=`);
const SAME_SITE_HEADERS = { 'sec-fetch-site': 'same-origin' };

/**
 * The peer (app.ts) inside our flows, so machine noise hits both: its own table on the same
 * dynalite, its own DynamoDB client through the same counting proxy, a fresh secret. Per flow of
 * ours: `POST /login` before our logged-in reads, one logged-in `GET /` next to each of ours,
 * `GET /logout` and `GET /` with the old cookie after. Every response is checked (the page names
 * the user; logout clears the cookie and the old one no longer works).
 */
export async function startPeer(
  endpoint: string,
  recorder: RequestRecorder,
  checks: Checks,
): Promise<PeerFlow> {
  const { handler, client } = createPeerHandler({
    tableName: PEER_TABLE,
    secret: randomSigningKey(),
    endpoint,
  });
  try {
    await createPeerTable(client);
  } catch (error) {
    client.destroy();
    throw error;
  }
  return new PeerFlow(handler, client, recorder, checks);
}

/**
 * connect-dynamodb's own `initialize()` creates its table (hash key `id`, string), then we wait until
 * it is ACTIVE: set-up, before anything is timed (a deployed peer would get its table from a stack).
 */
async function createPeerTable(client: DynamoDBClient): Promise<void> {
  const DynamoDBStore = connectDynamoDB(session);
  await new DynamoDBStore({ client, table: PEER_TABLE }).initialize();
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: PEER_TABLE }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`table ${PEER_TABLE} did not become ACTIVE in time`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export class PeerFlow {
  /** The recorder type of the peer's logged-in read, paired index by index with ours. */
  readonly pairedType = recorded('loggedInIndex');
  private users = 0;
  private username = '';
  private cookie = '';

  constructor(
    private readonly handler: PeerHandler,
    private readonly client: DynamoDBClient,
    private readonly recorder: RequestRecorder,
    private readonly checks: Checks,
  ) {}

  async login(flow: string): Promise<void> {
    this.username = `peer-user-${++this.users}`;
    const step = `${flow}: peer ${PEER_REQUEST_TYPES.login}`;
    const response = await this.send('login', loginEvent(this.username, { headers: SAME_SITE_HEADERS }));
    this.expect(step, response, 303, '/');
    const cookies = setCookies(response).filter((cookie) => PEER_COOKIE.test(cookie));
    this.checks.check(step, cookies.length === 1, `one ${PEER_COOKIE_NAME} cookie set`, () =>
      describe(response),
    );
    this.cookie = cookies[0].split(';')[0];
  }

  async read(flow: string): Promise<void> {
    const step = `${flow}: peer ${PEER_REQUEST_TYPES.loggedInIndex}`;
    const response = await this.send('loggedInIndex', httpEvent({ cookies: [this.cookie] }));
    this.expect(step, response, 200, `<p>Logged in as ${this.username}</p>`);
    this.checks.check(step, setCookies(response).length === 0, 'no Set-Cookie', () => describe(response));
  }

  async logout(flow: string): Promise<void> {
    const step = `${flow}: peer ${PEER_REQUEST_TYPES.logout}`;
    const event = httpEvent({ path: '/logout', cookies: [this.cookie], headers: SAME_SITE_HEADERS });
    const response = await this.send('logout', event);
    this.expect(step, response, 303, '/');
    const cleared = new RegExp(`${PEER_COOKIE.source};.*Expires=Thu, 01 Jan 1970`);
    this.checks.check(
      step,
      setCookies(response).some((cookie) => cleared.test(cookie)),
      `the ${PEER_COOKIE_NAME} cookie cleared`,
      () => describe(response),
    );
    const after = await this.send('afterLogout', httpEvent({ cookies: [this.cookie] }));
    this.expect(
      `${flow}: peer ${PEER_REQUEST_TYPES.afterLogout}`,
      after,
      200,
      '<p>You are not logged in</p>',
    );
  }

  requestTypes(): PeerRequestTypeResult[] {
    return (Object.keys(PEER_REQUEST_TYPES) as PeerRequestType[]).map((type) => ({
      type,
      label: PEER_REQUEST_TYPES[type],
      ...this.recorder.summary(recorded(type)),
    }));
  }

  close(): void {
    this.client.destroy();
  }

  /** Times one handler call (event and context built before the clock starts). */
  private async send(type: PeerRequestType, event: APIGatewayProxyEventV2): Promise<PeerResult> {
    const context = localLambdaContext('sessions-peer');
    const { result } = await this.recorder.measure(recorded(type), () => this.handler(event, context));
    return result;
  }

  private expect(step: string, response: PeerResult, status: 200 | 303, text: string): void {
    expectAnswer(this.checks, step, { ...response, cookies: setCookies(response) }, [status, text]);
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
  return describeResponse({ ...response, cookies: setCookies(response) });
}
