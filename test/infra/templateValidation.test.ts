/**
 * Issue #22: the CloudFormation the app synthesizes, checked before any deploy, for every variant:
 * the default stack, the edge (its sessions stack and its web ACL stack) and the `samLocal`
 * template.
 *
 * 1. Each resource against CloudFormation's resource schemas (@aws-cdk/aws-service-spec, through
 *    test/support/cfnSchema.ts): known type and attributes, known and required properties, value
 *    types.
 * 2. AWS Control Tower's proactive controls, run by cfn-guard through the CDK validation plugin
 *    @cdklabs/cdk-validator-cfnguard. Each finding that does not apply is suppressed below with its
 *    reason (docs/operations.md lists them): a rule that applies to no resource of this app is
 *    disabled, a finding about particular resources is acknowledged on their construct.
 *
 * One synth covers all three variants, so cfn-guard runs once: the edge variant is the app itself
 * (lib/app.ts with `-c edge=true`), the default and `samLocal` stacks are in stages.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import {
  App,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
  Stage,
  Validations,
} from 'aws-cdk-lib';
import { EDGE_ACL_STACK_NAME, SESSIONS_STACK_NAME, sessionsApp } from '../../lib/app';
import { SessionsStack } from '../../lib/SessionsStack';
import { cdkJsonContext } from '../support/cdk';
import { type CfnResource, CfnSchema, type CfnTemplate, formatProblem } from '../support/cfnSchema';

/** The plugin's name: its findings are acknowledged as `cdk-validator-cfnguard::<rule name>`. */
const GUARD_PLUGIN = 'cdk-validator-cfnguard';

/**
 * Control Tower rules disabled (the plugin's `disabledRules`, by rule file name): each would flag
 * every resource of its type in this app, by design.
 */
const DISABLED_RULES: Record<string, string> = {
  // CT.LAMBDA.PR.3: "Require an AWS Lambda function to be in a customer-managed VPC".
  'ct-lambda-pr-3':
    'The functions reach only DynamoDB and Secrets Manager, public AWS endpoints called over TLS with ' +
    'IAM credentials; there is no private resource to reach. A VPC would add NAT or interface ' +
    'endpoints (a monthly cost per zone) and protect nothing more.',
  // CT.CLOUDWATCH.PR.2: "Require an Amazon CloudWatch log group to be retained for at least one year".
  'ct-cloudwatch-pr-2':
    'Every log group is kept one month on purpose (docs/operations.md, Logs): the access logs hold ' +
    'client IP addresses, personal data to keep no longer than needed, and the function logs serve ' +
    'debugging and the metrics, not an audit trail.',
  // CT.CLOUDWATCH.PR.3: "Require an Amazon CloudWatch log group to be encrypted at rest with an AWS KMS key".
  'ct-cloudwatch-pr-3':
    'CloudWatch Logs encrypts every log group at rest with its own keys; a customer managed key adds ' +
    'a key per stack and a key policy for the logs service, and the logs hold no token, cookie, key ' +
    'or username to protect further (docs/operations.md, Logs).',
  // CT.KMS.PR.3: "Require an AWS KMS key policy to have a statement that limits creation of AWS KMS
  // grants to AWS services". Disabled rather than acknowledged on the key: the plugin reports part of
  // this finding with no resource, which no construct acknowledgement can reach.
  'ct-kms-pr-3':
    'The only key is the alarm topic key (Alarms/TopicKey): its policy lets CloudWatch use it for ' +
    'that topic and leaves the rest to IAM, as the CDK does by default, and the stack gives no ' +
    'principal kms:CreateGrant. A deny of grants not for AWS resources would be defence in depth only.',
};

/** Findings on the HTTP API's routes and the permissions its Lambda integrations create. */
const API_FINDINGS: Record<string, string> = {
  // CT.APIGATEWAY.PR.5: "Require Amazon API Gateway V2 Websocket and HTTP routes to specify an authorization type".
  api_gw_v2_authorization_type_configured_check:
    'A public website: every page is open to anonymous visitors and the login form is the ' +
    'authentication; the handlers check the session from a signed cookie (as cdk-nag AwsSolutions-APIG4).',
  // CT.LAMBDA.PR.2: "Require AWS Lambda function policies to prohibit public access".
  lambda_function_public_access_prohibited_check:
    'A false positive: each permission lets only apigateway.amazonaws.com invoke, with a SourceArn naming ' +
    'this API and the route path; the rule accepts a SourceArn only as a literal or a Ref, and the CDK ' +
    'writes this one with Fn::Join (the plugin README warns of such cases).',
};

/** Findings on the CloudFront distribution of the edge (the same reasoning as its cdk-nag acknowledgements). */
const DISTRIBUTION_FINDINGS: Record<string, string> = {
  // CT.CLOUDFRONT.PR.1: "Require an Amazon CloudFront distribution to have a default root object configured".
  cloudfront_default_root_object_configured_check:
    'The origin is the HTTP API, not a bucket: the index function answers "/". A default root object ' +
    'would rewrite "/" to a path the API does not serve.',
  // CT.CLOUDFRONT.PR.4: "Require an Amazon CloudFront distribution to have origin failover configured".
  cloudfront_origin_failover_enabled_check:
    'There is one origin, the regional API with its table; a second would be a second deployment with a ' +
    'global table. CloudFront also fails over only GET, HEAD and OPTIONS requests, and the forms POST.',
  // CT.CLOUDFRONT.PR.5: "Require any Amazon CloudFront distribution to have logging enabled".
  cloudfront_access_logs_enabled_check:
    'Each request already writes a line in the API access logs and the function logs; the web ACL keeps ' +
    'samples of what it blocks. Standard logs would need an S3 bucket with ACLs (as cdk-nag AwsSolutions-CFR3).',
  // CT.CLOUDFRONT.PR.6: "Require an Amazon CloudFront distribution to use custom SSL/TLS certificates".
  cloudfront_custom_ssl_certificate_check:
    'The distribution serves its default *.cloudfront.net name and certificate; a custom domain and its ' +
    'ACM certificate are the operator’s choice (docs/operations.md, The edge).',
  // CT.CLOUDFRONT.PR.7: "Require an Amazon CloudFront distribution to use SNI to serve HTTPS requests".
  cloudfront_sni_enabled_check:
    'SNI is a setting of a custom certificate; the default *.cloudfront.net certificate has none to set ' +
    '(see the custom certificate finding).',
  // CT.CLOUDFRONT.PR.9: "Require an Amazon CloudFront distribution to have a security policy of TLSv1.2 as a minimum".
  cloudfront_security_policy_check:
    'With the default certificate CloudFront sets the viewer security policy itself, whatever the ' +
    'template says; a custom certificate would take TLSv1.2_2021 (as cdk-nag AwsSolutions-CFR4). ' +
    'CloudFront connects to the API with TLS 1.2 only.',
};

/** Acknowledges the findings that apply to no real risk, on the constructs they are about. */
function acknowledgeGuardFindings(stack: SessionsStack): void {
  const acknowledge = (scope: Validations, findings: Record<string, string>) => {
    for (const [rule, reason] of Object.entries(findings)) {
      scope.acknowledge({ id: `${GUARD_PLUGIN}::${rule}`, reason });
    }
  };
  acknowledge(Validations.of(stack.api), API_FINDINGS);
  if (stack.edge) acknowledge(Validations.of(stack.edge.distribution), DISTRIBUTION_FINDINGS);
}

/** cfn-guard, recording the templates the CDK gives it. */
class RecordingGuard implements IPolicyValidationPlugin {
  readonly templatePaths: string[] = [];
  private readonly guard = new CfnGuardValidator({ disabledRules: Object.keys(DISABLED_RULES) });
  readonly name = this.guard.name;
  readonly version = this.guard.version;
  readonly ruleIds = this.guard.ruleIds;

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    this.templatePaths.push(...context.templatePaths);
    return this.guard.validate(context);
  }
}

type ReportedConstruct = {
  constructPath: string;
  cloudFormationResource?: { templatePath: string; logicalId: string };
};
type ReportedViolation = {
  ruleName: string;
  description: string;
  suggestedFix?: string;
  violatingConstructs: ReportedConstruct[];
  acknowledgedAt?: string;
  reason?: string;
};
type PluginReport = {
  pluginName: string;
  pluginVersion?: string;
  conclusion: string;
  violations: ReportedViolation[];
  suppressedViolations?: ReportedViolation[];
};

/** One line per violating resource: rule, description, where, and the suggested fix. */
function describeViolations(report: PluginReport): string[] {
  return report.violations.flatMap((violation) =>
    violation.violatingConstructs.map((construct) => {
      const resource = construct.cloudFormationResource;
      const where = resource ? ` (${resource.logicalId} in ${resource.templatePath})` : '';
      return (
        `[${report.pluginName}] ${violation.ruleName}: ${violation.description}\n` +
        `  at ${construct.constructPath || '(no construct)'}${where}\n  fix: ${violation.suggestedFix ?? 'N/A'}`
      );
    }),
  );
}

const VARIANTS = ['default', 'edge', 'samLocal'] as const;
type Variant = (typeof VARIANTS)[number];

/**
 * The stages of the default and `samLocal` variants, with their context. Not `Default`: the CDK
 * leaves that id out of names, so its template would share the root one's file name, by which the
 * CDK finds the construct of a finding.
 */
const STAGES: Record<string, Record<string, string>> = { Plain: {}, SamLocal: { samLocal: 'true' } };
const STAGE_VARIANTS: Record<string, Variant> = { Plain: 'default', SamLocal: 'samLocal' };

let outdir: string;
let guard: RecordingGuard;
let synthError: unknown;
let pluginReports: PluginReport[];
let schema: CfnSchema;
/** Each variant's templates, by file (relative to the cloud assembly). */
const templates: Record<Variant, Record<string, CfnTemplate>> = { default: {}, edge: {}, samLocal: {} };

/** Every `*.template.json` under a folder (the stages' are in nested assemblies). */
function templateFiles(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((file) =>
    file.endsWith('.template.json'),
  );
}

beforeAll(() => {
  schema = CfnSchema.load();
  outdir = mkdtempSync(path.join(tmpdir(), 'cdk-template-validation-'));
  const app = new App({
    outdir,
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], edge: 'true' },
  });
  guard = new RecordingGuard();
  Validations.of(app).addPlugins(guard);
  const stacks = [sessionsApp(app, { region: 'eu-west-1' }).sessions];
  for (const [stageName, context] of Object.entries(STAGES)) {
    const stage = new Stage(app, stageName);
    for (const [key, value] of Object.entries(context)) stage.node.setContext(key, value);
    stacks.push(new SessionsStack(stage, SESSIONS_STACK_NAME, { description: `${stageName} variant` }));
  }
  stacks.forEach(acknowledgeGuardFindings);
  try {
    // Fails, printing the CDK's validation report, if any plugin finds anything unsuppressed.
    app.synth();
  } catch (error) {
    synthError = error;
  }
  // Written before the report is: read from the folder so the schema checks run even then.
  for (const file of templateFiles(outdir)) {
    const stage = /^assembly-([^/]+)\//.exec(file)?.[1];
    const variant = stage ? STAGE_VARIANTS[stage] : 'edge';
    templates[variant][file] = JSON.parse(readFileSync(path.join(outdir, file), 'utf8'));
  }
  pluginReports = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')).pluginReports;
});

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

describe('the synthesized templates', () => {
  it('are the stacks of each variant', () => {
    // Assess
    expect(Object.keys(templates.edge).sort()).toEqual(
      [`${EDGE_ACL_STACK_NAME}.template.json`, `${SESSIONS_STACK_NAME}.template.json`].sort(),
    );
    expect(Object.keys(templates.default)).toHaveLength(1);
    expect(Object.keys(templates.samLocal)).toHaveLength(1);
    // Each is the variant it stands for.
    const has = (variant: Variant, what: (template: CfnTemplate) => boolean) =>
      Object.values(templates[variant]).some(what);
    const distribution = (template: CfnTemplate) =>
      Object.values(template.Resources ?? {}).some(
        (resource) => resource.Type === 'AWS::CloudFront::Distribution',
      );
    const samLocalOnly = (template: CfnTemplate) =>
      'SamLocalOnly' in ((template.Parameters as Record<string, unknown> | undefined) ?? {});
    expect(
      VARIANTS.map((variant) => [variant, has(variant, distribution), has(variant, samLocalOnly)]),
    ).toEqual([
      ['default', false, false],
      ['edge', true, false],
      ['samLocal', false, true],
    ]);
  });
});

describe('CloudFormation resource schemas (@aws-cdk/aws-service-spec)', () => {
  it.each(VARIANTS)('%s: every resource of every template is valid', (variant) => {
    // Act
    const problems = Object.entries(templates[variant]).flatMap(([file, template]) =>
      schema.validateTemplate(template).map((problem) => `${file}: ${formatProblem(problem)}`),
    );

    // Assess
    expect(Object.keys(templates[variant]).length).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  it('knows every resource type the templates use', () => {
    // Act: a type the database lacks would make every check of its resources vacuous
    const types = new Set(
      VARIANTS.flatMap((variant) =>
        Object.values(templates[variant]).flatMap((template) =>
          Object.values(template.Resources ?? {}).map((resource) => resource.Type as string),
        ),
      ),
    );

    // Assess
    expect([...types].filter((type) => !schema.resourceType(type))).toEqual([]);
    expect(types.size).toBeGreaterThan(15);
  });
});

describe('the schema validator catches', () => {
  /** A deep copy of the first resource of a type in the default template, by logical id. */
  function realResource(
    type: string,
    where: (resource: CfnResource) => boolean = () => true,
  ): [string, CfnResource] {
    const [template] = Object.values(templates.default);
    const found = Object.entries(template.Resources ?? {}).find(
      ([, resource]) => resource.Type === type && where(resource),
    );
    if (!found) throw new Error(`no ${type} in the default template`);
    return [found[0], structuredClone(found[1])];
  }
  /** A resource's properties, as the mutations below reach into them. */
  type Properties = Record<string, unknown> & {
    Environment: Record<string, unknown>;
    Dimensions: Record<string, unknown>[];
  };
  const props = (resource: CfnResource) => resource.Properties as Properties;
  const problemsOf = (logicalId: string, resource: CfnResource) =>
    schema
      .validateResource(logicalId, resource)
      .map(({ logicalId: id, path: at, message }) => ({ id, at, message }));

  it('nothing in the real resource it starts from', () => {
    // Arrange
    const [id, fn] = realResource('AWS::Lambda::Function');

    // Act, Assess
    expect(problemsOf(id, fn)).toEqual([]);
  });

  it('an unknown property, at the top and nested, by logical id and path', () => {
    // Arrange
    const [id, fn] = realResource('AWS::Lambda::Function');
    props(fn).Handlr = 'index.handler';
    props(fn).Environment.Vars = {};

    // Act, Assess
    expect(problemsOf(id, fn)).toEqual([
      { id, at: 'Properties.Environment.Vars', message: 'unknown property' },
      { id, at: 'Properties.Handlr', message: 'unknown property' },
    ]);
  });

  it('a wrong type: a literal, a list, a map, a nested type, and an intrinsic of the wrong kind', () => {
    // Arrange
    const [id, fn] = realResource('AWS::Lambda::Function');
    props(fn).MemorySize = 'lots';
    props(fn).Architectures = 'arm64';
    props(fn).Environment.Variables = ['NODE_OPTIONS=--enable-source-maps'];
    props(fn).Code = 'index.js';
    props(fn).Layers = { 'Fn::Join': [',', ['a', 'b']] };

    // Act
    const problems = problemsOf(id, fn);

    // Assess
    expect(problems).toEqual([
      { id, at: 'Properties.Architectures', message: 'expected list<string>, got "arm64"' },
      { id, at: 'Properties.Code', message: 'expected Code, got "index.js"' },
      {
        id,
        at: 'Properties.Environment.Variables',
        message: 'expected map<string>, got ["NODE_OPTIONS=--enable-source-maps"]',
      },
      { id, at: 'Properties.Layers', message: 'Fn::Join returns a string, expected list<string>' },
      { id, at: 'Properties.MemorySize', message: 'expected integer, got "lots"' },
    ]);
  });

  it('a missing required property, at the top and in a nested type', () => {
    // Arrange
    const [fnId, fn] = realResource('AWS::Lambda::Function');
    delete props(fn).Role;
    const [alarmId, alarm] = realResource('AWS::CloudWatch::Alarm', (resource) =>
      Array.isArray(props(resource).Dimensions),
    );
    delete props(alarm).Dimensions[0].Value;

    // Act, Assess
    expect(problemsOf(fnId, fn)).toEqual([
      { id: fnId, at: 'Properties.Role', message: 'missing required property' },
    ]);
    expect(problemsOf(alarmId, alarm)).toEqual([
      { id: alarmId, at: 'Properties.Dimensions[0].Value', message: 'missing required property' },
    ]);
  });

  it('an unknown resource type, and a resource attribute misspelt or with a bad value', () => {
    // Arrange
    const [roleId, role] = realResource('AWS::IAM::Role');
    role.Type = 'AWS::IAM::Rol';
    const [tableId, table] = realResource('AWS::DynamoDB::GlobalTable');
    table.DeletionPolicy = 'Keep';
    table.DependOn = 'SessionsKeys';

    // Act, Assess
    expect(problemsOf(roleId, role)).toEqual([{ id: roleId, at: 'Type', message: 'unknown resource type' }]);
    expect(problemsOf(tableId, table)).toEqual([
      {
        id: tableId,
        at: 'DeletionPolicy',
        message: 'expected one of Delete, Retain, RetainExceptOnCreate, Snapshot, got "Keep"',
      },
      { id: tableId, at: 'DependOn', message: 'unknown resource attribute' },
    ]);
  });

  it('no intrinsic of the right kind, and each branch of an Fn::If', () => {
    // Arrange
    const [id, fn] = realResource('AWS::Lambda::Function');
    props(fn).MemorySize = { Ref: 'Memory' };
    props(fn).Timeout = { 'Fn::Select': [0, [15]] };
    props(fn).Architectures = { 'Fn::Split': [',', 'arm64'] };
    props(fn).Description = { 'Fn::If': ['IsProd', 'prod', { Ref: 'AWS::NoValue' }] };
    props(fn).ReservedConcurrentExecutions = { 'Fn::If': ['IsProd', 10, 'many'] };

    // Act, Assess
    expect(problemsOf(id, fn)).toEqual([
      {
        id,
        at: 'Properties.ReservedConcurrentExecutions.Fn::If[2]',
        message: 'expected integer, got "many"',
      },
    ]);
  });

  it('an unknown property in any resource of any template (each type is checked)', () => {
    // Act: inject into a copy of every resource
    const missed = VARIANTS.flatMap((variant) =>
      Object.values(templates[variant]).flatMap((template) =>
        Object.entries(template.Resources ?? {}).filter(([id, resource]) => {
          const copy = structuredClone(resource);
          copy.Properties = { ...(copy.Properties as object), NotAProperty: true };
          return !problemsOf(id, copy).some((problem) => problem.at === 'Properties.NotAProperty');
        }),
      ),
    );

    // Assess
    expect(missed.map(([id]) => id)).toEqual([]);
  });
});

describe('AWS Control Tower proactive controls (cfn-guard)', () => {
  it('ran the bundled cfn-guard on every template of every variant', () => {
    // Assess: the plugin found its binary for this machine, or its report would be a failure
    const checked = guard.templatePaths.map((file) => path.relative(outdir, file));
    expect(checked.sort()).toEqual(VARIANTS.flatMap((variant) => Object.keys(templates[variant])).sort());
    expect(guard.version).toBe('0.0.62');
    expect(guard.ruleIds?.length).toBeGreaterThan(100);
  });

  it('finds nothing unsuppressed (the CDK validation report is clean)', () => {
    // Act
    const unsuppressed = pluginReports.flatMap(describeViolations);

    // Assess
    expect(unsuppressed).toEqual([]);
    expect(pluginReports.filter((report) => report.conclusion !== 'success')).toEqual([]);
    expect(synthError).toBeUndefined();
  });

  it('suppresses only the reviewed findings, where they arise, each with a reason', () => {
    // Act
    const suppressed = pluginReports.flatMap((report) => report.suppressedViolations ?? []);

    // Assess: adding an acknowledgement means adding it here (and to docs/operations.md), in review;
    // each one is used, in every variant, and only on constructs under the one that makes it
    const api = [
      'api_gw_v2_authorization_type_configured_check',
      'lambda_function_public_access_prohibited_check',
    ];
    const distribution = [
      'cloudfront_access_logs_enabled_check',
      'cloudfront_custom_ssl_certificate_check',
      'cloudfront_default_root_object_configured_check',
      'cloudfront_origin_failover_enabled_check',
      'cloudfront_security_policy_check',
      'cloudfront_sni_enabled_check',
    ];
    const stackPaths = [
      SESSIONS_STACK_NAME,
      ...Object.keys(STAGES).map((stage) => `${stage}/${SESSIONS_STACK_NAME}`),
    ];
    expect(
      [...new Set(suppressed.map((violation) => `${violation.acknowledgedAt} ${violation.ruleName}`))].sort(),
    ).toEqual(
      [
        ...stackPaths.flatMap((stack) => api.map((rule) => `${stack}/Api ${rule}`)),
        ...distribution.map((rule) => `${SESSIONS_STACK_NAME}/Edge/Distribution ${rule}`),
      ].sort(),
    );
    for (const violation of suppressed) {
      expect(violation.reason?.length).toBeGreaterThan(60);
      for (const { constructPath, cloudFormationResource } of violation.violatingConstructs) {
        expect(constructPath.startsWith(`${violation.acknowledgedAt}/`)).toBe(true);
        // The construct is the one of the template cfn-guard flagged (found by its file name).
        const stage = Object.keys(STAGES).find((name) => constructPath.startsWith(`${name}/`));
        expect(
          cloudFormationResource?.templatePath.startsWith(stage ? `assembly-${stage}/` : SESSIONS_STACK_NAME),
        ).toBe(true);
      }
    }
  });

  it('disables only the reviewed rules, each with a reason', () => {
    // Assess: adding a rule here means adding it to docs/operations.md, in review
    expect(Object.keys(DISABLED_RULES).sort()).toEqual([
      'ct-cloudwatch-pr-2',
      'ct-cloudwatch-pr-3',
      'ct-kms-pr-3',
      'ct-lambda-pr-3',
    ]);
    for (const reason of Object.values(DISABLED_RULES)) expect(reason.length).toBeGreaterThan(60);
    expect(guard.ruleIds).not.toContain('lambdapr3');
  });
});
