import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { type ProxiedMemoryStore, startMemoryStore } from '../../lib/local/memoryStore';

/** The repository root (scripts/bench/ is two levels down). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
/** Where results are written (git-ignored). */
export const RESULTS_FOLDER = path.join(PROJECT_ROOT, 'bench-results');
/** Our table in the bench's in-memory dynalite, and the peer's (connect-dynamodb's key schema) beside it. */
export const BENCH_TABLE = 'sessions-bench';
export const PEER_TABLE = 'peer-sessions-bench';

/**
 * Nothing may reach AWS: dummy credentials, a fixed region, no instance-metadata probing, and no
 * SDK warning about this machine's Node version (Lambda runs a newer one).
 */
export const OFFLINE_AWS_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
} as const;

/** A fresh random signing key for one run: nothing the bench signs outlives it. */
export function randomSigningKey(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * A correctness check failed: the bench stops and exits non-zero, so a fast wrong answer can
 * never look like a good result.
 */
export class BenchCheckError extends Error {
  constructor(step: string, expected: string, got: string) {
    super(`${step}: expected ${expected}, got ${got}`);
    this.name = 'BenchCheckError';
  }
}

/** Counts the checks that held; the first that does not throws `BenchCheckError`. */
export class Checks {
  count = 0;

  check(step: string, condition: boolean, expected: string, got: () => string): void {
    if (!condition) throw new BenchCheckError(step, expected, got());
    this.count++;
  }
}

/**
 * An in-memory dynalite on loopback with our table, behind a proxy that counts DynamoDB operations
 * at the HTTP level: point every client at `proxy.endpoint`. Needs `OFFLINE_AWS_ENV` in `process.env`.
 */
export async function startBenchStore(): Promise<ProxiedMemoryStore> {
  if (!process.env.AWS_REGION || !process.env.AWS_ACCESS_KEY_ID) {
    throw new Error('the bench needs AWS_REGION and dummy credentials in the environment');
  }
  return startMemoryStore({ tableName: BENCH_TABLE, proxy: true });
}

/** A response of ours (`HttpResponse`) or of the peer (serverless-http's result). */
export interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  cookies?: string[];
  body: string;
}

/** What an error message shows of a response: status, location, cookie attributes (no values), the page's text. */
export function describeResponse(response: Answer): string {
  const cookies = (response.cookies ?? []).map((cookie) => cookie.replace(/=[^;]*/, '=…'));
  const main = /<main>([\s\S]*?)<\/main>/.exec(response.body)?.[1] ?? response.body;
  const text = main
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 160);
  const location = response.headers.location ? ` → ${response.headers.location}` : '';
  return `status ${response.statusCode}${location}, set-cookie [${cookies.join(' | ')}], body "${text}"`;
}

/** Checks for a 200 whose page holds `text`, or a 303 to `text`. */
export function expectAnswer(
  checks: Checks,
  step: string,
  response: Answer,
  [status, text]: [200 | 303, string],
): void {
  const holds =
    response.statusCode === status &&
    (status === 200 ? response.body.includes(text) : response.headers.location === text);
  checks.check(step, holds, status === 200 ? `200 with "${text}"` : `303 to ${text}`, () =>
    describeResponse(response),
  );
}
