import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type LoadOptions, parseLoadOptions, QUICK } from '../../scripts/load/options';
import { resultTable } from '../../scripts/load/report';
import { runLoad } from '../../scripts/load/runLoad';

// `npm run load` in miniature, so the load script cannot rot: a tiny bounded run against the
// local app must see no error, no 5xx, no cross-talk and no lost session; and runs against
// deliberately broken servers must report exactly those problems.

// The runs are bounded by their cycle counts; the time limits are only a backstop, set far above what a
// busy shared machine needs, so a slow run is never reported as errors or as stopped by the time limit.
// Speed is measured by `npm run load` and `npm run bench`, not asserted here.
const TINY: LoadOptions = {
  url: undefined,
  clients: 5,
  reads: 3,
  cycles: 2,
  durationSeconds: 60,
  requestTimeoutSeconds: 30,
};
/** Jest's limit for a bounded run: above TINY's time limit, so the run's own result reports a slow run. */
const RUN_TEST_MS = 120_000;

it(
  'runs a tiny bounded load against the local app with zero errors, 5xx, cross-talk and lost sessions',
  async () => {
    // Act
    const result = await runLoad(TINY);

    // Assess
    const perCycle = TINY.reads + 3; // login, reads, logout, replayed cookie
    expect(result).toMatchObject({
      local: true,
      passed: true,
      errors: 0,
      serverErrors: 0,
      crossTalk: 0,
      lostSessions: 0,
      notLoggedOut: 0,
      uncheckedReads: 0,
      cyclesCompleted: 10,
      stoppedByTimeLimit: false,
      requests: 5 * 2 * perCycle,
      statusCounts: { 200: 5 * 2 * (TINY.reads + 1), 303: 5 * 2 * 2 },
      unexpectedStatusCounts: {},
    });
    expect(result.latencyMs.p50).toBeGreaterThan(0);
    expect(result.latencyMs.p99).toBeGreaterThanOrEqual(result.latencyMs.p50);
    expect(result.requestsPerSecond).toBeGreaterThan(0);
    expect(resultTable(result)).toMatch(/cross-talk\s+0/);
  },
  RUN_TEST_MS,
);

describe('against broken servers', () => {
  let server: Server;
  let behaviour: (request: IncomingMessage, response: ServerResponse, body: string) => void;

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      request.on('end', () => behaviour(request, response, body));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const url = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const run = () => runLoad({ ...TINY, url: url(), clients: 2, reads: 2, cycles: 1 });

  /** A server that logs everyone in and out correctly but renders `page` for a logged-in `/`. */
  function sessionsShowing(page: (request: IncomingMessage) => string) {
    return (request: IncomingMessage, response: ServerResponse) => {
      if (request.url === '/login') {
        response.writeHead(303, { location: '/', 'set-cookie': 'session=abc.def; Path=/' }).end();
      } else if (request.url === '/logout') {
        response.writeHead(303, { location: '/', 'set-cookie': 'session=; Max-Age=0; Path=/' }).end();
      } else {
        response.writeHead(200).end(page(request));
      }
    };
  }

  /** A correct server: it remembers each login's username and forgets it at logout. */
  function honestSessions() {
    const names = new Map<string, string>();
    let next = 0;
    return (request: IncomingMessage, response: ServerResponse, body: string) => {
      const cookie = String(request.headers.cookie);
      if (request.url === '/login') {
        const issued = `session=${++next}`;
        names.set(issued, new URLSearchParams(body).get('username') ?? '');
        response.writeHead(303, { location: '/', 'set-cookie': `${issued}; Path=/` }).end();
      } else if (request.url === '/logout') {
        names.delete(cookie);
        response.writeHead(303, { location: '/', 'set-cookie': 'session=; Max-Age=0; Path=/' }).end();
      } else {
        const name = names.get(cookie);
        response.writeHead(200).end(name ? `<p>Logged in as ${name}</p>` : '<p>You are not logged in</p>');
      }
    };
  }

  it(
    'stops at the time limit without counting the cut-off requests as errors',
    async () => {
      behaviour = honestSessions();
      const started = performance.now();
      const result = await runLoad({
        ...TINY,
        url: url(),
        clients: 3,
        reads: 2,
        cycles: 1_000_000,
        durationSeconds: 1,
      });
      const ms = performance.now() - started;
      expect(result).toMatchObject({ passed: true, stoppedByTimeLimit: true, errors: 0, crossTalk: 0 });
      expect(result.cyclesCompleted).toBeGreaterThan(0);
      expect(result.cyclesCompleted).toBeLessThan(3 * 1_000_000);
      // It ran until the limit (a lower bound: safe however busy the machine is)...
      expect(ms).toBeGreaterThanOrEqual(900);
      // ...and stopped there: the million cycles would take the best part of an hour. The bound is
      // 30 times the limit, so only a run that ignored the limit fails it, not a slow machine.
      expect(ms).toBeLessThan(30_000);
    },
    RUN_TEST_MS,
  );

  it(
    'runs until the time limit when no cycle count is given',
    async () => {
      behaviour = honestSessions();
      const result = await runLoad({
        ...TINY,
        url: url(),
        clients: 2,
        reads: 1,
        cycles: undefined,
        durationSeconds: 1,
      });
      expect(result).toMatchObject({ passed: true, cyclesPlanned: undefined, stoppedByTimeLimit: false });
      expect(result.elapsedSeconds).toBeGreaterThan(0.5);
    },
    RUN_TEST_MS,
  );

  it('counts a page naming another user as cross-talk', async () => {
    behaviour = sessionsShowing(() => '<p>Logged in as somebody-else</p>');
    const result = await run();
    expect(result.passed).toBe(false);
    expect(result.crossTalk).toBe(2 * 3); // two reads and the replay, per client
    expect(result.examples[0]).toContain('the page says "Logged in as somebody-else"');
  });

  it('counts "not logged in" after a login as a lost session', async () => {
    behaviour = sessionsShowing(() => '<p>You are not logged in</p>');
    const result = await run();
    expect(result.passed).toBe(false);
    expect(result.lostSessions).toBe(2 * 2);
    expect(result.crossTalk).toBe(0);
  });

  it('counts a session that survives logout', async () => {
    // Prepare: a server that remembers each login's username and forgets nothing at logout.
    const names = new Map<string, string>();
    behaviour = (request, response, body) => {
      if (request.url === '/login') {
        const cookie = `session=${names.size}`;
        names.set(cookie, new URLSearchParams(body).get('username') ?? '');
        response.writeHead(303, { location: '/', 'set-cookie': `${cookie}; Path=/` }).end();
      } else if (request.url === '/logout') {
        response.writeHead(303, { location: '/', 'set-cookie': 'session=; Max-Age=0; Path=/' }).end();
      } else {
        response.writeHead(200).end(`<p>Logged in as ${names.get(String(request.headers.cookie))}</p>`);
      }
    };

    // Act
    const result = await run();

    // Assess: every read was right; every replay after logout still logged in.
    expect(result.passed).toBe(false);
    expect(result.notLoggedOut).toBe(2);
    expect(result.crossTalk + result.lostSessions + result.errors).toBe(0);
  });

  it('counts 5xx answers as errors and as 5xx', async () => {
    behaviour = (_request, response) => {
      response.writeHead(500).end('oops');
    };
    const result = await run();
    expect(result.passed).toBe(false);
    expect(result.serverErrors).toBe(2 * 5); // login, two reads, logout, replay per client
    expect(result.unexpectedStatusCounts).toEqual({ 500: 2 * 5 });
    expect(result.errors).toBe(2 * 5);
  });

  it('counts a failed login once and leaves the reads that follow unchecked', async () => {
    const working = sessionsShowing(() => '<p>You are not logged in</p>');
    behaviour = (request, response) => {
      if (request.url === '/login') response.writeHead(429).end('slow down');
      else working(request, response);
    };
    const result = await run();
    expect(result.passed).toBe(false);
    expect(result.wrongResponses).toBe(2);
    expect(result.unexpectedStatusCounts).toEqual({ 429: 2 });
    expect(result.uncheckedReads).toBe(2 * 2);
    expect(result.lostSessions).toBe(0);
  });
});

describe('parseLoadOptions', () => {
  it('has bounded defaults and a quick mode', () => {
    const defaults = parseLoadOptions([]);
    expect(defaults.cycles).toBeGreaterThan(0);
    expect(defaults.durationSeconds).toBeGreaterThan(0);
    expect(parseLoadOptions(['--quick'])).toMatchObject({ ...QUICK, quick: true });
  });

  it('reads every flag, and --cycles 0 as "until the time limit"', () => {
    expect(
      parseLoadOptions([
        '--clients',
        '7',
        '--reads',
        '2',
        '--cycles',
        '0',
        '--duration',
        '3',
        '--url',
        'http://localhost:3000/x',
      ]),
    ).toMatchObject({
      clients: 7,
      reads: 2,
      cycles: undefined,
      durationSeconds: 3,
      url: 'http://localhost:3000',
    });
  });

  it.each([
    [['--clients', '0'], '--clients'],
    [['--reads', 'many'], '--reads'],
    [['--duration', '-1'], '--duration'],
    [['--url', 'ftp://x'], '--url'],
  ])('refuses %j naming the flag', (argv, flag) => {
    expect(() => parseLoadOptions(argv)).toThrow(flag);
  });

  it('refuses unknown flags', () => {
    expect(() => parseLoadOptions(['--clientz', '3'])).toThrow();
  });
});
