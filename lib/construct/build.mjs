// Builds the package: the construct as CommonJS with declarations into dist (aws-cdk-lib itself is
// CommonJS; an ES module app imports it as such), and the key rotation function bundled into
// assets/key-rotation, so a user's stack deploys it as it is, with no bundler of its own.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { buildSync } from 'esbuild';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync('dist', { recursive: true, force: true });
rmSync('assets', { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
buildSync({
  entryPoints: ['rotation/handler.ts'],
  outfile: 'assets/key-rotation/index.js',
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
