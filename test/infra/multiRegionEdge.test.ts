/**
 * `-c edge=true` with `-c regions=...` and the domain context: one CloudFront distribution, in the
 * us-east-1 edge stack with its web ACL, certificate, alias records and origin secret, whose
 * origin is the latency-routed name `origin.<domainName>`; each region's functions read the
 * origin secret's replica by name. Synthesized offline, as `cdk synth -c ...` would.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import { FUNCTION_NAMES, HEALTH_CHECK_PATH, ORIGIN_VERIFY } from '../../lambda/contract';
import { EDGE_STACK_NAME, SESSIONS_STACK_NAME, sessionsApp } from '../../lib/app';
import { EDGE_ACL_REGION, FORWARD_VIEWER_HOST_CODE, MultiRegionEdge } from '../../lib/edge';
import type { SessionsStack } from '../../lib/SessionsStack';
import { cdkTestApp } from '../support/cdk';
import { CfnSchema, type CfnTemplate, formatProblem } from '../support/cfnSchema';
import { nagAcknowledgments, nagFindings } from '../support/nag';

type Resource = { Type: string; Properties: Record<string, unknown> };

const DOMAIN = {
  domainName: 'sessions.example.com',
  hostedZoneId: 'Z0123456789ABCDEFGHIJ',
  hostedZoneName: 'example.com',
};
const ORIGIN_NAME = `origin.${DOMAIN.domainName}`;
const CONTEXT = { regions: 'us-east-1,us-east-2', witnessRegion: 'us-west-2', edge: 'true', ...DOMAIN };
const ORIGIN_SECRET_NAME = `${EDGE_STACK_NAME}/origin-verify`;

/** CloudFront's managed policies, by their fixed ids. */
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});

/** The app with `context`, its stacks, and the packs as validation plugins; synthesized. */
function synth(context: Record<string, string>) {
  const { app, cleanup } = cdkTestApp(context);
  cleanups.push(cleanup);
  const packs = [new AwsSolutionsChecks(app), new ServerlessChecks(app)];
  Validations.of(app).addPlugins(...packs);
  const stacks = sessionsApp(app, { account: undefined, region: undefined });
  let synthError: unknown;
  let outdir = '';
  try {
    outdir = app.synth().directory;
  } catch (error) {
    synthError = error;
  }
  const regions = [stacks.sessions, ...(stacks.replicas ?? [])];
  const edgeStack = stacks.edgeAcl as NonNullable<typeof stacks.edgeAcl>;
  const templates = new Map<Stack, Template>(
    [edgeStack, ...regions].map((stack) => [stack, Template.fromStack(stack)]),
  );
  return {
    app,
    packs,
    synthError,
    outdir,
    stacks,
    regions,
    edgeStack,
    edge: stacks.multiRegionEdge as MultiRegionEdge,
    templateOf: (stack: Stack) => templates.get(stack) as Template,
  };
}

function resourcesOf(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.toJSON().Resources as Record<string, Resource>).filter(
    ([, resource]) => resource.Type === type,
  );
}

function only(template: Template, type: string): [string, Resource] {
  const found = resourcesOf(template, type);
  expect(found).toHaveLength(1);
  return found[0];
}

/** The session handlers of a region's template (not the key rotation or the expiry sweeper). */
function handlers(template: Template): [string, Resource][] {
  return resourcesOf(template, 'AWS::Lambda::Function').filter(([id]) =>
    FUNCTION_NAMES.some((name) => id.startsWith(`${name.charAt(0).toUpperCase()}${name.slice(1)}Function`)),
  );
}

describe('two regions behind the edge: -c regions=us-east-1,us-east-2 -c edge=true -c domainName=...', () => {
  let made: ReturnType<typeof synth>;
  let edgeTemplate: Template;

  beforeAll(() => {
    made = synth(CONTEXT);
    edgeTemplate = made.templateOf(made.edgeStack);
  });

  const distributionConfig = () =>
    only(edgeTemplate, 'AWS::CloudFront::Distribution')[1].Properties.DistributionConfig as Record<
      string,
      unknown
    > & { DefaultCacheBehavior: Record<string, unknown>; Origins: Record<string, unknown>[] };

  describe('the stacks', () => {
    it('are the edge stack in us-east-1, deployed first, then one stack per region', () => {
      expect([made.edgeStack, ...made.regions].map((stack) => [stack.stackName, stack.region])).toEqual([
        [EDGE_STACK_NAME, EDGE_ACL_REGION],
        [`${SESSIONS_STACK_NAME}-us-east-1`, 'us-east-1'],
        [`${SESSIONS_STACK_NAME}-us-east-2`, 'us-east-2'],
      ]);
      const [primary, replica] = made.regions;
      expect(primary.dependencies).toEqual([made.edgeStack]);
      expect(replica.dependencies.sort((a, b) => a.stackName.localeCompare(b.stackName))).toEqual([
        made.edgeStack,
        primary,
      ]);
      // No second distribution: the regions' stacks have none.
      for (const stack of made.regions) {
        expect(stack.edge).toBeUndefined();
        made.templateOf(stack).resourceCountIs('AWS::CloudFront::Distribution', 0);
      }
      edgeTemplate.resourceCountIs('AWS::CloudFront::Distribution', 1);
    });

    it('reference nothing across stacks: no stack output read, no export, no custom resource', () => {
      for (const stack of [made.edgeStack, ...made.regions]) {
        const text = JSON.stringify(made.templateOf(stack).toJSON());
        expect(text).not.toMatch(/Fn::GetStackOutput|Fn::ImportValue/);
        const outputs = Object.keys(made.templateOf(stack).toJSON().Outputs ?? {});
        expect(outputs.filter((name) => name.startsWith('ExportsOutput'))).toEqual([]);
        const types = Object.values(
          made.templateOf(stack).toJSON().Resources as Record<string, Resource>,
        ).map((resource) => resource.Type);
        expect(
          types.filter(
            (type) => type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource',
          ),
        ).toEqual([]);
      }
      edgeTemplate.resourceCountIs('AWS::Lambda::Function', 0);
    });
  });

  describe('the distribution', () => {
    it('has one origin, the latency-routed name, over HTTPS and TLS 1.2 only, with the origin-verify header', () => {
      const [secretId] = only(edgeTemplate, 'AWS::SecretsManager::Secret');
      expect(distributionConfig().Origins).toEqual([
        expect.objectContaining({
          DomainName: ORIGIN_NAME,
          CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
          OriginCustomHeaders: [
            {
              HeaderName: ORIGIN_VERIFY.header,
              HeaderValue: {
                'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:::}}']],
              },
            },
          ],
        }),
      ]);
      // DNS failover, not an origin group (which would fail over GET, HEAD and OPTIONS only).
      expect(distributionConfig()).not.toHaveProperty('OriginGroups');
      expect(made.edge.names).toEqual({ publicName: DOMAIN.domainName, latencyName: ORIGIN_NAME });
    });

    it('behaves as the one-region edge: every method, nothing cached, the viewer Host as X-Forwarded-Host', () => {
      const [functionId, fn] = only(edgeTemplate, 'AWS::CloudFront::Function');
      expect(fn.Properties).toMatchObject({ FunctionCode: FORWARD_VIEWER_HOST_CODE });
      expect(distributionConfig().DefaultCacheBehavior).toMatchObject({
        CachePolicyId: CACHING_DISABLED,
        OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
        AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
        ViewerProtocolPolicy: 'redirect-to-https',
        FunctionAssociations: [
          { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [functionId, 'FunctionARN'] } },
        ],
      });
    });

    it('serves the public name with its own us-east-1 certificate, TLS 1.2 (2021) and SNI', () => {
      const [certificateId, certificate] = only(edgeTemplate, 'AWS::CertificateManager::Certificate');
      expect(certificate.Properties).toMatchObject({
        DomainName: DOMAIN.domainName,
        ValidationMethod: 'DNS',
        DomainValidationOptions: [{ DomainName: DOMAIN.domainName, HostedZoneId: DOMAIN.hostedZoneId }],
      });
      expect(certificate.Properties).not.toHaveProperty('SubjectAlternativeNames');
      expect(distributionConfig()).toMatchObject({
        Aliases: [DOMAIN.domainName],
        ViewerCertificate: {
          AcmCertificateArn: { Ref: certificateId },
          MinimumProtocolVersion: 'TLSv1.2_2021',
          SslSupportMethod: 'sni-only',
        },
      });
    });

    it('uses the web ACL of its own stack', () => {
      const [webAclId, webAcl] = only(edgeTemplate, 'AWS::WAFv2::WebACL');
      expect(webAcl.Properties).toMatchObject({ Scope: 'CLOUDFRONT' });
      expect(distributionConfig().WebACLId).toEqual({ 'Fn::GetAtt': [webAclId, 'Arn'] });
    });

    it('is the public name: alias records A and AAAA to it, simple (no latency, no health check)', () => {
      const [distributionId] = only(edgeTemplate, 'AWS::CloudFront::Distribution');
      const records = resourcesOf(edgeTemplate, 'AWS::Route53::RecordSet').map(
        ([, record]) => record.Properties,
      );
      expect(records.map((record) => record.Type)).toEqual(['A', 'AAAA']);
      for (const record of records) {
        expect(record).toMatchObject({
          Name: `${DOMAIN.domainName}.`,
          HostedZoneId: DOMAIN.hostedZoneId,
          AliasTarget: { DNSName: { 'Fn::GetAtt': [distributionId, 'DomainName'] } },
        });
        for (const key of ['Region', 'SetIdentifier', 'HealthCheckId'])
          expect(record).not.toHaveProperty(key);
      }
    });
  });

  describe('the origin secret', () => {
    it('has a fixed name and a replica in each other region, us-east-1 holding the secret itself', () => {
      const [, secret] = only(edgeTemplate, 'AWS::SecretsManager::Secret');
      expect(secret.Properties).toMatchObject({
        Name: ORIGIN_SECRET_NAME,
        ReplicaRegions: [{ Region: 'us-east-2' }],
        GenerateSecretString: { ExcludePunctuation: true, PasswordLength: 48 },
      });
      expect(made.edge.originSecretName).toBe(ORIGIN_SECRET_NAME);
    });

    it.each(['us-east-1', 'us-east-2'])(
      '%s: every handler reads it by name in its own region; nothing else does',
      (region) => {
        const template = made.templateOf(
          made.regions.find((stack) => stack.region === region) as SessionsStack,
        );
        const found = handlers(template);
        expect(found).toHaveLength(FUNCTION_NAMES.length);
        for (const [, fn] of found) {
          expect(
            (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
          ).toMatchObject({
            [ORIGIN_VERIFY.variable]: `{{resolve:secretsmanager:${ORIGIN_SECRET_NAME}:SecretString:::}}`,
          });
        }
        const others = resourcesOf(template, 'AWS::Lambda::Function').filter(
          ([id]) => !found.some(([handlerId]) => handlerId === id),
        );
        for (const [, fn] of others) {
          expect(JSON.stringify(fn.Properties)).not.toContain(ORIGIN_VERIFY.variable);
        }
        // No region's stack creates a secret for the edge.
        expect(JSON.stringify(template.toJSON())).not.toContain('OriginSecret');
      },
    );
  });

  describe('each region', () => {
    it.each(['us-east-1', 'us-east-2'])(
      '%s: its certificate, custom domain and latency records take the origin name; its health check asks its own API for /health',
      (region) => {
        const stack = made.regions.find((candidate) => candidate.region === region) as SessionsStack;
        const template = made.templateOf(stack);
        expect(only(template, 'AWS::CertificateManager::Certificate')[1].Properties).toMatchObject({
          DomainName: ORIGIN_NAME,
        });
        expect(only(template, 'AWS::ApiGatewayV2::DomainName')[1].Properties).toMatchObject({
          DomainName: ORIGIN_NAME,
        });
        const [healthCheckId, healthCheck] = only(template, 'AWS::Route53::HealthCheck');
        expect(healthCheck.Properties.HealthCheckConfig).toMatchObject({
          Type: 'HTTPS',
          ResourcePath: HEALTH_CHECK_PATH,
        });
        expect(JSON.stringify(healthCheck.Properties)).toContain(`.execute-api.${region}.`);
        const records = resourcesOf(template, 'AWS::Route53::RecordSet').map(
          ([, record]) => record.Properties,
        );
        expect(
          records.map((record) => [record.Type, record.Name, record.Region, record.SetIdentifier]),
        ).toEqual([
          ['A', `${ORIGIN_NAME}.`, region, region],
          ['AAAA', `${ORIGIN_NAME}.`, region, region],
        ]);
        for (const record of records) expect(record.HealthCheckId).toEqual({ Ref: healthCheckId });
        // The site is the public name, not this region's origin name.
        template.hasOutput('SiteUrl', { Value: `https://${DOMAIN.domainName}/` });
      },
    );

    it.each(['us-east-1', 'us-east-2'])(
      '%s: its IAM names only its own region, and never the origin secret',
      (region) => {
        const stack = made.regions.find((candidate) => candidate.region === region) as SessionsStack;
        const policies = resourcesOf(made.templateOf(stack), 'AWS::IAM::Policy').map(([, policy]) =>
          JSON.stringify(policy.Properties.PolicyDocument),
        );
        expect(policies.length).toBeGreaterThan(0);
        // Every ARN written out names this region; the primary's own table and secret are Refs.
        const arnRegions = policies.flatMap((policy) =>
          [...policy.matchAll(/arn:aws:[a-z0-9-]+:([a-z0-9-]*):/g)].map(([, arnRegion]) => arnRegion),
        );
        if (stack !== made.regions[0]) expect(arnRegions.length).toBeGreaterThan(0);
        expect(arnRegions.filter((arnRegion) => arnRegion !== region)).toEqual([]);
        for (const policy of policies) expect(policy).not.toContain('origin-verify');
      },
    );
  });

  describe('checks', () => {
    it.each(['AwsSolutions', 'Serverless'])(
      'cdk-nag %s: no unacknowledged finding on any stack',
      (packName) => {
        const pack = made.packs.find((candidate) => candidate.readPackName === packName) as NagPack;
        expect(nagFindings(pack, made.app)).toEqual([]);
      },
    );

    it('synthesizes with a clean validation report', () => {
      expect(made.synthError).toBeUndefined();
      const report = JSON.parse(readFileSync(path.join(made.outdir, 'validation-report.json'), 'utf8'));
      expect(report.pluginReports.flatMap((plugin: { violations: unknown[] }) => plugin.violations)).toEqual(
        [],
      );
    });

    it('acknowledges in the edge stack only the reviewed findings (no CFR4: the certificate is its own)', () => {
      const acks = nagAcknowledgments(made.edgeStack);
      expect(acks.map(({ at }) => at).sort()).toEqual(
        [
          `${EDGE_STACK_NAME}/Edge/Distribution AwsSolutions-CFR1`,
          `${EDGE_STACK_NAME}/Edge/Distribution AwsSolutions-CFR3`,
          `${EDGE_STACK_NAME}/Edge/OriginSecret AwsSolutions-SMG4`,
        ].sort(),
      );
      for (const { reason } of acks) expect(reason.length).toBeGreaterThan(60);
      // The regions' stacks acknowledge nothing about the edge.
      for (const stack of made.regions) {
        expect(
          nagAcknowledgments(stack).filter(({ at }) => /CFR|SMG4|crossStackReferences/.test(at)),
        ).toEqual([]);
      }
    });

    it('is valid CloudFormation in every stack (the resource schemas)', () => {
      const schema = CfnSchema.load();
      const problems = [made.edgeStack, ...made.regions].flatMap((stack) =>
        schema
          .validateTemplate(made.templateOf(stack).toJSON() as CfnTemplate)
          .map((problem) => `${stack.stackName}: ${formatProblem(problem)}`),
      );
      expect(problems).toEqual([]);
    });
  });
});

describe('three regions, none of them us-east-1: -c regions=eu-west-1,eu-west-3,eu-central-1 -c edge=true', () => {
  it('keeps the edge in us-east-1 and replicates the origin secret to every region', () => {
    const { edgeStack, regions, templateOf } = synth({
      regions: 'eu-west-1,eu-west-3,eu-central-1',
      edge: 'true',
      ...DOMAIN,
    });
    expect(edgeStack.region).toBe(EDGE_ACL_REGION);
    expect(only(templateOf(edgeStack), 'AWS::SecretsManager::Secret')[1].Properties.ReplicaRegions).toEqual([
      { Region: 'eu-west-1' },
      { Region: 'eu-west-3' },
      { Region: 'eu-central-1' },
    ]);
    for (const stack of regions) {
      expect(stack.dependencies).toContain(edgeStack);
      for (const [, fn] of handlers(templateOf(stack))) {
        expect(JSON.stringify(fn.Properties)).toContain(`{{resolve:secretsmanager:${ORIGIN_SECRET_NAME}:`);
      }
    }
  });
});

describe('context', () => {
  it.each([
    [{ regions: 'us-east-1,us-east-2', witnessRegion: 'us-west-2', edge: 'true' }],
    [{ regions: 'us-east-1,us-east-2', witnessRegion: 'us-west-2', edge: true }],
  ])('edge with regions but no domain (%j) fails, saying what to give', (context) => {
    const { app, cleanup } = cdkTestApp(context);
    cleanups.push(cleanup);
    expect(() => sessionsApp(app, {})).toThrow(
      /^Context edge: with -c regions=\.\.\., CloudFront’s origin is the latency-routed name origin\.<domainName>, so give -c domainName=/,
    );
  });

  it('regions with samLocal=true is still refused', () => {
    const { app, cleanup } = cdkTestApp({ ...CONTEXT, edge: 'false', samLocal: 'true' });
    cleanups.push(cleanup);
    expect(() => sessionsApp(app, {})).toThrow('Context regions: not with samLocal=true yet');
  });

  it('without edge=true, the regions keep the public name and no edge stack is made', () => {
    const { app, cleanup } = cdkTestApp({ ...CONTEXT, edge: 'false' });
    cleanups.push(cleanup);
    const stacks = sessionsApp(app, {});
    expect(stacks.edgeAcl).toBeUndefined();
    expect(stacks.multiRegionEdge).toBeUndefined();
    expect(app.node.tryFindChild(EDGE_STACK_NAME)).toBeUndefined();
    const template = Template.fromStack(stacks.sessions);
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: DOMAIN.domainName });
    expect(JSON.stringify(template.toJSON())).not.toContain(ORIGIN_VERIFY.variable);
  });

  it('MultiRegionEdge refuses a stack outside us-east-1', () => {
    const { app, cleanup } = cdkTestApp();
    cleanups.push(cleanup);
    const stack = new Stack(app, 'Elsewhere', { env: { region: 'eu-west-1' } });
    expect(
      () =>
        new MultiRegionEdge(stack, 'Edge', {
          webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/y',
          domain: DOMAIN,
          regions: ['eu-west-1'],
        }),
    ).toThrow('MultiRegionEdge in Elsewhere: its stack must be in us-east-1');
  });
});
