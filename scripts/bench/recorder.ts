import type { CountingProxy } from '../../lib/local/storeProxy';
import { type Summary, summarize } from './stats';

/** DynamoDB operations reported per request type; anything else is counted as `other`. */
export const OPERATION_KINDS = ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'other'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

/** One request type's latency and DynamoDB operations over the recorded requests. */
export interface RequestSummary {
  requests: number;
  /** Microseconds, from the call to the resolved result. */
  latencyUs: Summary;
  /** Mean DynamoDB operations per request, counted at the HTTP level by the proxy. */
  operationsPerRequest: Record<OperationKind, number>;
  writesPerRequest: number;
}

/**
 * Times calls and counts the DynamoDB operations each one made at the counting proxy, per request
 * type, while `recording` (warm-up calls are measured, so they can be checked, but not kept).
 * Calls must not overlap: the proxy's count is reset before each one.
 * @example
 * const recorder = new RequestRecorder(proxy);
 * const { result, operations } = await recorder.measure('loggedInIndex', () => handler(event));
 */
export class RequestRecorder {
  recording = false;
  private readonly samples = new Map<string, number[]>();
  private readonly operations = new Map<string, Map<string, number>>();

  constructor(private readonly proxy: CountingProxy) {}

  async measure<T>(type: string, call: () => Promise<T>): Promise<{ result: T; operations: string[] }> {
    this.proxy.reset();
    const started = process.hrtime.bigint();
    const result = await call();
    const micros = Number(process.hrtime.bigint() - started) / 1000;
    const operations = [...this.proxy.operations];
    if (this.recording) {
      const samples = this.samples.get(type) ?? [];
      samples.push(micros);
      this.samples.set(type, samples);
      const counts = this.operations.get(type) ?? new Map<string, number>();
      for (const operation of operations) counts.set(operation, (counts.get(operation) ?? 0) + 1);
      this.operations.set(type, counts);
    }
    return { result, operations };
  }

  /** Latencies in µs in the order measured: requests measured together have the same index. */
  samplesOf(type: string): readonly number[] {
    return this.samples.get(type) ?? [];
  }

  summary(type: string): RequestSummary {
    const samples = this.samples.get(type) ?? [];
    const counts = this.operations.get(type) ?? new Map<string, number>();
    const perRequest = (count: number) => (samples.length === 0 ? 0 : count / samples.length);
    const operationsPerRequest = Object.fromEntries(OPERATION_KINDS.map((kind) => [kind, 0])) as Record<
      OperationKind,
      number
    >;
    let writes = 0;
    for (const [operation, count] of counts) {
      const kind = (OPERATION_KINDS as readonly string[]).includes(operation)
        ? (operation as OperationKind)
        : 'other';
      operationsPerRequest[kind] += perRequest(count);
      if (WRITES.has(operation)) writes += count;
    }
    return {
      requests: samples.length,
      latencyUs: summarize(samples),
      operationsPerRequest,
      writesPerRequest: perRequest(writes),
    };
  }
}
