// The sources the tarball tests write next to docs/library.md's examples in a scratch project:
// a harness that drives the documented handlers and snippets and prints what it saw as JSON.
// They are TypeScript compiled by the scratch project's own tsc, as ES modules or as CommonJS.

/** What the API snippets are given in scope (docs/library.md's "API" section says so). */
export const SNIPPET_PRELUDE = [
  "import type { APIGatewayProxyEventV2 } from 'aws-lambda';",
  "import type { Session, SessionManager, SessionRequest } from '@lambda-sessions/dynamodb';",
];
export const SNIPPET_SCOPE =
  '{ sessions, request, event, session }: { sessions: SessionManager; request: SessionRequest; event: APIGatewayProxyEventV2; session: Session }';

/** `where.ts`: which module system runs the harness and which files the package's entries resolve to. */
export function whereSource(type: 'module' | 'commonjs'): string {
  const resolve =
    type === 'module'
      ? "import { fileURLToPath } from 'node:url';\nconst resolve = (specifier: string) => fileURLToPath(import.meta.resolve(specifier));"
      : 'const resolve = (specifier: string) => require.resolve(specifier);';
  return `${resolve}
export const moduleSystem = typeof require === 'function' && typeof module === 'object' ? 'commonjs' : 'module';
export const resolved = Object.fromEntries(
  ['@lambda-sessions/dynamodb', '@lambda-sessions/dynamodb/middy', '@lambda-sessions/dynamodb/powertools'].map(
    (specifier) => [specifier, resolve(specifier)],
  ),
);
`;
}

/** `middyHandlers.ts` of an ES module project: the documented middy.ts, imported as it is. */
export const MIDDY_HANDLERS_ESM = `import { index, login, logout } from './middy.js';

export async function middyHandlers() {
  return { index, login, logout };
}
`;

/**
 * docs/library.md's middy.ts for a CommonJS project. `@middy/core` ships ES modules only, its
 * `exports` with an `import` condition alone, so from CommonJS its static import does not compile
 * (TS2307) nor `require` (ERR_PACKAGE_PATH_NOT_EXPORTED). As the page advises, Middy comes from
 * `await import('@middy/core')` instead, and the rest of the example runs as written, inside a
 * function, with `sessionMiddleware` required from the package's CommonJS build.
 */
export function commonJsMiddy(code: string): string {
  const lines = code.split('\n');
  const middyImport = "import middy from '@middy/core';";
  if (!lines.includes(middyImport)) throw new Error(`middy.ts: expected the line \`${middyImport}\``);
  const imports = lines.filter((line) => line.startsWith('import ') && line !== middyImport);
  const body = lines.filter((line) => !line.startsWith('import ')).join('\n');
  const exported = [...body.matchAll(/^export const (\w+)/gm)].map((match) => match[1]);
  if (exported.length === 0) throw new Error('middy.ts: expected `export const` handlers');
  const inner = body
    .replace(/^export const /gm, 'const ')
    .split('\n')
    .map((line) => (line === '' ? line : `  ${line}`))
    .join('\n');
  return `${imports.join('\n')}

export async function middyHandlers() {
  const { default: middy } = await import('@middy/core');
${inner}
  return { ${exported.join(', ')} };
}
`;
}

/** Drives the documented handlers (plain, Middy, Powertools' Router) through login, a page view and logout, or runs the snippets. */
export const HARNESS = `import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createDocumentClient, SessionManager, StaticKeys, sessionRequestFromEvent } from '@lambda-sessions/dynamodb';
import { middyHandlers } from './middyHandlers.js';
import * as plain from './plain.js';
import * as powertools from './powertools.js';
import { snippets } from './snippets.js';
import { moduleSystem, resolved } from './where.js';

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

function event(rawPath: string, cookies: string[] = [], method = 'GET'): APIGatewayProxyEventV2 {
  return {
    version: '2.0', routeKey: '$default', rawPath, rawQueryString: '', cookies,
    headers: { host: 'example.com', 'x-forwarded-proto': 'https', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' },
    requestContext: {
      accountId: '123456789012', apiId: 'api', domainName: 'example.com', domainPrefix: 'example',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'test' },
      requestId: 'id', routeKey: '$default', stage: '$default', time: '', timeEpoch: 0,
    },
    isBase64Encoded: false,
  };
}

const context = { awsRequestId: 'test', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

async function flow(index: Handler, login: Handler, logout: Handler) {
  // A page is a GET; logging in and out are POSTs (the Router routes by method, the others need not).
  const call = async (handler: Handler, path: string, cookies?: string[]) =>
    (await handler(event(path, cookies, path === '/' ? 'GET' : 'POST'), context)) as APIGatewayProxyStructuredResultV2;
  const anonymous = await call(index, '/');
  const loggedIn = await call(login, '/login');
  const cookie = (loggedIn.cookies ?? [])[0]?.split(';')[0] ?? '';
  const page = await call(index, '/', [cookie]);
  const loggedOut = await call(logout, '/logout', [cookie]);
  const after = await call(index, '/', [cookie]);
  return {
    anonymous: anonymous.body,
    login: { status: loggedIn.statusCode, cookies: loggedIn.cookies },
    page: { body: page.body, cookies: page.cookies ?? [] },
    logout: { status: loggedOut.statusCode, cookies: loggedOut.cookies },
    after: after.body,
  };
}

async function runSnippets() {
  const sessions = new SessionManager({
    client: createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT }),
    tableName: process.env.TABLE_NAME ?? '',
    keys: new StaticKeys([process.env.SESSION_KEY ?? '']),
  });
  const login = sessionRequestFromEvent(event('/login'));
  const fresh = await sessions.attach(login);
  fresh.regenerate();
  fresh.clear();
  fresh.set('username', 'admin');
  const cookie = (await sessions.commit(fresh, login))[0].split(';')[0];
  const request = sessionRequestFromEvent(event('/', [cookie]));
  const session = await sessions.load(request);
  let ran = 0;
  for (const snippet of snippets) {
    try {
      await snippet.run({ sessions, request, event: event('/', [cookie]), session });
    } catch (error) {
      throw new Error(\`the snippet at docs/library.md line \${snippet.line} failed: \${error}\`, { cause: error });
    }
    ran++;
  }
  return { ran, outcome: session.outcome };
}

async function main(which: string | undefined): Promise<unknown> {
  if (which === 'plain') return flow(plain.handler, plain.handler, plain.handler);
  if (which === 'middy') {
    const viaMiddy = (await middyHandlers()) as unknown as Record<'index' | 'login' | 'logout', Handler>;
    return flow(viaMiddy.index, viaMiddy.login, viaMiddy.logout);
  }
  if (which === 'powertools') return flow(powertools.handler, powertools.handler, powertools.handler);
  if (which === 'snippets') return runSnippets();
  return { moduleSystem, resolved };
}

main(process.argv[2]).then(
  (result) => process.stdout.write(JSON.stringify(result)),
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
`;

/**
 * `app.ts` of the scratch CDK app: the packed construct with a function of the app's own, checked
 * by cdk-nag's AwsSolutions pack, synthesized in-process into `CDK_OUTDIR`. Prints the findings no
 * acknowledgment covers and every acknowledgment in the tree.
 */
export const CDK_APP = `import { ServerSessions } from '@lambda-sessions/cdk';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';

const app = new App();
const stack = new Stack(app, 'ScratchApp');
const sessions = new ServerSessions(stack, 'Sessions');
const index = new lambda.Function(stack, 'Index', {
  runtime: lambda.Runtime.NODEJS_24_X,
  handler: 'index.handler',
  code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200, body: "ok" });'),
});
sessions.grantSessionAccess(index, 'read-refresh');
// The app's own function, not the construct: its role has the managed policy CDK gives by default.
Validations.of(index).acknowledge({
  id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
  reason: 'A scratch function for the test: the managed policy only lets it write its own logs.',
});

const checks = new AwsSolutionsChecks(app);
Validations.of(app).addPlugins(checks);
let synthError: string | undefined;
try {
  app.synth();
} catch (error) {
  synthError = String(error);
}
const findings = checks
  .validateScope(app)
  .violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => \`\${violation.ruleName} at \${resource.constructPath}\`),
  );
const acknowledgments = app.node.findAll().flatMap((construct) =>
  construct.node.metadata
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) =>
      Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ at: construct.node.path, id, reason })),
    ),
);
process.stdout.write(JSON.stringify({ synthError, findings, acknowledgments }));
`;
