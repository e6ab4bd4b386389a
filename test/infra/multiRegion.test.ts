/**
 * Issue #23: `-c regions=... [-c witnessRegion=...]` synthesizes one stack per region over one
 * strongly consistent global table; a topology DynamoDB refuses stops the synth; one region is
 * unchanged.
 */
import {
  MRSC_REGION_SETS,
  multiRegionTopology,
  SESSION_ENVIRONMENT,
  SESSION_TABLE_ACTIONS,
} from '@lambda-sessions/cdk';
import { TABLE_SCHEMA } from '@lambda-sessions/dynamodb/table';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { FUNCTION_NAMES, FUNCTIONS } from '../../lambda/contract';
import { SESSIONS_STACK_NAME, sessionsApp } from '../../lib/app';
import type { SessionsStack } from '../../lib/SessionsStack';
import { cdkTestApp } from '../support/cdk';
import { CfnSchema, type CfnTemplate, formatProblem } from '../support/cfnSchema';
import { ACCOUNT, type CfnTemplate as IamTemplate, TemplateIam } from '../support/iamSimulation';
import { nagFindings } from '../support/nag';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/**
 * Synthesizes the app with `context`, as `cdk synth -c ...` would, without an account: its stacks
 * and `templateOf` each of them, read before the output folder is removed.
 */
function synth(context: Record<string, string>) {
  const { app, cleanup } = cdkTestApp(context);
  try {
    const stacks = sessionsApp(app, { account: undefined, region: undefined });
    app.synth();
    const templates = new Map(
      [stacks.sessions, ...(stacks.replicas ?? [])].map((stack) => [stack, Template.fromStack(stack)]),
    );
    return { ...stacks, templateOf: (stack: SessionsStack) => templates.get(stack) as Template };
  } finally {
    cleanup();
  }
}

function resourcesOf(template: Template, type: string): Resource[] {
  return Object.values(template.toJSON().Resources as Record<string, Resource>).filter(
    (resource) => resource.Type === type,
  );
}

/** Every statement of every policy of the template, flattened. */
function statements(template: Template): Statement[] {
  return resourcesOf(template, 'AWS::IAM::Policy').flatMap(
    (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
  );
}

function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** A resource of a statement, its intrinsic joins flattened to text (`${AWS::AccountId}` for refs). */
function arnText(resource: unknown): string {
  if (typeof resource === 'string') return resource;
  const value = resource as Record<string, unknown>;
  if ('Fn::Join' in value) {
    const [, parts] = value['Fn::Join'] as [string, unknown[]];
    return parts.map(arnText).join('');
  }
  if ('Ref' in value) return `\${${value.Ref as string}}`;
  if ('Fn::GetAtt' in value) return `\${${(value['Fn::GetAtt'] as string[]).join('.')}}`;
  return JSON.stringify(value);
}

const TABLE_NAME = `${SESSIONS_STACK_NAME}-us-east-1-sessions`;
const SECRET_NAME = `${SESSIONS_STACK_NAME}-us-east-1/session-signing-keys`;

describe('two replicas and a witness: -c regions=us-east-1,us-east-2 -c witnessRegion=us-west-2', () => {
  let primary: SessionsStack;
  let replicas: SessionsStack[];
  let primaryTemplate: Template;
  let replicaTemplate: Template;

  beforeAll(() => {
    const stacks = synth({ regions: 'us-east-1,us-east-2', witnessRegion: 'us-west-2' });
    primary = stacks.sessions;
    replicas = stacks.replicas ?? [];
    primaryTemplate = stacks.templateOf(primary);
    replicaTemplate = stacks.templateOf(replicas[0]);
  });

  it('is one stack per replica region, each with its region explicit, the replica after the primary', () => {
    expect([primary, ...replicas].map((stack) => [stack.stackName, stack.region])).toEqual([
      [`${SESSIONS_STACK_NAME}-us-east-1`, 'us-east-1'],
      [`${SESSIONS_STACK_NAME}-us-east-2`, 'us-east-2'],
    ]);
    expect(replicas[0].dependencies).toEqual([primary]);
  });

  it('creates one strongly consistent global table with its witness, the owner and expiry indexes, and no TTL', () => {
    const tables = resourcesOf(primaryTemplate, 'AWS::DynamoDB::GlobalTable');
    expect(tables).toHaveLength(1);
    const table = tables[0].Properties;
    expect(table).toMatchObject({
      TableName: TABLE_NAME,
      MultiRegionConsistency: 'STRONG',
      GlobalTableWitnesses: [{ Region: 'us-west-2' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    expect((table.Replicas as { Region: string }[]).map((replica) => replica.Region).sort()).toEqual([
      'us-east-1',
      'us-east-2',
    ]);
    // MRSC tables cannot have TTL: nothing may ask for it, in any form.
    expect(table).not.toHaveProperty('TimeToLiveSpecification');
    expect(JSON.stringify(primaryTemplate.toJSON())).not.toContain('TimeToLive');
    expect(table.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({ IndexName: TABLE_SCHEMA.ownerIndex.indexName }),
      {
        IndexName: TABLE_SCHEMA.expiryIndex.indexName,
        KeySchema: [{ AttributeName: TABLE_SCHEMA.expiryIndex.partitionKey, KeyType: 'HASH' }],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ]);
    expect(resourcesOf(replicaTemplate, 'AWS::DynamoDB::GlobalTable')).toEqual([]);
  });

  it('replicates the secret to the other replica region and rotates it in the primary only', () => {
    primaryTemplate.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: SECRET_NAME,
      ReplicaRegions: [{ Region: 'us-east-2' }],
    });
    expect(resourcesOf(primaryTemplate, 'AWS::SecretsManager::RotationSchedule')).toHaveLength(1);
    for (const type of ['AWS::SecretsManager::Secret', 'AWS::SecretsManager::RotationSchedule']) {
      expect(resourcesOf(replicaTemplate, type)).toEqual([]);
    }
  });

  it('sweeps expired sessions on a schedule in the primary only', () => {
    const rules = resourcesOf(primaryTemplate, 'AWS::Events::Rule');
    expect(rules.map((rule) => rule.Properties.ScheduleExpression)).toEqual(['rate(1 hour)']);
    expect(primary.sessions).toHaveProperty('expirySweeper');
    expect(resourcesOf(replicaTemplate, 'AWS::Events::Rule')).toEqual([]);
  });

  it.each([
    ['us-east-1', () => primaryTemplate],
    ['us-east-2', () => replicaTemplate],
  ])(
    '%s: every session function reads its own region’s table and secret, and writes expiry buckets',
    (region, template) => {
      const sessionStatements = statements(template()).filter((statement) =>
        actionsOf(statement).some((action) => /^(dynamodb|secretsmanager):/.test(action)),
      );
      const resources = sessionStatements.map((statement) => arnText(statement.Resource));
      expect(resources.length).toBeGreaterThan(0);
      for (const resource of resources) {
        if (region === 'us-east-1') {
          // The primary's own table and secret, by reference.
          expect(resource).toMatch(/^\$\{Sessions(Table|SigningKeys)[0-9A-F]{8}(\.Arn)?\}/);
        } else {
          expect(resource).toMatch(
            new RegExp(
              `^arn:aws:(dynamodb:us-east-2:\\$\\{AWS::AccountId\\}:table/${TABLE_NAME}(/index/byOwner)?` +
                `|secretsmanager:us-east-2:\\$\\{AWS::AccountId\\}:secret:${SECRET_NAME.replace('/', '\\/')}-\\?{6})$`,
            ),
          );
        }
      }
      const functions = resourcesOf(template(), 'AWS::Lambda::Function').filter(
        (fn) => (fn.Properties.Environment as { Variables?: Record<string, unknown> })?.Variables?.TABLE_NAME,
      );
      const sessionFunctions = functions.filter((fn) =>
        Object.hasOwn(
          (fn.Properties.Environment as { Variables: object }).Variables,
          SESSION_ENVIRONMENT.secretArn,
        ),
      );
      expect(sessionFunctions).toHaveLength(FUNCTION_NAMES.length);
      for (const fn of sessionFunctions) {
        const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
        expect(variables[SESSION_ENVIRONMENT.expiry]).toBe('sweeper');
        if (region === 'us-east-2') {
          expect(variables[SESSION_ENVIRONMENT.tableName]).toBe(TABLE_NAME);
          expect(variables[SESSION_ENVIRONMENT.secretArn]).toBe(SECRET_NAME);
        }
      }
    },
  );

  it('lets each replica-region function use its own region’s table and secret only (simulated)', async () => {
    const iam = new TemplateIam(replicaTemplate.toJSON() as IamTemplate, replicas[0].stackName);
    const table = (region: string) => `arn:aws:dynamodb:${region}:${ACCOUNT}:table/${TABLE_NAME}`;
    const secret = (region: string) =>
      `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${SECRET_NAME}-AbCdEf`;
    const decisions: string[] = [];
    for (const name of FUNCTION_NAMES) {
      const [role] = iam
        .ofType('AWS::IAM::Role')
        .filter((id) => id.startsWith(`${name[0].toUpperCase()}${name.slice(1)}Role`));
      const ask = async (action: string, resource: string) =>
        `${name} ${action} ${resource.split(':')[3]}: ${await iam.decide({ principal: { role }, action, resource })}`;
      for (const action of SESSION_TABLE_ACTIONS[FUNCTIONS[name].access]) {
        decisions.push(await ask(action, table('us-east-2')), await ask(action, table('us-east-1')));
      }
      decisions.push(
        await ask('secretsmanager:GetSecretValue', secret('us-east-2')),
        await ask('secretsmanager:GetSecretValue', secret('us-east-1')),
        await ask('dynamodb:Scan', table('us-east-2')),
      );
    }
    const allowed = decisions.filter((decision) => decision.endsWith('Allowed'));
    expect(allowed.every((decision) => / us-east-2: Allowed$/.test(decision))).toBe(true);
    expect(allowed).toHaveLength(
      FUNCTION_NAMES.reduce(
        (count, name) => count + SESSION_TABLE_ACTIONS[FUNCTIONS[name].access].length + 1,
        0,
      ),
    );
    expect(
      decisions.filter((decision) => / us-east-1: Allowed$| dynamodb:Scan .*Allowed$/.test(decision)),
    ).toEqual([]);
  });

  it('is valid CloudFormation in every region (the resource schemas, as for the one-region variants)', () => {
    const schema = CfnSchema.load();
    const problems = [primaryTemplate, replicaTemplate].flatMap((template) =>
      schema.validateTemplate(template.toJSON() as CfnTemplate).map(formatProblem),
    );
    expect(problems).toEqual([]);
    // The MRSC properties are in the schema, so the check above did look at them.
    const table = schema.resourceType('AWS::DynamoDB::GlobalTable');
    expect(Object.keys(table?.properties ?? {})).toEqual(
      expect.arrayContaining(['MultiRegionConsistency', 'GlobalTableWitnesses']),
    );
  });

  it('gives each region its own API, functions, alarms and dashboard', () => {
    for (const template of [primaryTemplate, replicaTemplate]) {
      expect(resourcesOf(template, 'AWS::ApiGatewayV2::Api')).toHaveLength(1);
      template.hasResourceProperties('AWS::CloudWatch::Dashboard', Match.anyValue());
    }
    const alarmNames = (template: Template) =>
      Object.keys(template.findResources('AWS::CloudWatch::Alarm')).map((id) =>
        id.replace(/[0-9A-F]{8}$/, ''),
      );
    expect(alarmNames(primaryTemplate)).toEqual(
      expect.arrayContaining(['AlarmsKeyRotationErrors', 'AlarmsExpirySweepErrors']),
    );
    expect(alarmNames(replicaTemplate).filter((name) => /KeyRotation|ExpirySweep/.test(name))).toEqual([]);
  });
});

describe('three replicas: -c regions=eu-west-1,eu-west-3,eu-central-1', () => {
  it('is three stacks over one table with three replicas and no witness', () => {
    const { sessions, replicas = [], templateOf } = synth({ regions: 'eu-west-1,eu-west-3,eu-central-1' });
    expect([sessions, ...replicas].map((stack) => stack.region)).toEqual([
      'eu-west-1',
      'eu-west-3',
      'eu-central-1',
    ]);
    const table = resourcesOf(templateOf(sessions), 'AWS::DynamoDB::GlobalTable')[0].Properties;
    expect((table.Replicas as { Region: string }[]).map((replica) => replica.Region).sort()).toEqual([
      'eu-central-1',
      'eu-west-1',
      'eu-west-3',
    ]);
    expect(table).not.toHaveProperty('GlobalTableWitnesses');
    expect(replicas.map((stack) => stack.dependencies)).toEqual([[sessions], [sessions]]);
    templateOf(sessions).hasResourceProperties('AWS::SecretsManager::Secret', {
      ReplicaRegions: [{ Region: 'eu-west-3' }, { Region: 'eu-central-1' }],
    });
  });
});

describe('with a domain: -c domainName=sessions.example.com -c hostedZoneId=... -c hostedZoneName=example.com', () => {
  const DOMAIN = {
    domainName: 'sessions.example.com',
    hostedZoneId: 'Z0123456789ABCDEFGHIJ',
    hostedZoneName: 'example.com',
  };

  it('gives every region its certificate, custom domain, health check and latency records for the one name', () => {
    const {
      sessions,
      replicas = [],
      templateOf,
    } = synth({
      regions: 'us-east-1,us-east-2',
      witnessRegion: 'us-west-2',
      ...DOMAIN,
    });
    for (const stack of [sessions, ...replicas]) {
      const template = templateOf(stack);
      template.resourceCountIs('AWS::CertificateManager::Certificate', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
        DomainName: DOMAIN.domainName,
        DomainNameConfigurations: [Match.objectLike({ EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' })],
      });
      const records = resourcesOf(template, 'AWS::Route53::RecordSet');
      expect(
        records.map((record) => [
          record.Properties.Type,
          record.Properties.Region,
          record.Properties.SetIdentifier,
        ]),
      ).toEqual([
        ['A', stack.region, stack.region],
        ['AAAA', stack.region, stack.region],
      ]);
      for (const record of records)
        expect(record.Properties.HealthCheckId).toEqual({ Ref: expect.any(String) });
      const checks = resourcesOf(template, 'AWS::Route53::HealthCheck');
      expect(checks).toHaveLength(1);
      // Each region is checked on its own API, not on the shared name.
      expect(JSON.stringify(checks[0].Properties)).toContain(`.execute-api.${stack.region}.`);
      template.hasOutput('SiteUrl', { Value: `https://${DOMAIN.domainName}/` });
    }
  });

  it('is refused in one region, where there is nothing to route between', () => {
    expect(() => synth(DOMAIN)).toThrow(
      'Context domainName: a custom domain with latency routing goes with -c regions=',
    );
  });
});

describe('a topology DynamoDB refuses stops the synth, naming the allowed sets', () => {
  const sets = `US (${MRSC_REGION_SETS.US.join(', ')}); EU (${MRSC_REGION_SETS.EU.join(', ')}); AP (${MRSC_REGION_SETS.AP.join(', ')})`;
  it.each([
    [{ regions: 'us-east-1,eu-west-1', witnessRegion: 'us-west-2' }, 'the regions are not all of one set'],
    [{ regions: 'us-east-1,us-east-2' }, 'without a witness, name exactly three replica regions'],
    [
      { regions: 'us-east-1,us-east-2,us-west-2', witnessRegion: 'us-west-2' },
      'a witness goes with exactly two',
    ],
    [{ regions: 'eu-west-1,eu-west-2,eu-west-3,eu-central-1' }, 'without a witness, name exactly three'],
    [{ regions: 'us-east-1,us-east-1', witnessRegion: 'us-west-2' }, 'a region is named twice'],
    [{ regions: 'us-east-1,us-east-2', witnessRegion: 'us-east-2' }, 'a region is named twice'],
    [{ regions: 'ap-south-1,ap-northeast-1', witnessRegion: 'ap-northeast-2' }, 'not all of one set'],
  ])('%j: %s', (context, why) => {
    expect(() => synth(context)).toThrow(why);
    expect(() => synth(context)).toThrow(sets);
  });

  it.each([
    [
      { regions: 'US-EAST-1,us-east-2', witnessRegion: 'us-west-2' },
      'Context regions: expected region names',
    ],
    [{ regions: '' }, 'Context regions: expected region names'],
    [{ witnessRegion: 'us-west-2' }, 'Context witnessRegion: it goes with -c regions='],
    [
      { regions: 'us-east-1,us-east-2', witnessRegion: 'us-west-2,us-east-1' },
      'Context witnessRegion: expected one region',
    ],
  ])('%j: %s', (context, message) => {
    expect(() => synth(context)).toThrow(message);
  });

  it('the same check is the construct package’s, for stacks of one’s own', () => {
    expect(multiRegionTopology(['us-east-2', 'us-west-2'], 'us-east-1')).toEqual({
      replicaRegions: ['us-east-2', 'us-west-2'],
      witnessRegion: 'us-east-1',
    });
    expect(() => multiRegionTopology(['ap-northeast-1', 'ap-northeast-2', 'us-east-1'])).toThrow(sets);
  });
});

describe('cdk-nag on every stack of a multi-region deployment', () => {
  it.each(['AwsSolutions', 'Serverless'])('%s: no unacknowledged finding', (packName) => {
    const { app, cleanup } = cdkTestApp({
      regions: 'us-east-1,us-east-2',
      witnessRegion: 'us-west-2',
      domainName: 'sessions.example.com',
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      hostedZoneName: 'example.com',
    });
    try {
      const pack = packName === 'AwsSolutions' ? new AwsSolutionsChecks(app) : new ServerlessChecks(app);
      const { sessions, replicas = [] } = sessionsApp(app, { account: undefined, region: undefined });
      expect(replicas).toHaveLength(1);
      expect(sessions.sessions).toHaveProperty('expirySweeper');
      expect(nagFindings(pack, app)).toEqual([]);
    } finally {
      cleanup();
    }
  });
});

describe('one region (no regions context)', () => {
  it('is the one environment-agnostic stack, its table with TTL and without the expiry index or variable', () => {
    const { sessions, replicas, templateOf } = synth({});
    expect(replicas).toBeUndefined();
    expect(sessions.stackName).toBe(SESSIONS_STACK_NAME);
    const template = templateOf(sessions);
    const table = resourcesOf(template, 'AWS::DynamoDB::GlobalTable')[0].Properties;
    expect(table.TimeToLiveSpecification).toEqual({
      AttributeName: TABLE_SCHEMA.ttlAttribute,
      Enabled: true,
    });
    expect(table).not.toHaveProperty('MultiRegionConsistency');
    expect(JSON.stringify(table)).not.toContain(TABLE_SCHEMA.expiryIndex.indexName);
    expect(JSON.stringify(template.toJSON())).not.toContain(SESSION_ENVIRONMENT.expiry);
    expect(resourcesOf(template, 'AWS::Events::Rule')).toEqual([]);
  });
});
