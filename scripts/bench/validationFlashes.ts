import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  createDocumentClient,
  type FlashMessage,
  type Session,
  SessionManager,
  type SessionRequest,
  type SessionSchema,
  StaticKeys,
} from '@lambda-sessions/dynamodb';
import { TABLE_SCHEMA } from '@lambda-sessions/dynamodb/table';
import type { Context } from 'aws-lambda';
import * as v from 'valibot';
import { z } from 'zod';
import { localLambdaContext } from '../../lib/local/apiGateway';
import { BENCH_TABLE, Checks, randomSigningKey, startBenchStore } from './common';
import { itemKey } from './flows';
import { RequestRecorder, type RequestSummary } from './recorder';
import {
  type DifferenceInterval,
  differenceOfMedians,
  perUnit,
  type Summary,
  summarize,
  sumOfDifferences,
} from './stats';

/**
 * What each session of this part holds: ten values, five strings and five numbers, as an app's
 * session might (the app's own holds only its username, and has no schema).
 */
export const BENCH_DATA = {
  username: 'bench-user',
  displayName: 'Bench User',
  theme: 'dark',
  locale: 'en-GB',
  lastPage: '/sessions',
  cartItems: 3,
  visits: 42,
  score: 97.5,
  lastSeenAt: 1_796_000_000_000,
  quotaBytes: 1_048_576,
} as const;

type BenchData = {
  [K in keyof typeof BENCH_DATA]?: (typeof BENCH_DATA)[K] extends string ? string : number;
};
type BenchKey = keyof typeof BENCH_DATA;

const KEYS = Object.keys(BENCH_DATA) as BenchKey[];
/** N: the values a page view reads, the divisor of "per value". */
export const VALUES_PER_SESSION = KEYS.length;

/** The managers compared, on the same table, keys and store: without a schema, and with each kind of schema. */
export const SCHEMA_VARIANTS = {
  none: 'no schema',
  zodKeys: 'zod, a schema per key',
  zodWhole: 'zod, one object schema for the whole data',
  valibotKeys: 'valibot, a schema per key',
} as const;

export type SchemaVariant = keyof typeof SCHEMA_VARIANTS;
const VARIANTS = Object.keys(SCHEMA_VARIANTS) as SchemaVariant[];
const VALIDATING: Exclude<SchemaVariant, 'none'>[] = ['zodKeys', 'zodWhole', 'valibotKeys'];

/** Per key: `z.string()` / `z.number()` (or valibot's), the plainest schema each value can have. */
function keySchemas<S>(text: S, number: S): Record<BenchKey, S> {
  return Object.fromEntries(
    KEYS.map((key) => [key, typeof BENCH_DATA[key] === 'string' ? text : number]),
  ) as Record<BenchKey, S>;
}

function schemaOf(variant: SchemaVariant): SessionSchema<BenchData> | undefined {
  switch (variant) {
    case 'none':
      return undefined;
    case 'zodKeys':
      return { keys: keySchemas<z.ZodType>(z.string(), z.number()) } as SessionSchema<BenchData>;
    case 'zodWhole':
      // Every field optional, as the library asks of a whole-data schema (a new session is empty).
      return {
        whole: z.object(keySchemas<z.ZodType>(z.string().optional(), z.number().optional())),
      } as SessionSchema<BenchData>;
    case 'valibotKeys':
      return {
        keys: keySchemas<v.GenericSchema>(v.string(), v.number()),
      } as SessionSchema<BenchData>;
  }
}

/**
 * The requests this part times, each a whole request through the library as `withSession` runs it
 * (`open`, `load`, the values read, `commit`, `end`; no handler, page or log line), with the
 * DynamoDB operations each must make.
 */
export const DATA_REQUEST_TYPES = {
  login: { label: `new session holding ${VALUES_PER_SESSION} values`, operations: ['PutItem'] },
  noneView: { label: `page view, ${VALUES_PER_SESSION} values read, no schema`, operations: ['GetItem'] },
  zodKeysView: { label: 'the same, zod schema per key', operations: ['GetItem'] },
  zodWholeView: { label: 'the same, zod schema for the whole data', operations: ['GetItem'] },
  valibotKeysView: { label: 'the same, valibot schema per key', operations: ['GetItem'] },
  noFlashesView: { label: 'page view + flashedMessages(), none pending', operations: ['GetItem'] },
  flash: { label: 'page view + flash() (the request that flashes)', operations: ['GetItem', 'UpdateItem'] },
  showFlash: { label: 'page view + flashedMessages(), one pending', operations: ['GetItem', 'UpdateItem'] },
} as const satisfies Record<string, { label: string; operations: readonly string[] }>;

export type DataRequestType = keyof typeof DATA_REQUEST_TYPES;

const VIEW_OF: Record<SchemaVariant, DataRequestType> = {
  none: 'noneView',
  zodKeys: 'zodKeysView',
  zodWhole: 'zodWholeView',
  valibotKeys: 'valibotKeysView',
};

/** Calls per timed batch of the CPU-only loops (a load replays the store's answer, so it awaits). */
export const LOAD_BATCH = 20;
export const SET_BATCH = 1000;

export interface ValidationFlashOptions {
  /** Timed flows (each: two new sessions, then K rounds of every request type), after `warmupFlows`. */
  flows: number;
  k: number;
  warmupFlows: number;
  /** Timed batches per variant in each CPU-only loop (default `flows`), after `warmupFlows` batches. */
  batches?: number;
  report?: (line: string) => void;
}

export interface DataRequestTypeResult extends RequestSummary {
  type: DataRequestType;
  label: string;
}

/** What validation adds, for one kind of schema, over the same work without a schema. */
export interface ValidationCost {
  variant: Exclude<SchemaVariant, 'none'>;
  label: string;
  /** µs per value read: (median page view with the schema − without) / N, views paired round by round. */
  perValueRead: DifferenceInterval;
  /** µs per value read on the CPU alone: `load` with the store's answer replayed (no I/O), per batch. */
  perValueLoadCpu: DifferenceInterval;
  /** µs per `set()` call on the CPU alone, on a session holding the N values. */
  perSetCpu: DifferenceInterval;
}

export interface ValidationFlashResult {
  flows: number;
  k: number;
  warmupFlows: number;
  valuesPerSession: number;
  requestTypes: DataRequestTypeResult[];
  validation: ValidationCost[];
  /** The CPU-only loops: µs per call (each sample a batch's mean), per variant. */
  cpu: {
    batches: number;
    loadBatch: number;
    setBatch: number;
    loadUs: Record<SchemaVariant, Summary>;
    setUs: Record<SchemaVariant, Summary>;
  };
  flashes: {
    /** A page view calling `flashedMessages()` with none pending, over one that does not call it (µs). */
    noneTaken: DifferenceInterval;
    /** The request that flashes over a plain page view (µs). */
    flashRequest: DifferenceInterval;
    /** The page that shows (takes) the flash over a plain page view (µs). */
    showPage: DifferenceInterval;
    /** Both: what one flash adds to the requests of its round trip (µs). */
    roundTrip: DifferenceInterval;
  };
  checks: number;
}

const FLASH: FlashMessage = { category: 'info', message: 'Your settings were saved.' };
const CONTEXT_NAME = 'sessions-bench-library';

interface Answer {
  values: unknown[];
  flashes: FlashMessage[];
  setCookies: string[];
}

type Action = 'read' | 'takeFlashes' | 'flash';

/**
 * One request through the library as `withSession` runs it: open the scope, load, `action`, read
 * every value, commit, end.
 */
async function pageView(
  sessions: SessionManager<BenchData>,
  request: SessionRequest,
  context: Context,
  action: Action,
): Promise<Answer> {
  const scope = sessions.open(request, context);
  try {
    const session = await scope.load();
    const flashes = action === 'takeFlashes' ? session.flashedMessages() : [];
    if (action === 'flash') session.flash(FLASH.message, FLASH.category);
    const values = KEYS.map((key) => session.get(key));
    return { values, flashes, setCookies: await scope.commit() };
  } finally {
    scope.end();
  }
}

const expectedValues = JSON.stringify(KEYS.map((key) => BENCH_DATA[key]));

/**
 * What validation and flash messages cost, measured after the rest of `npm run bench`, against a
 * dynalite of its own behind the counting proxy. Four `SessionManager`s on the same table and
 * keys: no schema, zod per key, zod for the whole data, valibot per key. Each flow creates two
 * sessions holding the same ten values; then K rounds of: the page view read by each manager and
 * the no-schema view also calling `flashedMessages()` (none pending), in rotating order, then a
 * flash's round trip on the second session (the view that flashes, then the view that shows it).
 * Then two CPU-only loops in batches, variants rotating: `load` with the store's answer replayed
 * (no I/O) and `set()` on a session holding the ten values. Every answer and every request's
 * operations are checked; the first wrong one throws `BenchCheckError`.
 * @example const result = await runValidationFlashBench({ flows: 300, k: 5, warmupFlows: 20 });
 */
export async function runValidationFlashBench(
  options: ValidationFlashOptions,
): Promise<ValidationFlashResult> {
  const report = options.report ?? (() => undefined);
  const { proxy, close } = await startBenchStore();
  const cleanups: (() => unknown)[] = [close];
  try {
    const recorder = new RequestRecorder(proxy);
    const checks = new Checks();
    const client = createDocumentClient({ endpoint: proxy.endpoint });
    cleanups.push(() => client.destroy());
    const keys = new StaticKeys([randomSigningKey()]);
    const managers = managersOn(client, keys);
    const runner = new DataFlowRunner(managers, recorder, checks, options.k);

    report(`warm-up: ${options.warmupFlows} flows (checked, not recorded)`);
    for (let flow = 1; flow <= options.warmupFlows; flow++) await runner.flow(`warm-up ${flow}`);
    recorder.recording = true;
    const every = Math.max(1, Math.ceil(options.flows / 5));
    for (let flow = 1; flow <= options.flows; flow++) {
      await runner.flow(`flow ${flow}`);
      if (flow % every === 0 || flow === options.flows) report(`flows ${flow}/${options.flows}`);
    }

    const batches = options.batches ?? options.flows;
    report(`CPU only: ${batches} batches per variant of ${LOAD_BATCH} loads and of ${SET_BATCH} set() calls`);
    recorder.recording = false;
    const cookie = await runner.login('CPU loop');
    const answer = await client.send(
      new GetCommand({
        TableName: BENCH_TABLE,
        Key: { [TABLE_SCHEMA.partitionKey]: itemKey(cookie) },
        ConsistentRead: true,
      }),
    );
    checks.check('CPU loop: the session item', answer.Item !== undefined, 'the item', () => 'none');
    const replaying = managersOn({ send: async () => answer } as unknown as DynamoDBDocumentClient, keys);
    const loadUs = await cpuLoop(batches, options.warmupFlows, (variant) =>
      loadBatch(replaying[variant], cookie, checks),
    );
    const setUs = await cpuLoop(batches, options.warmupFlows, (variant) =>
      setBatch(replaying[variant], checks),
    );

    const samples = (type: DataRequestType) => recorder.samplesOf(type);
    const plain = samples('noneView');
    return {
      flows: options.flows,
      k: options.k,
      warmupFlows: options.warmupFlows,
      valuesPerSession: VALUES_PER_SESSION,
      requestTypes: (Object.keys(DATA_REQUEST_TYPES) as DataRequestType[]).map((type) => ({
        type,
        label: DATA_REQUEST_TYPES[type].label,
        ...recorder.summary(type),
      })),
      validation: VALIDATING.map((variant) => ({
        variant,
        label: SCHEMA_VARIANTS[variant],
        perValueRead: perUnit(differenceOfMedians(samples(VIEW_OF[variant]), plain), VALUES_PER_SESSION),
        perValueLoadCpu: perUnit(differenceOfMedians(loadUs[variant], loadUs.none), VALUES_PER_SESSION),
        perSetCpu: differenceOfMedians(setUs[variant], setUs.none),
      })),
      cpu: {
        batches,
        loadBatch: LOAD_BATCH,
        setBatch: SET_BATCH,
        loadUs: summaries(loadUs),
        setUs: summaries(setUs),
      },
      flashes: {
        noneTaken: differenceOfMedians(samples('noFlashesView'), plain),
        flashRequest: differenceOfMedians(samples('flash'), plain),
        showPage: differenceOfMedians(samples('showFlash'), plain),
        roundTrip: sumOfDifferences([
          [samples('flash'), plain],
          [samples('showFlash'), plain],
        ]),
      },
      checks: checks.count,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

function managersOn(
  client: DynamoDBDocumentClient,
  keys: StaticKeys,
): Record<SchemaVariant, SessionManager<BenchData>> {
  const manager = (variant: SchemaVariant) => {
    const schema = schemaOf(variant);
    return new SessionManager<BenchData>({
      client,
      tableName: BENCH_TABLE,
      keys,
      ...(schema === undefined ? {} : { schema }),
    });
  };
  return Object.fromEntries(VARIANTS.map((variant) => [variant, manager(variant)])) as Record<
    SchemaVariant,
    SessionManager<BenchData>
  >;
}

function summaries(samples: Record<SchemaVariant, number[]>): Record<SchemaVariant, Summary> {
  return Object.fromEntries(VARIANTS.map((variant) => [variant, summarize(samples[variant])])) as Record<
    SchemaVariant,
    Summary
  >;
}

/**
 * `warmup` then `batches` rounds of one batch per variant, the order rotating each round; returns
 * each variant's µs per call, one sample per round (so the i-th samples were measured together).
 */
async function cpuLoop(
  batches: number,
  warmup: number,
  batch: (variant: SchemaVariant) => Promise<number>,
): Promise<Record<SchemaVariant, number[]>> {
  const samples = Object.fromEntries(VARIANTS.map((variant) => [variant, [] as number[]])) as Record<
    SchemaVariant,
    number[]
  >;
  for (let round = 0; round < warmup + batches; round++) {
    for (let next = 0; next < VARIANTS.length; next++) {
      const variant = VARIANTS[(round + next) % VARIANTS.length];
      const micros = await batch(variant);
      if (round >= warmup) samples[variant].push(micros);
    }
  }
  return samples;
}

/** µs per `load` of the session, its `GetItem` answered from memory: the cookie, the MAC, the values opened and checked. */
async function loadBatch(
  sessions: SessionManager<BenchData>,
  cookie: string,
  checks: Checks,
): Promise<number> {
  const request: SessionRequest = { cookies: [cookie], secure: true };
  let session: Session<BenchData> | undefined;
  const started = process.hrtime.bigint();
  for (let call = 0; call < LOAD_BATCH; call++) session = await sessions.load(request);
  const micros = Number(process.hrtime.bigint() - started) / 1000 / LOAD_BATCH;
  const values = JSON.stringify(KEYS.map((key) => session?.get(key)));
  checks.check('CPU loop: load', values === expectedValues, expectedValues, () => values);
  return micros;
}

/** µs per `set()` on a session holding the ten values (loaded without a cookie: no store call). */
async function setBatch(sessions: SessionManager<BenchData>, checks: Checks): Promise<number> {
  const session = (await sessions.load({ cookies: [], secure: true })) as Session<Record<string, unknown>>;
  for (const key of KEYS) session.set(key, BENCH_DATA[key]);
  const started = process.hrtime.bigint();
  for (let call = 0; call < SET_BATCH; call++) {
    const key = KEYS[call % VALUES_PER_SESSION];
    session.set(key, BENCH_DATA[key]);
  }
  const micros = Number(process.hrtime.bigint() - started) / 1000 / SET_BATCH;
  const values = JSON.stringify(KEYS.map((key) => session.get(key)));
  checks.check('CPU loop: set', values === expectedValues, expectedValues, () => values);
  return micros;
}

/** One flow's requests: timed, their DynamoDB operations counted, their answers checked. */
class DataFlowRunner {
  private flowName = '';
  private users = 0;
  private flows = 0;

  constructor(
    private readonly managers: Record<SchemaVariant, SessionManager<BenchData>>,
    private readonly recorder: RequestRecorder,
    private readonly checks: Checks,
    private readonly k: number,
  ) {}

  async flow(name: string): Promise<void> {
    this.flowName = name;
    const viewed = await this.login(name);
    const flashed = await this.login(name);
    const reads = [
      ...VARIANTS.map((variant) => () => this.view(VIEW_OF[variant], variant, viewed, 'read')),
      () => this.view('noFlashesView', 'none', viewed, 'takeFlashes'),
    ];
    const flow = this.flows++;
    for (let round = 0; round < this.k; round++) {
      // Rotate the order, so none always goes first or runs on the connection another just used;
      // by flow too, so that whatever K is, the view right after the logins' writes rotates.
      const first = (flow + round) % reads.length;
      for (let next = 0; next < reads.length; next++) await reads[(first + next) % reads.length]();
      // The flash's round trip (its two writes) ends each round, outside the rotation: the view that
      // follows it (the next round's first) rotates too, so no read always comes after a write.
      await this.view('flash', 'none', flashed, 'flash');
      await this.view('showFlash', 'none', flashed, 'takeFlashes');
    }
  }

  /** A login as the app's: no read, a new owned session holding the ten values; returns its cookie's `name=value`. */
  async login(flowName: string): Promise<string> {
    this.flowName = flowName;
    const sessions = this.managers.none;
    const request: SessionRequest = { cookies: [], secure: true };
    const context = localLambdaContext(CONTEXT_NAME);
    const { result, operations } = await this.recorder.measure('login', async () => {
      const scope = sessions.open(request, context);
      try {
        const session = await scope.attach();
        session.regenerate({ owner: `bench-data-user-${++this.users}`, device: 'Firefox on Linux' });
        session.clear();
        for (const key of KEYS) (session as Session<Record<string, unknown>>).set(key, BENCH_DATA[key]);
        return await scope.commit();
      } finally {
        scope.end();
      }
    });
    this.checkOperations('login', operations);
    const cookies = result.filter((cookie) => /^__Host-session=/.test(cookie));
    this.check(
      'login',
      cookies.length === 1 && !/Max-Age=0/i.test(cookies[0]),
      'one session cookie set',
      () => result.join(' | '),
    );
    return cookies[0].split(';')[0];
  }

  /** One request of `type` through `variant`'s manager: every value read back, and the flashes `action` expects. */
  private async view(type: DataRequestType, variant: SchemaVariant, cookie: string, action: Action) {
    const request: SessionRequest = { cookies: [cookie], secure: true };
    const context = localLambdaContext(CONTEXT_NAME);
    const sessions = this.managers[variant];
    const { result, operations } = await this.recorder.measure(type, () =>
      pageView(sessions, request, context, action),
    );
    this.checkOperations(type, operations);
    const values = JSON.stringify(result.values);
    this.check(type, values === expectedValues, `the values ${expectedValues}`, () => values);
    const flashes = JSON.stringify(result.flashes);
    const expectedFlashes = JSON.stringify(type === 'showFlash' ? [FLASH] : []);
    this.check(type, flashes === expectedFlashes, `flashes ${expectedFlashes}`, () => flashes);
    this.check(type, result.setCookies.length === 0, 'no Set-Cookie', () => result.setCookies.join(' | '));
  }

  private checkOperations(type: DataRequestType, operations: readonly string[]): void {
    const expected: readonly string[] = DATA_REQUEST_TYPES[type].operations;
    const got = `[${operations.join(', ')}]`;
    this.check(
      type,
      got === `[${expected.join(', ')}]`,
      `DynamoDB operations [${expected.join(', ')}]`,
      () => got,
    );
  }

  private check(type: DataRequestType, condition: boolean, expected: string, got: () => string): void {
    this.checks.check(`${this.flowName}: ${DATA_REQUEST_TYPES[type].label}`, condition, expected, got);
  }
}
