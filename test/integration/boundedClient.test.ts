import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { MAX_ATTEMPTS, REQUEST_TIMEOUT_MS } from '../../lambda/session/src/clientConfig';
import { createDocumentClient } from '../../lambda/session/src/store/documentClient';
import type { FaultKind } from '../../lib/local/storeProxy';
import { useStore } from '../support/store';
import { getItem, TABLE } from '../support/table';

// The SDK client the handlers use (lambda/session/documentClient.ts), against injected faults:
// bounded attempts, each bounded in time, so every call ends well inside the Lambda timeout (15 s, lib/SessionsStack.ts).
// What is asserted is the mechanism (the attempts the proxy saw, the error, each attempt waiting out its
// timeout), not a speed: the only upper bound is the Lambda timeout itself, which a bounded client on a
// busy shared machine is still far inside (about 3.6 s at worst). `npm run bench` measures speed.
const db = useStore();
/** The deployed functions' timeout (lib/SessionsStack.ts): a call that outlived it would end in a Lambda timeout, not a 503. */
const LAMBDA_TIMEOUT_MS = 15_000;
/** Jest's limit for the slow tests here: well above the Lambda timeout, so the assertion, not Jest, reports a hung call. */
const SLOW_TEST_MS = 60_000;
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
  'replicated-write-conflict': /^ReplicatedWriteConflictException$/, // writes only
  'lost-quorum': /^InternalServerError$/, // writes and strongly consistent reads only
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
    SLOW_TEST_MS,
  );

  test.each(['throttling', 'provisioned', 'internal', 'reset'] as const)(
    'gives up on a persistent %s after exactly three attempts, inside the Lambda timeout',
    async (kind) => {
      proxy.fault({ kind });
      const { error, ms } = await timed(read());
      expect(error?.name).toMatch(ERROR_NAMES[kind]);
      expect(proxy.operations).toEqual(Array(MAX_ATTEMPTS).fill('GetItem'));
      expect(ms).toBeLessThan(LAMBDA_TIMEOUT_MS);
    },
    SLOW_TEST_MS,
  );

  test(
    'ends a hanging call: each attempt times out after 1 s, three attempts, then a TimeoutError',
    async () => {
      proxy.fault({ kind: 'hang' });
      const { error, ms } = await timed(read());
      // The store never answers: only the client's own per-attempt timeout can end the call at all.
      expect(error?.name).toMatch(ERROR_NAMES.hang);
      expect(proxy.operations).toEqual(Array(MAX_ATTEMPTS).fill('GetItem'));
      // Each attempt really waited for its timeout (no early give-up; a lower bound, safe on a busy
      // machine), and the whole call still ended inside the Lambda timeout.
      expect(ms).toBeGreaterThanOrEqual(MAX_ATTEMPTS * REQUEST_TIMEOUT_MS - 50);
      expect(ms).toBeLessThan(LAMBDA_TIMEOUT_MS);
    },
    SLOW_TEST_MS,
  );

  test('a write whose answer is lost was still applied (what SessionStore.create must expect)', async () => {
    const client = createDocumentClient({ endpoint: proxy.endpoint });
    proxy.fault({ kind: 'drop-answer', count: 1, operations: ['PutItem'] });
    await client.send(new PutCommand({ TableName: TABLE, Item: { id: 'lost-answer', n: 1 } }));
    client.destroy();
    expect(proxy.operations).toEqual(['PutItem', 'PutItem']); // the SDK retried it
    expect(await getItem(db, 'lost-answer')).toEqual({ id: 'lost-answer', n: 1 });
  });

  test(
    'a long outage drains the retry quota: later calls fail at once instead of tripling the load',
    async () => {
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
    },
    SLOW_TEST_MS,
  );
});
