import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import {
  DEFAULT_ROUTE_FUNCTION,
  FUNCTION_NAMES,
  FUNCTIONS,
  type FunctionName,
  ROUTES,
  routeKey,
} from '../../lambda/contract';
import { SessionsStack } from '../../lib/SessionsStack';
import { cdkTestApp } from '../support/cdk';

// `sam local invoke <id> -e events/<file> --env-vars events/env.json` on the `-c samLocal=true`
// template (docs/operations.md, "Run one function locally"), checked without SAM or Docker: every
// sample event names a function the template has, whose handler its entry exports, and env.json
// sets exactly what the functions declare. Bundling is skipped (sam.test.ts runs the real bundles):
// the handler is looked for in the entry the stack bundles.
const ROOT = path.join(__dirname, '../..');
const EVENTS = path.join(ROOT, 'events');

type LambdaResource = {
  Type: string;
  Metadata?: Record<string, unknown>;
  Properties: { Handler?: string; Environment?: { Variables: Record<string, unknown> } };
};

/** The samLocal template's functions by the id `sam local invoke` takes (see `samResourceId`). */
let samFunctions: Map<string, { logicalId: string; resource: LambdaResource }>;

beforeAll(() => {
  // The CLI writes the path and asset metadata SAM reads; an App built in a test must ask for them.
  const { app, cleanup } = cdkTestApp({
    samLocal: 'true',
    'aws:cdk:enable-path-metadata': true,
    'aws:cdk:enable-asset-metadata': true,
  });
  try {
    const stack = new SessionsStack(app, 'ServerSessionsStack');
    app.synth();
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, LambdaResource>;
    samFunctions = new Map(
      Object.entries(resources)
        .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
        .map(([logicalId, resource]) => [samResourceId(logicalId, resource), { logicalId, resource }]),
    );
  } finally {
    cleanup();
  }
}, 60_000);

/**
 * The id SAM gives a resource of a CDK template, as its `get_resource_id` does: `SamResourceId`
 * metadata if set, else the construct id from `aws:cdk:path` (`Stack/LoginFunction/Resource`
 * gives `LoginFunction`), else the logical id. `sam local invoke` takes it or the logical id.
 */
function samResourceId(logicalId: string, resource: LambdaResource): string {
  const custom = resource.Metadata?.SamResourceId;
  if (typeof custom === 'string' && custom !== '') return custom;
  const cdkPath = resource.Metadata?.['aws:cdk:path'];
  if (typeof cdkPath !== 'string' || cdkPath.split('/').length < 2) return logicalId;
  const parts = cdkPath.split('/');
  return parts.at(-1) === 'Resource' ? (parts.at(-2) ?? logicalId) : (parts.at(-1) ?? logicalId);
}

const pascal = (name: string) => `${name.charAt(0).toUpperCase()}${name.slice(1)}`;
/** The id docs/operations.md gives `sam local invoke` for a function: its construct id. */
const samIdOf = (name: FunctionName) => `${pascal(name)}Function`;

const eventFiles = readdirSync(EVENTS).filter((file) => file.endsWith('.json') && file !== 'env.json');

/** The function an event file is for: the part of its name before `-` or `.` (`login-form.json`: login). */
function functionOfFile(file: string): string {
  return file.split(/[-.]/)[0];
}

function isFunctionName(name: string): name is FunctionName {
  return Object.hasOwn(FUNCTIONS, name);
}

/** What `--env-vars events/env.json` sets for a function: its Parameters, then its own section, if any. */
function overridesFor(samId: string, logicalId: string): Record<string, unknown> {
  const env = JSON.parse(readFileSync(path.join(EVENTS, 'env.json'), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
  return { ...env.Parameters, ...env[samId], ...env[logicalId] };
}

describe('the sample events of events/', () => {
  it.each(eventFiles)(
    '%s names a function the samLocal template has, the one its route key reaches',
    (file) => {
      // Prepare
      const event = JSON.parse(readFileSync(path.join(EVENTS, file), 'utf8')) as { routeKey: string };
      const name = functionOfFile(file);

      // Assess
      expect(isFunctionName(name)).toBe(true);
      if (!isFunctionName(name)) return;
      expect(samFunctions.has(samIdOf(name))).toBe(true);
      const route = ROUTES.find((candidate) => routeKey(candidate) === event.routeKey);
      expect(route?.function ?? DEFAULT_ROUTE_FUNCTION).toBe(name);
    },
  );

  it('are all listed in docs/operations.md with the function sam local invoke runs them with', () => {
    // Prepare: the sample events' table, `| \`file\` | \`SamId\` (\`name\`) | request |`
    const operations = readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8');
    const rows = [...operations.matchAll(/^\| `([\w-]+\.json)` \| `(\w+)` \(`(\w+)`\) \|/gm)].map(
      ([, file, samId, name]) => ({ file, samId, name }),
    );

    // Assess
    expect(rows.map((row) => row.file).sort()).toEqual([...eventFiles].sort());
    for (const row of rows) {
      expect(row.name).toBe(functionOfFile(row.file));
      expect(row.samId).toBe(samIdOf(row.name as FunctionName));
    }
    const invoked = [
      ...operations.matchAll(/sam local invoke -t \S+ (\w+) \\\s*\n\s*-e events\/([\w-]+\.json)/g),
    ];
    expect(invoked.length).toBeGreaterThan(0);
    for (const [, samId, file] of invoked) expect(samId).toBe(samIdOf(functionOfFile(file) as FunctionName));
  });
});

describe('the functions sam local invoke runs', () => {
  it('are the four handlers, each pointing at its bundled asset with the handler index.handler', () => {
    for (const name of FUNCTION_NAMES) {
      const found = samFunctions.get(samIdOf(name));
      expect(found?.resource.Metadata).toMatchObject({
        'aws:asset:property': 'Code',
        'aws:asset:path': expect.any(String),
      });
      expect(found?.resource.Properties.Handler).toBe('index.handler');
    }
  });

  it('find that handler: the entry the stack bundles into index.js exports it', async () => {
    // Prepare: what each entry exports, read by esbuild without bundling or running it
    const entries = FUNCTION_NAMES.map((name) => FUNCTIONS[name].entry);
    const result = await build({
      entryPoints: entries.map((entry) => path.join(ROOT, entry)),
      absWorkingDir: ROOT,
      bundle: false,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'node',
      outdir: 'out',
      logLevel: 'silent',
    });
    const exportsOf = new Map(
      Object.values(result.metafile.outputs).map((output) => [output.entryPoint, output.exports]),
    );

    // Assess: `index.handler` is the export `handler` of the bundle's entry
    for (const name of FUNCTION_NAMES) {
      const handler = samFunctions.get(samIdOf(name))?.resource.Properties.Handler ?? '';
      const exported = handler.slice(handler.lastIndexOf('.') + 1);
      expect(exportsOf.get(FUNCTIONS[name].entry)).toContain(exported);
    }
  });

  it('get from events/env.json exactly the variables they declare, the literal ones unchanged', () => {
    for (const name of FUNCTION_NAMES) {
      // Prepare
      const found = samFunctions.get(samIdOf(name));
      if (!found) throw new Error(`no function ${samIdOf(name)}`);
      const declared = found.resource.Properties.Environment?.Variables ?? {};
      const overrides = overridesFor(samIdOf(name), found.logicalId);

      // Assess: no variable missing (a blank or a reference SAM cannot resolve gets a local
      // value), none extra (SAM would ignore it), and a literal the template sets stays as it is.
      expect(Object.keys(overrides).sort()).toEqual(Object.keys(declared).sort());
      for (const [variable, value] of Object.entries(declared)) {
        if (typeof value === 'string' && value !== '')
          expect([variable, overrides[variable]]).toEqual([variable, value]);
      }
    }
  });
});
