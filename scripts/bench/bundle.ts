import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { FUNCTION_BUNDLING } from '../../lib/bundling';
import { PROJECT_ROOT } from './common';

/**
 * `external`: the AWS SDK left to the Lambda runtime. Unused by the bench, which measures what
 * deploys (`bundled`); kept for test/infra/sam.test.ts's call.
 */
export type SdkMode = 'bundled' | 'external';
const RUNTIME_PROVIDED_MODULES = ['@aws-sdk/*', '@smithy/*'];

/** The `bundling` props mirrored below; any other prop makes `esbuildOptionsFor` refuse. */
const MIRRORED_PROPS = new Set([
  'esbuildArgs',
  'minify',
  'sourceMap',
  'sourcesContent',
  'target',
  'externalModules',
  'mainFields',
]);

/**
 * The esbuild build options NodejsFunction's local bundling derives from `bundling` (aws-cdk-lib
 * 2.276 `Bundling.buildEsbuildArgs`): `esbuild --bundle <entry> --target=<target> --platform=node
 * --outfile=<dir>/index.js [--minify] [--sourcemap] [--sources-content=false] [--external:<m>]…
 * [--main-fields=<f>,…] [--conditions=<c>,…]`,
 * no `--format` (esbuild then emits CommonJS for platform node). A prop not mirrored here throws,
 * so lib/bundling.ts cannot change without the bench noticing.
 * @example await build(esbuildOptionsFor(FUNCTION_BUNDLING, '/tmp/out/index.js'));
 */
export function esbuildOptionsFor(bundling: BundlingOptions, outfile: string): BuildOptions {
  const unmirrored = Object.keys(bundling).filter((prop) => !MIRRORED_PROPS.has(prop));
  if (unmirrored.length > 0) {
    throw new Error(`scripts/bench/bundle.ts does not mirror the bundling props: ${unmirrored.join(', ')}`);
  }
  // Without these two NodejsFunction derives values from the runtime and feature flags: keep them explicit.
  if (bundling.target === undefined || bundling.externalModules === undefined) {
    throw new Error('lib/bundling.ts must set target and externalModules explicitly');
  }
  return {
    bundle: true,
    platform: 'node',
    target: bundling.target,
    outfile,
    minify: bundling.minify === true,
    // `--sourcemap` with an outfile: a linked index.js.map (what the JS API's `true` means).
    sourcemap: bundling.sourceMap === true,
    sourcesContent: bundling.sourcesContent ?? true,
    external: bundling.externalModules,
    // Left out, esbuild uses its default for platform node (main, then module).
    ...(bundling.mainFields === undefined ? {} : { mainFields: bundling.mainFields }),
    ...conditionsOf(bundling.esbuildArgs),
    absWorkingDir: PROJECT_ROOT,
    logLevel: 'error',
  };
}

/** `--conditions` of `esbuildArgs`, the only argument mirrored; any other throws. */
function conditionsOf(args: BundlingOptions['esbuildArgs']): Pick<BuildOptions, 'conditions'> {
  if (args === undefined) return {};
  const { '--conditions': conditions, ...others } = args;
  if (Object.keys(others).length > 0) {
    throw new Error(
      `scripts/bench/bundle.ts does not mirror the esbuild arguments: ${Object.keys(others).join(', ')}`,
    );
  }
  return typeof conditions === 'string' ? { conditions: conditions.split(',') } : {};
}

export interface BuiltBundle {
  file: string;
  bytes: number;
}

/**
 * Bundles `entry` (a path from the repository root, or a source) as the stack does (or with
 * `bundling` instead) into `outdir/index.js`. `plugins` change where modules come from, never the
 * build options (the peer's dedupe.ts).
 */
export async function bundleFunction(
  entry: string | { name: string; source: string },
  outdir: string,
  sdk: SdkMode,
  bundling: BundlingOptions = FUNCTION_BUNDLING,
  plugins: Plugin[] = [],
): Promise<BuiltBundle> {
  const file = path.join(outdir, 'index.js');
  const options = esbuildOptionsFor(
    sdk === 'bundled'
      ? bundling
      : { ...bundling, externalModules: [...(bundling.externalModules ?? []), ...RUNTIME_PROVIDED_MODULES] },
    file,
  );
  await build({
    ...options,
    ...(plugins.length > 0 ? { plugins } : {}),
    ...(typeof entry === 'string'
      ? { entryPoints: [path.join(PROJECT_ROOT, entry)] }
      : {
          stdin: {
            contents: entry.source,
            resolveDir: PROJECT_ROOT,
            sourcefile: `${entry.name}.ts`,
            loader: 'ts',
          },
        }),
  });
  return { file, bytes: (await stat(file)).size };
}
