import { Duration, Stack, Tags, Token } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { HEALTH_CHECK_PATH } from '../lambda/contract';
import { contextDomain } from './context';

/**
 * How the regions of a multi-region deployment share one name: in each region a regional custom
 * domain for the same name, with its own certificate and health check, and a latency record
 * for it. Route 53 answers each query with the region nearest the resolver among those whose
 * health check passes. docs/operations.md, "Multi-region: routing", says what fails over and
 * what does not.
 */

/** Seconds between two requests of one Route 53 health checker. */
export const HEALTH_CHECK_INTERVAL = Duration.seconds(30);

/** Consecutive failures (or successes) that turn a region unhealthy (or healthy again). */
export const HEALTH_CHECK_FAILURE_THRESHOLD = 3;

/**
 * The path the health checkers ask for, unless `healthCheckPath` says otherwise: `GET /health`,
 * which the index function answers with one strongly consistent read of the table (200, or 503
 * when this region's replica cannot answer, a lost quorum included), before the edge's origin
 * check (the checkers cannot send `x-origin-verify`). `GET /` would see neither: it makes no
 * DynamoDB call, and behind the edge it answers 403 to everyone but CloudFront.
 */
export const DEFAULT_HEALTH_CHECK_PATH = HEALTH_CHECK_PATH;

/** The label the edge's origin name puts before the public name (`origin.sessions.example.com`). */
export const EDGE_ORIGIN_LABEL = 'origin';

export interface RegionalDomainProps {
  /** The HTTP API this region serves; its execute-api endpoint must stay enabled (the health check asks it). */
  readonly api: apigwv2.IHttpApi;
  /**
   * The API's `$default` stage, mapped at the domain's root.
   * @default - the API's `defaultStage`, else its child stage named `$default` (SessionsStack's `DefaultStage`)
   */
  readonly stage?: apigwv2.IHttpStage;
  /** The latency-routed name, the same in every region: `sessions.example.com`. */
  readonly domainName: string;
  /** The public hosted zone holding `domainName`; the certificate is validated in it. */
  readonly hostedZone: route53.IHostedZone;
  /**
   * The path the health checkers ask this region's API for (2xx or 3xx: healthy). Behind the
   * edge every path but `/health` answers 403 to a request without CloudFront's
   * `x-origin-verify` header, the health checkers' included: another path would make every
   * region unhealthy, and Route 53 would then treat all as healthy (no failover at all).
   * @default DEFAULT_HEALTH_CHECK_PATH
   */
  readonly healthCheckPath?: string;
  /**
   * A health check of your own for this region's records (a CloudWatch-alarm or calculated
   * one), instead of the HTTPS check of the API; not with `healthCheckPath`.
   * @default - an HTTPS check of `healthCheckPath` on this region's execute-api endpoint
   */
  readonly healthCheck?: route53.IHealthCheck;
}

/**
 * One region's share of a latency-routed name, created in its stack's region: an ACM
 * certificate for the name (DNS validation in the zone), a regional API Gateway custom domain
 * (TLS 1.2, IPv4 and IPv6) mapped to the API's `$default` stage, a Route 53 health check of this
 * region's own execute-api endpoint (HTTPS, every 30 s, unhealthy after 3 failures, from Route
 * 53's default checker regions), and the latency alias records A and AAAA for the name, with this
 * region as their region and set identifier and the health check attached. The stack needs a
 * concrete region (`env: { region }`).
 * @example new RegionalDomain(stack, 'Domain', { api, domainName: 'sessions.example.com', hostedZone });
 */
export class RegionalDomain extends Construct {
  /** The stack's region: the records' region and set identifier. */
  readonly region: string;
  readonly domainName: string;
  readonly certificate: acm.Certificate;
  readonly domain: apigwv2.DomainName;
  readonly mapping: apigwv2.ApiMapping;
  /** The HTTPS check of this region's API, or the one given as `healthCheck`. */
  readonly healthCheck: route53.IHealthCheck;
  /** The host the health checkers ask: this region's execute-api endpoint, not the latency name. */
  readonly healthCheckHost?: string;
  readonly records: readonly [route53.ARecord, route53.AaaaRecord];

  constructor(scope: Construct, id: string, props: RegionalDomainProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.region = concreteRegion(stack);
    this.domainName = checkedDomainName(props.domainName, props.hostedZone);
    const stage = mappedStage(props.api, props.stage);

    this.certificate = new acm.Certificate(this, 'Certificate', {
      domainName: this.domainName,
      validation: acm.CertificateValidation.fromDns(props.hostedZone),
    });
    this.domain = new apigwv2.DomainName(this, 'DomainName', {
      domainName: this.domainName,
      certificate: this.certificate,
      endpointType: apigwv2.EndpointType.REGIONAL,
      securityPolicy: apigwv2.SecurityPolicy.TLS_1_2,
      ipAddressType: apigwv2.IpAddressType.DUAL_STACK,
    });
    this.mapping = new apigwv2.ApiMapping(this, 'Mapping', {
      api: props.api,
      domainName: this.domain,
      stage,
    });

    if (props.healthCheck) {
      if (props.healthCheckPath !== undefined) {
        throw new Error(
          'RegionalDomain: give healthCheckPath or healthCheck, not both (a given check has its own path)',
        );
      }
      this.healthCheck = props.healthCheck;
    } else {
      if (props.api instanceof apigwv2.HttpApi && props.api.disableExecuteApiEndpoint) {
        throw new Error(
          `RegionalDomain ${this.node.path}: the API's execute-api endpoint is disabled, and the health ` +
            'check asks that endpoint; enable it or give healthCheck',
        );
      }
      this.healthCheckHost = `${props.api.apiId}.execute-api.${this.region}.${stack.urlSuffix}`;
      this.healthCheck = new route53.HealthCheck(this, 'HealthCheck', {
        type: route53.HealthCheckType.HTTPS,
        fqdn: this.healthCheckHost,
        port: 443,
        resourcePath: checkedHealthCheckPath(props.healthCheckPath ?? DEFAULT_HEALTH_CHECK_PATH),
        requestInterval: HEALTH_CHECK_INTERVAL,
        failureThreshold: HEALTH_CHECK_FAILURE_THRESHOLD,
      });
      // The console lists health checks by their Name tag.
      Tags.of(this.healthCheck).add('Name', `${this.domainName} ${this.region}`);
    }

    const latencyRecord = {
      zone: props.hostedZone,
      recordName: `${this.domainName}.`,
      target: route53.RecordTarget.fromAlias(
        new targets.ApiGatewayv2DomainProperties(
          this.domain.regionalDomainName,
          this.domain.regionalHostedZoneId,
        ),
      ),
      region: this.region,
      setIdentifier: this.region,
      healthCheck: this.healthCheck,
      comment: `${this.domainName} in ${this.region} (latency routing)`,
    } satisfies route53.ARecordProps;
    this.records = [
      new route53.ARecord(this, 'LatencyA', latencyRecord),
      new route53.AaaaRecord(this, 'LatencyAaaa', latencyRecord),
    ];
  }

  /** The site's address through the latency-routed name. */
  get url(): string {
    return `https://${this.domainName}/`;
  }
}

/**
 * The names of a deployment with a custom domain. Without the edge the public name is the
 * latency-routed one. With it, the public name must point at CloudFront, so the latency
 * records (and each region's custom domain and certificate) take another name under it, which
 * CloudFront uses as its origin.
 * @example routingNames('sessions.example.com', { edge: true }); // { publicName: 'sessions.example.com', latencyName: 'origin.sessions.example.com' }
 */
export function routingNames(
  domainName: string,
  { edge }: { edge: boolean },
): { publicName: string; latencyName: string } {
  if (!edge) return { publicName: domainName, latencyName: domainName };
  const latencyName = `${EDGE_ORIGIN_LABEL}.${domainName}`;
  if (latencyName.length > 253) {
    throw new Error(
      `Domain ${domainName}: too long for the edge's origin name ${latencyName} (253 characters at most)`,
    );
  }
  return { publicName: domainName, latencyName };
}

/**
 * The edge's origin in a multi-region deployment: the latency-routed name instead of one
 * region's execute-api host. CloudFront resolves it through Route 53 like any client, so each
 * edge location reaches the region nearest it whose health check passes, and a failed region
 * drops out for every method (DNS failover, not an origin group). HTTPS and TLS 1.2 only, with
 * the headers CloudFront must add (`x-origin-verify`). API Gateway finds the API by the Host,
 * which CloudFront sets to this name (origin request policy `AllViewerExceptHostHeader`), and
 * by SNI, which this name's regional certificate answers.
 * @example latencyOrigin('origin.sessions.example.com', { [ORIGIN_VERIFY.header]: secretValue });
 */
export function latencyOrigin(
  latencyName: string,
  customHeaders: Record<string, string>,
): cloudfront.IOrigin {
  return new origins.HttpOrigin(latencyName, {
    protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
    originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    customHeaders,
  });
}

export interface ContextRegionalDomainOptions
  extends Pick<RegionalDomainProps, 'api' | 'stage' | 'healthCheckPath' | 'healthCheck'> {
  /** Whether CloudFront fronts the site: the records then take the origin name (`routingNames`). @default false */
  readonly edge?: boolean;
}

/**
 * The `RegionalDomain` that context `domainName`, `hostedZoneId` and `hostedZoneName` ask for
 * (`contextDomain`), in `scope`'s stack, or undefined when none is set. The zone is imported
 * from its id and name, never looked up. With `edge`, the latency records and the regional
 * domain take the origin name (`origin.<domainName>`), the public name being CloudFront's.
 * @example contextRegionalDomain(this, 'Domain', { api: this.api }); // -c domainName=... -c hostedZoneId=... -c hostedZoneName=...
 */
export function contextRegionalDomain(
  scope: Construct,
  id: string,
  { edge = false, ...props }: ContextRegionalDomainOptions,
): RegionalDomain | undefined {
  const domain = contextDomain(scope);
  if (domain === undefined) return undefined;
  const hostedZone = route53.HostedZone.fromHostedZoneAttributes(scope, `${id}Zone`, {
    hostedZoneId: domain.hostedZoneId,
    zoneName: domain.hostedZoneName,
  });
  const { latencyName } = routingNames(domain.domainName, { edge });
  return new RegionalDomain(scope, id, { ...props, domainName: latencyName, hostedZone });
}

/** The stack's region, which latency records need as a literal. */
function concreteRegion(stack: Stack): string {
  if (Token.isUnresolved(stack.region)) {
    throw new Error(
      `RegionalDomain in ${stack.node.path}: the stack's region is not known at synth time; latency ` +
        "records need it: give the stack an explicit env, e.g. env: { region: 'us-east-1' }",
    );
  }
  return stack.region;
}

/** The name, lower case without a trailing dot, checked to lie in the zone (when the zone's name is known). */
function checkedDomainName(domainName: string, zone: route53.IHostedZone): string {
  if (Token.isUnresolved(domainName)) {
    throw new Error(
      'RegionalDomain: domainName must be known at synth time (the certificate and records name it)',
    );
  }
  const name = domainName.toLowerCase().replace(/\.$/, '');
  if (!Token.isUnresolved(zone.zoneName)) {
    const zoneName = zone.zoneName.toLowerCase().replace(/\.$/, '');
    if (name !== zoneName && !name.endsWith(`.${zoneName}`)) {
      throw new Error(`RegionalDomain: ${name} is not in the hosted zone ${zoneName}`);
    }
  }
  return name;
}

/** The `$default` stage to map: given, the API's default one, or its child named `$default`. */
function mappedStage(api: apigwv2.IHttpApi, stage: apigwv2.IHttpStage | undefined): apigwv2.IHttpStage {
  const found =
    stage ??
    api.defaultStage ??
    api.node.children.find(
      (child): child is apigwv2.HttpStage =>
        child instanceof apigwv2.HttpStage && child.stageName === '$default',
    );
  if (found === undefined) {
    throw new Error('RegionalDomain: the API has no $default stage to map; give stage');
  }
  // Another stage's execute-api URLs start with its name, which the health check path would need.
  if (found.stageName !== '$default') {
    throw new Error(
      `RegionalDomain: expected the API's $default stage, got ${JSON.stringify(found.stageName)}`,
    );
  }
  return found;
}

/** An absolute path (a query allowed) of at most 255 characters, Route 53's limit; no spaces or fragment. */
function checkedHealthCheckPath(path: string): string {
  if (!/^\/[\x21-\x7e]{0,254}$/.test(path) || path.includes('#')) {
    throw new Error(
      'RegionalDomain: healthCheckPath: expected a path such as /health (a leading /, no spaces or ' +
        `fragment, 255 characters at most), got ${JSON.stringify(path)}`,
    );
  }
  return path;
}
