import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** Where Debian, Ubuntu and Google's packages put the browser, in order of preference. */
export const SYSTEM_CHROMIUM_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

/** The executable inside a Playwright `chromium-<revision>` folder: newer layouts first. */
const PLAYWRIGHT_EXECUTABLES = [
  ['chrome-linux64', 'chrome'],
  ['chrome-linux-arm64', 'chrome'],
  ['chrome-linux', 'chrome'],
];

/** How long `<browser> --version` may take before the candidate counts as not running. */
const VERSION_TIMEOUT_MS = 10_000;

/** The problem of a candidate that does not exist. */
export const NO_FILE = 'there is no file there';

/** What a look at one candidate found: its version line, or why it will not do. */
export type Probe = { version: string } | { problem: string };

/** The outside world the search looks at; tests pass their own. */
export interface SearchEnvironment {
  env: NodeJS.ProcessEnv;
  homeDir: string;
  /** The playwright-core package folder (PLAYWRIGHT_BROWSERS_PATH=0 keeps browsers inside it). */
  playwrightCoreDir: string;
  /** The entries of a folder; [] when there is none. */
  listDir(path: string): string[];
  /** Runs `<path> --version`: a missing file, or one that does not run, is a problem. */
  probe(path: string): Probe;
}

export interface FoundChromium {
  path: string;
  /** What `--version` printed, e.g. `Chromium 156.0.8078.114 built on Debian GNU/Linux 12 (bookworm)`. */
  version: string;
  source: 'CHROME_PATH' | 'system' | 'Playwright';
}

export interface ChromiumSearch {
  found?: FoundChromium;
  /** Each place looked at and why it did not do, for the message when nothing is found. */
  tried: string[];
  /** CHROME_PATH names something that does not run: the user chose it, so nothing else is tried. */
  misconfigured?: string;
}

/**
 * Playwright's browser folder, as Playwright computes it on Linux: PLAYWRIGHT_BROWSERS_PATH
 * (`0`: inside the playwright-core package), else `$XDG_CACHE_HOME/ms-playwright`, else
 * `~/.cache/ms-playwright`.
 */
export function playwrightBrowsersFolder(search: SearchEnvironment): string {
  const configured = search.env.PLAYWRIGHT_BROWSERS_PATH?.trim();
  if (configured === '0') return join(search.playwrightCoreDir, '.local-browsers');
  if (configured) return resolve(configured);
  return join(search.env.XDG_CACHE_HOME?.trim() || join(search.homeDir, '.cache'), 'ms-playwright');
}

/** Every Chromium executable Playwright may have installed in `folder`, newest revision first. */
function playwrightCandidates(search: SearchEnvironment, folder: string): string[] {
  const revisions = search
    .listDir(folder)
    .map((name) => /^chromium-(\d+)$/.exec(name))
    .filter((match) => match !== null)
    .sort((a, b) => Number(b[1]) - Number(a[1]));
  return revisions.flatMap((match) => {
    const installed = new Set(search.listDir(join(folder, match[0])));
    return PLAYWRIGHT_EXECUTABLES.filter(([platformDir]) => installed.has(platformDir)).map((parts) =>
      join(folder, match[0], ...parts),
    );
  });
}

/**
 * The Chromium the browser tests drive: CHROME_PATH when set (and nothing else then), else the
 * first of the system paths, else the newest browser Playwright installed, that runs
 * `--version`. Looks only: never installs anything (see provisionChromium).
 * @example searchChromium().found?.path; // '/usr/bin/chromium'
 */
export function searchChromium(search: SearchEnvironment = realSearchEnvironment()): ChromiumSearch {
  const configured = search.env.CHROME_PATH?.trim();
  if (configured) {
    const probe = search.probe(configured);
    if ('version' in probe) {
      return { found: { path: configured, version: probe.version, source: 'CHROME_PATH' }, tried: [] };
    }
    const misconfigured = `CHROME_PATH is set to ${configured}, but ${probe.problem}`;
    return { tried: [misconfigured], misconfigured };
  }
  const tried = ['CHROME_PATH: not set'];
  const missing: string[] = [];
  for (const path of SYSTEM_CHROMIUM_PATHS) {
    const probe = search.probe(path);
    if ('version' in probe) return { found: { path, version: probe.version, source: 'system' }, tried };
    if (probe.problem === NO_FILE) missing.push(path);
    else tried.push(`${path}: ${probe.problem}`);
  }
  if (missing.length > 0) tried.push(`${missing.join(', ')}: ${NO_FILE}`);
  const folder = playwrightBrowsersFolder(search);
  const installed = playwrightCandidates(search, folder);
  for (const path of installed) {
    const probe = search.probe(path);
    if ('version' in probe) return { found: { path, version: probe.version, source: 'Playwright' }, tried };
    tried.push(`${path}: ${probe.problem}`);
  }
  if (installed.length === 0) tried.push(`Playwright's browsers in ${folder}: no Chromium there`);
  return { tried };
}

/** The real filesystem, environment and processes. */
export function realSearchEnvironment(env: NodeJS.ProcessEnv = process.env): SearchEnvironment {
  return {
    env,
    homeDir: homedir(),
    playwrightCoreDir: dirname(require.resolve('playwright-core/package.json')),
    listDir: (path) => {
      try {
        return readdirSync(path);
      } catch {
        return [];
      }
    },
    probe: probeExecutable,
  };
}

/** `<path> --version`, bounded in time. */
function probeExecutable(path: string): Probe {
  const result = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: VERSION_TIMEOUT_MS });
  const error = result.error as NodeJS.ErrnoException | undefined;
  if (error?.code === 'ENOENT') return { problem: NO_FILE };
  if (error) return { problem: `it does not run (${error.code ?? error.message})` };
  const version = result.stdout.trim().split('\n')[0]?.trim();
  if (result.status === 0 && version) return { version };
  const said = lastLine(result.stderr) || lastLine(result.stdout);
  return { problem: `it does not run (exit ${result.status ?? result.signal}${said ? `: ${said}` : ''})` };
}

/** The last non-empty line of a command's output, shortened: what a one-line summary quotes. */
export function lastLine(output: string | undefined): string {
  const line =
    (output ?? '')
      .split('\n')
      .map((text) => text.trim())
      .filter(Boolean)
      .pop() ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
