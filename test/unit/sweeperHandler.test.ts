import 'aws-sdk-client-mock-jest';
import { ThrottlingException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { useMockedStore } from '../support/mockedStore';
import { captureOutput } from '../support/output';

// The function ExpirySweeper deploys (lib/construct/sweeper/handler.ts), on the mocked client:
// what it sweeps, the one line it logs, and how it stops.

const { ddb } = useMockedStore();
const TABLE = 'sessions-swept-unit';
type HandlerModule = typeof import('../../lib/construct/sweeper/handler');
let sweeper: HandlerModule;

/** Loads `handler.ts` with `env` set (it reads its configuration at load), then puts the environment back. */
function withEnv<T>(env: Record<string, string | undefined>, load: () => T): T {
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  const put = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  put(env);
  try {
    return load();
  } finally {
    put(saved);
  }
}

beforeAll(() => {
  sweeper = withEnv(
    { TABLE_NAME: TABLE, POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_SERVICE_NAME: 'my-stack' },
    () => require('../../lib/construct/sweeper/handler') as HandlerModule,
  );
});

/** A Lambda context with `ms` left. */
const remaining = (ms: number) => ({ getRemainingTimeInMillis: () => ms });

/** Runs the handler with its output captured: the JSON lines it logged, and its error if it threw. */
async function invoke(
  ms = 60_000,
  event: unknown = {},
): Promise<{ records: Record<string, unknown>[]; error?: unknown }> {
  const output = captureOutput();
  try {
    await sweeper.handler(event, remaining(ms));
    return { records: output.records() };
  } catch (error) {
    return { records: output.records(), error };
  } finally {
    output.restore();
  }
}

describe('the expiry sweeper function', () => {
  it('sweeps TABLE_NAME over the last 24 hours and logs one line with the summary', async () => {
    // Prepare: one bucket lists one item
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ id: 'id-a', expiryBucket: 'x' }] })
      .resolves({ Items: [] });

    // Act
    const { records, error } = await invoke();

    // Assess
    expect(error).toBeUndefined();
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 192);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, { TableName: TABLE, IndexName: 'byExpiry' });
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { TableName: TABLE, Key: { id: 'id-a' } });
    expect(records).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'expiry sweep',
        service: 'my-stack',
        tableName: TABLE,
        buckets: 192,
        examined: 1,
        deleted: 1,
        kept: 0,
      }),
    ]);
  });

  it('sweeps the lookbackHours an invocation by hand gives (a catch-up), and the scheduled event’s 24 hours otherwise', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [] });
    const scheduled = { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };

    // Act
    const catchUp = await invoke(60_000, { lookbackHours: 168 });
    const afterCatchUp = ddb.commandCalls(QueryCommand).length;
    const onSchedule = await invoke(60_000, scheduled);

    // Assess: 168 hours × 8 shards, then 24 × 8
    expect([catchUp.error, onSchedule.error]).toEqual([undefined, undefined]);
    expect(afterCatchUp).toBe(168 * 8);
    expect(ddb.commandCalls(QueryCommand).length - afterCatchUp).toBe(24 * 8);
    expect(catchUp.records).toEqual([expect.objectContaining({ message: 'expiry sweep', buckets: 1344 })]);
  });

  it.each([
    [0, 'lookbackHours: expected a whole number from 1 to 8784'],
    [8785, 'lookbackHours: expected a whole number from 1 to 8784'],
    ['168', 'lookbackHours: expected a number of hours, got "168"'],
    [null, 'lookbackHours: expected a number of hours, got null'],
  ])('refuses lookbackHours %j, logged, before any request', async (lookbackHours, message) => {
    // Act
    const { records, error } = await invoke(60_000, { lookbackHours });

    // Assess
    expect((error as Error).message).toContain(message);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
    expect(records).toEqual([expect.objectContaining({ level: 'ERROR', message: 'expiry sweep failed' })]);
  });

  it('logs a failure with its error and throws it: the invocation fails', async () => {
    // Prepare
    const throttled = new ThrottlingException({ message: 'Rate exceeded', $metadata: {} });
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ id: 'id-a', expiryBucket: 'x' }] })
      .resolves({ Items: [] });
    ddb.on(DeleteCommand).rejects(throttled);

    // Act
    const { records, error } = await invoke();

    // Assess
    expect(error).toBe(throttled);
    expect(records).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'expiry sweep failed',
        tableName: TABLE,
        error: expect.objectContaining({ name: 'ThrottlingException', message: 'Rate exceeded' }),
      }),
    ]);
  });

  it('stops ten seconds before the invocation’s timeout: a slow sweep fails in time', async () => {
    // Prepare: every query takes 30 ms; 50 ms are left after the margin
    ddb
      .on(QueryCommand)
      .callsFake(() => new Promise((resolve) => setTimeout(() => resolve({ Items: [] }), 30)));

    // Act
    const { records, error } = await invoke(sweeper.SWEEP_DEADLINE_MARGIN_MS + 50);

    // Assess
    expect((error as Error).name).toBe('TimeoutError');
    expect(ddb.commandCalls(QueryCommand).length).toBeLessThan(192);
    expect(records).toEqual([expect.objectContaining({ level: 'ERROR', message: 'expiry sweep failed' })]);
  });

  it('sends nothing when no time is left beyond the margin', async () => {
    // Act
    const { error } = await invoke(sweeper.SWEEP_DEADLINE_MARGIN_MS);

    // Assess
    expect((error as Error).name).toBe('TimeoutError');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('refuses to start without TABLE_NAME, naming it', () => {
    // Act / Assess
    jest.isolateModules(() => {
      expect(() =>
        withEnv({ TABLE_NAME: ' ' }, () => require('../../lib/construct/sweeper/handler')),
      ).toThrow(/^TABLE_NAME: required/);
    });
  });
});
