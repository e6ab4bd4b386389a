/**
 * `npm run browser` (run by `npm test` before Jest): finds the Chromium the browser tests drive,
 * or installs one (Playwright's download, else Debian's package when allowed), and prints one
 * line saying which. Exits 1, saying what was tried and how to fix it, when there is none.
 */
import { NoChromiumError, provisionChromium } from './browser/provisionChromium';

try {
  const chromium = provisionChromium();
  const how = chromium.how === 'found' ? `found (${chromium.source})` : `installed with ${chromium.how}`;
  console.log(`Browser tests: ${chromium.version} at ${chromium.path}, ${how}`);
} catch (error) {
  console.error(error instanceof NoChromiumError ? error.message : error);
  process.exit(1);
}
