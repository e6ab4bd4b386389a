import fc from 'fast-check';
import { deviceLabel } from '../../lambda/session/src/deviceLabel';

// Real User-Agent strings, one per browser and system the label knows.
const AGENTS: [string, string][] = [
  ['Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox on Linux'],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'Chrome on Windows',
  ],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
    'Edge on Windows',
  ],
  [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
    'Safari on macOS',
  ],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    'Safari on iOS',
  ],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
    'Chrome on iOS',
  ],
  [
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
    'Chrome on Android',
  ],
  [
    'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36',
    'Samsung Internet on Android',
  ],
  [
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'Chrome on ChromeOS',
  ],
  [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/114.0.0.0',
    'Opera on macOS',
  ],
  ['Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0', 'Firefox on Android'],
  [
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
    'Chrome on Linux',
  ],
];

describe('deviceLabel', () => {
  it.each(AGENTS)('%s → %s', (userAgent, label) => {
    expect(deviceLabel(userAgent)).toBe(label);
  });

  it.each([
    [undefined, 'Unknown browser on Unknown OS'],
    ['', 'Unknown browser on Unknown OS'],
    ['curl/8.5.0', 'Unknown browser on Unknown OS'],
    ['jest', 'Unknown browser on Unknown OS'],
    ['<script>alert(1)</script> Windows', 'Unknown browser on Windows'],
  ])('%p → %s', (userAgent, label) => {
    expect(deviceLabel(userAgent)).toBe(label);
  });

  it('looks at the first 512 characters only', () => {
    expect(deviceLabel(`${'x'.repeat(512)} Firefox/133.0 Linux`)).toBe('Unknown browser on Unknown OS');
    expect(deviceLabel(`Firefox/133.0 Linux ${'x'.repeat(100_000)}`)).toBe('Firefox on Linux');
  });

  it('only ever answers one of its fixed labels, whatever the header holds', () => {
    const browsers = ['Edge', 'Opera', 'Samsung Internet', 'Firefox', 'Chrome', 'Safari', 'Unknown browser'];
    const systems = ['iOS', 'Android', 'ChromeOS', 'Windows', 'macOS', 'Linux', 'Unknown OS'];
    const labels = new Set(browsers.flatMap((browser) => systems.map((system) => `${browser} on ${system}`)));
    const pieces = fc.constantFrom(
      'Firefox/1',
      'Chrome/2',
      'Edg/3',
      'Version/4 Safari/5',
      'Linux',
      'Android',
      ' ',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'grapheme' }), pieces), { maxLength: 20 }), (parts) => {
        const label = deviceLabel(parts.join(''));
        expect(labels.has(label)).toBe(true);
        expect(label.length).toBeLessThanOrEqual(64);
      }),
    );
  });
});
