import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { realSearchEnvironment, searchChromium } from '../../scripts/browser/findChromium';

/**
 * The launch flags of docs/design.md ("Toolchain facts"). The host resolver rule keeps Chromium from
 * looking up any remote host: only the local server is reachable.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost',
];

/**
 * The Chromium executable to drive (the one `npm run browser` reported), or an Error saying how
 * to get one.
 */
function findChromium(): string {
  const search = searchChromium(realSearchEnvironment());
  if (search.found) return search.found.path;
  throw new Error(
    search.misconfigured ??
      `No Chromium found (${search.tried.join('; ')}). The browser tests need one: \`npm run browser\` ` +
        'installs it where it can, or install it with `apt-get install chromium` (Debian/Ubuntu), or set ' +
        'CHROME_PATH to a Chromium or Chrome executable.',
  );
}

/** A headless Chromium; the caller closes it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: findChromium(), headless: true, args: CHROMIUM_ARGS });
}

/**
 * A headless Chromium on the profile in `userDataDir` (its cookie store on disk), as one context:
 * close it and launch again on the same folder to play a browser restart. The caller closes it.
 */
export function launchPersistentChromium(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: findChromium(),
    headless: true,
    args: CHROMIUM_ARGS,
  });
}
