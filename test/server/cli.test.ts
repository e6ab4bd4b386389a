import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cookiePair, postLogin, send } from '../support/http';
import { testKey } from '../support/keys';

// `npm start` as a user runs it: a real process, its output, its signals, its data folder.
const ROOT = resolve(__dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
/** Every process a test spawned, exited or not: see `killEverythingSpawned`. */
const children = new Set<ChildProcess>();
let dataFolder: string;

// Each test cold-starts `tsx` (which compiles the server on the fly) up to three times: seconds each on
// a busy shared machine. The limits are generous backstops for a process that never starts or never
// answers, not speed checks (`npm run bench` measures start-up).
const START_LIMIT_MS = 60_000;
const OUTPUT_LIMIT_MS = 30_000;
jest.setTimeout(4 * START_LIMIT_MS);

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
}

function run(env: Record<string, string>) {
  // As `npm start` runs it: the packages from their sources (the lambda-sessions-source condition).
  const child = spawn(TSX, ['--conditions=lambda-sessions-source', 'bin/local-server.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', LOCAL_DATA_DIR: dataFolder, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: tsx runs the server in a child node process, which a kill of tsx alone
    // leaves running (holding our pipes, so Jest never exits). The group takes both.
    detached: true,
  });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  return { child, output: () => output };
}

async function start(env: Record<string, string> = {}): Promise<Running> {
  const { child, output } = run(env);
  const deadline = Date.now() + START_LIMIT_MS;
  while (Date.now() < deadline) {
    const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output());
    if (match) return { child, url: match[1], output };
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  killGroup(child);
  throw new Error(`server did not start:\n${output()}`);
}

async function waitForOutput(running: { output: () => string }, pattern: RegExp): Promise<void> {
  const deadline = Date.now() + OUTPUT_LIMIT_MS;
  while (!pattern.test(running.output())) {
    if (Date.now() > deadline) throw new Error(`no output matching ${pattern}:\n${running.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function exitOf(child: ChildProcess): Promise<number | null> {
  // Already gone (exitCode for an exit, signalCode for a kill): 'exit' will not fire again.
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const [code] = await once(child, 'exit');
  return code as number | null;
}

async function stop(running: Running, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  running.child.kill(signal);
  return exitOf(running.child);
}

async function login(url: string, username = 'admin'): Promise<string> {
  const response = await postLogin(url, `username=${username}`);
  expect(response.status).toBe(303);
  return cookiePair(response.setCookies[0]);
}

async function pageFor(url: string, cookie: string): Promise<string> {
  return (await send(url, 'GET', '/', { headers: { cookie } })).body;
}

/** SIGKILL to the child's whole process group (tsx and the server it runs); a group already gone is fine. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * Whatever the test's outcome (a failed expectation, a timeout), nothing it spawned outlives it. The
 * group is killed even when tsx itself already exited: its server child might not have.
 */
async function killEverythingSpawned(): Promise<void> {
  const spawned = [...children];
  children.clear();
  for (const child of spawned) killGroup(child);
  await Promise.all(spawned.map((child) => exitOf(child)));
}

beforeEach(() => {
  dataFolder = mkdtempSync(join(tmpdir(), 'sessions-cli-'));
});

afterEach(async () => {
  try {
    await killEverythingSpawned();
  } finally {
    rmSync(dataFolder, { recursive: true, force: true });
  }
});

it('prints the URL and a line per request, and stops cleanly on SIGTERM and Ctrl-C', async () => {
  const first = await start({ SESSION_SECRET: '' });
  expect((await send(first.url, 'GET', '/')).status).toBe(200);
  await waitForOutput(first, /GET \/ 200 \d+(\.\d+)?ms/);
  expect(first.output()).toContain(
    'note: the embedded store sweeps expired sessions every 10 minutes (dynalite has no TTL)',
  );
  expect(await stop(first, 'SIGTERM')).toBe(0);
  expect(first.output()).toContain('stopping');

  const second = await start({ SESSION_SECRET: '' });
  expect(await stop(second, 'SIGINT')).toBe(0);
});

it('keeps sessions and the generated key across a restart', async () => {
  const first = await start({ SESSION_SECRET: '' });
  const cookie = await login(first.url);
  await stop(first);
  const key = readFileSync(join(dataFolder, 'session-secret'), 'utf8').trim();
  expect(key.length).toBeGreaterThanOrEqual(43);

  const second = await start({ SESSION_SECRET: '' });
  expect(await pageFor(second.url, cookie)).toContain('Logged in as admin');
  await stop(second);
});

it('rotates keys: "b,a" keeps a-signed sessions and re-signs them, "b" alone ends them', async () => {
  const [a, b] = [testKey('a'), testKey('b')];
  const withA = await start({ SESSION_SECRET: a });
  const cookie = await login(withA.url);
  await stop(withA);

  const withBA = await start({ SESSION_SECRET: `${b},${a}` });
  const rotated = await send(withBA.url, 'GET', '/', { headers: { cookie } });
  expect(rotated.body).toContain('Logged in as admin');
  expect(rotated.setCookies).toHaveLength(1);
  const resigned = cookiePair(rotated.setCookies[0]);
  expect(resigned.split('.')[0]).toBe(cookie.split('.')[0]);
  expect(resigned).not.toBe(cookie);
  await stop(withBA);

  const withB = await start({ SESSION_SECRET: b });
  expect(await pageFor(withB.url, cookie)).toContain('You are not logged in');
  expect(await pageFor(withB.url, resigned)).toContain('Logged in as admin');
  await stop(withB);
});

it('says clearly when the port is taken', async () => {
  const blocker: Server = createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  const { port } = blocker.address() as { port: number };
  try {
    const { child, output } = run({ PORT: String(port) });
    expect(await exitOf(child)).toBe(1);
    expect(output()).toContain(`port ${port} is already in use`);
  } finally {
    blocker.close();
  }
});

it('says clearly when the data folder is in use by another instance', async () => {
  const first = await start();
  const { child, output } = run({});
  expect(await exitOf(child)).toBe(1);
  expect(output()).toContain('is in use by another instance');
  // The first one is unharmed.
  expect((await send(first.url, 'GET', '/')).status).toBe(200);
  await stop(first);
});

it.each([
  ['SESSION_IDLE_TIMEOUT_SECONDS', 'soon'],
  ['SESSION_ABSOLUTE_TIMEOUT_SECONDS', '0'],
  ['SESSION_SECRET', `${testKey('a')},,${testKey('b')}`],
  ['SESSION_SECRET', 'a-key-of-31-bytes-0123456789abc'],
  ['PORT', 'http'],
])('refuses to start when %s is %j, naming the variable', async (variable, value) => {
  const { child, output } = run({ [variable]: value });
  expect(await exitOf(child)).toBe(1);
  expect(output()).toContain(`Cannot start: ${variable}:`);
});
