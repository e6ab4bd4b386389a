import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where Chromium may be, in order; CHROME_PATH, when set, wins. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/**
 * The launch flags from DESIGN.md ("Toolchain facts"). The host resolver rule keeps Chromium from
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

/** The Chromium executable to drive, or an Error saying how to get one. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.CHROME_PATH?.trim();
  if (configured) {
    if (existsSync(configured)) return configured;
    throw new Error(`CHROME_PATH is set to ${configured}, but there is no file there`);
  }
  const found = CANDIDATES.find((candidate) => existsSync(candidate));
  if (found) return found;
  throw new Error(
    `No Chromium found (looked in ${CANDIDATES.join(', ')}). The browser tests need one: ` +
      'install it with `apt-get install chromium` (Debian/Ubuntu), or set CHROME_PATH to a ' +
      'Chromium or Chrome executable.',
  );
}

/** A headless Chromium; the caller closes it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: findChromium(), headless: true, args: CHROMIUM_ARGS });
}
