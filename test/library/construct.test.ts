import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { codeBlocks, installedPackages } from './docExamples';
import { CDK_APP } from './harness';
import {
  childEnv,
  compile,
  installProject,
  packWorkspaces,
  ROOT,
  run,
  runJson,
  type Tarball,
  tsconfig,
} from './scratch';

// @lambda-sessions/cdk as a user gets it: `npm pack`ed with its rotation function's bundle, and
// installed from the tarball (with @lambda-sessions/dynamodb's, its dependency) by `npm ci`,
// offline, into a CDK app outside this repository. The app adds a function of its own, grants it
// `read-refresh` and synthesizes in-process under cdk-nag's AwsSolutions checks. The same project
// type-checks and synthesizes docs/library.md's stack.ts.

const LIBRARY_DOC = path.join(ROOT, 'docs', 'library.md');
const CONSTRUCT = '@lambda-sessions/cdk';
const LIBRARY = '@lambda-sessions/dynamodb';
const STACK = 'ScratchApp';

const blocks = codeBlocks(readFileSync(LIBRARY_DOC, 'utf8'));
const fileBlock = (name: string) => blocks.find((block) => block.marker === `file: ${name}`);
const listed = (marker: string) =>
  installedPackages(blocks.find((block) => block.marker === marker)?.code ?? '');
/**
 * The page's project: both install blocks, its stack next to its handler. Not the CDK CLI
 * (`aws-cdk`): the test runs the app as the CLI would, without it. Then cdk-nag for the checks and
 * TypeScript to type-check.
 */
const PACKAGES = [
  ...new Set([
    ...listed('dependencies'),
    ...listed('dependencies: stack'),
    'cdk-nag',
    'typescript',
    '@types/node',
  ]),
].filter((name) => name !== 'aws-cdk');

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}
interface AppOutput {
  synthError?: string;
  findings: string[];
  acknowledgments: { at: string; id: string; reason: string }[];
}

let scratch: string;
let project: string;
let tarballs: Record<string, Tarball>;
let diagnostics: string;
let synthesized: AppOutput;
let outdir: string;
let resources: Record<string, Resource>;

/** The logical ids of the template's resources of `type`. */
const ofType = (type: string) => Object.keys(resources).filter((id) => resources[id].Type === type);
/** A folder's files by name, each as its SHA-256 (a readable comparison of bundles). */
const digests = (folder: string) =>
  Object.fromEntries(
    readdirSync(folder)
      .sort()
      .map((name) => [
        name,
        createHash('sha256')
          .update(readFileSync(path.join(folder, name)))
          .digest('hex'),
      ]),
  );
const installed = (name: string) => path.join(project, 'node_modules', ...name.split('/'));

beforeAll(async () => {
  // Prepare: the tarballs, the app installed from them and compiled by its tsc
  scratch = mkdtempSync(path.join(tmpdir(), 'session-construct-'));
  tarballs = await packWorkspaces(path.join(scratch, 'pack'));
  project = path.join(scratch, 'cdk-app');
  await installProject(project, 'commonjs', PACKAGES, tarballs);
  writeFileSync(path.join(project, 'tsconfig.json'), tsconfig());
  writeFileSync(path.join(project, 'app.ts'), CDK_APP);
  for (const name of ['stack.ts', 'plain.ts', 'multi-region-stack.ts']) {
    const example = fileBlock(name);
    if (example) writeFileSync(path.join(project, name), example.code);
  }
  diagnostics = await compile(project);

  // Act: synthesize the app in a node process of its own
  outdir = path.join(scratch, 'cdk.out');
  synthesized = await runJson<AppOutput>(project, [path.join('out', 'app.js')], { CDK_OUTDIR: outdir });
  const template = JSON.parse(readFileSync(path.join(outdir, `${STACK}.template.json`), 'utf8'));
  resources = template.Resources;
}, 110_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('a CDK app with the packed construct', () => {
  it('installs the construct and the library from their tarballs, not from the workspace', () => {
    for (const name of [CONSTRUCT, LIBRARY]) {
      expect({ name, link: lstatSync(installed(name)).isSymbolicLink() }).toEqual({ name, link: false });
      expect(JSON.parse(readFileSync(path.join(installed(name), 'package.json'), 'utf8')).version).toBe(
        tarballs[name].version,
      );
    }
  });

  it('type-checks the app and docs/library.md’s stack.ts and multi-region-stack.ts with their plain.ts', () => {
    expect(['stack.ts', 'plain.ts', 'multi-region-stack.ts'].map((name) => fileBlock(name)?.marker)).toEqual([
      'file: stack.ts',
      'file: plain.ts',
      'file: multi-region-stack.ts',
    ]);
    expect(diagnostics).toBe('');
  });

  it('synthesizes with cdk-nag’s AwsSolutions checks and no unacknowledged finding', () => {
    // Assess
    expect(synthesized.synthError).toBeUndefined();
    expect(synthesized.findings).toEqual([]);
    // Only the app acknowledges, only on its own function, with a reason; the construct needs none.
    const acknowledged = synthesized.acknowledgments.map(({ at, id }) => ({
      at,
      id: id.replace(/^annotation::/i, ''),
    }));
    expect(acknowledged.filter(({ id }) => id.startsWith('AwsSolutions'))).toEqual([
      {
        at: `${STACK}/Index`,
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      },
    ]);
    for (const { reason } of synthesized.acknowledgments) expect(reason.length).toBeGreaterThan(40);
  });

  it('holds the session table and the signing-key secret with its rotation schedule', () => {
    // Prepare
    const [table] = ofType('AWS::DynamoDB::GlobalTable');
    const [secret] = ofType('AWS::SecretsManager::Secret');
    const [schedule] = ofType('AWS::SecretsManager::RotationSchedule');

    // Assess
    expect([table, secret, schedule].every(Boolean)).toBe(true);
    expect(resources[table].Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    expect(resources[schedule].Properties).toEqual({
      SecretId: { Ref: secret },
      RotationLambdaARN: { 'Fn::GetAtt': [expect.any(String), 'Arn'] },
      RotationRules: { ScheduleExpression: 'rate(4 hours)' },
    });
  });

  it('rotates the keys with the function the package ships, as it ships it', () => {
    // Prepare: the rotation function's code in the assembly, the bundle in the installed package
    const [schedule] = ofType('AWS::SecretsManager::RotationSchedule');
    const rotationArn = resources[schedule].Properties.RotationLambdaARN as {
      'Fn::GetAtt': [string, string];
    };
    const rotation = resources[rotationArn['Fn::GetAtt'][0]];
    const { S3Key } = rotation.Properties.Code as { S3Key: string };
    const assets = JSON.parse(readFileSync(path.join(outdir, `${STACK}.assets.json`), 'utf8'));
    const asset = path.join(outdir, assets.files[S3Key.replace(/\.zip$/, '')].source.path);
    const shipped = path.join(installed(CONSTRUCT), 'assets', 'key-rotation');

    // Assess
    expect(rotation.Type).toBe('AWS::Lambda::Function');
    expect(rotation.Properties.Handler).toBe('index.handler');
    expect(digests(asset)).toEqual(digests(shipped));
    expect(Object.keys(digests(shipped))).toContain('index.js');
  });

  it('grants the app’s function GetItem and UpdateItem on the table and GetSecretValue on the secret, nothing else', () => {
    // Prepare
    const [table] = ofType('AWS::DynamoDB::GlobalTable');
    const [secret] = ofType('AWS::SecretsManager::Secret');
    const [index] = ofType('AWS::Lambda::Function').filter((id) => id.startsWith('Index'));
    const role = (resources[index].Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const policies = ofType('AWS::IAM::Policy').filter((id) =>
      (resources[id].Properties.Roles as unknown[]).some(
        (ref) => JSON.stringify(ref) === JSON.stringify({ Ref: role }),
      ),
    );

    // Assess
    expect(policies).toHaveLength(1);
    expect((resources[policies[0]].Properties.PolicyDocument as { Statement: unknown }).Statement).toEqual([
      {
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [table, 'Arn'] },
      },
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { Ref: secret } },
    ]);
    expect(resources[index].Properties.Environment).toEqual({
      Variables: { TABLE_NAME: { Ref: table }, SESSION_SECRET_ARN: { Ref: secret } },
    });
  });

  it('is imported by name from an ES module too (the package is CommonJS)', async () => {
    // Act
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { ServerSessions } from '${CONSTRUCT}'; process.stdout.write(typeof ServerSessions);`,
      ],
      { cwd: project },
    );

    // Assess
    expect(stdout).toBe('function');
  });

  it('synthesizes docs/library.md’s stack.ts, its function bundled by esbuild', async () => {
    // Prepare
    if (!fileBlock('stack.ts')) throw new Error('docs/library.md has no <!-- file: stack.ts --> example');
    const stackOut = path.join(scratch, 'stack.out');
    const tsx = path.join(project, 'node_modules', 'tsx', 'dist', 'cli.mjs');

    // Act: as `cdk synth --app "npx tsx stack.ts"` runs it: tsx, and the CLI's CDK_OUTDIR
    await run(process.execPath, [tsx, 'stack.ts'], { cwd: project, env: childEnv({ CDK_OUTDIR: stackOut }) });

    // Assess: a stack with the construct's resources and plain.ts bundled with the installed library
    const manifest = JSON.parse(readFileSync(path.join(stackOut, 'manifest.json'), 'utf8'));
    const [stack, ...others] = Object.values(
      manifest.artifacts as Record<string, { type: string; properties?: { templateFile: string } }>,
    ).filter((artifact) => artifact.type === 'aws:cloudformation:stack');
    expect(others).toEqual([]);
    const template = stack.properties?.templateFile ?? '';
    const stackResources = Object.values(
      JSON.parse(readFileSync(path.join(stackOut, template), 'utf8')).Resources as Record<string, Resource>,
    );
    expect(stackResources.map((resource) => resource.Type)).toEqual(
      expect.arrayContaining([
        'AWS::DynamoDB::GlobalTable',
        'AWS::SecretsManager::Secret',
        'AWS::SecretsManager::RotationSchedule',
        'AWS::Lambda::Url',
      ]),
    );
    const assets = JSON.parse(
      readFileSync(path.join(stackOut, template.replace(/\.template\.json$/, '.assets.json')), 'utf8'),
    );
    const bundles = stackResources
      .filter((resource) => resource.Type === 'AWS::Lambda::Function')
      .map((resource) => (resource.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, ''))
      .map((hash) => path.join(stackOut, assets.files[hash].source.path))
      .flatMap((folder) =>
        readdirSync(folder)
          .filter((name) => /^index\.m?js$/.test(name))
          .map((name) => path.join(folder, name)),
      );
    const handler = bundles.filter((file) => readFileSync(file, 'utf8').includes('You are not logged in'));
    expect(handler).toHaveLength(1);
  }, 60_000);

  it('synthesizes docs/library.md’s multi-region-stack.ts: the strongly consistent table and the shipped sweeper', async () => {
    // Act
    const out = path.join(scratch, 'multi-region.out');
    const tsx = path.join(project, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    await run(process.execPath, [tsx, 'multi-region-stack.ts'], {
      cwd: project,
      env: childEnv({ CDK_OUTDIR: out }),
    });

    // Assess: two stacks; the primary's table is MRSC with no TTL; its sweeper runs the bundle the package ships
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    const templates = Object.values(
      manifest.artifacts as Record<string, { type: string; properties?: { templateFile: string } }>,
    )
      .filter((artifact) => artifact.type === 'aws:cloudformation:stack')
      .map((artifact) => artifact.properties?.templateFile ?? '');
    expect(templates.sort()).toEqual([
      'Sessions-us-east-1.template.json',
      'Sessions-us-east-2.template.json',
    ]);
    const primary = Object.values(
      JSON.parse(readFileSync(path.join(out, templates[0]), 'utf8')).Resources as Record<string, Resource>,
    );
    const [table] = primary.filter((resource) => resource.Type === 'AWS::DynamoDB::GlobalTable');
    expect(table.Properties).toMatchObject({
      MultiRegionConsistency: 'STRONG',
      GlobalTableWitnesses: [{ Region: 'us-west-2' }],
    });
    expect(table.Properties).not.toHaveProperty('TimeToLiveSpecification');
    const shipped = digests(path.join(installed(CONSTRUCT), 'assets', 'expiry-sweeper'));
    expect(Object.keys(shipped)).toEqual(expect.arrayContaining(['index.js']));
    const assets = JSON.parse(readFileSync(path.join(out, 'Sessions-us-east-1.assets.json'), 'utf8'));
    // The file assets that are folders (the template is one too, a file).
    const assetFolders = Object.values(
      assets.files as Record<string, { source: { path: string; packaging?: string } }>,
    )
      .filter((file) => file.source.packaging === 'zip')
      .map((file) => path.join(out, file.source.path));
    expect(assetFolders.map((folder) => JSON.stringify(digests(folder)))).toContain(JSON.stringify(shipped));
    const replica = JSON.parse(readFileSync(path.join(out, templates[1]), 'utf8')).Resources as Record<
      string,
      Resource
    >;
    expect(Object.values(replica).map((resource) => resource.Type)).not.toContain(
      'AWS::DynamoDB::GlobalTable',
    );
  }, 60_000);
});
