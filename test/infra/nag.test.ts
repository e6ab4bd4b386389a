import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import { SessionsStack } from '../../lib/SessionsStack';
import { nagAcknowledgments, nagFindings } from '../support/nag';

/** cdk.json's context, so the checks see the same feature flags as `cdk synth`. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8'));
  return cdkJson.context;
}

let outdir: string;
let app: App;
let packs: NagPack[];
let synthError: unknown;

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'cdk-nag-test-'));
  app = new App({ outdir, context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  new SessionsStack(app, 'ServerSessionsStack');
  packs = [new AwsSolutionsChecks(app), new ServerlessChecks(app)];
  Validations.of(app).addPlugins(...packs);
  try {
    app.synth(); // runs the packs and CDK's built-in CloudFormation validation
  } catch (error) {
    synthError = error;
  }
});

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

describe('cdk-nag', () => {
  it.each(['AwsSolutions', 'Serverless'])('%s: no unacknowledged finding', (packName) => {
    // Act
    const pack = packs.find((candidate) => candidate.readPackName === packName) as NagPack;

    // Assess
    expect(nagFindings(pack, app)).toEqual([]);
  });

  it('synthesizes with the packs registered (the validation report is clean)', () => {
    // Assess
    expect(synthError).toBeUndefined();
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    const violations = report.pluginReports.flatMap(
      (pluginReport: { violations: unknown[] }) => pluginReport.violations,
    );
    expect(violations).toEqual([]);
  });

  it('acknowledges only the reviewed findings, each where it applies and with a reason', () => {
    // Act
    const acks = nagAcknowledgments(app);

    // Assess: adding an acknowledgment means adding it here, in review
    const routes = [
      'GET--',
      'GET--health',
      'GET--login',
      'POST--login',
      'GET--logout',
      'POST--logout',
      'GET--sessions',
      'POST--sessions--revoke',
      'DefaultRoute',
    ];
    const functions = [
      'IndexFunction',
      'LoginFunction',
      'LogoutFunction',
      'SessionsFunction',
      'Sessions/KeyRotationFunction',
    ];
    expect(acks.map(({ at }) => at).sort()).toEqual(
      [
        ...routes.map((route) => `ServerSessionsStack/Api/${route} AwsSolutions-APIG4`),
        'ServerSessionsStack/Api/DefaultStage Serverless-APIGWStructuredLogging',
        ...functions.map((fn) => `ServerSessionsStack/${fn} Serverless-LambdaDLQ`),
        ...functions.map((fn) => `ServerSessionsStack/${fn} Serverless-LambdaTracing`),
      ].sort(),
    );
    for (const { reason } of acks) {
      expect(reason.length).toBeGreaterThan(60);
    }
  });
});
