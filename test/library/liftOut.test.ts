import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { type MemoryStore, startMemoryStore } from '../../lib/local/memoryStore';
import { codeBlocks, installedPackages, snippetModule } from './docExamples';

// The library lifts out: `lambda/session/` alone, copied into a project outside this repository
// with only the packages docs/library.md lists, type-checks and runs every example of that page
// against a real (embedded) DynamoDB. A missing package, an import of this repository, or an
// example that no longer compiles fails here.

const ROOT = path.resolve(__dirname, '../..');
const LIBRARY_DOC = path.join(ROOT, 'docs', 'library.md');
const run = promisify(execFile);

const blocks = codeBlocks(readFileSync(LIBRARY_DOC, 'utf8'));
const packages = installedPackages(blocks.find((block) => block.marker === 'dependencies')?.code ?? '');
const files = blocks.filter((block) => block.marker?.startsWith('file: '));
const snippets = blocks.filter((block) => block.language === 'ts' && block.marker === undefined);

const SNIPPET_PRELUDE = [
  "import type { APIGatewayProxyEventV2 } from 'aws-lambda';",
  "import type { Session, SessionManager, SessionRequest } from './session/index.js';",
];
const SNIPPET_SCOPE =
  '{ sessions, request, event, session }: { sessions: SessionManager; request: SessionRequest; event: APIGatewayProxyEventV2; session: Session }';

/** Drives the documented handlers through login, a page view and logout; prints what it saw as JSON. */
const HARNESS = `
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as plain from './plain.js';
import * as viaMiddy from './middy.js';
import { snippets } from './snippets.js';
import { createDocumentClient, SessionManager, StaticKeys, sessionRequestFromEvent } from './session/index.js';

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

function event(rawPath: string, cookies: string[] = []): APIGatewayProxyEventV2 {
  return {
    version: '2.0', routeKey: '$default', rawPath, rawQueryString: '', cookies,
    headers: { host: 'example.com', 'x-forwarded-proto': 'https' },
    requestContext: {
      accountId: '123456789012', apiId: 'api', domainName: 'example.com', domainPrefix: 'example',
      http: { method: 'GET', path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'test' },
      requestId: 'id', routeKey: '$default', stage: '$default', time: '', timeEpoch: 0,
    },
    isBase64Encoded: false,
  };
}

const context = { awsRequestId: 'test', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

async function flow(index: Handler, login: Handler, logout: Handler) {
  const call = async (handler: Handler, path: string, cookies?: string[]) =>
    (await handler(event(path, cookies), context)) as APIGatewayProxyStructuredResultV2;
  const anonymous = await call(index, '/');
  const loggedIn = await call(login, '/login');
  const cookie = (loggedIn.cookies ?? [])[0]?.split(';')[0] ?? '';
  const page = await call(index, '/', [cookie]);
  const loggedOut = await call(logout, '/logout', [cookie]);
  const after = await call(index, '/', [cookie]);
  return {
    anonymous: anonymous.body,
    login: { status: loggedIn.statusCode, cookies: loggedIn.cookies },
    page: { body: page.body, cookies: page.cookies ?? [] },
    logout: { status: loggedOut.statusCode, cookies: loggedOut.cookies },
    after: after.body,
  };
}

async function runSnippets() {
  const sessions = new SessionManager({
    client: createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT }),
    tableName: process.env.TABLE_NAME ?? '',
    keys: new StaticKeys([process.env.SESSION_KEY ?? '']),
  });
  const login = sessionRequestFromEvent(event('/login'));
  const fresh = await sessions.attach(login);
  fresh.clear();
  fresh.set('username', 'admin');
  const cookie = (await sessions.commit(fresh, login))[0].split(';')[0];
  const request = sessionRequestFromEvent(event('/', [cookie]));
  const session = await sessions.load(request);
  let ran = 0;
  for (const snippet of snippets) {
    await snippet({ sessions, request, event: event('/', [cookie]), session });
    ran++;
  }
  return { ran, outcome: session.outcome };
}

const which = process.argv[2];
const result =
  which === 'plain'
    ? await flow(plain.handler, plain.handler, plain.handler)
    : which === 'middy'
      ? await flow(
          viaMiddy.index as unknown as Handler,
          viaMiddy.login as unknown as Handler,
          viaMiddy.logout as unknown as Handler,
        )
      : await runSnippets();
process.stdout.write(JSON.stringify(result));
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2022'],
    module: 'node16',
    moduleResolution: 'node16',
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  },
  include: ['**/*.ts'],
};

/** A project outside the repository: `session/` copied, only `packages` installed (linked). */
function makeProject(type: 'module' | 'commonjs'): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'session-library-'));
  cpSync(path.join(ROOT, 'lambda', 'session'), path.join(dir, 'session'), { recursive: true });
  for (const name of packages) {
    const link = path.join(dir, 'node_modules', name);
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules', name), link, 'dir');
  }
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'lifted', private: true, type }));
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  return dir;
}

async function typeCheck(dir: string): Promise<string> {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await run(process.execPath, [tsc, '-p', dir], { cwd: dir });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

describe('docs/library.md', () => {
  it('lists the packages, the two handler files and snippets for the API', () => {
    expect(packages).toEqual(
      expect.arrayContaining(['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', 'cookie', '@middy/core']),
    );
    expect(files.map((block) => block.marker)).toEqual(['file: plain.ts', 'file: middy.ts']);
    expect(snippets.length).toBeGreaterThanOrEqual(10);
    // Every TypeScript block is either a whole file or a snippet: none is left unrun.
    expect(blocks.filter((block) => block.language === 'ts')).toHaveLength(files.length + snippets.length);
  });
});

describe('the API reference', () => {
  it('names every export of the library’s entries', () => {
    // Prepare: the names `export { … }` lists in index.ts and middy.ts exports, types included.
    const reference = readFileSync(LIBRARY_DOC, 'utf8');
    const exported = ['index.ts', 'middy.ts'].flatMap((file) => {
      const source = readFileSync(path.join(ROOT, 'lambda', 'session', file), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      const listed = [...source.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)].flatMap((match) =>
        match[1].split(',').map((name) => name.replace(/^\s*type\s+/, '').trim()),
      );
      const declared = [
        ...source.matchAll(/export\s+(?:async\s+)?(?:function|class|interface|type|const)\s+(\w+)/g),
      ].map((match) => match[1]);
      return [...listed, ...declared].filter((name) => name !== '');
    });

    // Assess
    expect(exported.length).toBeGreaterThan(20);
    expect(exported.filter((name) => !reference.includes(`\`${name}`))).toEqual([]);
  });
});

describe('lambda/session/ lifted into its own project', () => {
  let esm: string;
  let db: MemoryStore;
  const env = () => ({
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    DYNAMODB_ENDPOINT: db.endpoint,
    TABLE_NAME: 'lifted',
    SESSION_KEY: 'a-signing-key-for-the-lifted-library-0123456789',
  });

  /** Runs the harness in the lifted project and returns what it printed. */
  async function harness(which: string): Promise<Record<string, unknown>> {
    const tsx = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const { stdout } = await run(process.execPath, [tsx, 'harness.ts', which], { cwd: esm, env: env() });
    return JSON.parse(stdout) as Record<string, unknown>;
  }

  beforeAll(async () => {
    db = await startMemoryStore({ tableName: 'lifted' });
    esm = makeProject('module');
    for (const block of files)
      writeFileSync(path.join(esm, block.marker?.slice('file: '.length) ?? ''), block.code);
    writeFileSync(path.join(esm, 'snippets.ts'), snippetModule(SNIPPET_PRELUDE, snippets, SNIPPET_SCOPE));
    writeFileSync(path.join(esm, 'harness.ts'), HARNESS);
  });

  afterAll(async () => {
    rmSync(esm, { recursive: true, force: true });
    await db?.close();
  });

  it('type-checks with the documented examples in an ES module project', async () => {
    expect(await typeCheck(esm)).toBe('');
  }, 60_000);

  it('type-checks in a CommonJS project too', async () => {
    const cjs = makeProject('commonjs');
    try {
      expect(await typeCheck(cjs)).toBe('');
    } finally {
      rmSync(cjs, { recursive: true, force: true });
    }
  }, 60_000);

  it.each(['plain', 'middy'])(
    'runs the %s handler example: log in, see the name, log out',
    async (which) => {
      // Act
      const seen = await harness(which);

      // Assess
      expect(seen.anonymous).toBe('You are not logged in');
      expect(seen.login).toEqual({
        status: 303,
        cookies: [
          expect.stringMatching(
            /^__Host-session=[\w-]{43}\.[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
          ),
        ],
      });
      expect(seen.page).toEqual({ body: 'Logged in as admin', cookies: [] });
      expect(seen.logout).toEqual({
        status: 303,
        cookies: ['__Host-session=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax'],
      });
      expect(seen.after).toBe('You are not logged in');
    },
    60_000,
  );

  it('runs every API snippet against the store', async () => {
    const seen = await harness('snippets');
    expect(seen).toEqual({ ran: snippets.length, outcome: 'found' });
  }, 60_000);
});
