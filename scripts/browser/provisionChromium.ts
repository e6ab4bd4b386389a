import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  type ChromiumSearch,
  type FoundChromium,
  lastLine,
  realSearchEnvironment,
  type SearchEnvironment,
  searchChromium,
} from './findChromium';

/** How long each step may take: a slow mirror is waited for, a hung one is not. */
export const STEP_TIMEOUTS_MS = {
  playwright: 5 * 60_000,
  aptUpdate: 5 * 60_000,
  aptInstall: 15 * 60_000,
};

export interface CommandResult {
  /** The exit code; null when the command was killed or could not start. */
  status: number | null;
  /** stderr, then stdout. */
  output: string;
  /** Set when the command could not start (`ENOENT`: no such command) or ran out of time (`ETIMEDOUT`). */
  errorCode?: string;
}

/** The outside world provisioning acts on; tests pass their own. */
export interface ProvisionEnvironment extends SearchEnvironment {
  /** The user id (0: root); undefined where the platform has none. */
  uid: number | undefined;
  /** Runs a command to its end (or its timeout) and returns what it did. */
  run(command: string, args: string[], timeoutMs: number): CommandResult;
  /** Progress for the user (the real one writes to stderr). */
  say(line: string): void;
  /** Node and playwright-core's CLI, to run `playwright-core install chromium`. */
  nodePath: string;
  playwrightCli: string;
}

export interface ProvisionedChromium extends FoundChromium {
  /** Already there, or what installed it just now. */
  how: 'found' | 'Playwright' | 'apt-get';
}

/** No Chromium, and none could be installed; the message says what was tried and how to fix it. */
export class NoChromiumError extends Error {
  constructor(readonly tried: readonly string[]) {
    super(
      [
        'No Chromium for the browser tests. Tried:',
        ...tried.map((step) => `  - ${step}`),
        'Fix: install Chromium (Debian/Ubuntu: `sudo apt-get install chromium`), or set CHROME_PATH to a ' +
          'Chromium or Chrome executable, then run the tests again.',
      ].join('\n'),
    );
    this.name = 'NoChromiumError';
  }
}

const APT_ENV = ['env', 'DEBIAN_FRONTEND=noninteractive'];

/**
 * Finds the Chromium the browser tests drive or installs one, as the ecosystem does: a browser
 * already there (no network, no apt) wins; else Playwright's own download; else Debian's
 * `chromium` package when the user may install packages (root, or sudo without a password).
 * Throws `NoChromiumError` when none of that works, or when CHROME_PATH names a browser that
 * does not run (the user chose it: nothing is installed behind their back).
 * @example const chromium = provisionChromium(); // { path: '/usr/bin/chromium', how: 'found', ... }
 */
export function provisionChromium(
  world: ProvisionEnvironment = realProvisionEnvironment(),
): ProvisionedChromium {
  const first = searchChromium(world);
  if (first.found) return { ...first.found, how: 'found' };
  if (first.misconfigured) throw new NoChromiumError(first.tried);
  const tried = [...first.tried];

  const afterPlaywright = installWithPlaywright(world, tried);
  if (afterPlaywright?.found) return { ...afterPlaywright.found, how: 'Playwright' };

  const afterApt = installWithApt(world, tried);
  if (afterApt?.found) return { ...afterApt.found, how: 'apt-get' };
  throw new NoChromiumError(tried);
}

/** `playwright-core install chromium`, then a new search; undefined (and a note in `tried`) when it fails. */
function installWithPlaywright(world: ProvisionEnvironment, tried: string[]): ChromiumSearch | undefined {
  const step = "Playwright's download (`playwright-core install --no-shell chromium`)";
  world.say(
    `No Chromium found: downloading one with Playwright (up to ${minutes(STEP_TIMEOUTS_MS.playwright)})...`,
  );
  const result = world.run(
    world.nodePath,
    [world.playwrightCli, 'install', '--no-shell', 'chromium'],
    STEP_TIMEOUTS_MS.playwright,
  );
  if (!succeeded(result)) {
    tried.push(`${step}: ${failure(result, STEP_TIMEOUTS_MS.playwright)}`);
    return undefined;
  }
  const search = searchChromium(world);
  // It downloaded, but the browser does not start (missing system libraries, say): apt's package brings them.
  if (!search.found) tried.push(`${step}: it finished, but then: ${search.tried.slice(1).join('; ')}`);
  return search;
}

/** Debian's `chromium` package, when the user may install packages; then a new search. */
function installWithApt(world: ProvisionEnvironment, tried: string[]): ChromiumSearch | undefined {
  const step = "Debian's package (`apt-get install -y chromium`)";
  if (!commandExists(world, 'apt-get')) {
    tried.push(`${step}: no apt-get here (not Debian or Ubuntu)`);
    return undefined;
  }
  const elevate = packageInstallPrefix(world);
  if (elevate === undefined) {
    tried.push(`${step}: skipped: not root, and sudo is missing or asks for a password`);
    return undefined;
  }
  const apt = (args: string[], timeoutMs: number) => {
    const [command, ...rest] = [...elevate, ...APT_ENV, 'apt-get', ...args];
    return world.run(command, rest, timeoutMs);
  };
  const update = (): boolean => {
    world.say('Updating the package lists (apt-get update)...');
    const result = apt(['update'], STEP_TIMEOUTS_MS.aptUpdate);
    if (succeeded(result)) return true;
    tried.push(`${step}: apt-get update failed: ${failure(result, STEP_TIMEOUTS_MS.aptUpdate)}`);
    return false;
  };

  // Fresh machines often have no package lists at all: apt would not know the package.
  let updated = false;
  if (!succeeded(world.run('apt-cache', ['show', 'chromium'], STEP_TIMEOUTS_MS.aptUpdate))) {
    if (!update()) return undefined;
    updated = true;
  }
  world.say(`Installing Chromium with apt-get (up to ${minutes(STEP_TIMEOUTS_MS.aptInstall)})...`);
  let result = apt(['install', '-y', 'chromium'], STEP_TIMEOUTS_MS.aptInstall);
  // Stale lists name package versions the mirror no longer has: refresh them once and retry.
  if (!succeeded(result) && !updated && update()) {
    result = apt(['install', '-y', 'chromium'], STEP_TIMEOUTS_MS.aptInstall);
  }
  if (!succeeded(result)) {
    tried.push(`${step}: ${failure(result, STEP_TIMEOUTS_MS.aptInstall)}`);
    return undefined;
  }
  const search = searchChromium(world);
  if (!search.found) tried.push(`${step}: it finished, but then: ${search.tried.slice(1).join('; ')}`);
  return search;
}

/** What to put before `apt-get`: nothing for root, `sudo -n` when sudo needs no password, else undefined. */
function packageInstallPrefix(world: ProvisionEnvironment): string[] | undefined {
  if (world.uid === 0) return [];
  return succeeded(world.run('sudo', ['-n', 'true'], 10_000)) ? ['sudo', '-n'] : undefined;
}

function commandExists(world: ProvisionEnvironment, command: string): boolean {
  return world.run(command, ['--version'], 10_000).errorCode !== 'ENOENT';
}

function succeeded(result: CommandResult): boolean {
  return result.status === 0 && result.errorCode === undefined;
}

/** One line on why a step failed. */
function failure(result: CommandResult, timeoutMs: number): string {
  if (result.errorCode === 'ETIMEDOUT') return `gave up after ${minutes(timeoutMs)}`;
  if (result.errorCode === 'ENOENT') return 'the command is missing';
  const said = errorLine(result.output);
  return `failed (exit ${result.status ?? result.errorCode}${said ? `: ${said}` : ''})`;
}

/** The first `Error:` (Node) or `E:` (apt) line of a command's output, else its last line. */
function errorLine(output: string): string {
  const plain = output.replace(ANSI_ESCAPES, '');
  const error = plain.split('\n').find((line) => /^(Error|E): /.test(line.trim()));
  return lastLine(error ?? plain);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal colour codes are what it removes
const ANSI_ESCAPES = /\u001b\[[0-9;]*m/g;

function minutes(ms: number): string {
  return `${ms / 60_000} min`;
}

/** The real machine: its filesystem, its user, its processes; progress on stderr. */
export function realProvisionEnvironment(env: NodeJS.ProcessEnv = process.env): ProvisionEnvironment {
  const search = realSearchEnvironment(env);
  return {
    ...search,
    uid: process.getuid?.(),
    nodePath: process.execPath,
    playwrightCli: join(search.playwrightCoreDir, 'cli.js'),
    say: (line) => process.stderr.write(`${line}\n`),
    run: (command, args, timeoutMs) => {
      const result = spawnSync(command, args, {
        encoding: 'utf8',
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const code = (result.error as NodeJS.ErrnoException | undefined)?.code;
      return {
        status: result.status,
        output: `${result.stderr ?? ''}${result.stdout ?? ''}`,
        ...(code ? { errorCode: code } : {}),
      };
    },
  };
}
