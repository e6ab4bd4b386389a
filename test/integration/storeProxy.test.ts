import { request } from 'node:http';
import { startCountingProxy } from '../../lib/local/storeProxy';
import { useStore } from '../support/store';

// The fault-injecting proxy itself: the other suites trust what it says it does.
const db = useStore();

/** One raw DynamoDB-style request for `operation`; resolves with the status, or the socket error's code. */
function call(endpoint: string, operation: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(`${endpoint}/`, {
      method: 'POST',
      agent: false,
      headers: {
        'x-amz-target': `DynamoDB_20120810.${operation}`,
        'content-type': 'application/x-amz-json-1.0',
      },
    });
    req.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end('{}');
  });
}

describe('the store proxy', () => {
  test('a counted fault hits only the next N matching requests, then it forwards again', async () => {
    const proxy = await startCountingProxy(db.endpoint);
    proxy.fault({ kind: 'internal', count: 2, operations: ['GetItem'] });
    const statuses = [
      await call(proxy.endpoint, 'ListTables'),
      await call(proxy.endpoint, 'GetItem'),
      await call(proxy.endpoint, 'GetItem'),
      await call(proxy.endpoint, 'GetItem'),
    ];
    // 400: dynalite's answer to an unsigned, empty request, i.e. forwarded.
    expect(statuses).toEqual([400, 500, 500, 400]);
    expect(proxy.operations).toEqual(['ListTables', 'GetItem', 'GetItem', 'GetItem']);
    await proxy.close();
  });

  test('each kind answers as DynamoDB would, until heal()', async () => {
    const proxy = await startCountingProxy(db.endpoint);
    const seen: Array<number | string> = [];
    for (const kind of ['throttling', 'provisioned', 'internal', 'reset'] as const) {
      proxy.fault({ kind });
      seen.push(await call(proxy.endpoint, 'GetItem'));
    }
    proxy.heal();
    seen.push(await call(proxy.endpoint, 'GetItem'));
    expect(seen).toEqual([400, 400, 500, 'ECONNRESET', 400]);
    expect(() => proxy.fault({ kind: 'internal', count: 0 })).toThrow(TypeError);
    await proxy.close();
  });

  test('close() ends hung requests at once: no socket outlives the proxy', async () => {
    const proxy = await startCountingProxy(db.endpoint);
    proxy.fault({ kind: 'hang' });
    const hung = [call(proxy.endpoint, 'GetItem'), call(proxy.endpoint, 'PutItem')];
    while (proxy.operations.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    // The hung requests never end by themselves (no answer, and these clients set no timeout), so a
    // close() that waited for them would never resolve: resolving at all is the property. The deadline
    // only turns that "never" into a clear failure; it is far above any real close, even on a busy machine.
    const deadline = 10_000;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      proxy.close().then(() => 'closed'),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve(`still waiting after ${deadline} ms`), deadline);
      }),
    ]).finally(() => clearTimeout(timer));
    expect(outcome).toBe('closed');
    // ...and it ended them itself: each client sees its connection reset, not an answer.
    expect(await Promise.all(hung)).toEqual(['ECONNRESET', 'ECONNRESET']);
  }, 30_000);
});
