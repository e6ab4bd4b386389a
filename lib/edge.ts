import {
  CfnOutput,
  CrossStackReferences,
  ReferenceStrength,
  RemovalPolicy,
  SecretValue,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ORIGIN_VERIFY } from '../lambda/contract';
import { type ContextDomain, optionalContextNumber } from './context';
import { latencyOrigin, routingNames } from './routing';

/** CloudFront's web ACLs, like its certificates, live in US East (N. Virginia). */
export const EDGE_ACL_REGION = 'us-east-1';

/** Requests per client IP per 5 minutes before WAF answers 429, unless context `edgeRateLimit` says otherwise. */
export const DEFAULT_EDGE_RATE_LIMIT = 1000;

/** The WAF bounds of a rate-based rule's limit. */
const RATE_LIMIT_RANGE = { min: 10, max: 2_000_000_000 };

/**
 * The edge's web ACL, in its own stack in us-east-1 (CloudFront's WAF scope lives only there):
 * a rate-based rule per client IP (429 above `edgeRateLimit` requests per 5 minutes), then the
 * AWS managed common rule set. The sessions stack, in any region, reads its ARN through a weak
 * cross-region reference: `Fn::GetStackOutput`, with no custom resource in either stack.
 */
export class EdgeAclStack extends Stack {
  readonly webAcl: wafv2.CfnWebACL;
  readonly rateLimit: number;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, { ...props, env: { ...props.env, region: EDGE_ACL_REGION } });
    this.rateLimit =
      optionalContextNumber(this, 'edgeRateLimit', RATE_LIMIT_RANGE) ?? DEFAULT_EDGE_RATE_LIMIT;
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      description: 'Server sessions: a request limit per client IP, and the AWS common rule set',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('ServerSessionsEdge'),
      customResponseBodies: {
        tooManyRequests: {
          contentType: 'TEXT_PLAIN',
          content: 'Too many requests from your address. Please wait a minute and try again.',
        },
      },
      rules: [
        {
          // First, so a flood is cut before any other rule looks at it.
          name: 'RequestsPerClientIp',
          priority: 0,
          action: {
            block: {
              customResponse: {
                responseCode: 429,
                customResponseBodyKey: 'tooManyRequests',
                responseHeaders: [{ name: 'retry-after', value: '60' }],
              },
            },
          },
          statement: {
            rateBasedStatement: { aggregateKeyType: 'IP', limit: this.rateLimit, evaluationWindowSec: 300 },
          },
          visibilityConfig: visibility('RequestsPerClientIp'),
        },
        {
          name: 'AWSManagedRulesCommonRuleSet',
          priority: 1,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesCommonRuleSet' },
          },
          visibilityConfig: visibility('AWSManagedRulesCommonRuleSet'),
        },
      ],
    });
    // Weak: read with Fn::GetStackOutput. A strong cross-region reference would add a custom
    // resource (a Lambda function and its role) to both stacks to copy one ARN.
    CrossStackReferences.of(this.webAcl).produce(ReferenceStrength.WEAK);
    new CfnOutput(this, 'WebAclArn', { value: this.webAcl.attrArn, description: 'The edge web ACL' });
  }
}

/**
 * The CloudFront Function (viewer request) that keeps the viewer's Host: API Gateway needs its
 * own Host to find the API, so CloudFront sends it that one, and the viewer's travels as
 * `X-Forwarded-Host`, which the app compares with `Origin` to refuse cross-site posts
 * (lambda/http/crossSite.ts). Set from the Host in every case, so a client cannot choose it.
 */
export const FORWARD_VIEWER_HOST_CODE = `function handler(event) {
  var request = event.request;
  if (request.headers.host) {
    request.headers['x-forwarded-host'] = { value: request.headers.host.value };
  } else {
    delete request.headers['x-forwarded-host'];
  }
  return request;
}
`;

export interface SessionsEdgeProps {
  api: apigwv2.HttpApi;
  functions: Record<string, lambda.Function>;
  /** The web ACL (in us-east-1) the distribution uses. */
  webAclArn: string;
}

/**
 * CloudFront in front of the HTTP API, with the web ACL, caching nothing and forwarding every
 * viewer header, cookie and query string except Host (see FORWARD_VIEWER_HOST_CODE). It adds a
 * secret `x-origin-verify` header to each request it forwards, and gives the functions the same
 * value: they refuse requests without it (lambda/app/originVerify.ts), so a client that calls the
 * API's own address gets a 403 page and never a session.
 */
export class SessionsEdge extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly originSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: SessionsEdgeProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.originSecret = newOriginSecret(this);
    // Resolved by CloudFormation at deploy time ({{resolve:secretsmanager:…}}): not in the template.
    const originSecretValue = this.originSecret.secretValue.unsafeUnwrap();
    this.distribution = edgeDistribution(this, {
      webAclArn: props.webAclArn,
      origin: new origins.HttpOrigin(`${props.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`, {
        protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
        customHeaders: { [ORIGIN_VERIFY.header]: originSecretValue },
      }),
    });
    requireOriginHeader(props.functions, originSecretValue);
  }

  /** The site's address behind the edge. */
  get url(): string {
    return `https://${this.distribution.distributionDomainName}/`;
  }
}

export interface MultiRegionEdgeProps {
  /** The web ACL (in us-east-1) the distribution uses. */
  readonly webAclArn: string;
  /** The site's public name and its hosted zone (context: `contextDomain`). */
  readonly domain: ContextDomain;
  /** The replica regions: each gets a replica of the origin secret (but us-east-1, which holds it). */
  readonly regions: readonly string[];
}

/**
 * The edge of a multi-region deployment, in a us-east-1 stack (the web ACL's): one CloudFront
 * distribution for every region, as `SessionsEdge` makes it but for its origin, which is the
 * latency-routed name `origin.<domainName>` (`latencyOrigin`, lib/routing.ts) rather than one
 * region's API. CloudFront resolves that name through Route 53, so a region whose health check
 * fails drops out for every method, POST included: DNS failover. An origin group would fail over
 * only GET, HEAD and OPTIONS, and CloudFront refuses a behavior that allows POST on one.
 *
 * Also here: the ACM certificate for the public name (CloudFront takes certificates from us-east-1
 * only), the public name's alias records A and AAAA to the distribution, and the origin secret,
 * with a fixed name and a replica in each other region. Each region's stack gives its functions
 * that secret's value by name (`originHeaderFromSecretName`), resolved in its own region: no
 * reference crosses a region, and the regions' stacks deploy after this one.
 * @example new MultiRegionEdge(edgeAclStack, 'Edge', { webAclArn, domain, regions: ['us-east-1', 'us-east-2'] });
 */
export class MultiRegionEdge extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly originSecret: secretsmanager.Secret;
  /** The origin secret's name, the same in every region: what the regions' stacks read. */
  readonly originSecretName: string;
  /** The name the viewers use (`sessions.example.com`) and the one CloudFront asks (`origin.` before it). */
  readonly names: { readonly publicName: string; readonly latencyName: string };
  readonly certificate: acm.Certificate;
  readonly records: readonly [route53.ARecord, route53.AaaaRecord];

  constructor(scope: Construct, id: string, props: MultiRegionEdgeProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (stack.region !== EDGE_ACL_REGION) {
      throw new Error(
        `MultiRegionEdge in ${stack.node.path}: its stack must be in ${EDGE_ACL_REGION} (CloudFront's ` +
          `certificates and web ACLs live there), got ${Token.isUnresolved(stack.region) ? 'no region' : stack.region}`,
      );
    }
    this.names = routingNames(props.domain.domainName, { edge: true });
    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: props.domain.hostedZoneId,
      zoneName: props.domain.hostedZoneName,
    });
    this.certificate = new acm.Certificate(this, 'Certificate', {
      domainName: this.names.publicName,
      validation: acm.CertificateValidation.fromDns(hostedZone),
    });

    this.originSecretName = `${stack.stackName}/origin-verify`;
    this.originSecret = newOriginSecret(this, {
      secretName: this.originSecretName,
      replicaRegions: props.regions.filter((region) => region !== stack.region).map((region) => ({ region })),
    });
    this.distribution = edgeDistribution(this, {
      webAclArn: props.webAclArn,
      origin: latencyOrigin(this.names.latencyName, {
        [ORIGIN_VERIFY.header]: this.originSecret.secretValue.unsafeUnwrap(),
      }),
      domain: { names: [this.names.publicName], certificate: this.certificate },
    });

    const alias = {
      zone: hostedZone,
      recordName: `${this.names.publicName}.`,
      target: route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(this.distribution)),
      comment: `${this.names.publicName}: the CloudFront distribution in front of every region`,
    } satisfies route53.ARecordProps;
    this.records = [
      new route53.ARecord(this, 'AliasA', alias),
      new route53.AaaaRecord(this, 'AliasAaaa', alias),
    ];
  }

  /** The site's address. */
  get url(): string {
    return `https://${this.names.publicName}/`;
  }
}

/**
 * Makes `functions` refuse requests without the edge's `x-origin-verify` header: their
 * `ORIGIN_VERIFY_SECRET` is `value`, a dynamic reference CloudFormation resolves at deploy time.
 */
function requireOriginHeader(functions: Record<string, lambda.Function>, value: string): void {
  for (const fn of Object.values(functions)) {
    fn.addEnvironment(ORIGIN_VERIFY.variable, value);
  }
}

/**
 * In a region's stack of a multi-region deployment behind `MultiRegionEdge`: makes `functions`
 * refuse requests without the header, reading the origin secret by `secretName` in the stack's
 * own region (its replica, or the secret itself in us-east-1). CloudFormation reads it at deploy
 * time, so the functions need no permission on it.
 * @example originHeaderFromSecretName(this.functions, 'ServerSessionsEdge/origin-verify');
 */
export function originHeaderFromSecretName(
  functions: Record<string, lambda.Function>,
  secretName: string,
): void {
  requireOriginHeader(functions, SecretValue.secretsManager(secretName).unsafeUnwrap());
}

/** The origin secret (id `OriginSecret`): 48 random letters and digits, generated at deploy time. */
function newOriginSecret(
  scope: Construct,
  props: Pick<secretsmanager.SecretProps, 'secretName' | 'replicaRegions'> = {},
): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, 'OriginSecret', {
    description: 'Header value CloudFront adds to every request it forwards to the sessions API',
    generateSecretString: { excludePunctuation: true, passwordLength: 48 },
    // Worth nothing once the distribution and the functions are gone.
    removalPolicy: RemovalPolicy.DESTROY,
    ...props,
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'CloudFormation copies the value into the distribution and the functions at deploy time; a ' +
      'rotation Lambda would change the secret alone and every request would be refused until the ' +
      'next deploy. It is replaced by deploying a new secret (docs/operations.md).',
  });
  return secret;
}

interface EdgeDistributionProps {
  readonly webAclArn: string;
  readonly origin: cloudfront.IOrigin;
  /** The viewers' names and their us-east-1 certificate. @default - the distribution's own *.cloudfront.net name */
  readonly domain?: { readonly names: string[]; readonly certificate: acm.ICertificate };
}

/**
 * The distribution (id `Distribution`) and its viewer-request function (`ForwardViewerHost`):
 * every method, nothing cached, every viewer header, cookie and query string but Host forwarded.
 */
function edgeDistribution(scope: Construct, props: EdgeDistributionProps): cloudfront.Distribution {
  const forwardViewerHost = new cloudfront.Function(scope, 'ForwardViewerHost', {
    comment: 'Sends the viewer Host to the sessions API as X-Forwarded-Host',
    code: cloudfront.FunctionCode.fromInline(FORWARD_VIEWER_HOST_CODE),
    runtime: cloudfront.FunctionRuntime.JS_2_0,
  });
  const distribution = new cloudfront.Distribution(scope, 'Distribution', {
    comment: 'Server sessions: the public address, with WAF in front of the HTTP API',
    webAclId: props.webAclArn,
    ...(props.domain
      ? {
          domainNames: props.domain.names,
          certificate: props.domain.certificate,
          minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          sslSupportMethod: cloudfront.SSLMethod.SNI,
        }
      : {}),
    defaultBehavior: {
      origin: props.origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      // Every page depends on the session cookie: nothing may be cached or shared.
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      functionAssociations: [
        { function: forwardViewerHost, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
      ],
    },
  });
  acknowledgeDistributionFindings(distribution, { customCertificate: props.domain !== undefined });
  return distribution;
}

/** The cdk-nag findings the distribution raises, each with its reason. */
function acknowledgeDistributionFindings(
  distribution: cloudfront.Distribution,
  { customCertificate }: { customCertificate: boolean },
): void {
  Validations.of(distribution).acknowledge({
    id: 'AwsSolutions-CFR1',
    reason:
      'A public website with no legal or licensing reason to refuse a country; per-client abuse is ' +
      'limited by the web ACL rate rule instead.',
  });
  Validations.of(distribution).acknowledge({
    id: 'AwsSolutions-CFR3',
    reason:
      'Each request already writes a line in the API access logs and the function logs (with the ' +
      'request id); the web ACL keeps samples of what it blocks. CloudFront standard logs would need ' +
      'an S3 bucket with ACLs or a log delivery, for little more.',
  });
  // With a custom certificate the viewer policy is TLSv1.2_2021 and the rule passes.
  if (customCertificate) return;
  Validations.of(distribution).acknowledge({
    id: 'AwsSolutions-CFR4',
    reason:
      'The distribution uses its default *.cloudfront.net certificate, whose viewer TLS policy ' +
      'CloudFront fixes; a custom domain with its own certificate (TLSv1.2_2021) is the operator’s ' +
      'choice. CloudFront connects to API Gateway with TLS 1.2 only.',
  });
}
