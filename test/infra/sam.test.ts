import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { SessionsStack } from '../../lib/SessionsStack';

// `sam local invoke -t cdk.out/<stack>.template.json` finds each function's code through the asset
// metadata the CDK CLI writes: a real bundling synth (as `cdk synth` does) must carry it.
type LambdaResource = {
  Type: string;
  Metadata?: Record<string, string>;
  Properties: Record<string, unknown>;
};

let outdir: string;
let functions: [string, LambdaResource][];

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'cdk-sam-test-'));
  const context = JSON.parse(readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8')).context;
  // The CLI sets these context keys; an App built in a test must set them itself.
  const app = new App({
    outdir,
    context: { ...context, 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:enable-path-metadata': true },
  });
  new SessionsStack(app, 'ServerSessionsStack');
  const assembly = app.synth();
  const template = assembly.getStackByName('ServerSessionsStack').template as {
    Resources: Record<string, LambdaResource>;
  };
  functions = Object.entries(template.Resources).filter(
    ([, resource]) => resource.Type === 'AWS::Lambda::Function',
  );
}, 120_000);

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

it('gives each of the three functions the asset metadata SAM needs, pointing at a bundled handler', () => {
  expect(functions).toHaveLength(3);
  for (const [logicalId, resource] of functions) {
    expect(resource.Metadata?.['aws:asset:property']).toBe('Code');
    const assetPath = resource.Metadata?.['aws:asset:path'];
    expect(assetPath).toMatch(/^asset\./);
    expect(existsSync(path.join(outdir, assetPath ?? '', 'index.js'))).toBe(true);
    expect(resource.Properties.Handler).toBe('index.handler');
    expect(resource.Metadata?.['aws:cdk:path']).toMatch(
      new RegExp(`^ServerSessionsStack/${logicalId.replace(/[0-9A-F]{8}$/, '')}/`),
    );
  }
});

it('declares the variables events/env.json sets, since SAM overrides only declared ones', () => {
  const { Parameters } = JSON.parse(readFileSync(path.join(__dirname, '../../events/env.json'), 'utf8'));
  for (const [, resource] of functions) {
    const variables = (resource.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    for (const name of ['TABLE_NAME', 'DYNAMODB_ENDPOINT', 'SESSION_SECRET']) {
      expect(Object.keys(variables)).toContain(name);
      expect(Object.keys(Parameters)).toContain(name);
    }
    // Deployed, the local-only ones are blank, so the functions use AWS and the secret's keys.
    expect(variables.DYNAMODB_ENDPOINT).toBe('');
    expect(variables.SESSION_SECRET).toBe('');
    expect(variables.SESSION_SECRET_ARN).toBeDefined();
  }
});
