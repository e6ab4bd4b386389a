/**
 * Multi-region routing (lib/routing.ts): in each region's stack a certificate, a regional custom
 * domain mapped to the API's $default stage, a health check of that region's own execute-api
 * endpoint, and latency alias records for the shared name. Synthesized offline: the zone is
 * imported from its id and name, every stack has a concrete account and region.
 */
import { type App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import { ORIGIN_VERIFY } from '../../lambda/contract';
import {
  contextRegionalDomain,
  DEFAULT_HEALTH_CHECK_PATH,
  HEALTH_CHECK_FAILURE_THRESHOLD,
  HEALTH_CHECK_INTERVAL,
  latencyOrigin,
  RegionalDomain,
  type RegionalDomainProps,
  routingNames,
} from '../../lib/routing';
import { cdkTestApp } from '../support/cdk';
import { CfnSchema, type CfnTemplate, formatProblem } from '../support/cfnSchema';
import { nagFindings } from '../support/nag';

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };

const ACCOUNT = '123456789012';
const ZONE = { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' };
const DOMAIN = 'sessions.example.com';
const DOMAIN_CONTEXT = { domainName: DOMAIN, hostedZoneId: ZONE.hostedZoneId, hostedZoneName: ZONE.zoneName };

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});

function testApp(context: Record<string, unknown> = {}): App {
  const { app, cleanup } = cdkTestApp(context);
  cleanups.push(cleanup);
  return app;
}

/**
 * A region's stack as SessionsStack builds its API: no automatic default stage, a `$default`
 * stage added under the id `DefaultStage`, a route to a function.
 */
function regionStack(app: App, region: string | undefined, id = `Sessions-${region}`) {
  const stack = new Stack(app, id, region === undefined ? {} : { env: { account: ACCOUNT, region } });
  const api = new apigwv2.HttpApi(stack, 'Api', { createDefaultStage: false });
  api.addStage('DefaultStage', { stageName: '$default', autoDeploy: true });
  const index = new lambda.Function(stack, 'Index', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
  });
  api.addRoutes({
    path: '/',
    methods: [apigwv2.HttpMethod.GET],
    integration: new HttpLambdaIntegration('Index', index),
  });
  const hostedZone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', ZONE);
  return { stack, api, hostedZone };
}

function withDomain(
  region: string,
  props: Partial<RegionalDomainProps> = {},
): { stack: Stack; api: apigwv2.HttpApi; domain: RegionalDomain; template: Template } {
  const { stack, api, hostedZone } = regionStack(testApp(), region);
  const domain = new RegionalDomain(stack, 'Domain', { api, domainName: DOMAIN, hostedZone, ...props });
  return { stack, api, domain, template: Template.fromStack(stack) };
}

function resourcesOf(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.toJSON().Resources as Record<string, Resource>).filter(
    ([, resource]) => resource.Type === type,
  );
}

function logicalIdOf(template: Template, type: string): string {
  const found = resourcesOf(template, type);
  expect(found).toHaveLength(1);
  return found[0][0];
}

/** This region's execute-api host, as the template writes it. */
function executeApiHost(template: Template, region: string) {
  return {
    'Fn::Join': [
      '',
      [
        { Ref: logicalIdOf(template, 'AWS::ApiGatewayV2::Api') },
        `.execute-api.${region}.`,
        { Ref: 'AWS::URLSuffix' },
      ],
    ],
  };
}

/** The message `make` throws, or a failure when it does not throw. */
function errorOf(make: () => unknown): string {
  try {
    make();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

describe('RegionalDomain', () => {
  let template: Template;
  let domain: RegionalDomain;

  beforeAll(() => {
    ({ template, domain } = withDomain('us-east-2'));
  });

  it('requests a certificate for the name, validated by DNS in the zone', () => {
    // Assess
    template.resourceCountIs('AWS::CertificateManager::Certificate', 1);
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: DOMAIN,
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: DOMAIN, HostedZoneId: ZONE.hostedZoneId }],
    });
    expect(
      template.toJSON().Resources[logicalIdOf(template, 'AWS::CertificateManager::Certificate')].Properties,
    ).not.toHaveProperty('SubjectAlternativeNames');
  });

  it('creates a regional custom domain with TLS 1.2, IPv4 and IPv6, on that certificate', () => {
    // Assess
    template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: DOMAIN,
      DomainNameConfigurations: [
        {
          CertificateArn: { Ref: logicalIdOf(template, 'AWS::CertificateManager::Certificate') },
          EndpointType: 'REGIONAL',
          SecurityPolicy: 'TLS_1_2',
          IpAddressType: 'dualstack',
        },
      ],
    });
  });

  it('maps the API $default stage at the root, after the stage exists', () => {
    // Act
    const [[, mapping]] = resourcesOf(template, 'AWS::ApiGatewayV2::ApiMapping');

    // Assess
    expect(mapping.Properties).toEqual({
      ApiId: { Ref: logicalIdOf(template, 'AWS::ApiGatewayV2::Api') },
      DomainName: { Ref: logicalIdOf(template, 'AWS::ApiGatewayV2::DomainName') },
      Stage: '$default',
    });
    expect(mapping.DependsOn).toContain(logicalIdOf(template, 'AWS::ApiGatewayV2::Stage'));
  });

  it("checks this region's own execute-api endpoint over HTTPS every 30 s, unhealthy after 3 failures", () => {
    // Act
    const [[, healthCheck]] = resourcesOf(template, 'AWS::Route53::HealthCheck');

    // Assess
    expect(HEALTH_CHECK_INTERVAL.toSeconds()).toBe(30);
    expect(HEALTH_CHECK_FAILURE_THRESHOLD).toBe(3);
    expect(healthCheck.Properties.HealthCheckConfig).toEqual({
      Type: 'HTTPS',
      FullyQualifiedDomainName: executeApiHost(template, 'us-east-2'),
      Port: 443,
      ResourcePath: DEFAULT_HEALTH_CHECK_PATH,
      RequestInterval: 30,
      FailureThreshold: 3,
      // API Gateway needs SNI to find the API's certificate.
      EnableSNI: true,
      Inverted: false,
      MeasureLatency: false,
    });
    // Route 53's default checker regions: none listed.
    expect(healthCheck.Properties.HealthCheckConfig).not.toHaveProperty('Regions');
    expect(healthCheck.Properties.HealthCheckTags).toEqual([{ Key: 'Name', Value: `${DOMAIN} us-east-2` }]);
    expect(DEFAULT_HEALTH_CHECK_PATH).toBe('/health');
  });

  it.each(['A', 'AAAA'])(
    'adds a latency alias record %s for the region, with the health check',
    (recordType) => {
      // Assess
      const domainName = logicalIdOf(template, 'AWS::ApiGatewayV2::DomainName');
      template.hasResourceProperties('AWS::Route53::RecordSet', {
        Type: recordType,
        Name: `${DOMAIN}.`,
        HostedZoneId: ZONE.hostedZoneId,
        Region: 'us-east-2',
        SetIdentifier: 'us-east-2',
        HealthCheckId: { Ref: logicalIdOf(template, 'AWS::Route53::HealthCheck') },
        AliasTarget: {
          DNSName: { 'Fn::GetAtt': [domainName, 'RegionalDomainName'] },
          HostedZoneId: { 'Fn::GetAtt': [domainName, 'RegionalHostedZoneId'] },
        },
      });
      // An alias takes its target's TTL: none may be set.
      template.hasResourceProperties('AWS::Route53::RecordSet', { Type: recordType, TTL: Match.absent() });
    },
  );

  it('creates exactly these resources: nothing more in the zone', () => {
    // Assess
    template.resourceCountIs('AWS::Route53::RecordSet', 2);
    template.resourceCountIs('AWS::Route53::HealthCheck', 1);
    template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    expect(resourcesOf(template, 'AWS::Route53::HostedZone')).toEqual([]);
    expect(resourcesOf(template, 'Custom::AWS')).toEqual([]);
  });

  it('exposes its region, name, address and the host it checks', () => {
    // Assess
    expect(domain.region).toBe('us-east-2');
    expect(domain.domainName).toBe(DOMAIN);
    expect(domain.url).toBe(`https://${DOMAIN}/`);
    expect(domain.records.map((record) => record.node.id)).toEqual(['LatencyA', 'LatencyAaaa']);
    expect(Stack.of(domain).resolve(domain.healthCheckHost)).toEqual(executeApiHost(template, 'us-east-2'));
  });

  it('passes the CloudFormation resource schemas', () => {
    // Act
    const problems = CfnSchema.load().validateTemplate(template.toJSON() as CfnTemplate);

    // Assess
    expect(problems.map(formatProblem)).toEqual([]);
  });
});

describe('RegionalDomain in two regions', () => {
  it('gives each region the same name, its own set identifier and a check of its own API', () => {
    // Prepare
    const app = testApp();
    const stacks = ['us-east-1', 'us-east-2'].map((region) => {
      const { stack, api, hostedZone } = regionStack(app, region);
      new RegionalDomain(stack, 'Domain', { api, domainName: DOMAIN, hostedZone });
      return { region, stack };
    });

    // Act
    const made = stacks.map(({ region, stack }) => ({ region, template: Template.fromStack(stack) }));

    // Assess
    for (const { region, template } of made) {
      template.hasResourceProperties('AWS::Route53::HealthCheck', {
        HealthCheckConfig: Match.objectLike({ FullyQualifiedDomainName: executeApiHost(template, region) }),
      });
      for (const type of ['A', 'AAAA']) {
        template.hasResourceProperties('AWS::Route53::RecordSet', {
          Type: type,
          Name: `${DOMAIN}.`,
          Region: region,
          SetIdentifier: region,
        });
      }
    }
  });
});

describe('RegionalDomain options', () => {
  it('checks the path given', () => {
    // Act
    const { template } = withDomain('eu-west-1', { healthCheckPath: '/health' });

    // Assess
    template.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: Match.objectLike({ ResourcePath: '/health' }),
    });
  });

  it('attaches a health check given instead of creating one', () => {
    // Prepare
    const { stack, api, hostedZone } = regionStack(testApp(), 'eu-west-1');
    const alarmCheck = new route53.HealthCheck(stack, 'StoreAlarmCheck', {
      type: route53.HealthCheckType.CLOUDWATCH_METRIC,
      alarmIdentifier: { region: 'eu-west-1', name: 'store-errors' },
    });

    // Act
    const domain = new RegionalDomain(stack, 'Domain', {
      api,
      domainName: DOMAIN,
      hostedZone,
      healthCheck: alarmCheck,
    });
    const template = Template.fromStack(stack);

    // Assess
    expect(domain.healthCheck).toBe(alarmCheck);
    expect(domain.healthCheckHost).toBeUndefined();
    template.resourceCountIs('AWS::Route53::HealthCheck', 1);
    template.allResourcesProperties('AWS::Route53::RecordSet', {
      HealthCheckId: { Ref: stack.getLogicalId(alarmCheck.node.defaultChild as route53.CfnHealthCheck) },
    });
  });

  it("maps an API's automatic default stage", () => {
    // Prepare
    const app = testApp();
    const stack = new Stack(app, 'Plain', { env: { account: ACCOUNT, region: 'eu-west-1' } });
    const api = new apigwv2.HttpApi(stack, 'Api');
    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', ZONE);

    // Act
    new RegionalDomain(stack, 'Domain', { api, domainName: DOMAIN, hostedZone });

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', { Stage: '$default' });
  });

  it('takes a name in upper case or with a trailing dot as the same name', () => {
    // Act
    const { template } = withDomain('eu-west-1', { domainName: 'Sessions.Example.com.' });

    // Assess
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: DOMAIN });
    template.allResourcesProperties('AWS::Route53::RecordSet', { Name: `${DOMAIN}.` });
  });
});

describe('RegionalDomain errors', () => {
  it('refuses a stack whose region is a token (no explicit env)', () => {
    // Prepare
    const { stack, api, hostedZone } = regionStack(testApp(), undefined, 'Agnostic');

    // Act
    const message = errorOf(
      () => new RegionalDomain(stack, 'Domain', { api, domainName: DOMAIN, hostedZone }),
    );

    // Assess
    expect(message).toBe(
      "RegionalDomain in Agnostic: the stack's region is not known at synth time; latency records " +
        "need it: give the stack an explicit env, e.g. env: { region: 'us-east-1' }",
    );
  });

  it('refuses a name outside the zone', () => {
    // Act
    const message = errorOf(() => withDomain('eu-west-1', { domainName: 'sessions.example.org' }));

    // Assess
    expect(message).toBe('RegionalDomain: sessions.example.org is not in the hosted zone example.com');
  });

  it('refuses a stage other than $default', () => {
    // Prepare
    const { stack, api, hostedZone } = regionStack(testApp(), 'eu-west-1');
    const stage = api.addStage('Beta', { stageName: 'beta' });

    // Act
    const message = errorOf(
      () => new RegionalDomain(stack, 'Domain', { api, stage, domainName: DOMAIN, hostedZone }),
    );

    // Assess
    expect(message).toBe('RegionalDomain: expected the API\'s $default stage, got "beta"');
  });

  it('refuses an API without a $default stage', () => {
    // Prepare
    const stack = new Stack(testApp(), 'NoStage', { env: { account: ACCOUNT, region: 'eu-west-1' } });
    const api = new apigwv2.HttpApi(stack, 'Api', { createDefaultStage: false });
    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', ZONE);

    // Act
    const message = errorOf(
      () => new RegionalDomain(stack, 'Domain', { api, domainName: DOMAIN, hostedZone }),
    );

    // Assess
    expect(message).toBe('RegionalDomain: the API has no $default stage to map; give stage');
  });

  it('refuses to check an API whose execute-api endpoint is disabled', () => {
    // Prepare
    const stack = new Stack(testApp(), 'Private', { env: { account: ACCOUNT, region: 'eu-west-1' } });
    const api = new apigwv2.HttpApi(stack, 'Api', { disableExecuteApiEndpoint: true });
    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', ZONE);

    // Act
    const message = errorOf(
      () => new RegionalDomain(stack, 'Domain', { api, domainName: DOMAIN, hostedZone }),
    );

    // Assess
    expect(message).toMatch(/the API's execute-api endpoint is disabled/);
  });

  it('refuses a health check path with a health check of its own', () => {
    // Prepare
    const { stack, api, hostedZone } = regionStack(testApp(), 'eu-west-1');
    const healthCheck = route53.HealthCheck.fromHealthCheckId(
      stack,
      'Existing',
      'abcdef01-2345-6789-abcd-ef0123456789',
    );

    // Act
    const message = errorOf(
      () =>
        new RegionalDomain(stack, 'Domain', {
          api,
          domainName: DOMAIN,
          hostedZone,
          healthCheck,
          healthCheckPath: '/health',
        }),
    );

    // Assess
    expect(message).toBe(
      'RegionalDomain: give healthCheckPath or healthCheck, not both (a given check has its own path)',
    );
  });

  it.each(['health', '/he alth', '/health#top', `/${'a'.repeat(255)}`])(
    'refuses the health check path %j',
    (path) => {
      // Act
      const message = errorOf(() => withDomain('eu-west-1', { healthCheckPath: path }));

      // Assess
      expect(message).toMatch(/^RegionalDomain: healthCheckPath: expected a path such as \/health/);
    },
  );
});

describe('contextRegionalDomain', () => {
  it('creates nothing without the routing context', () => {
    // Prepare
    const { stack, api } = regionStack(testApp(), 'us-east-1');

    // Act
    const domain = contextRegionalDomain(stack, 'Domain', { api });

    // Assess
    expect(domain).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::Route53::RecordSet', 0);
  });

  it('creates the regional domain for the context name, in the zone the context names', () => {
    // Prepare
    const { stack, api } = regionStack(testApp(DOMAIN_CONTEXT), 'us-east-1');

    // Act
    const domain = contextRegionalDomain(stack, 'Domain', { api });

    // Assess
    expect(domain?.domainName).toBe(DOMAIN);
    Template.fromStack(stack).allResourcesProperties('AWS::Route53::RecordSet', {
      Name: `${DOMAIN}.`,
      HostedZoneId: ZONE.hostedZoneId,
      Region: 'us-east-1',
    });
  });

  it('puts the latency records on the origin name behind the edge', () => {
    // Prepare
    const { stack, api } = regionStack(testApp(DOMAIN_CONTEXT), 'us-east-1');

    // Act
    const domain = contextRegionalDomain(stack, 'Domain', { api, edge: true, healthCheckPath: '/health' });

    // Assess
    expect(domain?.domainName).toBe(`origin.${DOMAIN}`);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: `origin.${DOMAIN}`,
    });
    template.allResourcesProperties('AWS::Route53::RecordSet', { Name: `origin.${DOMAIN}.` });
  });

  it('refuses a partial context, naming what is missing', () => {
    // Prepare
    const { stack, api } = regionStack(testApp({ domainName: DOMAIN }), 'us-east-1');

    // Act
    const message = errorOf(() => contextRegionalDomain(stack, 'Domain', { api }));

    // Assess
    expect(message).toBe(
      'Context domainName, hostedZoneId, hostedZoneName: give all three or none; missing hostedZoneId, hostedZoneName',
    );
  });

  it('refuses a token region with the routing context too', () => {
    // Prepare
    const { stack, api } = regionStack(testApp(DOMAIN_CONTEXT), undefined, 'Agnostic');

    // Act
    const message = errorOf(() => contextRegionalDomain(stack, 'Domain', { api }));

    // Assess
    expect(message).toMatch(/^RegionalDomain in Agnostic: the stack's region is not known at synth time/);
  });
});

describe('routingNames', () => {
  it('uses the public name for the latency records without the edge', () => {
    // Assess
    expect(routingNames(DOMAIN, { edge: false })).toEqual({ publicName: DOMAIN, latencyName: DOMAIN });
  });

  it('puts the latency records on origin.<name> with the edge, CloudFront holding the public name', () => {
    // Assess
    expect(routingNames(DOMAIN, { edge: true })).toEqual({
      publicName: DOMAIN,
      latencyName: `origin.${DOMAIN}`,
    });
  });

  it('refuses a name too long for the origin label', () => {
    // Prepare
    const long = `${'abcdefghi.'.repeat(24)}example.com`;

    // Assess
    expect(() => routingNames(long, { edge: true })).toThrow(/too long for the edge's origin name/);
  });
});

describe('latencyOrigin', () => {
  it("makes CloudFront's origin the latency-routed name, HTTPS and TLS 1.2 only, with the origin-verify header", () => {
    // Prepare
    const stack = new Stack(testApp(), 'Edge', { env: { account: ACCOUNT, region: 'us-east-1' } });

    // Act
    new cloudfront.Distribution(stack, 'Distribution', {
      defaultBehavior: {
        origin: latencyOrigin(`origin.${DOMAIN}`, { [ORIGIN_VERIFY.header]: 'secret-value' }),
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      },
    });

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Origins: [
          Match.objectLike({
            DomainName: `origin.${DOMAIN}`,
            CustomOriginConfig: Match.objectLike({
              OriginProtocolPolicy: 'https-only',
              OriginSSLProtocols: ['TLSv1.2'],
            }),
            OriginCustomHeaders: [{ HeaderName: ORIGIN_VERIFY.header, HeaderValue: 'secret-value' }],
          }),
        ],
        // One origin, no origin group: failover is Route 53's, for every method.
        OriginGroups: Match.absent(),
      }),
    });
  });
});

describe('cdk-nag', () => {
  it('finds nothing to acknowledge in the routing constructs', () => {
    // Prepare
    const app = testApp();
    const { stack, api, hostedZone } = regionStack(app, 'us-east-1');
    new RegionalDomain(stack, 'Domain', { api, domainName: DOMAIN, hostedZone });
    const packs: NagPack[] = [new AwsSolutionsChecks(app), new ServerlessChecks(app)];

    // Act: the test stack's own API and function have findings of their own; only Domain's count.
    const findings = packs.flatMap((pack) => nagFindings(pack, app));

    // Assess
    expect(findings.filter((finding) => finding.includes(`${stack.node.path}/Domain/`))).toEqual([]);
    expect(findings.length).toBeGreaterThan(0); // the packs did run
  });
});
