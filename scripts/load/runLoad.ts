import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { readAppConfig } from '../../lambda/app/config';
import { createAppContext } from '../../lambda/app/context';
import { escapeHtml } from '../../lambda/http/html';
import { startLocalApp } from '../../lib/local/localServer';
import type { LoadOptions } from './options';

/** A snapshot while the run goes on, for a progress line. */
export interface LoadProgress {
  elapsedSeconds: number;
  requests: number;
  cyclesCompleted: number;
  errors: number;
  serverErrors: number;
  crossTalk: number;
  lostSessions: number;
}

export interface LoadResult {
  target: string;
  /** True when the run started its own app in-process. */
  local: boolean;
  startedAt: string;
  options: LoadOptions;
  /** From the first request to the last response. */
  elapsedSeconds: number;
  requests: number;
  requestsPerSecond: number;
  /** Over every response, whatever its status. */
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Responses per status code. */
  statusCounts: Record<string, number>;
  /** The part of `statusCounts` outside 2xx/3xx. */
  unexpectedStatusCounts: Record<string, number>;
  cyclesStarted: number;
  cyclesCompleted: number;
  /** Cycles the run would have done with unlimited time; undefined when only `durationSeconds` bounds it. */
  cyclesPlanned: number | undefined;
  /** True when the time limit ended the run before every planned cycle was done. */
  stoppedByTimeLimit: boolean;
  /** Transport errors + timeouts + responses that were not what the step expects. */
  errors: number;
  transportErrors: number;
  timeouts: number;
  wrongResponses: number;
  /** Responses with a 5xx status (also counted in `wrongResponses`). */
  serverErrors: number;
  /** A page showing another client's username. */
  crossTalk: number;
  /** A logged-in client shown "You are not logged in". */
  lostSessions: number;
  /** The cookie replayed after logout still logged in. */
  notLoggedOut: number;
  /** Reads not checked because that cycle's login had already failed. */
  uncheckedReads: number;
  /** The first few problems, described. */
  examples: string[];
  passed: boolean;
}

/** Per-connection state: autocannon clones a fresh one at the start of each cycle. */
interface Browser {
  username?: string;
  cookie?: string;
}

const MAX_EXAMPLES = 10;
const FORM = 'application/x-www-form-urlencoded';
const LOGGED_IN_AS = /Logged in as ([^<]*)<\/p>/;
const NOT_LOGGED_IN = 'You are not logged in';
/** Extra time after the duration before the run is stopped by force (autocannon reports at 1 s ticks). */
const STOP_GRACE_MS = 5000;

/** The q-quantile of sorted samples, interpolating between ranks. */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (sorted.length - 1) * q;
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

function headerValues(headers: Record<string, unknown> | undefined, name: string): string[] {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() !== name) continue;
    if (Array.isArray(value)) return value.map(String);
    if (value !== undefined) return [String(value)];
  }
  return [];
}

/**
 * Runs many browsers at once against the app and checks every page each one sees.
 * Each autocannon connection is one browser; per cycle it logs in under a username no other
 * cycle uses, reads `/` `reads` times, logs out and replays the old cookie on `/`.
 * Without `options.url` it starts the local app in-process on a fresh temporary data folder
 * (removed afterwards); the handler modules load once per process, so run it once per process.
 * @example const result = await runLoad({ ...DEFAULTS, url: undefined, cycles: 2, requestTimeoutSeconds: 10 });
 */
export async function runLoad(
  options: LoadOptions,
  onProgress: (progress: LoadProgress) => void = () => undefined,
): Promise<LoadResult> {
  if (options.url !== undefined) return runAgainst(options.url, false, options, onProgress);
  const dataFolder = mkdtempSync(join(tmpdir(), 'sessions-load-'));
  const environment = { ...process.env };
  try {
    const app = await startLocalApp({ port: 0, host: '127.0.0.1', dataFolder, log: () => undefined });
    try {
      return await runAgainst(app.url, true, options, onProgress);
    } finally {
      await app.close();
    }
  } finally {
    rmSync(dataFolder, { recursive: true, force: true });
    // startLocalApp fills in the environment (store endpoint, key): put it back as it was.
    for (const name of Object.keys(process.env)) if (!(name in environment)) delete process.env[name];
    Object.assign(process.env, environment);
  }
}

/**
 * The session cookie's name as the app's own session manager gives it (over HTTPS, `__Host-session`).
 * Built from a throwaway configuration: nothing reaches a store.
 */
function appCookieName(secure: boolean): string {
  const config = readAppConfig({ SESSION_SECRET: randomBytes(32).toString('base64url') });
  return createAppContext(config).sessions.cookieName(secure);
}

async function runAgainst(
  target: string,
  local: boolean,
  options: LoadOptions,
  onProgress: (progress: LoadProgress) => void,
): Promise<LoadResult> {
  const url = new URL(target);
  const cookieName = appCookieName(url.protocol === 'https:');
  const runId = randomBytes(3).toString('hex');
  let nextUser = 0;
  const issued = new Set<string>();
  const count = {
    wrongResponses: 0,
    serverErrors: 0,
    crossTalk: 0,
    lostSessions: 0,
    notLoggedOut: 0,
    uncheckedReads: 0,
    cyclesStarted: 0,
    cyclesCompleted: 0,
  };
  const examples: string[] = [];
  const problem = (kind: keyof typeof count, description: string) => {
    count[kind]++;
    if (examples.length < MAX_EXAMPLES) examples.push(description);
  };
  /** Counts a response with the wrong status; true when the status is the expected one. */
  const statusIs = (expected: number, status: number, step: string, browser: Browser): boolean => {
    if (status === expected) return true;
    if (status >= 500) count.serverErrors++;
    problem('wrongResponses', `${step} as ${browser.username}: status ${status}, expected ${expected}`);
    return false;
  };
  const withCookie = (request: autocannon.Request, context: object): autocannon.Request => {
    const { cookie } = context as Browser;
    return cookie === undefined ? request : { ...request, headers: { ...request.headers, cookie } };
  };

  const login: autocannon.Request = {
    method: 'POST',
    path: '/login',
    setupRequest(request, context) {
      const browser = context as Browser;
      browser.username = `load-${runId}-${++nextUser}`;
      browser.cookie = undefined;
      issued.add(browser.username);
      count.cyclesStarted++;
      return {
        ...request,
        headers: { ...request.headers, 'content-type': FORM, origin: url.origin },
        body: new URLSearchParams({ username: browser.username }).toString(),
      };
    },
    onResponse(status, _body, context, headers) {
      const browser = context as Browser;
      if (!statusIs(303, status, 'POST /login', browser)) return;
      const cookie = headerValues(headers, 'set-cookie')
        .map((setCookie) => setCookie.split(';')[0])
        .find((pair) => pair.startsWith(`${cookieName}=`) && pair.length > cookieName.length + 1);
      if (cookie === undefined)
        problem('wrongResponses', `POST /login as ${browser.username}: no ${cookieName} cookie`);
      browser.cookie = cookie;
    },
  };

  const read: autocannon.Request = {
    method: 'GET',
    path: '/',
    setupRequest: withCookie,
    onResponse(status, body, context) {
      const browser = context as Browser;
      if (!statusIs(200, status, 'GET /', browser)) return;
      if (browser.cookie === undefined) {
        count.uncheckedReads++;
        return;
      }
      const shown = LOGGED_IN_AS.exec(body)?.[1];
      if (shown === escapeHtml(browser.username ?? '')) return;
      if (shown !== undefined)
        problem('crossTalk', `GET / as ${browser.username}: the page says "Logged in as ${shown}"`);
      else if (body.includes(NOT_LOGGED_IN))
        problem('lostSessions', `GET / as ${browser.username}: not logged in`);
      else problem('wrongResponses', `GET / as ${browser.username}: neither logged in nor out`);
    },
  };

  const logout: autocannon.Request = {
    method: 'GET',
    path: '/logout',
    setupRequest: withCookie,
    onResponse(status, _body, context, headers) {
      const browser = context as Browser;
      if (!statusIs(303, status, 'GET /logout', browser)) return;
      // The cookie is cleared, or replaced by the anonymous session carrying "You were logged out.".
      const replaced = headerValues(headers, 'set-cookie').some(
        (setCookie) =>
          setCookie.startsWith(`${cookieName}=`) &&
          (/max-age=0/i.test(setCookie) || setCookie.split(';')[0] !== browser.cookie),
      );
      if (!replaced)
        problem(
          'wrongResponses',
          `GET /logout as ${browser.username}: the cookie was neither cleared nor replaced`,
        );
    },
  };

  /** The old cookie, replayed after logout, must not log anyone in. */
  const replay: autocannon.Request = {
    method: 'GET',
    path: '/',
    setupRequest: withCookie,
    onResponse(status, body, context) {
      const browser = context as Browser;
      count.cyclesCompleted++;
      if (!statusIs(200, status, 'GET / after logout', browser)) return;
      if (browser.cookie === undefined || body.includes(NOT_LOGGED_IN)) return;
      const shown = LOGGED_IN_AS.exec(body)?.[1];
      if (shown === escapeHtml(browser.username ?? '')) {
        problem('notLoggedOut', `GET / after logout as ${browser.username}: still logged in`);
      } else if (shown !== undefined) {
        problem(
          'crossTalk',
          `GET / after logout as ${browser.username}: the page says "Logged in as ${shown}"`,
        );
      } else {
        problem('wrongResponses', `GET / after logout as ${browser.username}: neither logged in nor out`);
      }
    },
  };

  const requests = [login, ...Array.from({ length: options.reads }, () => read), logout, replay];
  const latencies: number[] = [];
  const statusCounts: Record<string, number> = {};
  let transportErrors = 0;
  let firstResponseAt = 0;
  let lastResponseAt = 0;
  const started = performance.now();

  let finish: (error: unknown, result: autocannon.Result) => void = () => undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    finish = (error, result) => (error ? reject(error) : resolve(result));
  });
  // The callback form returns the event emitter (without it, only a promise).
  const instance = autocannon(
    {
      url: url.origin,
      connections: options.clients,
      pipelining: 1,
      duration: options.durationSeconds,
      timeout: options.requestTimeoutSeconds,
      // autocannon notices the end at its next sample: sample often so a short run ends promptly.
      sampleInt: 100,
      requests,
      ...(options.cycles === undefined ? {} : { maxConnectionRequests: options.cycles * requests.length }),
    },
    (error, result) => finish(error, result),
  );
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    const now = performance.now();
    if (firstResponseAt === 0) firstResponseAt = now - responseTime;
    lastResponseAt = now;
    latencies.push(responseTime);
    statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
  });
  instance.on('reqError', () => {
    transportErrors++;
  });
  const progress = setInterval(() => {
    onProgress({
      elapsedSeconds: (performance.now() - started) / 1000,
      requests: latencies.length,
      cyclesCompleted: count.cyclesCompleted,
      errors: transportErrors + count.wrongResponses,
      serverErrors: count.serverErrors,
      crossTalk: count.crossTalk,
      lostSessions: count.lostSessions,
    });
  }, 1000);
  const forceStop = setTimeout(() => instance.stop(), options.durationSeconds * 1000 + STOP_GRACE_MS);
  let summary: autocannon.Result;
  try {
    summary = await finished;
  } finally {
    clearInterval(progress);
    clearTimeout(forceStop);
  }

  const sorted = Float64Array.from(latencies).sort();
  const elapsedSeconds = Math.max((lastResponseAt - firstResponseAt) / 1000, 1e-3);
  const cyclesPlanned = options.cycles === undefined ? undefined : options.cycles * options.clients;
  const timeouts = summary.timeouts;
  // autocannon counts a timeout as an error too, and emits reqError for both.
  const errors = transportErrors + count.wrongResponses;
  const unexpectedStatusCounts = Object.fromEntries(
    Object.entries(statusCounts).filter(([status]) => Number(status) < 200 || Number(status) >= 400),
  );
  return {
    target: url.origin,
    local,
    startedAt: summary.start.toISOString(),
    options,
    elapsedSeconds,
    requests: latencies.length,
    requestsPerSecond: latencies.length / elapsedSeconds,
    latencyMs: {
      p50: quantile(sorted, 0.5),
      p90: quantile(sorted, 0.9),
      p99: quantile(sorted, 0.99),
      max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1],
      mean: sorted.reduce((total, value) => total + value, 0) / Math.max(sorted.length, 1),
    },
    statusCounts,
    unexpectedStatusCounts,
    cyclesStarted: count.cyclesStarted,
    cyclesCompleted: count.cyclesCompleted,
    cyclesPlanned,
    stoppedByTimeLimit: cyclesPlanned !== undefined && count.cyclesCompleted < cyclesPlanned,
    errors,
    transportErrors: transportErrors - timeouts,
    timeouts,
    wrongResponses: count.wrongResponses,
    serverErrors: count.serverErrors,
    crossTalk: count.crossTalk,
    lostSessions: count.lostSessions,
    notLoggedOut: count.notLoggedOut,
    uncheckedReads: count.uncheckedReads,
    examples,
    passed:
      latencies.length > 0 &&
      errors + count.serverErrors + count.crossTalk + count.lostSessions + count.notLoggedOut === 0,
  };
}
