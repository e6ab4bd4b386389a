// Builds the package: the construct as CommonJS with declarations into dist (aws-cdk-lib itself is
// CommonJS; an ES module app imports it as such), and its two functions bundled, the key rotation
// into assets/key-rotation and the expiry sweeper into assets/expiry-sweeper, so a user's stack
// deploys them as they are, with no bundler of its own.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { buildSync } from 'esbuild';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** Each function's handler and the asset folder it is bundled into. */
const FUNCTIONS = [
  ['rotation/handler.ts', 'assets/key-rotation/index.js'],
  ['sweeper/handler.ts', 'assets/expiry-sweeper/index.js'],
];

rmSync('dist', { recursive: true, force: true });
rmSync('assets', { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
for (const [entry, outfile] of FUNCTIONS) {
  buildSync({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    // The packages' ES module builds, which esbuild tree-shakes (the SDK clients ship both).
    mainFields: ['module', 'main'],
    // And the same for packages with an `exports` map (@smithy/core): their ES module builds.
    conditions: ['module'],
    // Code the function never runs: the browser user-agent parser, and the credential providers
    // after the environment's (Lambda gives credentials in environment variables).
    external: [
      'bowser',
      '@aws-sdk/credential-provider-sso',
      '@aws-sdk/credential-provider-ini',
      '@aws-sdk/credential-provider-process',
      '@aws-sdk/credential-provider-web-identity',
      '@aws-sdk/credential-provider-http',
      '@smithy/credential-provider-imds',
    ],
    logLevel: 'warning',
  });
}
