import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { App, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FUNCTIONS, type FunctionName } from '../../lambda/contract';
import { KeyRing } from '../../lambda/session/src/keys/KeyRing';
import { parseSigningKeys } from '../../lambda/session/src/keys/keyProvider';
import type { SessionRecord } from '../../lambda/session/src/store/SessionStore';
import { SessionsStack } from '../../lib/SessionsStack';
import { bundleFunction } from '../../scripts/bench/bundle';
import { type FakeSecretsManager, startFakeSecretsManager } from '../support/fakeSecretsManager';
import { cookiePair } from '../support/http';
import { itemIdOf, tokenOf } from '../support/responses';
import { bound } from '../support/sealed';
import { useStore } from '../support/store';
import { getItem } from '../support/table';

// `sam local invoke -t cdk.out/<stack>.template.json` finds each function's code through the asset
// metadata the CDK CLI writes: a real bundling synth (as `cdk synth` does) must carry it.
type LambdaResource = {
  Type: string;
  Metadata?: Record<string, string>;
  Properties: Record<string, unknown>;
};

let outdir: string;
/** The session handlers (the key rotation function is checked on its own, below). */
let functions: [string, LambdaResource][];
let rotationFunction: [string, LambdaResource] | undefined;
/** The handlers of the `-c samLocal=true` template, the one `sam local invoke` is given. */
let samLocalFunctions: [string, LambdaResource][];

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'cdk-sam-test-'));
  const context = JSON.parse(readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8')).context;
  // The CLI sets these context keys; an App built in a test must set them itself.
  const app = new App({
    outdir,
    context: { ...context, 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:enable-path-metadata': true },
  });
  new SessionsStack(app, 'ServerSessionsStack');
  // Its bundles are the same: only its template is needed here.
  const samLocalStage = new Stage(app, 'SamLocal');
  samLocalStage.node.setContext('samLocal', 'true');
  samLocalStage.node.setContext('aws:cdk:bundling-stacks', []);
  const samLocalStack = new SessionsStack(samLocalStage, 'ServerSessionsStack');
  const assembly = app.synth();
  const template = assembly.getStackByName('ServerSessionsStack').template as {
    Resources: Record<string, LambdaResource>;
  };
  const isRotation = ([logicalId]: [string, LambdaResource]) =>
    logicalId.startsWith('SessionsKeyRotationFunction');
  const lambdaFunctions = (resources: Record<string, LambdaResource>) =>
    Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::Lambda::Function');
  rotationFunction = lambdaFunctions(template.Resources).find(isRotation);
  functions = lambdaFunctions(template.Resources).filter((entry) => !isRotation(entry));
  samLocalFunctions = lambdaFunctions(Template.fromStack(samLocalStack).toJSON().Resources).filter(
    (entry) => !isRotation(entry),
  );
}, 120_000);

/** The bundled `index.js` of a function, as the asset metadata names it. */
function bundleOf([, resource]: [string, LambdaResource]): string {
  return path.join(outdir, resource.Metadata?.['aws:asset:path'] ?? '', 'index.js');
}

/** The environment a bundle gets in these tests: dummy credentials, nothing that reaches AWS. */
const OFFLINE_ENV = {
  PATH: process.env.PATH,
  NODE_OPTIONS: '--enable-source-maps',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

it('gives each of the functions the asset metadata SAM needs, pointing at a bundled handler', () => {
  expect(functions).toHaveLength(Object.keys(FUNCTIONS).length);
  for (const [logicalId, resource] of functions) {
    expect(resource.Metadata?.['aws:asset:property']).toBe('Code');
    const assetPath = resource.Metadata?.['aws:asset:path'];
    expect(assetPath).toMatch(/^asset\./);
    expect(existsSync(path.join(outdir, assetPath ?? '', 'index.js'))).toBe(true);
    expect(resource.Properties.Handler).toBe('index.handler');
    expect(resource.Metadata?.['aws:cdk:path']).toMatch(
      new RegExp(`^ServerSessionsStack/${logicalId.replace(/[0-9A-F]{8}$/, '')}/`),
    );
  }
});

// npm run bench measures bundles it builds itself: its figures hold for what deploys only if they match.
it('deploys byte for byte the bundles that npm run bench measures', async () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'bench-bundles-'));
  try {
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      const logicalIdPrefix = `${name[0].toUpperCase()}${name.slice(1)}Function`;
      const deployed = functions.find(([logicalId]) => logicalId.startsWith(logicalIdPrefix));
      const assetPath = deployed?.[1].Metadata?.['aws:asset:path'] ?? '';
      const measured = await bundleFunction(FUNCTIONS[name].entry, path.join(folder, name), 'bundled');

      expect(readFileSync(measured.file).equals(readFileSync(path.join(outdir, assetPath, 'index.js')))).toBe(
        true,
      );
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

function sampleEnvironment(): Record<string, string> {
  return JSON.parse(readFileSync(path.join(__dirname, '../../events/env.json'), 'utf8')).Parameters;
}

describe('the synthesized bundles, run the way Lambda runs them', () => {
  const store = useStore({ tableName: 'sessions-bundle-test' });
  const { proxy } = store;
  let secrets: FakeSecretsManager;

  beforeAll(async () => {
    secrets = await startFakeSecretsManager(sampleEnvironment().SESSION_SECRET);
  });

  afterAll(async () => {
    await secrets.close();
  });

  /** A sample event of events/, as `sam local invoke -e` reads it. */
  function sampleEvent(eventFile: string): Record<string, unknown> {
    return JSON.parse(readFileSync(path.join(__dirname, '../../events', eventFile), 'utf8'));
  }

  /**
   * Requires a bundle in a fresh node (from outside the repo: only Node's own modules resolve) and
   * invokes it with a sample event (a file of events/) or an event built from one.
   * The bundle talks to the store through the counting proxy, so a test sees which operations it reached.
   */
  async function invokeBundle(
    logicalIdPrefix: string,
    eventOrFile: string | Record<string, unknown>,
    keys: Record<string, string>,
  ) {
    const entry = functions.find(([logicalId]) => logicalId.startsWith(logicalIdPrefix));
    if (!entry) throw new Error(`no function ${logicalIdPrefix}`);
    const bundle = bundleOf(entry);
    const event = JSON.stringify(typeof eventOrFile === 'string' ? sampleEvent(eventOrFile) : eventOrFile);
    const script = `require(${JSON.stringify(bundle)}).handler(${event}, {}).then((result) => {
      process.stdout.write('RESULT ' + JSON.stringify(result) + '\\n');
    });`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
      cwd: tmpdir(),
      timeout: 30_000,
      env: {
        ...OFFLINE_ENV,
        TABLE_NAME: 'sessions-bundle-test',
        DYNAMODB_ENDPOINT: store.proxy.endpoint,
        ...keys,
      },
    });
    const line = stdout.split('\n').find((text) => text.startsWith('RESULT '));
    if (!line) throw new Error(`no result from the bundle: ${stdout}`);
    return JSON.parse(line.slice('RESULT '.length)) as {
      statusCode: number;
      headers?: Record<string, string>;
      cookies?: string[];
      body: string;
    };
  }

  // The bundles leave bowser out (lib/bundling.ts): a path that needed it would throw here.
  // events/index.json and events/logout.json carry no cookie (a static one could not verify: the key
  // `sam local invoke` runs with is whatever events/env.json or the developer sets, and the item behind
  // it would have to exist in their table). So this test logs in through the login bundle first and
  // sends the cookie it was given with the index and logout sample events, as a browser would: each
  // bundle then really reads, refreshes and deletes the item, which the counting proxy shows.
  it('logs in, shows the page, refreshes and logs out with nothing but the bundle and Node', async () => {
    // Prepare: the key the sample environment signs with.
    const keys = { SESSION_SECRET: sampleEnvironment().SESSION_SECRET };
    const withCookie = (eventFile: string, cookie: string) => ({
      ...sampleEvent(eventFile),
      cookies: [cookie],
    });

    // Act + Assess: login.json posts username=admin.
    const login = await invokeBundle('LoginFunction', 'login.json', keys);
    expect(login.statusCode).toBe(303);
    expect(login.cookies?.[0]).toMatch(/^__Host-session=[\w-]+\.[\w-]+;/);
    expect(proxy.writes()).toBe(1);
    expect(proxy.count('PutItem')).toBe(1);
    const cookie = cookiePair(login.cookies?.[0] ?? '');
    const itemId = itemIdOf(cookie);
    expect(await getItem(store, itemId)).toMatchObject({ id: itemId });

    // A fresh session: one read, nothing to write.
    proxy.reset();
    const index = await invokeBundle('IndexFunction', withCookie('index.json', cookie), keys);
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain('<p>Logged in as admin</p>');
    expect(proxy.operations).toEqual(['GetItem']);

    // A session last refreshed half an hour ago (a quarter of the hour's idle window has passed): the
    // read pushes the idle expiry forward with one conditional UpdateItem. The time is moved back
    // with its MAC, as only a holder of the signing keys can (a MAC left as it was reads as absent).
    const refreshedAt = Date.now() - 30 * 60 * 1000;
    const stored = (await getItem(store, itemId)) as unknown as SessionRecord;
    await store.documents.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: { id: itemId },
        UpdateExpression: 'SET refreshedAt = :refreshedAt, mac = :mac',
        ExpressionAttributeValues: {
          ':refreshedAt': refreshedAt,
          ':mac': bound(
            { ...stored, refreshedAt },
            tokenOf(cookie),
            new KeyRing(parseSigningKeys(keys.SESSION_SECRET)),
          ).mac,
        },
      }),
    );
    proxy.reset();
    const refreshed = await invokeBundle('IndexFunction', withCookie('index.json', cookie), keys);
    expect(refreshed.body).toContain('<p>Logged in as admin</p>');
    expect(proxy.operations).toEqual(['GetItem', 'UpdateItem']);
    expect((await getItem(store, itemId))?.refreshedAt).toBeGreaterThan(refreshedAt);

    // The sessions bundle lists this session, marked as this device, through the owner index.
    proxy.reset();
    const sessions = await invokeBundle('SessionsFunction', withCookie('sessions.json', cookie), keys);
    expect(sessions.statusCode).toBe(200);
    expect(sessions.body).toContain('(This device)');
    expect(proxy.operations).toEqual(['GetItem', 'Query']);

    proxy.reset();
    const logout = await invokeBundle('LogoutFunction', withCookie('logout.json', cookie), keys);
    expect(logout.statusCode).toBe(303);
    // The cookie is replaced by the one of a new anonymous session holding "You were logged out.".
    expect(logout.cookies?.[0]).toMatch(/^__Host-session=[\w-]{43}\.[\w-]{43};/);
    expect(logout.cookies?.[0]).not.toContain(cookie.slice(cookie.indexOf('=') + 1));
    expect([...proxy.operations].sort()).toEqual(['DeleteItem', 'PutItem']); // sent together
    expect(await getItem(store, itemId)).toBeUndefined();
    const flashed = await invokeBundle(
      'IndexFunction',
      withCookie('index.json', cookiePair(logout.cookies?.[0] ?? '')),
      keys,
    );
    expect(flashed.body).toContain('You were logged out.');

    // The cookie is dead for the index bundle too.
    const after = await invokeBundle('IndexFunction', withCookie('index.json', cookie), keys);
    expect(after.body).toContain('You are not logged in');
  }, 120_000);

  it('serves the sample events as they are (no cookie): the anonymous page, and a logout that touches nothing', async () => {
    const keys = { SESSION_SECRET: sampleEnvironment().SESSION_SECRET };
    const index = await invokeBundle('IndexFunction', 'index.json', keys);
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain('You are not logged in');
    const logout = await invokeBundle('LogoutFunction', 'logout.json', keys);
    expect(logout.statusCode).toBe(303);
    const sessions = await invokeBundle('SessionsFunction', 'sessions.json', keys);
    expect(sessions.statusCode).toBe(303);
    expect(sessions.headers?.location).toBe('/login');
    expect(proxy.operations).toEqual([]);
  }, 60_000);

  /**
   * The environment `sam local invoke --env-vars events/env.json` gives a function of the samLocal
   * template: its declared variables, those env.json sets replacing them (a reference SAM cannot
   * resolve stays non-blank here), and Lambda's AWS_LAMBDA_FUNCTION_NAME. The store's address and
   * table are this test's instead of the container's.
   */
  function samLocalEnvironment(
    logicalIdPrefix: string,
    parameters: Record<string, string>,
  ): Record<string, string> {
    const entry = samLocalFunctions.find(([logicalId]) => logicalId.startsWith(logicalIdPrefix));
    if (!entry) throw new Error(`no function ${logicalIdPrefix}`);
    const declared = (entry[1].Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const environment = Object.fromEntries(
      Object.entries(declared).map(([name, value]) => [
        name,
        Object.hasOwn(parameters, name)
          ? parameters[name]
          : typeof value === 'string'
            ? value
            : 'an-unresolved-reference',
      ]),
    );
    return {
      ...environment,
      AWS_LAMBDA_FUNCTION_NAME: logicalIdPrefix,
      TABLE_NAME: store.tableName,
      DYNAMODB_ENDPOINT: proxy.endpoint,
    };
  }

  it('logs in with the variables sam local invoke gives the samLocal template from events/env.json', async () => {
    const login = await invokeBundle(
      'LoginFunction',
      'login.json',
      samLocalEnvironment('LoginFunction', sampleEnvironment()),
    );
    expect(login.statusCode).toBe(303);
    expect(login.cookies?.[0]).toMatch(/^__Host-session=/);
  }, 60_000);

  it('fails at init, naming both, if env.json did not blank the stack’s SESSION_SECRET_ARN', async () => {
    const { SESSION_SECRET_ARN: _blanked, ...withoutBlank } = sampleEnvironment();
    await expect(
      invokeBundle('LoginFunction', 'login.json', samLocalEnvironment('LoginFunction', withoutBlank)),
    ).rejects.toThrow(/SESSION_SECRET: not allowed beside SESSION_SECRET_ARN in Lambda/);
  }, 60_000);

  // As deployed: the keys come from Secrets Manager, whose client the bundle loads at the first request.
  it('reads the keys from Secrets Manager when given SESSION_SECRET_ARN', async () => {
    const keys = {
      SESSION_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:signing-keys',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    };
    const login = await invokeBundle('LoginFunction', 'login.json', keys);
    expect(login.statusCode).toBe(303);
    expect(login.cookies?.[0]).toMatch(/^__Host-session=/);
  }, 60_000);
});

// Secrets Manager invokes the rotation function once per step; the fake runs a rotation the same way.
describe('the key rotation bundle, run the way Lambda runs it', () => {
  let secrets: FakeSecretsManager;
  const generated = 'a0generated0key0of0sixty0four0letters0and0digits0'.padEnd(64, '9');

  beforeAll(async () => {
    secrets = await startFakeSecretsManager(generated);
  });

  afterAll(async () => {
    await secrets.close();
  });

  it('has the asset metadata SAM needs, pointing at a bundled handler', () => {
    expect(rotationFunction).toBeDefined();
    const [, resource] = rotationFunction as [string, LambdaResource];
    expect(resource.Metadata?.['aws:asset:property']).toBe('Code');
    expect(existsSync(bundleOf(rotationFunction as [string, LambdaResource]))).toBe(true);
    expect(resource.Properties.Handler).toBe('index.handler');
  });

  it('runs the four steps with nothing but the bundle and Node: the generated key keeps signing, a next key is distributed', async () => {
    // Act
    await secrets.rotate(async (event) => {
      const script = `require(${JSON.stringify(bundleOf(rotationFunction as [string, LambdaResource]))})
        .handler(${JSON.stringify(event)}, {}).then(() => process.stdout.write('DONE\\n'));`;
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
        cwd: tmpdir(),
        timeout: 30_000,
        env: {
          ...OFFLINE_ENV,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
          SESSION_ABSOLUTE_TIMEOUT_SECONDS: '43200',
          POWERTOOLS_LOG_LEVEL: 'SILENT',
        },
      });
      expect(stdout).toContain('DONE');
    });

    // Assess
    expect(secrets.operations).toEqual([
      ...['DescribeSecret', 'GetSecretValue', 'GetSecretValue', 'PutSecretValue'], // createSecret
      'DescribeSecret', // setSecret
      ...['DescribeSecret', 'GetSecretValue'], // testSecret
      ...['DescribeSecret', 'GetSecretValue', 'UpdateSecretVersionStage'], // finishSecret: checks it first
    ]);
    const keySet = JSON.parse(secrets.current());
    expect(keySet).toMatchObject({
      version: 1,
      current: { key: generated },
      previous: [],
      builtFrom: { version: 'v1' },
    });
    expect(keySet.next.key).toMatch(/^[\w-]{64}$/);
  }, 120_000);
});
