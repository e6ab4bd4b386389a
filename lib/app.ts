import { type App, type Environment, Validations } from 'aws-cdk-lib';
import { contextFlag } from './context';
import { EdgeAclStack } from './edge';
import { SessionsStack } from './SessionsStack';

export const SESSIONS_STACK_NAME = 'ServerSessionsStack';
export const EDGE_ACL_STACK_NAME = 'ServerSessionsEdgeAcl';

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
): { sessions: SessionsStack; edgeAcl?: EdgeAclStack } {
  const description = 'Flask-style server-side sessions: API Gateway HTTP API, Lambda, DynamoDB';
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
