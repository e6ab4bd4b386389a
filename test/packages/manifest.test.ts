import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as ts from 'typescript';

// The workspace packages as npm publishes them: each is `npm pack`ed (the build as it is, what
// `files` lets through) into a folder outside the repository, and that tarball is what publint,
// attw and `npm publish --dry-run` see and whose built files' imports are checked against its
// manifest. Nothing is downloaded and nothing can be published (see NPM_ENV).

const ROOT = path.resolve(__dirname, '../..');
const PACKAGE_FOLDERS = ['lambda/session', 'lib/construct'];
const run = promisify(execFile);
/** Each command's bound: the slowest (attw, npm) take a few seconds on two busy cores. */
const COMMAND_TIMEOUT_MS = 60_000;

let scratch: string;
/** npm as a machine without credentials or network sees it (an empty user config, no registry). */
let NPM_ENV: NodeJS.ProcessEnv;

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'package-manifest-'));
  const userConfig = path.join(scratch, 'npmrc');
  writeFileSync(userConfig, '');
  NPM_ENV = {
    ...process.env,
    npm_config_userconfig: userConfig,
    // An address nothing listens on: even a publish that were not a dry run would go nowhere.
    npm_config_registry: 'http://127.0.0.1:9/',
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

interface Manifest {
  name: string;
  version: string;
  exports: Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

interface Packed {
  manifest: Manifest;
  tarball: string;
  /** The paths in the tarball, from the package's root. */
  files: string[];
  /** Where the tarball is unpacked: its `package/` folder. */
  unpacked: string;
}

/** Runs a command; its output, and its exit code instead of a rejection when it fails. */
async function command(
  file: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(file, args, {
      ...options,
      timeout: COMMAND_TIMEOUT_MS,
      maxBuffer: 32 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : 1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? String(error),
    };
  }
}

const npm = (args: string[], cwd: string) => command('npm', args, { cwd, env: NPM_ENV });
const node = (args: string[], cwd = scratch) => command(process.execPath, args, { cwd });

/** `npm pack` of the package in `folder`, without its scripts (the build ran before the tests). */
async function pack(folder: string): Promise<Packed> {
  const destination = mkdtempSync(path.join(scratch, 'pack-'));
  const packed = await npm(
    ['pack', '--json', '--ignore-scripts', '--pack-destination', destination],
    path.join(ROOT, folder),
  );
  if (packed.code !== 0) throw new Error(`npm pack in ${folder} failed:\n${packed.stderr}`);
  const [result] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  const tarball = path.join(destination, result.filename);
  const unpacked = path.join(destination, 'unpacked');
  mkdirSync(unpacked);
  const untar = await command('tar', ['-xzf', tarball, '-C', unpacked], { cwd: destination });
  if (untar.code !== 0) throw new Error(`tar -xzf ${tarball} failed:\n${untar.stderr}`);
  return {
    manifest: JSON.parse(readFileSync(path.join(ROOT, folder, 'package.json'), 'utf8')) as Manifest,
    tarball,
    files: result.files.map((file) => file.path),
    unpacked: path.join(unpacked, 'package'),
  };
}

/** publint's messages at every level (suggestions too), warnings counted as errors (strict). */
const PUBLINT = `
import { readFileSync } from 'node:fs';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
const file = readFileSync(process.argv[1]);
const tarball = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength);
const { messages, pkg } = await publint({ pack: { tarball }, strict: true, level: 'suggestion' });
process.stdout.write(JSON.stringify(messages.map((m) => m.type + ': ' + formatMessage(m, pkg, { color: false }))));
`;

/** publint's messages about the tarball; it is an ES module, run by node rather than by jest. */
async function publint(tarball: string): Promise<string[]> {
  const linted = await node(['--input-type=module', '--eval', PUBLINT, tarball], ROOT);
  if (linted.code !== 0) throw new Error(`publint failed to run:\n${linted.stderr}`);
  return JSON.parse(linted.stdout) as string[];
}

interface AttwResult {
  analysis: { types: unknown; entrypoints: Record<string, unknown> };
  problems?: Record<string, unknown[]>;
}

/**
 * attw on the tarball, with its default (strict) profile: node10 (served by `typesVersions`),
 * node16 from CommonJS and from ES modules, and bundlers. The construct is CommonJS only; attw
 * reads that as information, not as a problem. Run in the scratch folder: no .attw.json applies;
 * no @types package is looked up in the registry.
 */
async function attw(tarball: string): Promise<AttwResult> {
  const cli = path.join(ROOT, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
  const checked = await node([cli, tarball, '--format', 'json', '--no-definitely-typed']);
  if (checked.stdout === '') throw new Error(`attw failed to run:\n${checked.stderr}`);
  return JSON.parse(checked.stdout) as AttwResult;
}

/** The files of the build in a package folder: `dist/**` JavaScript and declarations. */
function builtFiles(packageRoot: string): string[] {
  return readdirSync(path.join(packageRoot, 'dist'), { recursive: true, encoding: 'utf8' })
    .map((file) => path.posix.join('dist', file.split(path.sep).join('/')))
    .filter((file) => /\.(c|m)?js$|\.d\.ts$/.test(file));
}

/** The package a bare specifier names: `@aws-sdk/lib-dynamodb` for `@aws-sdk/lib-dynamodb/x`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/** `@types/aws-lambda` for `aws-lambda`, `@types/a__b` for `@a/b`. */
function typesPackageOf(name: string): string {
  return `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;
}

/**
 * The imports (static, `require()`, `import()`, `import type`) of the files that are neither
 * relative, nor a `node:` builtin, nor a package `manifest` declares in `dependencies` or
 * `peerDependencies` (for declarations, also its `@types/` package), as `file: specifier`.
 */
function undeclaredImports(files: { path: string; text: string }[], manifest: Manifest): string[] {
  const declared = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ]);
  const isDeclared = (specifier: string, file: string) => {
    if (specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('node:'))
      return true;
    const name = packageOf(specifier);
    return declared.has(name) || (file.endsWith('.d.ts') && declared.has(typesPackageOf(name)));
  };
  return files.flatMap((file) =>
    ts
      .preProcessFile(file.text, true, true)
      .importedFiles.map((imported) => imported.fileName)
      .filter((specifier) => !isDeclared(specifier, file.path))
      .map((specifier) => `${file.path}: ${specifier}`),
  );
}

describe.each(PACKAGE_FOLDERS)('the package in %s, packed', (folder) => {
  let packed: Packed;

  beforeAll(async () => {
    packed = await pack(folder);
  }, COMMAND_TIMEOUT_MS);

  it('holds its LICENSE, its manifest and its build', () => {
    expect(packed.files).toEqual(expect.arrayContaining(['LICENSE', 'package.json']));
    expect(readFileSync(path.join(packed.unpacked, 'LICENSE'), 'utf8')).toContain(
      'Copyright (c) 2026 The lambda-sessions authors',
    );
    expect(builtFiles(packed.unpacked).length).toBeGreaterThan(0);
  });

  it('has nothing publint (strict) reports', async () => {
    expect(await publint(packed.tarball)).toEqual([]);
  });

  it('has types attw finds right for every entry point, in every resolution mode', async () => {
    const result = await attw(packed.tarball);
    // A check of no entry points would find nothing: attw saw every subpath of `exports`.
    const entryPoints = Object.keys(packed.manifest.exports);
    expect(Object.keys(result.analysis.entrypoints).sort()).toEqual(entryPoints.sort());
    expect(result.analysis.types).toBeTruthy();
    expect(Object.values(result.problems ?? {}).flat()).toEqual([]);
  });

  it('passes `npm publish --dry-run`, with no login and no registry', async () => {
    const published = await npm(
      ['publish', packed.tarball, '--dry-run', '--ignore-scripts', '--json'],
      scratch,
    );
    expect({ code: published.code, stderr: published.stderr }).toEqual({
      code: 0,
      stderr: expect.stringContaining('(dry-run)'),
    });
    const { id } = JSON.parse(published.stdout)[packed.manifest.name] as { id: string };
    expect(id).toBe(`${packed.manifest.name}@${packed.manifest.version}`);
  });

  it('imports nothing its manifest does not declare', () => {
    // Prepare
    const files = builtFiles(packed.unpacked).map((file) => ({
      path: file,
      text: readFileSync(path.join(packed.unpacked, file), 'utf8'),
    }));

    // Act
    const undeclared = undeclaredImports(files, packed.manifest);

    // Assess
    expect(undeclared).toEqual([]);
    // The scan does see the build's imports: with nothing declared, it reports some.
    const declaringNothing = { ...packed.manifest, dependencies: {}, peerDependencies: {} };
    expect(undeclaredImports(files, declaringNothing).length).toBeGreaterThan(0);
  });
});

describe('the check of declared imports', () => {
  const manifest: Manifest = {
    name: 'example',
    version: '1.0.0',
    exports: {},
    dependencies: { cookie: '^1', '@types/aws-lambda': '^8' },
    peerDependencies: { 'aws-cdk-lib': '^2' },
  };

  it('accepts relative, node: and declared imports, subpaths and a declaration’s @types package', () => {
    const files = [
      {
        path: 'dist/a.js',
        text: "const b = require('./b.js');\nconst c = require('node:crypto');\nconst l = require('aws-cdk-lib/aws-lambda');\nimport('cookie');",
      },
      { path: 'dist/a.d.ts', text: "import type { Context } from 'aws-lambda';\nexport type X = Context;" },
    ];
    expect(undeclaredImports(files, manifest)).toEqual([]);
  });

  it('reports a package it does not declare, a bare builtin, and @types only for declarations', () => {
    const files = [
      {
        path: 'dist/a.js',
        text: "import { x } from '@aws-sdk/lib-dynamodb';\nconst fs = require('fs');\nrequire('aws-lambda');",
      },
    ];
    expect(undeclaredImports(files, manifest)).toEqual([
      'dist/a.js: @aws-sdk/lib-dynamodb',
      'dist/a.js: fs',
      'dist/a.js: aws-lambda',
    ]);
  });
});
