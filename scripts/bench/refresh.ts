import { Logger } from '@aws-lambda-powertools/logger';
import { readAppConfig } from '../../lambda/app/config';
import { createAppContext } from '../../lambda/app/context';
import { createLambdaHandler } from '../../lambda/app/lambdaHandler';
import { indexRoute } from '../../lambda/routes/indexRoute';
import { loginRoute } from '../../lambda/routes/loginRoute';
import { httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { BENCH_TABLE, BenchCheckError, randomSigningKey, startBenchStore } from './common';
import { SAME_ORIGIN_HEADERS, SESSION_COOKIE } from './flows';

export interface RefreshRow {
  thinkSeconds: number;
  pageViews: number;
  /** DynamoDB writes the page views made (the sliding refresh's UpdateItem). */
  writes: number;
  writesPerView: number;
}

export interface RefreshBenchResult {
  browsingMinutes: number;
  /** The idle timeout the rows ran at: the app's default. */
  idleTimeoutSeconds: number;
  /** The shortest simulated time seen between two writes of one session (the login's included). */
  refreshEverySeconds: number;
  rows: RefreshRow[];
}

/** Page-view intervals `npm run bench` simulates: busy, steady, and the rate that costs 0.05. */
export const THINK_SECONDS = [10, 30, 45, 60, 300, 1200] as const;

/**
 * What the sliding refresh writes at the default settings: per row, one user logs in and views
 * `GET /` every `thinkSeconds` for `browsingMinutes` of simulated time (the handlers' clock is
 * injected, nothing sleeps), against dynalite behind the counting proxy. Every view must still be
 * logged in and make one `GetItem`, plus at most one `UpdateItem`; otherwise it throws
 * `BenchCheckError`. Timings are not measured here.
 * @example const { rows } = await runRefreshBench({ thinkSeconds: [30], browsingMinutes: 120 });
 */
export async function runRefreshBench(options: {
  thinkSeconds: readonly number[];
  browsingMinutes: number;
}): Promise<RefreshBenchResult> {
  const { proxy, close } = await startBenchStore();
  try {
    let clock = Date.UTC(2030, 0, 1);
    const config = readAppConfig({
      TABLE_NAME: BENCH_TABLE,
      DYNAMODB_ENDPOINT: proxy.endpoint,
      SESSION_SECRET: randomSigningKey(),
    });
    // Only errors would be worth seeing here; the per-request lines belong to the timed flows.
    const logger = new Logger({ serviceName: 'sessions', logLevel: 'ERROR' });
    const context = createAppContext(config, { now: () => clock, logger });
    const index = createLambdaHandler(indexRoute, context);
    const login = createLambdaHandler(loginRoute, context);

    const rows: RefreshRow[] = [];
    let refreshEverySeconds = Number.POSITIVE_INFINITY;
    for (const thinkSeconds of options.thinkSeconds) {
      const step = (view: number) => `refresh, a view every ${thinkSeconds} s: view ${view}`;
      const loggedIn = await login(loginEvent(`refresh-${thinkSeconds}`, { headers: SAME_ORIGIN_HEADERS }));
      const cookie = loggedIn.cookies.find((value) => SESSION_COOKIE.test(value))?.split(';')[0];
      if (loggedIn.statusCode !== 303 || cookie === undefined) {
        throw new BenchCheckError(
          step(0),
          'a 303 setting the session cookie',
          `status ${loggedIn.statusCode}`,
        );
      }
      const pageViews = Math.floor((options.browsingMinutes * 60) / thinkSeconds);
      let writes = 0;
      let lastWrite = clock;
      for (let view = 1; view <= pageViews; view++) {
        clock += thinkSeconds * 1000;
        proxy.reset();
        const page = await index(httpEvent({ cookies: [cookie] }));
        const operations = proxy.operations.join(',');
        if (page.statusCode !== 200 || !page.body.includes('Logged in as')) {
          throw new BenchCheckError(step(view), 'a 200 "Logged in as" page', `status ${page.statusCode}`);
        }
        if (operations !== 'GetItem' && operations !== 'GetItem,UpdateItem') {
          throw new BenchCheckError(step(view), 'GetItem[,UpdateItem]', `[${operations}]`);
        }
        if (operations.endsWith('UpdateItem')) {
          writes++;
          refreshEverySeconds = Math.min(refreshEverySeconds, (clock - lastWrite) / 1000);
          lastWrite = clock;
        }
      }
      rows.push({ thinkSeconds, pageViews, writes, writesPerView: writes / pageViews });
      clock += 24 * 3600 * 1000; // the next row's user starts on a later day
    }
    return {
      browsingMinutes: options.browsingMinutes,
      idleTimeoutSeconds: config.idleTimeoutSeconds,
      refreshEverySeconds,
      rows,
    };
  } finally {
    await close();
  }
}
