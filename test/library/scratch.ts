import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

// Scratch projects outside the repository that install this repository's packages the way a user
// would: from the tarballs `npm pack` makes, with `npm ci`. Their lockfile is written here, from the
// repository's: the same third-party versions, each with its integrity, so `npm ci --offline`
// takes every package from npm's cache (which the repository's own `npm ci` filled) and nothing
// is downloaded. Our two packages are `file:` tarballs in it, unpacked by npm as published.

export const ROOT = path.resolve(__dirname, '../..');

const execFileAsync = promisify(execFile);

/** The workspace packages: name → folder from the repository root. */
export const WORKSPACES: Readonly<Record<string, string>> = {
  '@lambda-sessions/dynamodb': 'lambda/session',
  '@lambda-sessions/cdk': 'lib/construct',
};

/** Files a build leaves, without which a pack would publish nothing runnable. */
const BUILT = [
  'lambda/session/dist/cjs/index.js',
  'lambda/session/dist/esm/index.js',
  'lib/construct/dist/index.js',
];

export interface Tarball {
  name: string;
  version: string;
  /** The absolute path of the `.tgz`. */
  file: string;
  integrity: string;
}

/** A command that failed, with what it printed. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${message}\n--- stderr\n${stderr}\n--- stdout\n${stdout}`);
  }
}

/** Runs a command and gives its output; a failure carries the command, its stderr and its stdout. */
export async function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number },
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(command, args, {
      cwd: options.cwd,
      env: options.env ?? childEnv(),
      timeout: options.timeout ?? 90_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string };
    const why = failed.message.split('\n')[0].replace(/^Command failed: .*/, 'it exited with an error');
    throw new CommandError(
      `\`${[command, ...args].join(' ')}\` in ${options.cwd} failed: ${why}`,
      failed.stdout ?? '',
      failed.stderr ?? '',
    );
  }
}

/**
 * The environment of every child process: no AWS credentials or metadata lookups that could reach
 * AWS, no CDK version check or telemetry, and none of the `npm_*` variables an `npm test` run sets
 * (a child npm would take them as its own configuration), but npm's cache and user configuration.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const kept = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'npm_config_cache', 'npm_config_userconfig'];
  const env: NodeJS.ProcessEnv = {};
  for (const name of kept) if (process.env[name] !== undefined) env[name] = process.env[name];
  return {
    ...env,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    ...extra,
  };
}

/** `npm pack`s both workspace packages, as built, into `destination`. */
export async function packWorkspaces(destination: string): Promise<Record<string, Tarball>> {
  const unbuilt = BUILT.filter((file) => !existsSync(path.join(ROOT, file)));
  if (unbuilt.length > 0) {
    throw new Error(
      `the packages are not built (${unbuilt.join(', ')} missing): run \`npm run build\` first`,
    );
  }
  mkdirSync(destination, { recursive: true });
  const workspaces = Object.values(WORKSPACES).flatMap((folder) => ['--workspace', folder]);
  // Scripts off: the build ran before (`npm test` builds first), and a pack must not rebuild the tree.
  const { stdout } = await run(
    'npm',
    ['pack', ...workspaces, '--pack-destination', destination, '--json', '--ignore-scripts'],
    { cwd: ROOT },
  );
  const packed = JSON.parse(stdout) as {
    name: string;
    version: string;
    filename: string;
    integrity: string;
  }[];
  return Object.fromEntries(
    packed.map((entry) => [
      entry.name,
      {
        name: entry.name,
        version: entry.version,
        file: path.join(destination, entry.filename),
        integrity: entry.integrity,
      },
    ]),
  );
}

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

function repositoryLock(): Record<string, LockEntry> {
  return JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')).packages;
}

/** The lockfile location `name` resolves to from `from`, as Node resolves it: nearest `node_modules` first. */
function resolveIn(lock: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let at = from;
  for (;;) {
    const candidate = `${at === '' ? '' : `${at}/`}node_modules/${name}`;
    if (lock[candidate]) return candidate;
    if (at === '') return undefined;
    const parent = at.lastIndexOf('/node_modules/');
    at = parent >= 0 ? at.slice(0, parent) : '';
  }
}

/** The version the repository's lockfile pins `name` at (its top-level install). */
export function pinnedVersion(name: string): string {
  const version = repositoryLock()[`node_modules/${name}`]?.version;
  if (version === undefined) {
    throw new Error(`${name} is not in the repository's package-lock.json: add it to package.json first`);
  }
  return version;
}

/**
 * The lockfile of a project depending on `packages` (third-party ones at the repository's
 * versions, ours as the tarballs): every entry the repository's lockfile resolves them to, moved
 * from the workspace folders to where npm unpacks the tarballs. `project` is the project's folder.
 */
export function scratchLockfile(
  project: string,
  packages: string[],
  tarballs: Record<string, Tarball>,
): { dependencies: Record<string, string>; lockfile: object } {
  const lock = repositoryLock();
  const tarballOf = (name: string) => {
    const tarball = tarballs[name];
    if (!tarball) throw new Error(`${name}: no tarball was packed for it`);
    return tarball;
  };
  const spec = (name: string) => `file:${path.relative(project, tarballOf(name).file)}`;
  const folderOf = (name: string) => WORKSPACES[name];
  const nameOfFolder = new Map(Object.entries(WORKSPACES).map(([name, folder]) => [folder, name]));
  // `lambda/session/node_modules/x` → `node_modules/@lambda-sessions/dynamodb/node_modules/x`
  const relocate = (at: string) => {
    for (const [name, folder] of Object.entries(WORKSPACES)) {
      if (at === folder || at.startsWith(`${folder}/`))
        return `node_modules/${name}${at.slice(folder.length)}`;
    }
    return at;
  };

  const dependencies: Record<string, string> = {};
  const pending: string[] = [];
  for (const name of packages) {
    if (folderOf(name)) {
      dependencies[name] = spec(name);
      pending.push(folderOf(name));
    } else {
      dependencies[name] = pinnedVersion(name);
      pending.push(`node_modules/${name}`);
    }
  }

  const entries: Record<string, LockEntry> = {};
  const seen = new Set<string>();
  while (pending.length > 0) {
    const at = pending.pop() as string;
    if (seen.has(at)) continue;
    seen.add(at);
    const entry = lock[at];
    // The repository's dev and peer flags do not hold here (npm derives them); a workspace's
    // name and devDependencies are not a dependency's. Platform-specific packages stay optional.
    const { dev, devOptional, peer, devDependencies, name: _name, ...kept } = entry;
    const ours = nameOfFolder.get(at);
    entries[relocate(at)] = ours
      ? {
          ...kept,
          version: tarballOf(ours).version,
          resolved: spec(ours),
          integrity: tarballOf(ours).integrity,
        }
      : kept;
    // What npm installs with a package: its dependencies, its optional ones where the lockfile has
    // them (another platform's are left out), and its peers unless optional and not asked for.
    const meta = entry.peerDependenciesMeta ?? {};
    const needed = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}).filter(
        (name) => !meta[name]?.optional || packages.includes(name),
      ),
    ];
    for (const name of needed) {
      if (folderOf(name)) {
        tarballOf(name); // ours come from the tarballs only
        pending.push(folderOf(name));
        continue;
      }
      const found = resolveIn(lock, at, name);
      if (found) pending.push(found);
      else if (!entry.optionalDependencies?.[name]) {
        throw new Error(`the repository's package-lock.json resolves no ${name} for ${at}`);
      }
    }
  }

  const sorted = Object.fromEntries(Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : 1)));
  const name = path.basename(project);
  return {
    dependencies,
    lockfile: {
      name,
      lockfileVersion: 3,
      requires: true,
      packages: { '': { name, dependencies }, ...sorted },
    },
  };
}

/**
 * Makes `project` (package.json with `type`, package-lock.json) and installs `packages` into it
 * with `npm ci --offline`: 10 to 20 s on two busy cores (aws-cdk-lib is most of it).
 */
export async function installProject(
  project: string,
  type: 'module' | 'commonjs',
  packages: string[],
  tarballs: Record<string, Tarball>,
): Promise<void> {
  mkdirSync(project, { recursive: true });
  const { dependencies, lockfile } = scratchLockfile(project, packages, tarballs);
  const manifest = { name: path.basename(project), version: '1.0.0', private: true, type, dependencies };
  writeFileSync(path.join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(path.join(project, 'package-lock.json'), `${JSON.stringify(lockfile, null, 2)}\n`);
  try {
    await run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: project,
    });
  } catch (error) {
    throw new Error(
      `installing offline from npm's cache failed (is the cache filled? \`npm ci\` in the repository fills it): ${(error as Error).message}`,
    );
  }
}

/**
 * Runs the project's own TypeScript (`tsc -p .`): the diagnostics it printed, '' when none. It
 * emits even then, so what compiles still runs.
 */
export async function compile(project: string): Promise<string> {
  const tsc = path.join(project, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await run(process.execPath, [tsc, '-p', '.'], { cwd: project });
    return '';
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    return `${error.stdout}${error.stderr}`.trim() || error.message;
  }
}

/** Runs node with `args` in `project` (`env` added to `childEnv()`'s) and parses the JSON it printed. */
export async function runJson<T = Record<string, unknown>>(
  project: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<T> {
  const { stdout } = await run(process.execPath, args, { cwd: project, env: childEnv(env) });
  try {
    return JSON.parse(stdout) as T;
  } catch {
    throw new Error(`node ${args.join(' ')} in ${project} printed no JSON:\n${stdout}`);
  }
}

/** A tsconfig for Node 16+ resolution (`exports` conditions and their `types` honoured), emitting to `out/`. */
export function tsconfig(): string {
  const config = {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2022'],
      module: 'node16',
      moduleResolution: 'node16',
      strict: true,
      // As most projects do. Checking every declaration file (the AWS SDK's, @types/node) takes 25 s,
      // and @middy/core's fail without its optional peer @aws/durable-execution-sdk-js.
      skipLibCheck: true,
      types: ['node'],
      rootDir: '.',
      outDir: 'out',
    },
    include: ['*.ts'],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
