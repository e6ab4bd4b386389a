import * as path from 'node:path';
import {
  ALARM_PERIOD,
  type MultiRegionTopology,
  ServerSessions,
  ServerSessionsReplica,
  type ServerSessionsReplicaProps,
  SessionAlarms,
  SessionsDashboard,
} from '@lambda-sessions/cdk';
import { DEFAULT_ABSOLUTE_TIMEOUT_SECONDS } from '@lambda-sessions/dynamodb/table';
import {
  CfnOutput,
  CfnParameter,
  CfnRule,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import {
  DEFAULT_METRICS_NAMESPACE,
  DEFAULT_ROUTE_FUNCTION,
  ENVIRONMENT,
  FUNCTION_NAMES,
  FUNCTIONS,
  type FunctionName,
  ROUTES,
  SESSION_METRICS,
} from '../lambda/contract';
import { FUNCTION_BUNDLING } from './bundling';
import { contextDomain, contextEmail, contextFlag, contextNumber, optionalContextNumber } from './context';
import { originHeaderFromSecretName, SessionsEdge } from './edge';
import { contextRegionalDomain, type RegionalDomain } from './routing';

const PROJECT_ROOT = path.resolve(__dirname, '..');

/** The newest Node.js runtime aws-cdk-lib offers; the bundles target the same version (lib/bundling.ts). */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * How often a new signing key takes over, in days, unless context `keyRotationDays` (1 to 1000)
 * says otherwise. The rotation itself runs every 4 hours (`ServerSessions`).
 */
export const DEFAULT_KEY_ROTATION_DAYS = 30;

/** API Gateway default-route throttling, unless context `throttleBurst` / `throttleRate` say otherwise. */
export const DEFAULT_THROTTLE = { burstLimit: 100, rateLimit: 50 } as const;

/**
 * The API's access log: one line per request, its fields separated by spaces, the route key
 * quoted (`$default` has no space, the others one) and the integration's error message last (it
 * may hold spaces): `Cx4qNhQ8joEEJvA= 200 "GET /" 11 10 203.0.113.10 -`. Text rather than JSON,
 * which would repeat every field's name on every line (about 60 bytes more per request,
 * docs/operations.md, "Logs"). No time (the log event has it), no cookies, headers or bodies, so
 * no token reaches the logs.
 */
export const ACCESS_LOG_TEMPLATE = [
  '$context.requestId',
  '$context.status',
  '"$context.routeKey"',
  '$context.responseLatency',
  '$context.integrationLatency',
  '$context.identity.sourceIp',
  '$context.integrationErrorMessage',
].join(' ');
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(ACCESS_LOG_TEMPLATE);

/**
 * How the session functions log: Lambda's JSON format, so that it filters by level; the
 * application at INFO (the request lines, which carry the metrics; Powertools Logger takes this
 * level over `POWERTOOLS_LOG_LEVEL`); the platform at WARN, which drops the START and REPORT
 * records of every invocation (and so Init Duration and Max Memory Used: docs/operations.md,
 * "Logs", says how to see them again).
 */
export const FUNCTION_LOGGING = {
  loggingFormat: lambda.LoggingFormat.JSON,
  applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
  systemLogLevelV2: lambda.SystemLogLevel.WARN,
} as const satisfies Pick<
  lambda.FunctionOptions,
  'loggingFormat' | 'applicationLogLevelV2' | 'systemLogLevelV2'
>;

export interface SessionsStackProps extends StackProps {
  /**
   * Serve the site through CloudFront with this web ACL (its ARN, in us-east-1: `EdgeAclStack`),
   * and make the API refuse requests that did not come through it.
   * @default - no edge: the API's own address is the site
   */
  readonly edge?: { readonly webAclArn: string };
  /**
   * One of the stacks of a multi-region deployment (lib/app.ts). Without `primary` this stack is
   * in the topology's first region and creates the strongly consistent table and the secret;
   * with it, its functions use their own region's replicas of them.
   * @default - one region: the table and the secret in this stack
   */
  readonly multiRegion?: {
    readonly topology: MultiRegionTopology;
    readonly primary?: ServerSessionsReplicaProps['primary'];
    /**
     * Behind the edge's one distribution (`MultiRegionEdge`, in its own us-east-1 stack, which
     * deploys first): the functions read the origin secret by this name in their own region, and
     * the regional domain takes the origin name (`origin.<domainName>`). Needs the domain context.
     * @default - no edge
     */
    readonly edge?: { readonly originSecretName: string };
  };
}

/**
 * Variables a function is given only for `sam local invoke`/`start-api`, declared blank so that
 * `--env-vars events/env.json` can set them (SAM overrides only declared variables). Deployed
 * functions never declare them: a `SESSION_SECRET` set in the console would replace the rotated
 * keys and be readable through `GetFunctionConfiguration`.
 */
export const SAM_LOCAL_VARIABLES = { [ENVIRONMENT.endpoint]: '', [ENVIRONMENT.secret]: '' } as const;

/**
 * The deployed app: an HTTP API with one route per entry of `ROUTES`, one Lambda function per
 * entry of `FUNCTIONS`, and the session table and signing-key secret from `ServerSessions`.
 *
 * Context: `disposable=true` makes the table and secret deletable with the stack;
 * `throttleBurst` / `throttleRate` override the default-route throttling; `alarmEmail` subscribes
 * an address to the alarms; `reservedConcurrency`, `tableMaxReadRequestUnits` and
 * `tableMaxWriteRequestUnits` cap capacity; `keyRotationDays` sets how often a new signing key
 * takes over; `samLocal=true` makes a template for `sam local` only (see `refuseDeployment`);
 * docs/operations.md lists every option. With the `edge` prop, CloudFront and its web ACL
 * front the API (lib/edge.ts, wired by lib/app.ts); with `multiRegion.edge`, the one distribution
 * of a multi-region deployment does (`MultiRegionEdge`).
 */
export class SessionsStack extends Stack {
  /** The table and secret (their replicas in a multi-region stack that is not the primary). */
  readonly sessions: ServerSessions | ServerSessionsReplica;
  readonly api: apigwv2.HttpApi;
  readonly functions: Record<FunctionName, nodejs.NodejsFunction>;
  readonly alarms: SessionAlarms;
  readonly dashboard: SessionsDashboard;
  readonly edge?: SessionsEdge;
  /** In a multi-region stack with the domain context: this region's custom domain and latency records. */
  readonly domain?: RegionalDomain;

  constructor(scope: Construct, id: string, props: SessionsStackProps = {}) {
    super(scope, id, props);
    const disposable = contextFlag(this, 'disposable');
    const samLocal = contextFlag(this, 'samLocal');
    const logRemovalPolicy = disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    if (samLocal) this.refuseDeployment();

    const primary = props.multiRegion?.primary;
    this.sessions = primary
      ? new ServerSessionsReplica(this, 'Sessions', { primary })
      : this.serverSessions(disposable, props.multiRegion?.topology);

    const reservedConcurrency = optionalContextNumber(this, 'reservedConcurrency');
    this.functions = mapFunctions((name) =>
      this.sessionFunction(name, logRemovalPolicy, reservedConcurrency, samLocal),
    );

    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Flask-style server-side sessions',
      // The stage is added below with access logs and throttling, which the default stage lacks.
      createDefaultStage: false,
    });
    const stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        burstLimit: contextNumber(this, 'throttleBurst', DEFAULT_THROTTLE.burstLimit),
        rateLimit: contextNumber(this, 'throttleRate', DEFAULT_THROTTLE.rateLimit),
      },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(
          new logs.LogGroup(this, 'AccessLogs', {
            retention: logs.RetentionDays.ONE_MONTH,
            removalPolicy: logRemovalPolicy,
          }),
        ),
        format: ACCESS_LOG_FORMAT,
      },
    });
    Validations.of(stage).acknowledge({
      id: 'Serverless-APIGWStructuredLogging',
      reason:
        'The access line is text on purpose: four fields (request id, route, status, latency) in 49 ' +
        'bytes; as JSON it would cost about 60 bytes more per view, past the log-cost goal ' +
        '(docs/operations.md, Logs). The function line carries the JSON fields.',
    });

    const integrations = mapFunctions(
      (name) =>
        new HttpLambdaIntegration(`${pascalCase(name)}Integration`, this.functions[name], {
          payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
        }),
    );
    const routes = ROUTES.map(
      (route) =>
        this.api.addRoutes({
          path: route.path,
          methods: [apigwv2.HttpMethod[route.method]],
          integration: integrations[route.function],
        })[0],
    );
    // Everything else reaches a handler too, which answers 404 or 405 as an HTML page with the
    // security headers, as the local server does, instead of API Gateway's JSON 404.
    routes.push(
      new apigwv2.HttpRoute(this.api, 'DefaultRoute', {
        httpApi: this.api,
        routeKey: apigwv2.HttpRouteKey.DEFAULT,
        integration: integrations[DEFAULT_ROUTE_FUNCTION],
      }),
    );
    for (const httpRoute of routes) {
      Validations.of(httpRoute).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'A public website: every page is open to anonymous visitors and the login form is the ' +
          'authentication. The handlers check the session from a signed cookie.',
      });
    }

    // The request log lines' metrics (lambda/app/metrics.ts): by the functions' service, the stack name.
    const sessionMetrics = {
      namespace: DEFAULT_METRICS_NAMESPACE,
      dimensionsMap: { service: this.stackName },
      metricNames: Object.values(SESSION_METRICS),
    };
    // A stored value that fails its seal: only a write to the table outside the handlers causes it.
    const rejectedValues = new cloudwatch.Metric({
      namespace: sessionMetrics.namespace,
      dimensionsMap: sessionMetrics.dimensionsMap,
      metricName: SESSION_METRICS.valueRejected,
      statistic: cloudwatch.Stats.SUM,
      period: ALARM_PERIOD,
    });
    this.alarms = new SessionAlarms(this, 'Alarms', {
      api: this.api,
      functions: this.functions,
      ...(this.sessions instanceof ServerSessions
        ? {
            keyRotation: this.sessions.rotationFunction,
            expirySweeper: this.sessions.expirySweeper?.function,
          }
        : {}),
      table: this.sessions.table,
      email: contextEmail(this, 'alarmEmail'),
      rejectedValues,
    });
    this.dashboard = new SessionsDashboard(this, 'Monitoring', {
      api: this.api,
      functions: this.functions,
      table: this.sessions.table,
      sessionMetrics,
      rejectedValues,
    });

    if (props.edge) {
      this.edge = new SessionsEdge(this, 'Edge', {
        api: this.api,
        functions: this.functions,
        webAclArn: props.edge.webAclArn,
      });
    }

    const behindEdge = props.multiRegion?.edge;
    if (behindEdge) originHeaderFromSecretName(this.functions, behindEdge.originSecretName);
    if (props.multiRegion) {
      this.domain = contextRegionalDomain(this, 'Domain', {
        api: this.api,
        stage,
        edge: behindEdge !== undefined,
      });
    }

    new CfnOutput(this, 'SiteUrl', {
      value: this.edge?.url ?? (behindEdge ? this.publicUrlBehindEdge() : (this.domain?.url ?? stage.url)),
      description: 'The site',
    });
    new CfnOutput(this, 'TableName', {
      value: this.sessions.table.tableName,
      description: 'DynamoDB table holding the sessions',
    });
    new CfnOutput(this, 'DashboardName', {
      value: this.dashboard.dashboard.dashboardName,
      description: 'CloudWatch dashboard of the site',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.alarms.topic.topicArn,
      description: 'SNS topic every alarm notifies (subscribe with -c alarmEmail=... or in the console)',
    });
  }

  /**
   * Behind the multi-region edge: the public name's address (CloudFront's), not the regional
   * domain's, which is the origin name.
   */
  private publicUrlBehindEdge(): string {
    const domain = contextDomain(this);
    if (domain === undefined || this.domain === undefined) {
      throw new Error(
        `SessionsStack ${this.node.path}: multiRegion.edge needs the domain context ` +
          '(domainName, hostedZoneId and hostedZoneName): CloudFront’s origin is the latency-routed name',
      );
    }
    return `https://${domain.domainName}/`;
  }

  /** The table and the secret, created here: in one region, or as the primary of `topology`. */
  private serverSessions(disposable: boolean, topology: MultiRegionTopology | undefined): ServerSessions {
    return new ServerSessions(this, 'Sessions', {
      disposable,
      maxThroughput: {
        maxReadRequestUnits: optionalContextNumber(this, 'tableMaxReadRequestUnits'),
        maxWriteRequestUnits: optionalContextNumber(this, 'tableMaxWriteRequestUnits'),
      },
      keyRotationInterval: Duration.days(
        optionalContextNumber(this, 'keyRotationDays', { max: 1000 }) ?? DEFAULT_KEY_ROTATION_DAYS,
      ),
      // The handlers use the library's default absolute timeout (they are given no other).
      absoluteTimeoutSeconds: DEFAULT_ABSOLUTE_TIMEOUT_SECONDS,
      ...(topology ? { multiRegion: { topology } } : {}),
    });
  }

  /**
   * A `samLocal` template declares `SAM_LOCAL_VARIABLES`: it must never reach CloudFormation. Its
   * description says so, and a rule fails any create or update of a stack from it before anything
   * changes (SAM does not evaluate rules, CloudFormation does).
   */
  private refuseDeployment(): void {
    this.templateOptions.description =
      'FOR SAM LOCAL ONLY, DO NOT DEPLOY (synthesized with -c samLocal=true): its functions declare ' +
      'SESSION_SECRET and DYNAMODB_ENDPOINT';
    const marker = new CfnParameter(this, 'SamLocalOnly', {
      type: 'String',
      default: 'sam-local',
      description: 'Marks a template made for sam local: its rule refuses to deploy it',
    });
    new CfnRule(this, 'RefuseSamLocalTemplate', {
      assertions: [
        {
          assert: Fn.conditionNot(Fn.conditionEquals(marker.valueAsString, 'sam-local')),
          assertDescription:
            'This template was synthesized with -c samLocal=true for sam local only. Deploy with ' +
            '`npx cdk deploy` without that option.',
        },
      ],
    });
  }

  /** One handler: its own role (no AWS managed policy), log group, bundle and session grants. */
  private sessionFunction(
    name: FunctionName,
    logRemovalPolicy: RemovalPolicy,
    reservedConcurrency: number | undefined,
    samLocal: boolean,
  ): nodejs.NodejsFunction {
    const id = pascalCase(name);
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: logRemovalPolicy,
    });
    // An explicit role instead of AWSLambdaBasicExecutionRole, which may write to every log group
    // in the account (Resource "*"): this one may write to its own log group only.
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `The ${name} session handler`,
    });
    logGroup.grantWrite(role);

    const fn = new nodejs.NodejsFunction(this, `${id}Function`, {
      entry: path.join(PROJECT_ROOT, FUNCTIONS[name].entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      // Memory buys CPU (one vCPU at 1769 MB). Loading the bundle at a cold start needs CPU, while
      // a warm page view (one GetItem) needs very little: more memory shortens cold starts for a
      // small cost per request. The estimate and its figures: docs/performance.md.
      memorySize: 1024,
      // Worst case, a cold index or login makes three store calls (Secrets Manager, then two
      // DynamoDB writes or a read and a refresh), each up to three 1 s attempts plus backoff
      // (lambda/session/src/clientConfig.ts): about 10 s. 15 s leaves room, so it ends in a 503, not a timeout.
      timeout: Duration.seconds(15),
      // Off by default. Set, it caps this function's share of the account's concurrency (and so
      // what a flood costs) and guarantees it that share; beyond it Lambda throttles (an alarm).
      reservedConcurrentExecutions: reservedConcurrency,
      role,
      logGroup,
      ...FUNCTION_LOGGING,
      // No X-Ray: it would need xray:PutTraceSegments on "*" and the JSON logs carry the request id.
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        // The service names the logs and is the metrics' dimension; the namespace holds the session metrics.
        [ENVIRONMENT.serviceName]: this.stackName,
        [ENVIRONMENT.metricsNamespace]: DEFAULT_METRICS_NAMESPACE,
        ...(samLocal ? SAM_LOCAL_VARIABLES : {}),
      },
      // Shared with the benchmark (npm run bench), which bundles exactly the same way.
      bundling: FUNCTION_BUNDLING,
    });
    this.sessions.grantSessionAccess(fn, FUNCTIONS[name].access);
    acknowledgeHandlerFindings(fn);
    return fn;
  }
}

/** The cdk-nag findings a synchronous, untraced API handler raises, each with its reason. */
function acknowledgeHandlerFindings(fn: lambda.Function): void {
  Validations.of(fn).acknowledge({
    id: 'Serverless-LambdaDLQ',
    reason:
      'Invoked only synchronously by API Gateway, which returns any failure to the browser as a ' +
      '5xx: no asynchronous event exists that a dead-letter queue could keep.',
  });
  Validations.of(fn).acknowledge({
    id: 'Serverless-LambdaTracing',
    reason:
      'X-Ray is off to keep cost and IAM minimal (it needs xray:PutTraceSegments on "*"); each ' +
      'request is followed by its request id in the JSON function logs and the API access logs.',
  });
}

function mapFunctions<T>(make: (name: FunctionName) => T): Record<FunctionName, T> {
  return Object.fromEntries(FUNCTION_NAMES.map((name) => [name, make(name)])) as Record<FunctionName, T>;
}

function pascalCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
