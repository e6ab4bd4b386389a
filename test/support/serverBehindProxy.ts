import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalApp, startLocalApp } from '../../lib/local/localServer';
import { cookiePair, postForm, postLogin, type RawResponse, send } from './http';
import { type CapturedOutput, captureOutput } from './output';
import { type StoreFixture, useStore } from './store';

export interface ServerBehindProxy {
  /** The store and its proxy: `proxy.fault()` breaks what the server reaches. */
  readonly db: StoreFixture;
  /** `http://127.0.0.1:<port>` of the running server. */
  readonly url: string;
  /** Every session cookie (`name=value`) the server issued to `login`. */
  readonly issued: ReadonlySet<string>;
  /** Everything the process logged since the server started: handlers, SDK, server lines. */
  logged(): string;
  get(path: string, cookie?: string): Promise<RawResponse>;
  /** A same-origin form post, with the cookie if given. */
  post(path: string, body: string, cookie?: string): Promise<RawResponse>;
  /** `POST /login` for `username`, with the cookie if given. */
  login(username: string, cookie?: string): Promise<RawResponse>;
  /** Logs `username` in (expecting the 303) and gives the session cookie's `name=value`. */
  loggedIn(username: string): Promise<string>;
}

/**
 * `npm start`'s server over real HTTP, its DynamoDB endpoint behind the store fixture's proxy (so
 * tests can break the store on purpose), for the tests of the enclosing file or `describe`. It
 * registers its own hooks: the store's (`useStore`), then start (with the process's output
 * captured, so the 503s' error lines stay out of the report) and close. `logLevel` sets
 * `POWERTOOLS_LOG_LEVEL` for the handlers (the tests' default is `SILENT`).
 * @example
 * const server = useServerBehindProxy();
 * test('an outage', async () => {
 *   const cookie = await server.loggedIn('admin');
 *   server.db.proxy.fault({ kind: 'internal' });
 *   expect503(await server.get('/', cookie));
 * });
 */
export function useServerBehindProxy(options: { logLevel?: string } = {}): ServerBehindProxy {
  const db = useStore();
  let app: LocalApp | undefined;
  let dataFolder: string;
  let output: CapturedOutput;
  const serverLines: string[] = [];
  const issued = new Set<string>();
  const url = () => {
    if (app === undefined) throw new Error('useServerBehindProxy(): the server runs from its beforeAll');
    return app.url;
  };

  beforeAll(async () => {
    dataFolder = mkdtempSync(join(tmpdir(), 'sessions-faults-'));
    process.env.DYNAMODB_ENDPOINT = db.proxy.endpoint;
    if (options.logLevel !== undefined) process.env.POWERTOOLS_LOG_LEVEL = options.logLevel;
    output = captureOutput();
    app = await startLocalApp({ port: 0, dataFolder, log: (line) => serverLines.push(line) });
  });
  afterAll(async () => {
    output?.restore();
    await app?.close();
    app = undefined;
    rmSync(dataFolder, { recursive: true, force: true });
    delete process.env.DYNAMODB_ENDPOINT;
  });

  const login = async (username: string, cookie?: string) => {
    const body = new URLSearchParams({ username }).toString();
    const response = await postLogin(url(), body, cookie ? { cookie } : {});
    for (const setCookie of response.setCookies) issued.add(cookiePair(setCookie));
    return response;
  };
  return {
    db,
    get url() {
      return url();
    },
    issued,
    logged: () => `${output.text()}${serverLines.join('\n')}`,
    get: (path, cookie) => send(url(), 'GET', path, { headers: cookie ? { cookie } : {} }),
    post: (path, body, cookie) =>
      postForm(url(), path, body, { 'sec-fetch-site': 'same-origin', ...(cookie ? { cookie } : {}) }),
    login,
    async loggedIn(username) {
      const response = await login(username);
      expect(response.status).toBe(303);
      return cookiePair(response.setCookies[0]);
    },
  };
}

/** The username the start page shows (expecting a 200), or undefined for "You are not logged in". */
export function shownUser(response: RawResponse): string | undefined {
  expect(response.status).toBe(200);
  return /<p>Logged in as (.*)<\/p>/.exec(response.body)?.[1];
}

/** The "Service unavailable" page: 503, Retry-After, no cookie set or cleared, nothing internal shown. */
export function expect503(response: RawResponse) {
  expect(response.status).toBe(503);
  expect(response.headers['retry-after']).toBe('5'); // RETRY_AFTER_SECONDS, lambda/app/lambdaHandler.ts
  expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(response.setCookies).toEqual([]); // never a silent logout, never a cookie issued
  expect(response.body).toContain('Service unavailable');
  expect(response.body).not.toMatch(
    /Exception|Error|ECONN|ETIMEDOUT|socket|SessionStore|at .*\.ts|127\.0\.0\.1/,
  );
}
