import { randomBytes } from 'node:crypto';
import * as path from 'node:path';

/** The repository root (scripts/bench/ is two levels down). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** Where results are written (git-ignored). */
export const RESULTS_FOLDER = path.join(PROJECT_ROOT, 'bench-results');

/** The table the flow bench creates in its in-memory dynalite. */
export const BENCH_TABLE = 'sessions-bench';

/** The peer's table (connect-dynamodb's key schema), on the same dynalite. */
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
