import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { SessionsStack } from '../../lib/SessionsStack';

/** cdk.json's context, so the checks see the same feature flags as `cdk synth`. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8'));
  return cdkJson.context;
}

/** `RuleId at construct/path` for every unacknowledged finding of a pack. */
function findings(pack: NagPack, app: App): string[] {
  return pack
    .validateScope(app)
    .violations.flatMap((violation) =>
      violation.violatingResources.map(
        (resource) => `${violation.ruleName} at ${resource.constructPath}: ${violation.description}`,
      ),
    );
}

/** Every acknowledgment in the tree as `construct/path -> RuleId`, with its reason. */
function acknowledgments(root: IConstruct): { at: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          at: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
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
    expect(findings(pack, app)).toEqual([]);
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
    const acks = acknowledgments(app);

    // Assess: adding an acknowledgment means adding it here, in review
    const routes = [
      'GET--',
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
    expect(acks.map(({ at, id }) => `${at} ${id}`).sort()).toEqual(
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
