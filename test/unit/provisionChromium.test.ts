import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  NO_FILE,
  type Probe,
  realSearchEnvironment,
  searchChromium,
} from '../../scripts/browser/findChromium';
import {
  type CommandResult,
  NoChromiumError,
  type ProvisionEnvironment,
  provisionChromium,
} from '../../scripts/browser/provisionChromium';

const HOME = '/home/dev';
const CACHE = `${HOME}/.cache/ms-playwright`;
const CORE = '/project/node_modules/playwright-core';
const NODE = '/usr/local/bin/node';
const PLAYWRIGHT_INSTALL = `${NODE} ${CORE}/cli.js install --no-shell chromium`;
const DEBIAN = 'Chromium 156.0.8078.114 built on Debian GNU/Linux 12 (bookworm)';
const TESTING = 'Google Chrome for Testing 159.0.8154.6';
const OK: CommandResult = { status: 0, output: '' };
const MISSING_COMMAND: CommandResult = { status: null, output: '', errorCode: 'ENOENT' };
const failed = (output: string, status = 100): CommandResult => ({ status, output });

type Answer = CommandResult | ((machine: FakeMachine) => CommandResult);

/**
 * A machine made of a table of executables (path → what `--version` does) and a table of
 * commands (command line → its result, maybe installing an executable). Every command run and
 * every progress line is recorded; a command the table does not know fails the test.
 */
class FakeMachine implements ProvisionEnvironment {
  readonly ran: string[] = [];
  readonly said: string[] = [];
  readonly homeDir = HOME;
  readonly playwrightCoreDir = CORE;
  readonly nodePath = NODE;
  readonly playwrightCli = `${CORE}/cli.js`;

  constructor(
    readonly options: {
      executables?: Record<string, Probe>;
      commands?: Record<string, Answer>;
      uid?: number;
      env?: NodeJS.ProcessEnv;
    } = {},
  ) {
    this.executables = new Map(Object.entries(options.executables ?? {}));
  }
  readonly executables: Map<string, Probe>;
  get uid() {
    return this.options.uid ?? 1000;
  }
  get env() {
    return this.options.env ?? {};
  }

  install(path: string, version: string): void {
    this.executables.set(path, { version });
  }
  listDir = (folder: string): string[] => {
    const prefix = `${folder}/`;
    const names = [...this.executables.keys()]
      .filter((path) => path.startsWith(prefix))
      .map((path) => path.slice(prefix.length).split('/')[0]);
    return [...new Set(names)];
  };
  probe = (path: string): Probe => this.executables.get(path) ?? { problem: NO_FILE };
  run = (command: string, args: string[]): CommandResult => {
    const line = [command, ...args].join(' ');
    this.ran.push(line);
    const answer = this.options.commands?.[line];
    if (answer === undefined) throw new Error(`unexpected command: ${line}`);
    return typeof answer === 'function' ? answer(this) : answer;
  };
  say = (line: string): void => {
    this.said.push(line);
  };
}

/** The message of the NoChromiumError that provisioning throws on `machine`. */
function failureOf(machine: FakeMachine): string {
  try {
    provisionChromium(machine);
  } catch (error) {
    expect(error).toBeInstanceOf(NoChromiumError);
    return (error as Error).message;
  }
  throw new Error('provisionChromium found a browser');
}

const playwrightFails: Record<string, Answer> = {
  [PLAYWRIGHT_INSTALL]: failed(
    'Error: getaddrinfo ENOTFOUND cdn.playwright.dev\nFailed to install browsers',
    1,
  ),
};

describe('a browser that is already there', () => {
  it('uses the system Chromium and runs nothing: no download, no apt', () => {
    const machine = new FakeMachine({ executables: { '/usr/bin/chromium': { version: DEBIAN } } });
    expect(provisionChromium(machine)).toEqual({
      path: '/usr/bin/chromium',
      version: DEBIAN,
      source: 'system',
      how: 'found',
    });
    expect(machine.ran).toEqual([]);
    expect(machine.said).toEqual([]);
  });

  it('prefers CHROME_PATH to the system one', () => {
    const machine = new FakeMachine({
      env: { CHROME_PATH: ' /opt/chrome/chrome ' },
      executables: {
        '/usr/bin/chromium': { version: DEBIAN },
        '/opt/chrome/chrome': { version: 'Chrome 150' },
      },
    });
    expect(provisionChromium(machine)).toMatchObject({ path: '/opt/chrome/chrome', source: 'CHROME_PATH' });
  });

  it('installs nothing behind a CHROME_PATH that does not run, and says so', () => {
    const machine = new FakeMachine({
      uid: 0,
      env: { CHROME_PATH: '/opt/chrome/chrome' },
      executables: { '/usr/bin/chromium': { version: DEBIAN } },
    });
    expect(failureOf(machine)).toContain(
      'CHROME_PATH is set to /opt/chrome/chrome, but there is no file there',
    );
    expect(machine.ran).toEqual([]);
  });

  it('skips a system candidate that does not start and takes the next', () => {
    const machine = new FakeMachine({
      executables: {
        '/usr/bin/chromium-browser': { problem: 'it does not run (exit 1: install the snap)' },
        '/usr/bin/google-chrome': { version: 'Google Chrome 150' },
      },
    });
    expect(provisionChromium(machine)).toMatchObject({ path: '/usr/bin/google-chrome', how: 'found' });
  });

  it("uses the newest Chromium in Playwright's cache, either layout", () => {
    const machine = new FakeMachine({
      executables: {
        [`${CACHE}/chromium-1200/chrome-linux/chrome`]: { version: 'Chromium 140' },
        [`${CACHE}/chromium-1255/chrome-linux64/chrome`]: { version: TESTING },
        [`${CACHE}/chromium_headless_shell-1300/chrome-linux/headless_shell`]: { version: 'shell' },
      },
    });
    expect(provisionChromium(machine)).toEqual({
      path: `${CACHE}/chromium-1255/chrome-linux64/chrome`,
      version: TESTING,
      source: 'Playwright',
      how: 'found',
    });
    expect(machine.ran).toEqual([]);
  });

  it.each([
    [{ PLAYWRIGHT_BROWSERS_PATH: '/srv/browsers' }, '/srv/browsers'],
    [{ PLAYWRIGHT_BROWSERS_PATH: '0' }, `${CORE}/.local-browsers`],
    [{ XDG_CACHE_HOME: '/var/cache/dev' }, '/var/cache/dev/ms-playwright'],
    [{ PLAYWRIGHT_BROWSERS_PATH: 'browsers' }, resolve('browsers')],
  ])('looks where Playwright keeps its browsers with %j', (env, folder) => {
    const chrome = `${folder}/chromium-1255/chrome-linux64/chrome`;
    const machine = new FakeMachine({ env, executables: { [chrome]: { version: TESTING } } });
    expect(provisionChromium(machine).path).toBe(chrome);
  });
});

describe('no browser yet', () => {
  it('downloads one with Playwright where it can, and touches no package', () => {
    const machine = new FakeMachine({
      uid: 0,
      commands: {
        [PLAYWRIGHT_INSTALL]: (m) => {
          m.install(`${CACHE}/chromium-1255/chrome-linux64/chrome`, TESTING);
          return OK;
        },
      },
    });
    expect(provisionChromium(machine)).toEqual({
      path: `${CACHE}/chromium-1255/chrome-linux64/chrome`,
      version: TESTING,
      source: 'Playwright',
      how: 'Playwright',
    });
    expect(machine.ran).toEqual([PLAYWRIGHT_INSTALL]);
    expect(machine.said).toEqual(['No Chromium found: downloading one with Playwright (up to 5 min)...']);
  });

  it("as root where Playwright cannot download: apt-get update (no lists yet), then Debian's chromium", () => {
    const machine = new FakeMachine({
      uid: 0,
      commands: {
        ...playwrightFails,
        'apt-get --version': OK,
        'apt-cache show chromium': failed('E: No packages found'),
        'env DEBIAN_FRONTEND=noninteractive apt-get update': OK,
        'env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium': (m) => {
          m.install('/usr/bin/chromium', DEBIAN);
          return OK;
        },
      },
    });
    expect(provisionChromium(machine)).toEqual({
      path: '/usr/bin/chromium',
      version: DEBIAN,
      source: 'system',
      how: 'apt-get',
    });
    expect(machine.ran).toEqual([
      PLAYWRIGHT_INSTALL,
      'apt-get --version',
      'apt-cache show chromium',
      'env DEBIAN_FRONTEND=noninteractive apt-get update',
      'env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium',
    ]);
  });

  it('with passwordless sudo: the same through `sudo -n`, without an update when apt knows the package', () => {
    const machine = new FakeMachine({
      uid: 1000,
      commands: {
        ...playwrightFails,
        'apt-get --version': OK,
        'sudo -n true': OK,
        'apt-cache show chromium': OK,
        'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium': (m) => {
          m.install('/usr/bin/chromium', DEBIAN);
          return OK;
        },
      },
    });
    expect(provisionChromium(machine).how).toBe('apt-get');
    expect(machine.ran).toEqual([
      PLAYWRIGHT_INSTALL,
      'apt-get --version',
      'sudo -n true',
      'apt-cache show chromium',
      'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium',
    ]);
  });

  it('refreshes stale package lists once when the install fails, and retries', () => {
    let installs = 0;
    const machine = new FakeMachine({
      uid: 0,
      commands: {
        ...playwrightFails,
        'apt-get --version': OK,
        'apt-cache show chromium': OK,
        'env DEBIAN_FRONTEND=noninteractive apt-get update': OK,
        'env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium': (m) => {
          installs += 1;
          if (installs === 1)
            return failed('E: Failed to fetch http://deb.debian.org/…/chromium.deb  404  Not Found');
          m.install('/usr/bin/chromium', DEBIAN);
          return OK;
        },
      },
    });
    expect(provisionChromium(machine).how).toBe('apt-get');
    expect(machine.ran.slice(3)).toEqual([
      'env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium',
      'env DEBIAN_FRONTEND=noninteractive apt-get update',
      'env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium',
    ]);
  });

  it('falls back to the package when the downloaded browser does not start (missing libraries)', () => {
    const downloaded = `${CACHE}/chromium-1255/chrome-linux64/chrome`;
    const machine = new FakeMachine({
      uid: 0,
      commands: {
        [PLAYWRIGHT_INSTALL]: (m) => {
          m.executables.set(downloaded, { problem: 'it does not run (exit 127: libnss3.so: cannot open)' });
          return OK;
        },
        'apt-get --version': OK,
        'apt-cache show chromium': OK,
        'env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium': (m) => {
          m.install('/usr/bin/chromium', DEBIAN);
          return OK;
        },
      },
    });
    expect(provisionChromium(machine)).toMatchObject({ path: '/usr/bin/chromium', how: 'apt-get' });
  });
});

describe('when nothing works', () => {
  it('says what was tried, and how to fix it', () => {
    const machine = new FakeMachine({
      uid: 1000,
      commands: {
        ...playwrightFails,
        'apt-get --version': OK,
        'sudo -n true': failed('sudo: a password is required', 1),
      },
    });
    expect(failureOf(machine)).toBe(
      [
        'No Chromium for the browser tests. Tried:',
        '  - CHROME_PATH: not set',
        '  - /usr/bin/chromium, /usr/bin/chromium-browser, /usr/bin/google-chrome, /usr/bin/google-chrome-stable: there is no file there',
        `  - Playwright's browsers in ${CACHE}: no Chromium there`,
        "  - Playwright's download (`playwright-core install --no-shell chromium`): failed (exit 1: Error: getaddrinfo ENOTFOUND cdn.playwright.dev)",
        "  - Debian's package (`apt-get install -y chromium`): skipped: not root, and sudo is missing or asks for a password",
        'Fix: install Chromium (Debian/Ubuntu: `sudo apt-get install chromium`), or set CHROME_PATH to a ' +
          'Chromium or Chrome executable, then run the tests again.',
      ].join('\n'),
    );
    expect(machine.ran).toEqual([PLAYWRIGHT_INSTALL, 'apt-get --version', 'sudo -n true']);
  });

  it('names a machine without apt-get, and a download that ran out of time', () => {
    const machine = new FakeMachine({
      uid: 0,
      commands: {
        [PLAYWRIGHT_INSTALL]: { status: null, output: 'Downloading…', errorCode: 'ETIMEDOUT' },
        'apt-get --version': MISSING_COMMAND,
      },
    });
    const message = failureOf(machine);
    expect(message).toContain('install --no-shell chromium`): gave up after 5 min');
    expect(message).toContain(
      "Debian's package (`apt-get install -y chromium`): no apt-get here (not Debian or Ubuntu)",
    );
    expect(machine.ran).toEqual([PLAYWRIGHT_INSTALL, 'apt-get --version']);
  });

  it('quotes the last line apt-get printed when the update or the install fails', () => {
    const machine = new FakeMachine({
      uid: 0,
      commands: {
        ...playwrightFails,
        'apt-get --version': OK,
        'apt-cache show chromium': failed('E: No packages found'),
        'env DEBIAN_FRONTEND=noninteractive apt-get update': failed(
          'W: Some index files failed\nE: Could not resolve deb.debian.org',
        ),
      },
    });
    expect(failureOf(machine)).toContain(
      "Debian's package (`apt-get install -y chromium`): apt-get update failed: failed (exit 100: E: Could not resolve deb.debian.org)",
    );
    expect(machine.ran).not.toContain('env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium');
  });
});

describe('on the real machine (executables made for the test)', () => {
  let folder: string;
  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'chromium-probe-'));
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  function script(name: string, body: string): string {
    const path = join(folder, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  }

  it("reads the version line of CHROME_PATH's browser, and why one does not run", () => {
    const good = script('good', 'echo "Chromium 1.2.3 built on Test"; echo second line');
    const bad = script('bad', 'echo "error while loading shared libraries: libnss3.so" >&2; exit 127');
    expect(searchChromium(realSearchEnvironment({ CHROME_PATH: good })).found).toEqual({
      path: good,
      version: 'Chromium 1.2.3 built on Test',
      source: 'CHROME_PATH',
    });
    expect(searchChromium(realSearchEnvironment({ CHROME_PATH: bad })).misconfigured).toBe(
      `CHROME_PATH is set to ${bad}, but it does not run (exit 127: error while loading shared libraries: libnss3.so)`,
    );
    expect(searchChromium(realSearchEnvironment({ CHROME_PATH: join(folder, 'none') })).misconfigured).toBe(
      `CHROME_PATH is set to ${join(folder, 'none')}, but there is no file there`,
    );
  });

  it('`npm run browser` prints one line naming the browser, or the failure and exit 1', () => {
    const tsx = resolve(__dirname, '../../node_modules/.bin/tsx');
    const cli = resolve(__dirname, '../../scripts/browser.ts');
    const good = script('chrome', 'echo "Chromium 1.2.3"');
    const found = spawnSync(tsx, [cli], { encoding: 'utf8', env: { ...process.env, CHROME_PATH: good } });
    expect(found.status).toBe(0);
    expect(found.stdout).toBe(`Browser tests: Chromium 1.2.3 at ${good}, found (CHROME_PATH)\n`);
    const missing = spawnSync(tsx, [cli], {
      encoding: 'utf8',
      env: { ...process.env, CHROME_PATH: join(folder, 'none') },
    });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(
      `CHROME_PATH is set to ${join(folder, 'none')}, but there is no file there`,
    );
    expect(missing.stderr).toContain('Fix: install Chromium');
  });
});
