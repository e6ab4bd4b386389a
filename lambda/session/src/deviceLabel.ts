/** How much of a User-Agent is looked at: real ones are a few hundred characters. */
const MAX_USER_AGENT_LENGTH = 512;

/** First match wins: Edge and Opera also say Chrome, Chrome also says Safari. */
const BROWSERS: readonly [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\b(?:OPR|Opera)\//, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\b(?:Firefox|FxiOS)\//, 'Firefox'],
  [/\b(?:Chrome|Chromium|CriOS|HeadlessChrome)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
];

/** First match wins: Android and ChromeOS also say Linux, iOS says "like Mac OS X". */
const SYSTEMS: readonly [RegExp, string][] = [
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

function firstMatch(text: string, table: readonly [RegExp, string][], fallback: string): string {
  for (const [pattern, label] of table) if (pattern.test(text)) return label;
  return fallback;
}

/**
 * A coarse, fixed label for a User-Agent, such as `Firefox on Linux`: one of a handful of browsers
 * and systems, `Unknown browser` or `Unknown OS` otherwise. It never echoes the header's text, so
 * it is safe to store and show, and it says little about the user (no versions, no models).
 * @example deviceLabel('Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'); // 'Firefox on Linux'
 */
export function deviceLabel(userAgent: string | undefined): string {
  const text = typeof userAgent === 'string' ? userAgent.slice(0, MAX_USER_AGENT_LENGTH) : '';
  return `${firstMatch(text, BROWSERS, 'Unknown browser')} on ${firstMatch(text, SYSTEMS, 'Unknown OS')}`;
}
