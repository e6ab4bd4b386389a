import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { lockDataFolder } from '../../lib/local/dataFolder';
import { startEmbeddedStore } from '../../lib/local/embeddedStore';
import { httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { type LocalStore, prepareLocalStore } from '../../lib/local/localServer';
import { type MemoryStore, startMemoryStore } from '../../lib/local/memoryStore';
import { ensureSessionTable, OutdatedSessionTableError } from '../../lib/local/sessionTable';
import { parseSessionsArgs, UsageError } from '../../scripts/sessions/options';
import { runSessionsCommand } from '../../scripts/sessions/run';
import { cookieFrom, shownUsername } from '../support/responses';
import { createTestApp, type TestApp } from '../support/testApp';

// `npm run sessions`: the operator's command, on the local store as `npm start` keeps it (a data
// folder with the embedded dynalite), while the server runs and while it does not.

const ROOT = resolve(__dirname, '../..');
const run = promisify(execFile);
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';

/** Runs the command in this process; what it printed, line by line, and its exit code. */
async function sessions(args: string[], env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runSessionsCommand(args, {
    env,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('parsing the command line', () => {
  it.each([
    [['list', '--user', 'alice'], { action: 'list', user: 'alice', target: { kind: 'local' } }],
    [['list', '--user=alice'], { action: 'list', user: 'alice', target: { kind: 'local' } }],
    [
      ['revoke', '--user', 'alice', '--all'],
      { action: 'revoke', user: 'alice', session: 'all', target: { kind: 'local' } },
    ],
    [
      [
        'revoke',
        '--session',
        'AAAAAAAAAAAAAAAAAAAAAA',
        '--user',
        'alice',
        '--table',
        't',
        '--region',
        'eu-west-1',
      ],
      {
        action: 'revoke',
        user: 'alice',
        session: 'AAAAAAAAAAAAAAAAAAAAAA',
        target: { kind: 'aws', table: 't', region: 'eu-west-1' },
      },
    ],
    [['--help'], { action: 'help' }],
  ])('%j', (args, expected) => {
    expect(parseSessionsArgs(args)).toEqual(expected);
  });

  it.each([
    [[], /list or revoke/],
    [['show', '--user', 'alice'], /unknown command show/],
    [['list'], /--user NAME is required/],
    [['list', '--user'], /--user needs a value/],
    [['list', '--user', '--all'], /--user needs a value/],
    [['list', '--user', ''], /--user needs a value/],
    [['list', '--user', 'a', '--user', 'b'], /--user given twice/],
    [['list', '--user', 'alice', '--all'], /list takes no --all/],
    [['list', '--user', 'alice', 'extra'], /unexpected argument extra/],
    [['revoke', '--user', 'alice'], /either --all or --session/],
    [['revoke', '--user', 'alice', '--all', '--session', 'x'], /either --all or --session/],
    [['revoke', '--user', 'alice', '--all=yes'], /--all takes no value/],
    [['list', '--user', 'alice', '--table', 't'], /--table and --region go together/],
    [['list', '--user', 'alice', '--region', 'eu-west-1'], /--table and --region go together/],
    [['list', '--user', 'alice', '--endpoint', 'x'], /unknown option --endpoint/],
  ])('%j is a usage error', (args, message) => {
    expect(() => parseSessionsArgs(args)).toThrow(UsageError);
    expect(() => parseSessionsArgs(args)).toThrow(message);
  });

  it('a usage error exits 2 with the reason and the usage, before touching any store', async () => {
    const result = await sessions(['revoke', '--user', 'alice'], {
      LOCAL_DATA_DIR: '/nonexistent/never-created',
    });
    expect(result).toEqual({
      code: 2,
      out: '',
      err: expect.stringMatching(
        /^sessions: revoke needs either --all or --session ID\nusage: npm run sessions/,
      ),
    });
  });
});

describe('on the local data folder', () => {
  let folder: string;
  /** The environment the command sees: the folder, and no DYNAMODB_ENDPOINT (test/support/env.ts). */
  let env: NodeJS.ProcessEnv;
  let server: LocalStore | undefined;
  let app: TestApp;
  let cookies: { alice: string[]; bob: string };

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'sessions-command-'));
    env = { ...process.env, LOCAL_DATA_DIR: folder, TABLE_NAME: 'sessions' };
    // What `npm start` does with the folder: its store holds the lock and records its endpoint.
    const serverEnv = { ...env };
    server = await prepareLocalStore(serverEnv, folder);
    app = createTestApp({
      endpoint: String(serverEnv.DYNAMODB_ENDPOINT),
      tableName: 'sessions',
      now: Date.now,
    });
    const login = async (username: string) => {
      await new Promise((resolveWait) => setTimeout(resolveWait, 5)); // each login a distinct instant: a clear order
      return cookieFrom(await app.login(loginEvent(username, { headers: { 'user-agent': FIREFOX } })));
    };
    cookies = { alice: [await login('alice'), await login('alice')], bob: await login('bob') };
  });

  afterAll(async () => {
    await server?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  const loggedIn = async (cookie: string) => shownUsername(await app.index(httpEvent({ cookies: [cookie] })));

  it('while the local server runs, lists through the endpoint it recorded: a table of the user’s sessions only', async () => {
    // Act
    const result = await sessions(['list', '--user', 'alice'], env);

    // Assess
    expect(result.code).toBe(0);
    expect(result.err).toMatch(/^store: the running local server's store \(http:\/\/127\.0\.0\.1:\d+\)$/);
    const lines = result.out.split('\n');
    expect(lines[0]).toBe('Live sessions of alice, most recently active first:');
    expect(lines[1]).toMatch(/^ID +DEVICE +SIGNED IN +LAST ACTIVE$/);
    expect(lines.slice(2)).toEqual([
      expect.stringMatching(
        /^[\w-]{22} {2}Firefox on Linux {2}\d{4}-\d\d-\d\d \d\d:\d\d UTC {2}\d{4}-\d\d-\d\d \d\d:\d\d UTC$/,
      ),
      expect.stringMatching(/^[\w-]{22} {2}Firefox on Linux {2}/),
    ]);
  });

  it('revokes one session by the id it listed: that browser is logged out at its next request', async () => {
    // Prepare
    const listed = (await sessions(['list', '--user', 'alice'], env)).out.split('\n').slice(2);
    const newest = listed[0].split(' ')[0];

    // Act
    const result = await sessions(['revoke', '--user', 'alice', '--session', newest], env);

    // Assess: the newest login (the second cookie) is gone, the other stays.
    expect(result).toMatchObject({ code: 0, out: `Revoked session ${newest} of alice.` });
    expect(await loggedIn(cookies.alice[1])).toBeUndefined();
    expect(await loggedIn(cookies.alice[0])).toBe('alice');
  });

  it('refuses to revoke another user’s session: exit 1, nothing changed', async () => {
    const [line] = (await sessions(['list', '--user', 'alice'], env)).out.split('\n').slice(2);
    const alices = line.split(' ')[0];
    const result = await sessions(['revoke', '--user', 'bob', '--session', alices], env);
    expect(result).toMatchObject({
      code: 1,
      err: expect.stringContaining(`bob has no session ${alices}: nothing changed.`),
    });
    expect(await loggedIn(cookies.alice[0])).toBe('alice');
  });

  it('with the server stopped, opens the folder’s store itself, and lets go of it afterwards', async () => {
    // Prepare
    await server?.close();
    server = undefined;

    // Act
    const listed = await sessions(['list', '--user', 'bob'], env);
    const revoked = await sessions(['revoke', '--user', 'alice', '--all'], env);
    const after = await sessions(['list', '--user', 'alice'], env);

    // Assess
    expect(listed.code).toBe(0);
    expect(listed.err).toBe(`store: embedded dynalite in ${join(folder, 'dynalite')}`);
    expect(listed.out.split('\n')).toHaveLength(3);
    expect(revoked).toMatchObject({ code: 0, out: 'Revoked 1 session of alice.' });
    expect(after).toMatchObject({ code: 0, out: 'alice has no live sessions.' });
    lockDataFolder(folder)(); // free again: the command released its lock
  });

  it('a folder held by a live process that recorded no endpoint: a clear message, exit 1', async () => {
    writeFileSync(join(folder, 'server.pid'), String(process.ppid));
    try {
      const result = await sessions(['list', '--user', 'alice'], env);
      expect(result).toEqual({
        code: 1,
        out: '',
        err: `sessions: the data folder ${folder} is in use by another instance (process ${process.ppid}); stop it first`,
      });
    } finally {
      rmSync(join(folder, 'server.pid'), { force: true });
    }
  });
});

describe('the local table', () => {
  // One embedded store for the cases below, each with a table of its own.
  let store: Awaited<ReturnType<typeof startEmbeddedStore>>;
  let client: DynamoDBClient;
  beforeAll(async () => {
    store = await startEmbeddedStore();
    client = new DynamoDBClient({ endpoint: store.endpoint });
  });
  afterAll(async () => {
    client?.destroy();
    await store?.close();
  });

  it('a table made before the owner index is refused by name, or replaced when the store is the project’s own', async () => {
    // Prepare: the table as it was created before sessions had owners.
    await client.send(
      new CreateTableCommand({
        TableName: 'old',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );

    // Act & Assess
    await expect(ensureSessionTable(client, 'old')).rejects.toThrow(OutdatedSessionTableError);
    await ensureSessionTable(client, 'old', { replaceOutdated: true });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'old' }));
    expect(Table?.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({
        IndexName: 'byOwner',
        KeySchema: [
          { AttributeName: 'owner', KeyType: 'HASH' },
          { AttributeName: 'refreshedAt', KeyType: 'RANGE' },
        ],
        Projection: {
          ProjectionType: 'INCLUDE',
          NonKeyAttributes: ['publicId', 'device', 'createdAt', 'validUntil', 'permanent'],
        },
      }),
    ]);
  });

  it('a table whose owner index does not project `permanent` (0.1) is refused too, or replaced', async () => {
    // Prepare: the table as 0.1 made it.
    await client.send(
      new CreateTableCommand({
        TableName: 'v01',
        AttributeDefinitions: [
          { AttributeName: 'id', AttributeType: 'S' },
          { AttributeName: 'owner', AttributeType: 'S' },
          { AttributeName: 'refreshedAt', AttributeType: 'N' },
        ],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byOwner',
            KeySchema: [
              { AttributeName: 'owner', KeyType: 'HASH' },
              { AttributeName: 'refreshedAt', KeyType: 'RANGE' },
            ],
            Projection: {
              ProjectionType: 'INCLUDE',
              NonKeyAttributes: ['publicId', 'device', 'createdAt', 'validUntil'],
            },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );

    // Act & Assess
    await expect(ensureSessionTable(client, 'v01')).rejects.toThrow(/projecting .*permanent/);
    await ensureSessionTable(client, 'v01', { replaceOutdated: true });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'v01' }));
    expect(Table?.GlobalSecondaryIndexes?.[0]?.Projection?.NonKeyAttributes).toContain('permanent');
  });
});

describe('npm run sessions, as a process', () => {
  let store: MemoryStore;
  beforeAll(async () => {
    store = await startMemoryStore({ tableName: 'sessions' });
  });
  afterAll(() => store?.close());

  /** The script in its own node process (no tsx wrapper, so the timeout's kill reaches it). */
  async function spawnSessions(args: string[]) {
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        // As `npm run sessions` runs it: the packages from their sources.
        ['--conditions=lambda-sessions-source', '--import', 'tsx', 'scripts/sessions.ts', ...args],
        {
          cwd: ROOT,
          env: { ...process.env, DYNAMODB_ENDPOINT: store.endpoint, TABLE_NAME: 'sessions' },
          timeout: 60_000,
        },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  it('lists against DYNAMODB_ENDPOINT and exits 0; a usage error exits 2', async () => {
    const listed = await spawnSessions(['list', '--user', 'nobody']);
    expect(listed).toMatchObject({ code: 0, stdout: 'nobody has no live sessions.\n' });
    expect(listed.stderr).toContain(`store: DynamoDB endpoint ${store.endpoint}`);

    const usage = await spawnSessions(['list']);
    expect(usage).toMatchObject({ code: 2, stdout: '' });
    expect(usage.stderr).toContain('sessions: --user NAME is required');
  }, 120_000);
});
