import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/** The bundles' esbuild target: the stack's Lambda runtime (Node.js 24). */
export const ESBUILD_TARGET = 'node24';

/**
 * How every session function is bundled (NodejsFunction `bundling` props). The stack passes it
 * as is and the benchmark derives its esbuild options from it, so both build the same bundle.
 * Type-only import: loading this file does not load aws-cdk-lib.
 * @example new nodejs.NodejsFunction(this, 'Fn', { entry, bundling: FUNCTION_BUNDLING });
 */
export const FUNCTION_BUNDLING = {
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  target: ESBUILD_TARGET,
  // Resolve packages to their ES module builds, which esbuild can tree-shake: the SDK clients and
  // Powertools ship both, and the CommonJS build keeps every command and the aggregated client.
  // Smaller bundles load faster at a cold start (measured by npm run bench: docs/performance.md).
  mainFields: ['module', 'main'],
  // The pinned AWS SDK is bundled, not taken from the runtime (whatever version that is), except
  // bowser: the SDK imports it dynamically only to parse a browser's user agent, which never
  // happens on Node. Left out, it adds nothing to the bundles (sizes: docs/performance.md).
  externalModules: ['bowser'],
} satisfies BundlingOptions;
