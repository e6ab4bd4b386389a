import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, MAX_ATTEMPTS, REQUEST_TIMEOUT_MS } from '../../lambda/session/documentClient';
import type { FaultKind } from '../../lib/local/storeProxy';
import { useStore } from '../support/store';
import { getItem, TABLE } from '../support/table';

// The SDK client the handlers use (lambda/session/documentClient.ts), against injected faults:
// bounded attempts, each bounded in time, so every call ends well inside the Lambda timeout (15 s, lib/SessionsStack.ts).
const db = useStore();
const { proxy } = db;

/** A fresh client per test: the SDK's retry quota is per client, and a test must not drain another's. */
function read(id = 'no-such-session') {
  const client = createDocumentClient({ endpoint: proxy.endpoint });
  return client
    .send(new GetCommand({ TableName: TABLE, Key: { id }, ConsistentRead: true }))
    .finally(() => client.destroy());
}

/** The call's error (or undefined) and how long it took, in milliseconds. */
async function timed(call: Promise<unknown>): Promise<{ error: Error | undefined; ms: number }> {
  const started = performance.now();
  const error = await call.then(
    () => undefined,
    (caught: Error) => caught,
  );
  return { error, ms: performance.now() - started };
}

const ERROR_NAMES: Record<Exclude<FaultKind, 'drop-answer'>, RegExp> = {
  throttling: /^ThrottlingException$/,
  provisioned: /^ProvisionedThroughputExceededException$/,
  internal: /^InternalServerError$/,
  reset: /^Error$/, // Node's "socket hang up" / ECONNRESET
  hang: /^TimeoutError$/,
};

describe('the handlers’ DynamoDB client under injected faults', () => {
  test.each(['throttling', 'provisioned', 'internal', 'reset', 'hang'] as const)(
    'absorbs two %s answers in a row: the third attempt succeeds',
    async (kind) => {
      proxy.fault({ kind, count: 2 });
      const { error } = await timed(read());
      expect(error).toBeUndefined();
      expect(proxy.operations).toEqual(['GetItem', 'GetItem', 'GetItem']);
    },
  );

  test.each(['throttling', 'provisioned', 'internal', 'reset'] as const)(
    'gives up on a persistent %s after exactly three attempts, within seconds',
    async (kind) => {
      proxy.fault({ kind });
      const { error, ms } = await timed(read());
      expect(error?.name).toMatch(ERROR_NAMES[kind]);
      expect(proxy.operations).toEqual(['GetItem', 'GetItem', 'GetItem']);
      expect(ms).toBeLessThan(5000);
    },
  );

  test('ends a hanging call: each attempt times out after 1 s, three attempts, then a TimeoutError', async () => {
    proxy.fault({ kind: 'hang' });
    const { error, ms } = await timed(read());
    expect(error?.name).toMatch(ERROR_NAMES.hang);
    expect(proxy.operations).toEqual(['GetItem', 'GetItem', 'GetItem']);
    // Each attempt really waited for its timeout (no early give-up), and none waited much longer.
    expect(ms).toBeGreaterThanOrEqual(MAX_ATTEMPTS * REQUEST_TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(5000);
  });

  test('a write whose answer is lost was still applied (what SessionStore.create must expect)', async () => {
    const client = createDocumentClient({ endpoint: proxy.endpoint });
    proxy.fault({ kind: 'drop-answer', count: 1, operations: ['PutItem'] });
    await client.send(new PutCommand({ TableName: TABLE, Item: { id: 'lost-answer', n: 1 } }));
    client.destroy();
    expect(proxy.operations).toEqual(['PutItem', 'PutItem']); // the SDK retried it
    expect(await getItem(db, 'lost-answer')).toEqual({ id: 'lost-answer', n: 1 });
  });

  test('a long outage drains the retry quota: later calls fail at once instead of tripling the load', async () => {
    const client = createDocumentClient({ endpoint: proxy.endpoint });
    proxy.fault({ kind: 'internal' });
    const calls = 40;
    for (let call = 0; call < calls; call++) {
      await expect(
        client.send(new GetCommand({ TableName: TABLE, Key: { id: 'x' }, ConsistentRead: true })),
      ).rejects.toThrow();
    }
    const attempts = proxy.count('GetItem');
    expect(attempts).toBeGreaterThanOrEqual(calls);
    expect(attempts).toBeLessThan(calls * MAX_ATTEMPTS);
    // Once the store answers again, calls succeed at the first attempt.
    proxy.heal();
    proxy.reset();
    await client.send(new GetCommand({ TableName: TABLE, Key: { id: 'x' }, ConsistentRead: true }));
    expect(proxy.operations).toEqual(['GetItem']);
    client.destroy();
  });
});
