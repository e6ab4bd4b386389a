import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';

/** cdk.json's context, so a test synthesizes with the same feature flags as `cdk synth`. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8'));
  return cdkJson.context;
}

/**
 * An App with cdk.json's context plus `context`, bundling skipped (it takes seconds; these tests
 * are about templates), writing to a temporary folder that `cleanup()` removes.
 */
export function cdkTestApp(context: Record<string, unknown> = {}): { app: App; cleanup(): void } {
  const outdir = mkdtempSync(path.join(tmpdir(), 'cdk-test-'));
  const app = new App({
    outdir,
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...context },
  });
  return { app, cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
}
