import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/** The bundles' esbuild target: the stack's Lambda runtime (Node.js 24). */
export const ESBUILD_TARGET = 'node24';

/**
 * The packages `@aws-sdk/credential-provider-node` imports dynamically, and only when the
 * environment holds no credentials (SSO, profile files, a process, a web identity token, the
 * container or instance metadata endpoints). They pull in whole STS and SSO clients.
 */
export const CREDENTIAL_PROVIDERS_AFTER_ENVIRONMENT = [
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@smithy/credential-provider-imds',
];

/**
 * How every session function is bundled (NodejsFunction `bundling` props). The stack passes it
 * as is and the benchmark derives its esbuild options from it, so both build the same bundle.
 * Type-only import: loading this file does not load aws-cdk-lib.
 * @example new nodejs.NodejsFunction(this, 'Fn', { entry, bundling: FUNCTION_BUNDLING });
 */
export const FUNCTION_BUNDLING = {
  // `lambda-sessions-source`: the workspace packages from their sources, as the tests and the
  // local server run them, so a deploy never ships a stale build of @lambda-sessions/dynamodb (the
  // code is the same a user's bundler takes from its dist/esm). `module`: packages whose `exports`
  // map offers an ES module build under that condition (@smithy/core, which every SDK client
  // uses) give it, and esbuild tree-shakes it; without it esbuild takes their CommonJS builds
  // whole (about 130 KB more per bundle).
  esbuildArgs: { '--conditions': 'lambda-sessions-source,module' },
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  target: ESBUILD_TARGET,
  // Resolve packages to their ES module builds, which esbuild can tree-shake: the SDK clients and
  // Powertools ship both, and the CommonJS build keeps every command and the aggregated client.
  // Smaller bundles load faster at a cold start (measured by npm run bench: docs/performance.md).
  mainFields: ['module', 'main'],
  // The pinned AWS SDK is bundled, not taken from the runtime (whatever version that is), except
  // code a function never runs, which would only cost bytes to compile at each cold start:
  externalModules: [
    // imported dynamically only to parse a browser's user agent, which never happens on Node;
    'bowser',
    // the default credential chain's providers after the first: Lambda (and `sam local invoke`)
    // give credentials in environment variables, which the chain's first provider reads, so
    // these are imported only where there are none (sizes: docs/performance.md).
    ...CREDENTIAL_PROVIDERS_AFTER_ENVIRONMENT,
  ],
} satisfies BundlingOptions;
