import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { type App, Token, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import { FUNCTION_NAMES, ORIGIN_VERIFY } from '../../lambda/contract';
import { EDGE_ACL_STACK_NAME, SESSIONS_STACK_NAME, sessionsApp } from '../../lib/app';
import { DEFAULT_EDGE_RATE_LIMIT, FORWARD_VIEWER_HOST_CODE } from '../../lib/edge';
import { cdkTestApp } from '../support/cdk';
import { nagAcknowledgments, nagFindings } from '../support/nag';

type Resource = { Type: string; Properties: Record<string, unknown> };

/** CloudFront's managed policies, by their fixed ids. */
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

const cleanups: (() => void)[] = [];
let app: App;
let packs: NagPack[];
let synthError: unknown;
let sessions: Template;
let acl: Template;
let outdir: string;

beforeAll(() => {
  const made = cdkTestApp({ edge: 'true', edgeRateLimit: '300' });
  cleanups.push(made.cleanup);
  app = made.app;
  const stacks = sessionsApp(app, { region: 'eu-west-1' });
  packs = [new AwsSolutionsChecks(app), new ServerlessChecks(app)];
  Validations.of(app).addPlugins(...packs);
  try {
    outdir = app.synth().directory;
  } catch (error) {
    synthError = error;
  }
  sessions = Template.fromStack(stacks.sessions);
  acl = Template.fromStack(stacks.edgeAcl as NonNullable<typeof stacks.edgeAcl>);
});

afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});

function only(template: Template, type: string): [string, Resource] {
  const found = Object.entries(template.findResources(type)) as [string, Resource][];
  expect(found).toHaveLength(1);
  return found[0];
}

function distributionConfig(): Record<string, unknown> & {
  DefaultCacheBehavior: Record<string, unknown>;
  Origins: Record<string, unknown>[];
} {
  return only(sessions, 'AWS::CloudFront::Distribution')[1].Properties.DistributionConfig as never;
}

describe('the web ACL stack', () => {
  it('lives in us-east-1, CloudFront-scoped, allowing what no rule blocks', () => {
    expect(app.node.tryFindChild(EDGE_ACL_STACK_NAME)).toMatchObject({ region: 'us-east-1' });
    expect(app.node.tryFindChild(SESSIONS_STACK_NAME)).toMatchObject({ region: 'eu-west-1' });
    const [, webAcl] = only(acl, 'AWS::WAFv2::WebACL');
    expect(webAcl.Properties).toMatchObject({ Scope: 'CLOUDFRONT', DefaultAction: { Allow: {} } });
  });

  it('first limits each client IP to edgeRateLimit requests per 5 minutes, answering 429', () => {
    const [, webAcl] = only(acl, 'AWS::WAFv2::WebACL');
    const rules = webAcl.Properties.Rules as Record<string, unknown>[];
    expect(rules[0]).toMatchObject({
      Priority: 0,
      Statement: { RateBasedStatement: { AggregateKeyType: 'IP', Limit: 300, EvaluationWindowSec: 300 } },
      Action: { Block: { CustomResponse: { ResponseCode: 429 } } },
    });
    expect(DEFAULT_EDGE_RATE_LIMIT).toBe(1000);
  });

  it('then applies the AWS managed common rule set, as is', () => {
    const [, webAcl] = only(acl, 'AWS::WAFv2::WebACL');
    const rules = webAcl.Properties.Rules as Record<string, unknown>[];
    expect(rules).toHaveLength(2);
    expect(rules[1]).toMatchObject({
      Priority: 1,
      OverrideAction: { None: {} },
      Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' } },
    });
  });
});

describe('the distribution', () => {
  it('uses the web ACL through a weak cross-region reference: no custom resource anywhere', () => {
    // Prepare
    const [webAclId] = only(acl, 'AWS::WAFv2::WebACL');
    const reference = distributionConfig().WebACLId as {
      'Fn::GetStackOutput': { StackName: string; Region: string; OutputName: string };
    };

    // Assess: the output it reads is the web ACL's ARN
    expect(reference['Fn::GetStackOutput']).toMatchObject({
      StackName: EDGE_ACL_STACK_NAME,
      Region: 'us-east-1',
    });
    const outputs = acl.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs[reference['Fn::GetStackOutput'].OutputName].Value).toEqual({
      'Fn::GetAtt': [webAclId, 'Arn'],
    });
    for (const template of [sessions, acl]) {
      const types = Object.values(template.toJSON().Resources as Record<string, Resource>).map((r) => r.Type);
      expect(
        types.filter((type) => type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource'),
      ).toEqual([]);
    }
    sessions.resourceCountIs('AWS::Lambda::Function', FUNCTION_NAMES.length + 1); // + the key rotation
    acl.resourceCountIs('AWS::Lambda::Function', 0);
  });

  it('sends every request to the HTTP API over TLS 1.2, with the origin secret header', () => {
    // Prepare
    const [apiId] = only(sessions, 'AWS::ApiGatewayV2::Api');
    const [secretId] = Object.entries(sessions.findResources('AWS::SecretsManager::Secret')).find(([id]) =>
      id.startsWith('EdgeOriginSecret'),
    ) as [string, Resource];

    // Assess
    expect(distributionConfig().Origins).toEqual([
      expect.objectContaining({
        DomainName: {
          'Fn::Join': ['', [{ Ref: apiId }, '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }]],
        },
        CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
        OriginCustomHeaders: [{ HeaderName: ORIGIN_VERIFY.header, HeaderValue: resolved(secretId) }],
      }),
    ]);
  });

  /** CloudFormation's dynamic reference to a secret's value: resolved at deploy time, never in the template. */
  const resolved = (secretId: string) => ({
    'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:::}}']],
  });

  it('gives every function the same secret, so they refuse what did not come through CloudFront', () => {
    const [secretId] = Object.entries(sessions.findResources('AWS::SecretsManager::Secret')).find(([id]) =>
      id.startsWith('EdgeOriginSecret'),
    ) as [string, Resource];
    const functions = Object.entries(sessions.findResources('AWS::Lambda::Function'));
    const handlers = functions.filter(([id]) => !id.startsWith('SessionsKeyRotation'));
    expect(handlers).toHaveLength(FUNCTION_NAMES.length);
    for (const [, fn] of handlers) {
      expect(fn.Properties.Environment.Variables[ORIGIN_VERIFY.variable]).toEqual(resolved(secretId));
    }
    // Secrets Manager invokes the rotation function directly, never through CloudFront.
    const [, rotation] = functions.find(([id]) => id.startsWith('SessionsKeyRotation')) ?? [];
    expect(rotation?.Properties.Environment.Variables[ORIGIN_VERIFY.variable]).toBeUndefined();
  });

  it('caches nothing and forwards all viewer headers, cookies and query strings but Host, for every method', () => {
    expect(distributionConfig().DefaultCacheBehavior).toMatchObject({
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
      AllowedMethods: expect.arrayContaining(['GET', 'HEAD', 'POST']),
      ViewerProtocolPolicy: 'redirect-to-https',
    });
  });

  it('passes the viewer Host on as X-Forwarded-Host, from a viewer-request function', () => {
    // Prepare
    const [functionId, fn] = only(sessions, 'AWS::CloudFront::Function');

    // Assess: the code tested in test/unit/forwardViewerHost.test.ts, on every request
    expect(fn.Properties).toMatchObject({
      FunctionCode: FORWARD_VIEWER_HOST_CODE,
      FunctionConfig: { Runtime: 'cloudfront-js-2.0' },
      AutoPublish: true,
    });
    expect(distributionConfig().DefaultCacheBehavior.FunctionAssociations).toEqual([
      { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [functionId, 'FunctionARN'] } },
    ]);
  });

  it('is the site: SiteUrl is its address', () => {
    const [distributionId] = only(sessions, 'AWS::CloudFront::Distribution');
    sessions.hasOutput('SiteUrl', {
      Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }, '/']] },
    });
  });
});

describe('cdk-nag on both stacks', () => {
  it.each(['AwsSolutions', 'Serverless'])('%s: no unacknowledged finding', (packName) => {
    const pack = packs.find((candidate) => candidate.readPackName === packName) as NagPack;
    const violations = nagFindings(pack, app);
    expect(violations).toEqual([]);
  });

  it('synthesizes with a clean validation report', () => {
    expect(synthError).toBeUndefined();
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((plugin: { violations: unknown[] }) => plugin.violations)).toEqual(
      [],
    );
  });

  it('acknowledges, beyond the stack’s own (test/infra/nag.test.ts), only the reviewed edge findings', () => {
    const edgeAcks = nagAcknowledgments(app)
      .filter(({ path }) => path.includes('/Edge/') || !path.includes('/'))
      .map(({ at }) => at);
    expect(edgeAcks.sort()).toEqual(
      [
        'ServerSessionsStack @aws-cdk/core:crossStackReferencesDefaultStrong',
        'ServerSessionsStack/Edge/Distribution AwsSolutions-CFR1',
        'ServerSessionsStack/Edge/Distribution AwsSolutions-CFR3',
        'ServerSessionsStack/Edge/Distribution AwsSolutions-CFR4',
        'ServerSessionsStack/Edge/OriginSecret AwsSolutions-SMG4',
      ].sort(),
    );
    for (const { reason } of nagAcknowledgments(app)) expect(reason.length).toBeGreaterThan(60);
  });
});

describe('context', () => {
  it('without edge=true: one environment-agnostic stack, no distribution, no origin check', () => {
    // Prepare
    const { app: plain, cleanup } = cdkTestApp();
    cleanups.push(cleanup);

    // Act
    const stacks = sessionsApp(plain, { region: 'eu-west-1' });

    // Assess
    expect(stacks.edgeAcl).toBeUndefined();
    expect(plain.node.children.map((child) => child.node.id)).toEqual([SESSIONS_STACK_NAME]);
    expect(Token.isUnresolved(stacks.sessions.region)).toBe(true);
    const template = Template.fromStack(stacks.sessions);
    template.resourceCountIs('AWS::CloudFront::Distribution', 0);
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.Environment.Variables[ORIGIN_VERIFY.variable]).toBeUndefined();
    }
  });

  it('edge=true in us-east-1 itself synthesizes too', () => {
    const { app: east, cleanup } = cdkTestApp({ edge: true });
    cleanups.push(cleanup);
    const stacks = sessionsApp(east, { region: 'us-east-1' });
    east.synth();
    Template.fromStack(stacks.sessions).hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ WebACLId: Match.anyValue() }),
    });
  });

  it('edge=true without a region fails, saying how to give one', () => {
    const { app: nowhere, cleanup } = cdkTestApp({ edge: 'true' });
    cleanups.push(cleanup);
    expect(() => sessionsApp(nowhere, {})).toThrow(/^Context edge: the stack needs a region.*AWS_REGION/);
  });

  it.each([5, '2000000001', 'many', '1e3'])('a bad edgeRateLimit (%p) fails naming the key', (value) => {
    const { app: bad, cleanup } = cdkTestApp({ edge: 'true', edgeRateLimit: value });
    cleanups.push(cleanup);
    expect(() => sessionsApp(bad, { region: 'eu-west-1' })).toThrow(
      /^Context edgeRateLimit: expected a whole number from 10 to 2000000000/,
    );
  });
});
