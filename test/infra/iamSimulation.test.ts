import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { KEY_ROTATION_ACTIONS, OWNER_INDEX_ACTIONS, SESSION_TABLE_ACTIONS } from '@lambda-sessions/cdk';
import { TABLE_SCHEMA } from '@lambda-sessions/dynamodb/table';
import type { Environment } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FUNCTION_NAMES, FUNCTIONS, type FunctionName, ROUTES } from '../../lambda/contract';
import { sessionsApp } from '../../lib/app';
import { readProjectFiles, scanFile } from '../architecture/layering';
import { cdkTestApp } from '../support/cdk';
import {
  ACCOUNT,
  actionsOn,
  type CfnTemplate,
  type Decision,
  OTHER_ACCOUNT,
  type PolicyDocument,
  type PolicyStatement,
  REGION,
  type SimulatedRequest,
  TemplateIam,
} from '../support/iamSimulation';

// Each function's effective permissions, as AWS would decide them: the synthesized template's
// policies (identity, managed, and the resource policies of the secret, topic, key, table and
// functions) evaluated by the IAM policy simulator @cloud-copilot/iam-simulate, for every variant
// of the app. test/support/iamSimulation.ts turns a template into what the simulator reads.

/** The variants `cdk synth` makes: the default, `-c edge=true` (needs a region) and `-c samLocal=true`. */
const VARIANTS: Record<string, { context: Record<string, string>; deployTo: Environment }> = {
  default: { context: {}, deployTo: {} },
  edge: { context: { edge: 'true' }, deployTo: { region: REGION } },
  samLocal: { context: { samLocal: 'true' }, deployTo: {} },
};

function synthesize(variant: string): TemplateIam {
  const { context, deployTo } = VARIANTS[variant];
  const { app, cleanup } = cdkTestApp(context);
  try {
    const { sessions } = sessionsApp(app, deployTo);
    return new TemplateIam(Template.fromStack(sessions).toJSON() as CfnTemplate, sessions.stackName);
  } finally {
    cleanup();
  }
}

/** Whose permissions are checked: the four session handlers and the key rotation function. */
type Subject = FunctionName | 'rotation';
const SUBJECTS: Subject[] = [...FUNCTION_NAMES, 'rotation'];

/** A function of the template: its logical id, its role's and its log group's. */
interface TemplateFunction {
  functionId: string;
  roleId: string;
  logGroupId: string;
}

/** Where the template keeps what the checks need, found by the template's own references. */
interface Layout {
  iam: TemplateIam;
  functions: Record<Subject, TemplateFunction>;
  tableId: string;
  /** The secret the rotation schedule rotates: the signing keys. */
  signingKeysId: string;
  keyId: string;
  topicId: string;
  apiId: string;
  /** An alarm of the stack: what publishes to the topic. */
  alarmId: string;
}

function only(iam: TemplateIam, type: string): string {
  const ids = iam.ofType(type);
  if (ids.length !== 1) throw new Error(`Expected one ${type}, found ${ids.join(', ') || 'none'}`);
  return ids[0];
}

function layoutOf(iam: TemplateIam): Layout {
  const getAttId = (value: unknown) => (value as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const refId = (value: unknown) => (value as { Ref: string }).Ref;
  const templateFunction = (functionId: string): TemplateFunction => {
    const properties = iam.resource(functionId).Properties ?? {};
    return {
      functionId,
      roleId: getAttId(properties.Role),
      logGroupId: refId((properties.LoggingConfig as { LogGroup: unknown }).LogGroup),
    };
  };
  const schedule = iam.resource(only(iam, 'AWS::SecretsManager::RotationSchedule')).Properties ?? {};
  const handler = (name: FunctionName) => {
    // The construct ids of lib/SessionsStack.ts: `Index` + `Function`, ...
    const prefix = `${name.charAt(0).toUpperCase()}${name.slice(1)}Function`;
    const ids = iam.ofType('AWS::Lambda::Function').filter((id) => id.startsWith(prefix));
    if (ids.length !== 1) throw new Error(`Expected one ${prefix}*, found ${ids.join(', ') || 'none'}`);
    return templateFunction(ids[0]);
  };
  return {
    iam,
    functions: {
      ...(Object.fromEntries(FUNCTION_NAMES.map((name) => [name, handler(name)])) as Record<
        FunctionName,
        TemplateFunction
      >),
      rotation: templateFunction(getAttId(schedule.RotationLambdaARN)),
    },
    tableId: only(iam, 'AWS::DynamoDB::GlobalTable'),
    signingKeysId: refId(schedule.SecretId),
    keyId: only(iam, 'AWS::KMS::Key'),
    topicId: only(iam, 'AWS::SNS::Topic'),
    apiId: only(iam, 'AWS::ApiGatewayV2::Api'),
    alarmId: iam.ofType('AWS::CloudWatch::Alarm')[0],
  };
}

/** A resource a function is checked against: where it is, and the IAM resource type that names its actions. */
interface Probe {
  label: string;
  arn: string;
  service: string;
  resourceType: string;
}

const OWNER_INDEX = TABLE_SCHEMA.ownerIndex.indexName;
const AWAY = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/AnotherTable`;

/** Every resource `subject` is checked against, by the label the expectations use. */
function probesFor(layout: Layout, subject: Subject): Probe[] {
  const { iam } = layout;
  const own = layout.functions[subject];
  const other = layout.functions[subject === 'index' ? 'rotation' : 'index'];
  const table = iam.arn(layout.tableId);
  const logStream = (logGroupId: string) =>
    `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${iam.ref(logGroupId)}:log-stream:2026/01/01/[$LATEST]0123abcd`;
  const logGroup = (logGroupId: string) =>
    `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${iam.ref(logGroupId)}`;
  const probe = (label: string, arn: string, service: string, resourceType: string): Probe => ({
    label,
    arn,
    service,
    resourceType,
  });
  return [
    probe('the table', table, 'dynamodb', 'table'),
    probe('the owner index', `${table}/index/${OWNER_INDEX}`, 'dynamodb', 'index'),
    probe('another index of the table', `${table}/index/anotherIndex`, 'dynamodb', 'index'),
    probe('another table', AWAY, 'dynamodb', 'table'),
    probe("another table's owner index", `${AWAY}/index/${OWNER_INDEX}`, 'dynamodb', 'index'),
    probe('the signing keys', iam.arn(layout.signingKeysId), 'secretsmanager', 'Secret'),
    ...iam
      .ofType('AWS::SecretsManager::Secret')
      .filter((id) => id !== layout.signingKeysId)
      .map((id) => probe(`the stack's secret ${id}`, iam.arn(id), 'secretsmanager', 'Secret')),
    probe(
      'a secret outside the stack',
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:another-AbCdEf`,
      'secretsmanager',
      'Secret',
    ),
    probe('the alarm key', iam.arn(layout.keyId), 'kms', 'key'),
    probe('a key outside the stack', `arn:aws:kms:${REGION}:${ACCOUNT}:key/another`, 'kms', 'key'),
    probe('the alarm topic', iam.arn(layout.topicId), 'sns', 'topic'),
    probe('the index function', iam.arn(layout.functions.index.functionId), 'lambda', 'function'),
    probe('the rotation function', iam.arn(layout.functions.rotation.functionId), 'lambda', 'function'),
    probe('its own role', iam.arn(own.roleId), 'iam', 'role'),
    probe('another role of the stack', iam.arn(other.roleId), 'iam', 'role'),
    probe('its own log stream', logStream(own.logGroupId), 'logs', 'log-stream'),
    probe("another function's log stream", logStream(other.logGroupId), 'logs', 'log-stream'),
    probe('its own log group', logGroup(own.logGroupId), 'logs', 'log-group'),
    probe("another function's log group", logGroup(other.logGroupId), 'logs', 'log-group'),
  ];
}

/**
 * What `subject` must be allowed, as `action on label`, from the contract: its access's table
 * actions (SESSION_TABLE_ACTIONS) on the table, its index actions (OWNER_INDEX_ACTIONS) on the
 * owner index, GetSecretValue on the signing keys (the rotation function: KEY_ROTATION_ACTIONS),
 * and writing its own logs. Everything else is to be denied.
 */
function contractAllows(subject: Subject): string[] {
  const logs = ['logs:CreateLogStream', 'logs:PutLogEvents'].map(
    (action) => `${action} on its own log stream`,
  );
  if (subject === 'rotation') {
    return [...KEY_ROTATION_ACTIONS.map((action) => `${action} on the signing keys`), ...logs].sort();
  }
  const access = FUNCTIONS[subject].access;
  return [
    ...SESSION_TABLE_ACTIONS[access].map((action) => `${action} on the table`),
    ...OWNER_INDEX_ACTIONS[access].map((action) => `${action} on the owner index`),
    'secretsmanager:GetSecretValue on the signing keys',
    ...logs,
  ].sort();
}

/** Every action of the probes' services that applies to each probe, simulated: those allowed. */
async function allowedOnProbes(layout: Layout, subject: Subject): Promise<string[]> {
  const allowed: string[] = [];
  for (const probe of probesFor(layout, subject)) {
    for (const action of await actionsOn(probe.service, probe.resourceType)) {
      const decision = await layout.iam.decide({
        principal: { role: layout.functions[subject].roleId },
        action,
        resource: probe.arn,
      });
      if (decision === 'Allowed') allowed.push(`${action} on ${probe.label}`);
    }
  }
  return allowed.sort();
}

/** For a synthesis, or a few hundred simulations (about a millisecond each). */
const SLOW = 60_000;

const allows = (decision: Decision) => (decision === 'Allowed' ? 'Allowed' : 'Denied');

const Y = 'Allowed';
const N = 'Denied';
type Cell = typeof Y | typeof N;

/** The matrix's columns: whose decision each holds. */
const COLUMNS: Subject[] = ['index', 'login', 'logout', 'sessions', 'rotation'];

/**
 * The matrix at a glance: an action on a resource, and whether each function may do it. Its
 * Allowed cells are exactly what the contract allows (checked below), and the simulator must
 * decide every cell as it says, for every variant.
 */
type MatrixRow = [action: string, resource: string, ...decisions: Cell[]];
// biome-ignore format: a grid, aligned by column
const MATRIX: MatrixRow[] = [
  //                                                                index login logout sessions rotation
  ['dynamodb:GetItem', 'the table',                                 Y,    Y,    N,    Y,    N],
  ['dynamodb:UpdateItem', 'the table',                              Y,    N,    N,    Y,    N],
  ['dynamodb:PutItem', 'the table',                                 N,    Y,    Y,    Y,    N],
  ['dynamodb:DeleteItem', 'the table',                              N,    Y,    Y,    Y,    N],
  ['dynamodb:Query', 'the table',                                   N,    N,    N,    N,    N],
  ['dynamodb:Scan', 'the table',                                    N,    N,    N,    N,    N],
  ['dynamodb:BatchGetItem', 'the table',                            N,    N,    N,    N,    N],
  ['dynamodb:BatchWriteItem', 'the table',                          N,    N,    N,    N,    N],
  ['dynamodb:ConditionCheckItem', 'the table',                      N,    N,    N,    N,    N],
  ['dynamodb:PartiQLSelect', 'the table',                           N,    N,    N,    N,    N],
  ['dynamodb:DescribeTable', 'the table',                           N,    N,    N,    N,    N],
  ['dynamodb:DeleteTable', 'the table',                             N,    N,    N,    N,    N],
  ['dynamodb:UpdateTable', 'the table',                             N,    N,    N,    N,    N],
  ['dynamodb:UpdateTimeToLive', 'the table',                        N,    N,    N,    N,    N],
  ['dynamodb:CreateBackup', 'the table',                            N,    N,    N,    N,    N],
  ['dynamodb:RestoreTableToPointInTime', 'the table',               N,    N,    N,    N,    N],
  ['dynamodb:ExportTableToPointInTime', 'the table',                N,    N,    N,    N,    N],
  ['dynamodb:PutResourcePolicy', 'the table',                       N,    N,    N,    N,    N],
  ['dynamodb:Query', 'the owner index',                             N,    N,    N,    Y,    N],
  ['dynamodb:Scan', 'the owner index',                              N,    N,    N,    N,    N],
  ['dynamodb:Query', 'another index of the table',                  N,    N,    N,    N,    N],
  ['dynamodb:GetItem', 'another table',                             N,    N,    N,    N,    N],
  ['dynamodb:PutItem', 'another table',                             N,    N,    N,    N,    N],
  ['dynamodb:Query', "another table's owner index",                 N,    N,    N,    N,    N],
  ['secretsmanager:GetSecretValue', 'the signing keys',             Y,    Y,    Y,    Y,    Y],
  ['secretsmanager:DescribeSecret', 'the signing keys',             N,    N,    N,    N,    Y],
  ['secretsmanager:PutSecretValue', 'the signing keys',             N,    N,    N,    N,    Y],
  ['secretsmanager:UpdateSecretVersionStage', 'the signing keys',   N,    N,    N,    N,    Y],
  ['secretsmanager:RotateSecret', 'the signing keys',               N,    N,    N,    N,    N],
  ['secretsmanager:PutResourcePolicy', 'the signing keys',          N,    N,    N,    N,    N],
  ['secretsmanager:DeleteSecret', 'the signing keys',               N,    N,    N,    N,    N],
  ['secretsmanager:GetSecretValue', 'a secret outside the stack',   N,    N,    N,    N,    N],
  ['kms:Decrypt', 'the alarm key',                                  N,    N,    N,    N,    N],
  ['kms:Decrypt', 'a key outside the stack',                        N,    N,    N,    N,    N],
  ['sns:Publish', 'the alarm topic',                                N,    N,    N,    N,    N],
  ['lambda:InvokeFunction', 'the rotation function',                N,    N,    N,    N,    N],
  ['lambda:InvokeFunction', 'the index function',                   N,    N,    N,    N,    N],
  ['iam:PassRole', 'its own role',                                  N,    N,    N,    N,    N],
  ['iam:PassRole', 'another role of the stack',                     N,    N,    N,    N,    N],
  ['logs:CreateLogStream', 'its own log stream',                    Y,    Y,    Y,    Y,    Y],
  ['logs:PutLogEvents', 'its own log stream',                       Y,    Y,    Y,    Y,    Y],
  ['logs:PutLogEvents', "another function's log stream",            N,    N,    N,    N,    N],
  ['logs:CreateLogGroup', 'its own log group',                      N,    N,    N,    N,    N],
  ['logs:DeleteLogGroup', 'its own log group',                      N,    N,    N,    N,    N],
];

/** The matrix's rows for one function: action, resource, expected decision. */
function matrixFor(subject: Subject): [string, string, Cell][] {
  const column = 2 + COLUMNS.indexOf(subject);
  return MATRIX.map((row) => [row[0], row[1], row[column] as Cell]);
}

const ADMINISTRATOR_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};
/** A principal of the account that its own policies allow everything: the account, through IAM. */
const ACCOUNT_ADMINISTRATOR = {
  principal: `arn:aws:iam::${ACCOUNT}:role/Administrator`,
  identityPolicies: [ADMINISTRATOR_POLICY],
};
/** The same, in another account. */
const OTHER_ACCOUNT_ADMINISTRATOR = {
  principal: `arn:aws:iam::${OTHER_ACCOUNT}:role/Administrator`,
  identityPolicies: [ADMINISTRATOR_POLICY],
};

/** A request from outside the template, as a row of a table: who, what, and the expected decision. */
type OutsideRequest = [who: string, request: (layout: Layout) => SimulatedRequest, expected: Cell];
const asRows = (requests: OutsideRequest[]) =>
  requests.map(([who, request, expected]) => ({ who, request, expected }));

/** Whom the stack's resource and trust policies are meant to allow anything, by the resource. */
function intendedTrust({ functions, keyId, topicId }: Layout): string[] {
  return [
    ...SUBJECTS.map((subject) => `${functions[subject].roleId}: Service lambda.amazonaws.com`),
    ...FUNCTION_NAMES.map((name) => `${functions[name].functionId}: Service apigateway.amazonaws.com`),
    `${functions.rotation.functionId}: Service secretsmanager.amazonaws.com`,
    `${keyId}: AWS arn:aws:iam::${ACCOUNT}:root`,
    `${keyId}: Service cloudwatch.amazonaws.com`,
    `${topicId}: Service cloudwatch.amazonaws.com`,
  ].sort();
}

describe('the simulator stays test-only (AGPL-3.0)', () => {
  it('is imported by no file outside test/, and is a devDependency of the root only', () => {
    const root = path.join(__dirname, '../..');
    const importers = readProjectFiles(root)
      .filter((file) => !file.path.startsWith('test/'))
      .filter((file) =>
        scanFile(file).imports.some((reference) => reference.specifier?.startsWith('@cloud-copilot/')),
      )
      .map((file) => file.path);
    expect(importers).toEqual([]);

    const manifest = (file: string) => JSON.parse(readFileSync(path.join(root, file), 'utf8'));
    const rootManifest = manifest('package.json');
    expect(rootManifest.devDependencies['@cloud-copilot/iam-simulate']).toBeDefined();
    expect(
      Object.keys(rootManifest.dependencies ?? {}).filter((name) => name.startsWith('@cloud-copilot/')),
    ).toEqual([]);
    for (const workspace of rootManifest.workspaces as string[]) {
      expect(JSON.stringify(manifest(path.join(workspace, 'package.json')))).not.toContain('@cloud-copilot/');
    }
  });
});

describe('the matrix', () => {
  it.each(COLUMNS)('allows the %s function exactly what the contract does', (subject) => {
    const allowed = matrixFor(subject)
      .filter(([, , decision]) => decision === Y)
      .map(([action, resource]) => `${action} on ${resource}`);
    expect(allowed.sort()).toEqual(contractAllows(subject));
    expect([...COLUMNS].sort()).toEqual([...SUBJECTS].sort());
  });
});

describe.each(Object.keys(VARIANTS))('IAM, simulated: the %s template', (variant) => {
  let layout: Layout;

  beforeAll(async () => {
    layout = layoutOf(synthesize(variant));
    // The simulator's IAM data, read once before the tests that time themselves.
    for (const probe of probesFor(layout, 'index')) await actionsOn(probe.service, probe.resourceType);
  }, SLOW);

  it('has nothing that grants access the simulation does not evaluate', () => {
    // Principals besides roles (users, groups), or resource policies of services it does not read.
    expect(layout.iam.unevaluatedPolicyResources()).toEqual([]);
    // Every role is one whose permissions are checked below.
    const checked = SUBJECTS.map((subject) => layout.functions[subject].roleId);
    expect(layout.iam.ofType('AWS::IAM::Role').sort()).toEqual([...new Set(checked)].sort());
    // And the table has the owner index the grants name.
    const indexes = layout.iam.resource(layout.tableId).Properties?.GlobalSecondaryIndexes as {
      IndexName: string;
    }[];
    expect(indexes.map((index) => index.IndexName)).toEqual([OWNER_INDEX]);
  });

  it('trusts in its resource policies only Lambda, API Gateway, Secrets Manager, CloudWatch and the account', () => {
    // Whom the simulated requests below cannot all name (any service, account or caller): every
    // Allow of a resource policy or trust policy, by the resource it protects. What each may do,
    // and on which conditions, is simulated below.
    expect(layout.iam.trustedPrincipals()).toEqual(intendedTrust(layout));
  });

  describe.each(SUBJECTS)('the %s function', (subject) => {
    it.each(matrixFor(subject))('%s on %s: %s', async (action, resource, expected) => {
      const probe = probesFor(layout, subject).find((candidate) => candidate.label === resource);
      if (!probe) throw new Error(`No resource labelled ${resource}`);
      const decision = await layout.iam.decide({
        principal: { role: layout.functions[subject].roleId },
        action,
        resource: probe.arn,
      });
      expect(allows(decision)).toBe(expected);
    });

    it(
      'may do exactly what the contract allows, of every action on every resource above',
      async () => {
        expect(await allowedOnProbes(layout, subject)).toEqual(contractAllows(subject));
      },
      SLOW,
    );

    it('has policies only for the services simulated above', () => {
      // Any other service (or a wildcard one) is a grant the probes above would not see.
      const expected =
        subject === 'rotation' ? ['logs', 'secretsmanager'] : ['dynamodb', 'logs', 'secretsmanager'];
      expect(layout.iam.allowedServices(layout.functions[subject].roleId)).toEqual(expected);
    });

    it('runs as a role only Lambda may assume', async () => {
      const roleArn = layout.iam.arn(layout.functions[subject].roleId);
      const assume = (principal: string, identityPolicies?: PolicyDocument[]) =>
        layout.iam.decide({ principal, identityPolicies, action: 'sts:AssumeRole', resource: roleArn });
      expect(await assume('lambda.amazonaws.com')).toBe('Allowed');
      expect(allows(await assume('ec2.amazonaws.com'))).toBe(N);
      expect(allows(await assume(ACCOUNT_ADMINISTRATOR.principal, [ADMINISTRATOR_POLICY]))).toBe(N);
      expect(allows(await assume(OTHER_ACCOUNT_ADMINISTRATOR.principal, [ADMINISTRATOR_POLICY]))).toBe(N);
    });
  });

  describe('the rotation function may be invoked by Secrets Manager, for the signing keys only', () => {
    const invoke = (
      principal: string,
      context: (layout: Layout) => Record<string, string> = () => ({}),
      identityPolicies?: PolicyDocument[],
    ) => {
      return (layout: Layout): SimulatedRequest => ({
        principal,
        identityPolicies,
        action: 'lambda:InvokeFunction',
        resource: layout.iam.arn(layout.functions.rotation.functionId),
        context: context(layout),
      });
    };
    const from =
      (sourceArn: (layout: Layout) => string, account = ACCOUNT) =>
      (layout: Layout) => ({
        'aws:SourceArn': sourceArn(layout),
        'aws:SourceAccount': account,
      });
    const signingKeys = (layout: Layout) => layout.iam.arn(layout.signingKeysId);
    const INVOCATIONS: OutsideRequest[] = [
      [
        'Secrets Manager, rotating the signing keys',
        invoke('secretsmanager.amazonaws.com', from(signingKeys)),
        Y,
      ],
      [
        'Secrets Manager, rotating another secret of the account',
        invoke(
          'secretsmanager.amazonaws.com',
          from(() => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:another-AbCdEf`),
        ),
        N,
      ],
      [
        'Secrets Manager, rotating a secret of another account',
        invoke(
          'secretsmanager.amazonaws.com',
          from(() => `arn:aws:secretsmanager:${REGION}:${OTHER_ACCOUNT}:secret:theirs-AbCdEf`, OTHER_ACCOUNT),
        ),
        N,
      ],
      ['Secrets Manager, for no secret named', invoke('secretsmanager.amazonaws.com'), N],
      [
        "API Gateway, for the stack's API",
        invoke(
          'apigateway.amazonaws.com',
          from(
            (layout) =>
              `arn:aws:execute-api:${REGION}:${ACCOUNT}:${layout.iam.ref(layout.apiId)}/$default/GET/`,
          ),
        ),
        N,
      ],
      ['EventBridge', invoke('events.amazonaws.com', from(signingKeys)), N],
      [
        'another account, whatever its own policies allow',
        invoke(OTHER_ACCOUNT_ADMINISTRATOR.principal, undefined, [ADMINISTRATOR_POLICY]),
        N,
      ],
      // A resource policy cannot keep the account's own principals out: what IAM gives them, they have.
      [
        "the account's administrator, through IAM",
        invoke(ACCOUNT_ADMINISTRATOR.principal, undefined, [ADMINISTRATOR_POLICY]),
        Y,
      ],
    ];

    it.each(asRows(INVOCATIONS))('$who: $expected', async ({ request, expected }) => {
      expect(allows(await layout.iam.decide(request(layout)))).toBe(expected);
    });
  });

  describe('each handler may be invoked by API Gateway, for its routes of this API only', () => {
    const sourceArn = (apiId: string, method: string, routePath: string, account = ACCOUNT) =>
      `arn:aws:execute-api:${REGION}:${account}:${apiId}/$default/${method}${routePath}`;
    const routes = [
      ...ROUTES.map((route) => [route.method, route.path, route.function] as const),
      // A path no route matches: the $default route, to the index function.
      ['GET', '/no-such-page', 'index'] as const,
    ];

    it.each(routes)('%s %s: %s', async (method, routePath, name) => {
      const apiGateway = (context: Record<string, string>) =>
        layout.iam.decide({
          principal: 'apigateway.amazonaws.com',
          action: 'lambda:InvokeFunction',
          resource: layout.iam.arn(layout.functions[name].functionId),
          context,
        });
      const apiId = layout.iam.ref(layout.apiId);
      expect(
        await apiGateway({
          'aws:SourceArn': sourceArn(apiId, method, routePath),
          'aws:SourceAccount': ACCOUNT,
        }),
      ).toBe('Allowed');
      // Another API of the account, or this API's id in another account.
      expect(
        allows(
          await apiGateway({
            'aws:SourceArn': sourceArn('anotherapi', method, routePath),
            'aws:SourceAccount': ACCOUNT,
          }),
        ),
      ).toBe(N);
      expect(
        allows(
          await apiGateway({
            'aws:SourceArn': sourceArn(apiId, method, routePath, OTHER_ACCOUNT),
            'aws:SourceAccount': OTHER_ACCOUNT,
          }),
        ),
      ).toBe(N);
    });

    it.each(FUNCTION_NAMES)('nothing else may invoke the %s function', async (name) => {
      const resource = layout.iam.arn(layout.functions[name].functionId);
      const invoke = (principal: string, identityPolicies?: PolicyDocument[]) =>
        layout.iam.decide({
          principal,
          identityPolicies,
          action: 'lambda:InvokeFunction',
          resource,
          context: { 'aws:SourceArn': layout.iam.arn(layout.signingKeysId), 'aws:SourceAccount': ACCOUNT },
        });
      for (const service of ['secretsmanager.amazonaws.com', 'events.amazonaws.com', 'sns.amazonaws.com']) {
        expect(allows(await invoke(service))).toBe(N);
      }
      expect(allows(await invoke(OTHER_ACCOUNT_ADMINISTRATOR.principal, [ADMINISTRATOR_POLICY]))).toBe(N);
    });
  });

  describe('the alarm topic and its key: CloudWatch, for alarms of this stack, and the account', () => {
    const alarm = (layout: Layout, account = ACCOUNT, name = layout.iam.ref(layout.alarmId)) =>
      `arn:aws:cloudwatch:${REGION}:${account}:alarm:${name}`;
    const cloudWatch = (
      action: string,
      on: 'topic' | 'key',
      sourceArn: (layout: Layout) => string = (layout) => alarm(layout),
      sourceAccount = ACCOUNT,
      secureTransport = 'true',
    ) => {
      return (layout: Layout): SimulatedRequest => ({
        principal: 'cloudwatch.amazonaws.com',
        action,
        resource: layout.iam.arn(on === 'topic' ? layout.topicId : layout.keyId),
        context: {
          'aws:SourceArn': sourceArn(layout),
          'aws:SourceAccount': sourceAccount,
          'aws:SecureTransport': secureTransport,
        },
      });
    };
    const other = (
      principal: string,
      action: string,
      on: 'topic' | 'key',
      identityPolicies?: PolicyDocument[],
    ) => {
      return (layout: Layout): SimulatedRequest => ({
        principal,
        identityPolicies,
        action,
        resource: layout.iam.arn(on === 'topic' ? layout.topicId : layout.keyId),
        context: { 'aws:SourceArn': alarm(layout), 'aws:SourceAccount': ACCOUNT },
      });
    };
    const anotherStacksAlarm = (layout: Layout) => alarm(layout, ACCOUNT, 'AnotherStack-Alarm-A1B2C3D4E5F6');
    const anotherAccountsAlarm = (layout: Layout) => alarm(layout, OTHER_ACCOUNT);
    const REQUESTS: OutsideRequest[] = [
      ['CloudWatch, for an alarm of the stack: sns:Publish', cloudWatch('sns:Publish', 'topic'), Y],
      [
        'CloudWatch, for an alarm of the stack, without TLS: sns:Publish',
        cloudWatch('sns:Publish', 'topic', undefined, ACCOUNT, 'false'),
        N,
      ],
      [
        'CloudWatch, for an alarm of another stack: sns:Publish',
        cloudWatch('sns:Publish', 'topic', anotherStacksAlarm),
        N,
      ],
      [
        'CloudWatch, for an alarm of another account: sns:Publish',
        cloudWatch('sns:Publish', 'topic', anotherAccountsAlarm, OTHER_ACCOUNT),
        N,
      ],
      ['CloudWatch: sns:SetTopicAttributes', cloudWatch('sns:SetTopicAttributes', 'topic'), N],
      ['CloudWatch: sns:Subscribe', cloudWatch('sns:Subscribe', 'topic'), N],
      ['EventBridge: sns:Publish', other('events.amazonaws.com', 'sns:Publish', 'topic'), N],
      [
        'another account, whatever its own policies allow: sns:Publish',
        other(OTHER_ACCOUNT_ADMINISTRATOR.principal, 'sns:Publish', 'topic', [ADMINISTRATOR_POLICY]),
        N,
      ],
      [
        "the account's administrator, through IAM: sns:Publish",
        other(ACCOUNT_ADMINISTRATOR.principal, 'sns:Publish', 'topic', [ADMINISTRATOR_POLICY]),
        Y,
      ],
      [
        'CloudWatch, for an alarm of the stack: kms:GenerateDataKey',
        cloudWatch('kms:GenerateDataKey', 'key'),
        Y,
      ],
      ['CloudWatch, for an alarm of the stack: kms:Decrypt', cloudWatch('kms:Decrypt', 'key'), Y],
      [
        'CloudWatch, for an alarm of another stack: kms:Decrypt',
        cloudWatch('kms:Decrypt', 'key', anotherStacksAlarm),
        N,
      ],
      [
        'CloudWatch, for an alarm of another account: kms:GenerateDataKey',
        cloudWatch('kms:GenerateDataKey', 'key', anotherAccountsAlarm, OTHER_ACCOUNT),
        N,
      ],
      ['CloudWatch: kms:Encrypt', cloudWatch('kms:Encrypt', 'key'), N],
      ['CloudWatch: kms:ScheduleKeyDeletion', cloudWatch('kms:ScheduleKeyDeletion', 'key'), N],
      ['CloudWatch: kms:PutKeyPolicy', cloudWatch('kms:PutKeyPolicy', 'key'), N],
      ['SNS: kms:Decrypt', other('sns.amazonaws.com', 'kms:Decrypt', 'key'), N],
      [
        'another account, whatever its own policies allow: kms:Decrypt',
        other(OTHER_ACCOUNT_ADMINISTRATOR.principal, 'kms:Decrypt', 'key', [ADMINISTRATOR_POLICY]),
        N,
      ],
      // The key policy lets the account's IAM policies decide (its first statement): an
      // administrator may manage the key, a role without KMS in its policies may not use it.
      [
        "the account's administrator, through IAM: kms:ScheduleKeyDeletion",
        other(ACCOUNT_ADMINISTRATOR.principal, 'kms:ScheduleKeyDeletion', 'key', [ADMINISTRATOR_POLICY]),
        Y,
      ],
      [
        'a principal of the account that its policies do not allow: kms:Decrypt',
        other(`arn:aws:iam::${ACCOUNT}:role/Someone`, 'kms:Decrypt', 'key', []),
        N,
      ],
    ];

    it.each(asRows(REQUESTS))('$who: $expected', async ({ request, expected }) => {
      expect(allows(await layout.iam.decide(request(layout)))).toBe(expected);
    });
  });

  describe('no other account, and no anonymous caller, may touch the stack', () => {
    const STRANGERS: [who: string, stranger: Pick<SimulatedRequest, 'principal' | 'identityPolicies'>][] = [
      ['another account, whatever its own policies allow', OTHER_ACCOUNT_ADMINISTRATOR],
      ['a caller with no credentials', { principal: { anonymous: true } }],
    ];
    const ACTIONS: [action: string, resource: (layout: Layout) => string][] = [
      ['dynamodb:GetItem', (layout) => layout.iam.arn(layout.tableId)],
      ['dynamodb:Scan', (layout) => layout.iam.arn(layout.tableId)],
      ['dynamodb:Query', (layout) => `${layout.iam.arn(layout.tableId)}/index/${OWNER_INDEX}`],
      ['secretsmanager:GetSecretValue', (layout) => layout.iam.arn(layout.signingKeysId)],
      ['secretsmanager:PutSecretValue', (layout) => layout.iam.arn(layout.signingKeysId)],
      ['kms:Decrypt', (layout) => layout.iam.arn(layout.keyId)],
      ['sns:Publish', (layout) => layout.iam.arn(layout.topicId)],
      ['sns:Subscribe', (layout) => layout.iam.arn(layout.topicId)],
      ['lambda:InvokeFunction', (layout) => layout.iam.arn(layout.functions.rotation.functionId)],
      ['lambda:InvokeFunction', (layout) => layout.iam.arn(layout.functions.sessions.functionId)],
    ];
    const cases = STRANGERS.flatMap(([who, stranger]) =>
      ACTIONS.map(([action, resource]) => [who, action, stranger, resource] as const),
    );

    it.each(cases)('%s: %s', async (_who, action, stranger, resource) => {
      const decision = await layout.iam.decide({ ...stranger, action, resource: resource(layout) });
      expect(allows(decision)).toBe(N);
    });
  });

  it('keeps the signing keys from being deleted, even by an administrator of the account', async () => {
    const request = (action: string) =>
      layout.iam.decide({ ...ACCOUNT_ADMINISTRATOR, action, resource: layout.iam.arn(layout.signingKeysId) });
    expect(await request('secretsmanager:DeleteSecret')).toBe('ExplicitlyDenied');
    expect(await request('secretsmanager:GetSecretValue')).toBe('Allowed');
  });
});

describe('the simulation catches a widened template', () => {
  let original: CfnTemplate;
  let stackName: string;

  beforeAll(() => {
    const iam = synthesize('default');
    original = iam.template;
    stackName = iam.stackName;
  }, SLOW);

  /** A copy of the default template, changed by `widen`, and its layout. */
  function widened(widen: (template: CfnTemplate, layout: Layout) => void): Layout {
    const copy = structuredClone(original);
    widen(copy, layoutOf(new TemplateIam(copy, stackName)));
    return layoutOf(new TemplateIam(copy, stackName));
  }

  /** The first statement of a role's default policy that names `action`. */
  function statementWith(
    template: CfnTemplate,
    layout: Layout,
    subject: Subject,
    action: string,
  ): PolicyStatement {
    const roleId = layout.functions[subject].roleId;
    const [, policy] = Object.entries(template.Resources).find(
      ([, resource]) =>
        resource.Type === 'AWS::IAM::Policy' &&
        JSON.stringify(resource.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]),
    ) as unknown as [string, { Properties: { PolicyDocument: PolicyDocument } }];
    const statement = policy.Properties.PolicyDocument.Statement.find((candidate) =>
      ([] as string[]).concat(candidate.Action ?? []).includes(action),
    );
    if (!statement) throw new Error(`No statement with ${action}`);
    return statement;
  }

  it(
    'Scan added to the index function’s table grant',
    async () => {
      const layout = widened((template, layout) => {
        const statement = statementWith(template, layout, 'index', 'dynamodb:GetItem');
        statement.Action = [...(statement.Action as string[]), 'dynamodb:Scan'];
      });
      const allowed = await allowedOnProbes(layout, 'index');
      expect(allowed).not.toEqual(contractAllows('index'));
      expect(allowed).toContain('dynamodb:Scan on the table');
    },
    SLOW,
  );

  it(
    'dynamodb:* on the login function’s table grant',
    async () => {
      const layout = widened((template, layout) => {
        statementWith(template, layout, 'login', 'dynamodb:GetItem').Action = 'dynamodb:*';
      });
      const allowed = await allowedOnProbes(layout, 'login');
      expect(allowed).toEqual(
        expect.arrayContaining(['dynamodb:DeleteTable on the table', 'dynamodb:Query on the table']),
      );
    },
    SLOW,
  );

  it(
    'the owner index grant widened to every index (`index/*`)',
    async () => {
      const layout = widened((template, layout) => {
        const statement = statementWith(template, layout, 'sessions', 'dynamodb:Query');
        statement.Resource = {
          'Fn::Join': ['', [{ 'Fn::GetAtt': [layout.tableId, 'Arn'] }, '/index/*']],
        } as never;
      });
      expect(await allowedOnProbes(layout, 'sessions')).toContain(
        'dynamodb:Query on another index of the table',
      );
    },
    SLOW,
  );

  it(
    'AWSLambdaBasicExecutionRole attached to the logout function’s role',
    async () => {
      const layout = widened((template, layout) => {
        const role = template.Resources[layout.functions.logout.roleId];
        role.Properties = {
          ...role.Properties,
          ManagedPolicyArns: ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
        };
      });
      expect(await allowedOnProbes(layout, 'logout')).toEqual(
        expect.arrayContaining([
          "logs:PutLogEvents on another function's log stream",
          'logs:CreateLogGroup on its own log group',
        ]),
      );
    },
    SLOW,
  );

  it(
    'the rotation function’s invoke permission without its source secret',
    async () => {
      const layout = widened((template, layout) => {
        const [, permission] = Object.entries(template.Resources).find(
          ([, resource]) =>
            resource.Type === 'AWS::Lambda::Permission' &&
            resource.Properties?.Principal === 'secretsmanager.amazonaws.com',
        ) as [string, { Properties: Record<string, unknown> }];
        expect(permission.Properties.FunctionName).toEqual({
          'Fn::GetAtt': [layout.functions.rotation.functionId, 'Arn'],
        });
        delete permission.Properties.SourceArn;
      });
      const decision = await layout.iam.decide({
        principal: 'secretsmanager.amazonaws.com',
        action: 'lambda:InvokeFunction',
        resource: layout.iam.arn(layout.functions.rotation.functionId),
        context: {
          'aws:SourceArn': `arn:aws:secretsmanager:${REGION}:${OTHER_ACCOUNT}:secret:theirs-AbCdEf`,
          'aws:SourceAccount': OTHER_ACCOUNT,
        },
      });
      expect(decision).toBe('Allowed');
    },
    SLOW,
  );

  it('another service allowed to invoke a handler', () => {
    const layout = widened((template, layout) => {
      template.Resources.IndexInvokedByS3 = {
        Type: 'AWS::Lambda::Permission',
        Properties: {
          Action: 'lambda:InvokeFunction',
          FunctionName: { 'Fn::GetAtt': [layout.functions.index.functionId, 'Arn'] },
          Principal: 's3.amazonaws.com',
        },
      };
    });
    expect(layout.iam.trustedPrincipals()).not.toEqual(intendedTrust(layout));
    expect(layout.iam.trustedPrincipals()).toContain(
      `${layout.functions.index.functionId}: Service s3.amazonaws.com`,
    );
  });
});
