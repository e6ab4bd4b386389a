import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type BuildOptions, build } from 'esbuild';
import { FUNCTION_BUNDLING } from '../../lib/bundling';
import { PROJECT_ROOT } from './constants';

/** What the Lambda Node.js runtime provides: left out of the bundle in the "SDK external" variant. */
export const RUNTIME_PROVIDED_MODULES = ['@aws-sdk/*', '@smithy/*'];

/** The reference: a bundle that does nothing but load the DynamoDB client. */
export const REFERENCE_SOURCE =
  "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const c = DynamoDBClient;\n";

/** The reference with its client created, as every function that uses DynamoDB does at init. */
export const REFERENCE_CREATED_SOURCE =
  "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\n" +
  'export const c = DynamoDBClient;\nexport const client = new DynamoDBClient({});\n';

/** The reference plus the Secrets Manager client, which the functions load at their first request
 * when their keys come from SESSION_SECRET_ARN (as deployed). */
export const REFERENCE_WITH_SECRETS_SOURCE =
  "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\n" +
  "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';\n" +
  'export const c = DynamoDBClient;\nexport const s = SecretsManagerClient;\n';

export type SdkMode = 'bundled' | 'external';

/** The `bundling` props mirrored below; any other prop makes `esbuildOptionsFor` refuse. */
const MIRRORED_PROPS = new Set(['minify', 'sourceMap', 'sourcesContent', 'target', 'externalModules']);

/**
 * The esbuild build options NodejsFunction's local bundling derives from `bundling` (aws-cdk-lib
 * 2.276 `Bundling.buildEsbuildArgs`): `esbuild --bundle <entry> --target=<target> --platform=node
 * --outfile=<dir>/index.js [--minify] [--sourcemap] [--sources-content=false] [--external:<m>]…`,
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
    absWorkingDir: PROJECT_ROOT,
    logLevel: 'error',
  };
}

export interface BuiltBundle {
  file: string;
  bytes: number;
  mapBytes: number;
}

/**
 * Bundles `entry` (a path from the repository root, or the reference source) as the stack does,
 * with the SDK bundled or left to the runtime, into `outdir/index.js`.
 */
export async function bundleFunction(
  entry: string | { source: string },
  outdir: string,
  sdk: SdkMode,
): Promise<BuiltBundle> {
  const bundling: BundlingOptions =
    sdk === 'bundled'
      ? FUNCTION_BUNDLING
      : {
          ...FUNCTION_BUNDLING,
          externalModules: [...FUNCTION_BUNDLING.externalModules, ...RUNTIME_PROVIDED_MODULES],
        };
  const file = path.join(outdir, 'index.js');
  const options = esbuildOptionsFor(bundling, file);
  await build({
    ...options,
    ...(typeof entry === 'string'
      ? { entryPoints: [path.join(PROJECT_ROOT, entry)] }
      : {
          stdin: {
            contents: entry.source,
            resolveDir: PROJECT_ROOT,
            sourcefile: 'dynamodb-client-only.ts',
            loader: 'ts',
          },
        }),
  });
  const [js, map] = await Promise.all([stat(file), stat(`${file}.map`).catch(() => undefined)]);
  return { file, bytes: js.size, mapBytes: map?.size ?? 0 };
}
