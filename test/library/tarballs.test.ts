import { lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type MemoryStore, startMemoryStore } from '../../lib/local/memoryStore';
import { codeBlocks, installedPackages, snippetModule } from './docExamples';
import {
  commonJsMiddy,
  HARNESS,
  MIDDY_HANDLERS_ESM,
  SNIPPET_PRELUDE,
  SNIPPET_SCOPE,
  whereSource,
} from './harness';
import { compile, installProject, packWorkspaces, ROOT, runJson, type Tarball, tsconfig } from './scratch';

// @lambda-sessions/dynamodb as a user gets it: `npm pack`ed (what `files` lets through, the build
// as it is), installed from the tarball with `npm ci` (offline, from npm's cache) into a project
// outside this repository, once as ES modules and once as CommonJS. There, the project's own tsc
// type-checks docs/library.md's examples against the published declarations and node runs them
// against a real (embedded) DynamoDB.

const LIBRARY_DOC = path.join(ROOT, 'docs', 'library.md');
const LIBRARY = '@lambda-sessions/dynamodb';
/** What every TypeScript project brings, whatever the page lists. */
const TOOLING = ['typescript', '@types/node'];

const blocks = codeBlocks(readFileSync(LIBRARY_DOC, 'utf8'));
const listed = installedPackages(blocks.find((block) => block.marker === 'dependencies')?.code ?? '');
const fileBlock = (name: string) => blocks.find((block) => block.marker === `file: ${name}`);
const snippets = blocks.filter((block) => block.language === 'ts' && block.marker === undefined);

type ModuleType = 'module' | 'commonjs';

/** The example files, the snippets module and the harness, as each module system runs them. */
function writeExamples(project: string, type: ModuleType): void {
  const plain = fileBlock('plain.ts');
  const middy = fileBlock('middy.ts');
  const powertools = fileBlock('powertools.ts');
  if (!plain || !middy || !powertools)
    throw new Error(
      'docs/library.md: expected <!-- file: plain.ts -->, <!-- file: middy.ts --> and <!-- file: powertools.ts -->',
    );
  const files: Record<string, string> = {
    'tsconfig.json': tsconfig(),
    'plain.ts': plain.code,
    'middy.ts': type === 'module' ? middy.code : commonJsMiddy(middy.code),
    // The event handler ships both builds: the example runs as written in either project.
    'powertools.ts': powertools.code,
    'middyHandlers.ts':
      type === 'module' ? MIDDY_HANDLERS_ESM : "export { middyHandlers } from './middy.js';\n",
    'snippets.ts': snippetModule(SNIPPET_PRELUDE, snippets, SNIPPET_SCOPE),
    'where.ts': whereSource(type),
    'harness.ts': HARNESS,
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(project, name), text);
}

interface Project {
  dir: string;
  diagnostics: string;
}

/** A project of `type` outside the repository: installed from the tarballs, the examples compiled by its tsc. */
async function prepareProject(
  scratch: string,
  type: ModuleType,
  tarballs: Record<string, Tarball>,
): Promise<Project> {
  const dir = path.join(scratch, type === 'module' ? 'esm-app' : 'cjs-app');
  await installProject(dir, type, [...new Set([...listed, ...TOOLING])], tarballs);
  writeExamples(dir, type);
  return { dir, diagnostics: await compile(dir) };
}

let scratch: string;
let tarballs: Record<string, Tarball>;
let projects: Record<ModuleType, Project>;
let db: MemoryStore;

beforeAll(async () => {
  // Prepare: the tarballs, then both projects side by side
  scratch = mkdtempSync(path.join(tmpdir(), 'session-package-'));
  [tarballs, db] = await Promise.all([
    packWorkspaces(path.join(scratch, 'pack')),
    startMemoryStore({ tableName: 'packed' }),
  ]);
  const [esm, cjs] = await Promise.all([
    prepareProject(scratch, 'module', tarballs),
    prepareProject(scratch, 'commonjs', tarballs),
  ]);
  projects = { module: esm, commonjs: cjs };
}, 110_000);

afterAll(async () => {
  await db?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe.each<ModuleType>(['module', 'commonjs'])('a %s project with the packed library', (type) => {
  /** Runs the compiled harness (`out/harness.js`) and returns what it printed. */
  const harness = (which: string) =>
    runJson(projects[type].dir, [path.join('out', 'harness.js'), which], {
      DYNAMODB_ENDPOINT: db.endpoint,
      TABLE_NAME: db.tableName,
      SESSION_KEY: 'a-signing-key-for-the-packed-library-0123456789',
    });

  it('installs the library from its tarball, not from the workspace', async () => {
    // Act
    const project = projects[type];
    const installed = path.join(project.dir, 'node_modules', ...LIBRARY.split('/'));
    const seen = await harness('where');

    // Assess: unpacked files (no link to the repository), the build this module system takes
    expect(lstatSync(installed).isSymbolicLink()).toBe(false);
    expect(JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')).version).toBe(
      tarballs[LIBRARY].version,
    );
    const build = type === 'module' ? 'esm' : 'cjs';
    expect(seen).toEqual({
      moduleSystem: type,
      resolved: {
        [LIBRARY]: path.join(installed, 'dist', build, 'index.js'),
        [`${LIBRARY}/middy`]: path.join(installed, 'dist', build, 'middy.js'),
        [`${LIBRARY}/powertools`]: path.join(installed, 'dist', build, 'powertools.js'),
      },
    });
  });

  it('type-checks docs/library.md’s examples against the published declarations', () => {
    expect(projects[type].diagnostics).toBe('');
  });

  it.each(['plain', 'middy', 'powertools'])(
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
    30_000,
  );

  it('runs every API snippet against the store', async () => {
    // Act
    const seen = await harness('snippets');

    // Assess
    expect(seen).toEqual({ ran: snippets.length, outcome: 'found' });
  }, 30_000);
});
