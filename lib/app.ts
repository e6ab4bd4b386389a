import type { MultiRegionTopology, ServerSessionsReplicaProps } from '@lambda-sessions/cdk';
import { type App, type Environment, Validations } from 'aws-cdk-lib';
import { contextDomain, contextFlag } from './context';
import { EdgeAclStack, MultiRegionEdge } from './edge';
import { contextTopology } from './regions';
import { SessionsStack } from './SessionsStack';

export const SESSIONS_STACK_NAME = 'ServerSessionsStack';
export const EDGE_ACL_STACK_NAME = 'ServerSessionsEdgeAcl';
/** The us-east-1 stack of a multi-region deployment with the edge: web ACL, distribution and all. */
export const EDGE_STACK_NAME = 'ServerSessionsEdge';

/**
 * The app's stacks. Without the edge, one environment-agnostic stack: `cdk deploy` uses the
 * account and region of the current credentials. With `-c edge=true`, also the web ACL stack in
 * us-east-1, which CloudFront requires; a reference across regions needs the sessions stack's
 * region known at synth time, so it is `deployTo` (the CLI's CDK_DEFAULT_REGION).
 * @example sessionsApp(new App(), { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION });
 */
export function sessionsApp(
  app: App,
  deployTo: Environment,
): {
  sessions: SessionsStack;
  edgeAcl?: EdgeAclStack;
  replicas?: SessionsStack[];
  /** With regions and the edge: the one distribution, in `edgeAcl`. */
  multiRegionEdge?: MultiRegionEdge;
} {
  const description = 'Flask-style server-side sessions: API Gateway HTTP API, Lambda, DynamoDB';
  const topology = contextTopology(app);
  if (topology !== undefined) return multiRegionApp(app, topology, deployTo, description);
  if (contextDomain(app) !== undefined) {
    throw new Error(
      'Context domainName: a custom domain with latency routing goes with -c regions=... (docs/operations.md, "Multi-region")',
    );
  }
  if (!contextFlag(app, 'edge')) {
    return { sessions: new SessionsStack(app, SESSIONS_STACK_NAME, { description }) };
  }
  if (!deployTo.region) {
    throw new Error(
      'Context edge: the stack needs a region at synth time (its web ACL lives in us-east-1): set ' +
        'AWS_REGION or a profile with a region, e.g. AWS_REGION=eu-west-1 npx cdk deploy --all -c edge=true',
    );
  }
  const edgeAcl = new EdgeAclStack(app, EDGE_ACL_STACK_NAME, {
    env: { account: deployTo.account },
    description: 'Flask-style server-side sessions: the CloudFront web ACL (us-east-1)',
  });
  const sessions = new SessionsStack(app, SESSIONS_STACK_NAME, {
    description,
    env: deployTo,
    edge: { webAclArn: edgeAcl.webAcl.attrArn },
  });
  Validations.of(sessions).acknowledge({
    id: 'Annotation::@aws-cdk/core:crossStackReferencesDefaultStrong',
    reason:
      'The only reference between the stacks, the web ACL ARN, is made weak by its producer ' +
      '(EdgeAclStack): the app-wide default this warning is about applies to none.',
  });
  return { sessions, edgeAcl };
}

/**
 * With `-c regions=...`: one sessions stack per replica region, each with an explicit environment
 * (`ServerSessionsStack-us-east-1`, ...). The first region's stack creates the strongly consistent
 * table (replicas and witness included) and the replicated secret; the others use their region's
 * replicas and deploy after it. With `-c edge=true` (and the domain context, required then), the
 * edge stack `ServerSessionsEdge` in us-east-1 comes first: the web ACL, one distribution whose
 * origin is the latency-routed name, its certificate and alias records, and the origin secret
 * with a replica in each region, which the regions' functions read by name. No reference crosses
 * a region: the regions' stacks only deploy after it.
 */
function multiRegionApp(
  app: App,
  topology: MultiRegionTopology,
  deployTo: Environment,
  description: string,
): {
  sessions: SessionsStack;
  replicas: SessionsStack[];
  edgeAcl?: EdgeAclStack;
  multiRegionEdge?: MultiRegionEdge;
} {
  if (contextFlag(app, 'samLocal')) {
    throw new Error(
      'Context regions: not with samLocal=true yet; deploy the regions without it ' +
        '(docs/operations.md, "Multi-region")',
    );
  }
  const edge = contextFlag(app, 'edge') ? multiRegionEdge(app, topology, deployTo) : undefined;
  const [primaryRegion, ...otherRegions] = topology.replicaRegions;
  const stackIn = (region: string, primary?: ServerSessionsReplicaProps['primary']) => {
    const stack = new SessionsStack(app, `${SESSIONS_STACK_NAME}-${region}`, {
      description: `${description} (${region} of ${topology.replicaRegions.join(', ')})`,
      env: { account: deployTo.account, region },
      multiRegion: {
        topology,
        primary,
        ...(edge ? { edge: { originSecretName: edge.multiRegionEdge.originSecretName } } : {}),
      },
    });
    if (edge) {
      stack.addStackDependency(
        edge.edgeAcl,
        'its functions read the origin secret’s replica, which the edge stack creates',
      );
    }
    return stack;
  };
  const sessions = stackIn(primaryRegion);
  const replicas = otherRegions.map((region) => {
    const stack = stackIn(region, sessions.sessions);
    stack.addStackDependency(sessions, 'the primary creates the table and secret replicas this stack uses');
    return stack;
  });
  return { sessions, replicas, ...edge };
}

/**
 * The edge of a multi-region deployment: the web ACL stack, named `ServerSessionsEdge` as it also
 * holds the distribution (`MultiRegionEdge`) in front of every region. The distribution's origin
 * is the latency-routed name `origin.<domainName>`, so the domain context is required.
 */
function multiRegionEdge(
  app: App,
  topology: MultiRegionTopology,
  deployTo: Environment,
): { edgeAcl: EdgeAclStack; multiRegionEdge: MultiRegionEdge } {
  const domain = contextDomain(app);
  if (domain === undefined) {
    throw new Error(
      'Context edge: with -c regions=..., CloudFront’s origin is the latency-routed name ' +
        'origin.<domainName>, so give -c domainName=... -c hostedZoneId=... -c hostedZoneName=... too ' +
        '(docs/operations.md, "Multi-region")',
    );
  }
  const edgeAcl = new EdgeAclStack(app, EDGE_STACK_NAME, {
    env: { account: deployTo.account },
    description:
      'Flask-style server-side sessions: the CloudFront distribution in front of every region, its ' +
      'web ACL, certificate and origin secret (us-east-1)',
  });
  const multiRegionEdge = new MultiRegionEdge(edgeAcl, 'Edge', {
    webAclArn: edgeAcl.webAcl.attrArn,
    domain,
    regions: topology.replicaRegions,
  });
  return { edgeAcl, multiRegionEdge };
}
