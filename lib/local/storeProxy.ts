import { once } from 'node:events';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';

/** Operation name of an AWS JSON request, e.g. `GetItem` from `DynamoDB_20120810.GetItem`. */
export type Operation = string;

/**
 * What the proxy does instead of forwarding:
 * - `throttling`: 400 `ThrottlingException`; `provisioned`: 400 `ProvisionedThroughputExceededException`;
 * - `internal`: 500 `InternalServerError`;
 * - `hang`: reads the request and never answers (until the client gives up or the proxy closes);
 * - `reset`: drops the connection with a TCP reset, no answer;
 * - `drop-answer`: forwards the request, then resets the connection instead of passing the answer
 *   back: the store did the work and the client never hears of it (an answer lost to a timeout);
 * - `replicated-write-conflict`: 400 `ReplicatedWriteConflictException` (retryable in the SDK's
 *   model) to writes only: a multi-Region strongly consistent (MRSC) table's write that met a
 *   write to the same item in another Region. Every other operation is forwarded;
 * - `lost-quorum`: 500 `InternalServerError` to writes and to strongly consistent reads
 *   (`ConsistentRead: true`, or in any of a `BatchGetItem`'s tables): an MRSC Region cut off from
 *   the others serves only eventually consistent reads, which are forwarded. Which error AWS
 *   returns then was not verified offline: it is modelled as a 500 the SDK retries.
 *
 * Writes are `PutItem`, `UpdateItem`, `DeleteItem`, `BatchWriteItem` and `TransactWriteItems`.
 */
export type FaultKind =
  | 'throttling'
  | 'provisioned'
  | 'internal'
  | 'hang'
  | 'reset'
  | 'drop-answer'
  | 'replicated-write-conflict'
  | 'lost-quorum';

export interface Fault {
  kind: FaultKind;
  /**
   * Only the next `count` requests the fault answers; omitted, every one until `heal()`. A request
   * it lets through (another operation, or one its kind does not touch, such as a `lost-quorum`'s
   * eventually consistent read) is forwarded and does not count.
   */
  count?: number;
  /** Only requests for these operations; omitted, every operation (that its kind touches). */
  operations?: readonly Operation[];
}

interface Gate {
  operation: Operation;
  arrived: () => void;
  released: Promise<void>;
}

export interface CountingProxy {
  /** `http://127.0.0.1:<port>`: point `DYNAMODB_ENDPOINT` here. */
  endpoint: string;
  /** Operations seen since the last `reset()`, in arrival order, faulted ones included. */
  readonly operations: readonly Operation[];
  count(operation: Operation): number;
  /** Count of UpdateItem + PutItem + DeleteItem (+ batch/transact writes). */
  writes(): number;
  /** Forgets the operations seen so far (the fault, if any, stays). */
  reset(): void;
  /**
   * Holds the next request for `operation` at the proxy until `release()` is called.
   * `arrived` resolves once that request has reached the proxy.
   */
  hold(operation: Operation): { arrived: Promise<void>; release(): void };
  /** From now on, answers matching requests with `fault` instead of forwarding them (replaces any fault). */
  fault(fault: Fault): void;
  /** Forwards everything again. Requests already hanging stay hung until their client gives up. */
  heal(): void;
  /** Stops the proxy, dropping every connection (hung ones included). */
  close(): Promise<void>;
}

const WRITE_OPERATIONS = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);
/** The proxy keeps at most this many operation names (it is a test tool, not a log). */
const MAX_RECORDED = 10_000;
/** Requests larger than this are refused (session requests are a few KB). */
const MAX_BODY_BYTES = 1024 * 1024;

/** The error answers, as DynamoDB (and any AWS JSON service) sends them. */
const ERROR_ANSWERS = {
  throttling: { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' },
  provisioned: {
    status: 400,
    type: 'ProvisionedThroughputExceededException',
    message: 'The level of configured provisioned throughput for the table was exceeded.',
  },
  internal: { status: 500, type: 'InternalServerError', message: 'Internal server error' },
  'replicated-write-conflict': {
    status: 400,
    type: 'ReplicatedWriteConflictException',
    message: 'The request conflicted with a write to the same item in another Region.',
  },
  'lost-quorum': { status: 500, type: 'InternalServerError', message: 'Internal server error' },
} as const;

function operationOf(request: IncomingMessage): Operation {
  const header = request.headers['x-amz-target'];
  return (Array.isArray(header) ? header[0] : (header ?? 'unknown')).replace(/^.*\./, '');
}

/** Whether `body` asks for a strongly consistent read: `ConsistentRead: true`, at its top or for a batch's table. */
function isConsistentRead(body: Buffer): boolean {
  let request: { ConsistentRead?: unknown; RequestItems?: Record<string, { ConsistentRead?: unknown }> };
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch {
    return false;
  }
  if (request?.ConsistentRead === true) return true;
  return Object.values(request?.RequestItems ?? {}).some((table) => table?.ConsistentRead === true);
}

/** Whether a fault of `kind` answers this request; the ones it does not are forwarded. */
function touches(kind: FaultKind, operation: Operation, body: Buffer): boolean {
  if (kind === 'replicated-write-conflict') return WRITE_OPERATIONS.has(operation);
  if (kind === 'lost-quorum') return WRITE_OPERATIONS.has(operation) || isConsistentRead(body);
  return true;
}

/** Answers `response` as `kind` says; `hang` and `reset` send nothing. */
function answerWithFault(kind: Exclude<FaultKind, 'drop-answer'>, response: ServerResponse): void {
  if (kind === 'hang') return;
  if (kind === 'reset') {
    response.socket?.resetAndDestroy();
    return;
  }
  const { status, type, message } = ERROR_ANSWERS[kind];
  const body = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(body);
}

/**
 * A small HTTP proxy on 127.0.0.1 in front of `target` (dynalite, or any AWS JSON endpoint) that
 * records each request's `x-amz-target` operation, and can hold requests or answer them with a
 * fault instead of forwarding them. Counts are taken at the HTTP level, so they include the
 * SDK's retries, exactly what DynamoDB would bill.
 * @example
 * const proxy = await startCountingProxy(store.endpoint);
 * proxy.fault({ kind: 'throttling', count: 2 }); // the next two requests are throttled
 * proxy.fault({ kind: 'hang', operations: ['DeleteItem'] }); // every DeleteItem hangs until heal()
 * proxy.fault({ kind: 'lost-quorum' }); // writes and strongly consistent reads fail, the rest pass
 */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const targetUrl = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let operations: Operation[] = [];
  const gates: Gate[] = [];
  let fault: (Fault & { remaining: number }) | undefined;

  /** The fault for this request, if any, counting it against `count`. */
  function takeFault(operation: Operation, body: Buffer): FaultKind | undefined {
    if (fault === undefined || (fault.operations && !fault.operations.includes(operation))) return undefined;
    const { kind } = fault;
    if (!touches(kind, operation, body)) return undefined;
    if (--fault.remaining <= 0) fault = undefined;
    return kind;
  }

  const server = createServer(async (req, res) => {
    const operation = operationOf(req);
    if (operations.length < MAX_RECORDED) operations.push(operation);

    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413).end();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const gateIndex = gates.findIndex((gate) => gate.operation === operation);
    if (gateIndex >= 0) {
      const [gate] = gates.splice(gateIndex, 1);
      gate.arrived();
      await gate.released;
    }
    const body = Buffer.concat(chunks);
    const kind = takeFault(operation, body);
    if (kind !== undefined && kind !== 'drop-answer') {
      answerWithFault(kind, res);
      return;
    }
    const upstream = httpRequest(
      {
        host: targetUrl.hostname,
        port: targetUrl.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (upstreamRes) => {
        if (kind === 'drop-answer') {
          upstreamRes.resume();
          upstreamRes.on('end', () => res.socket?.resetAndDestroy());
          return;
        }
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    upstream.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    get operations() {
      return operations;
    },
    count: (operation) => operations.filter((seen) => seen === operation).length,
    writes: () => operations.filter((seen) => WRITE_OPERATIONS.has(seen)).length,
    reset() {
      operations = [];
    },
    hold(operation) {
      let arrived!: () => void;
      let release!: () => void;
      const arrivedPromise = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      gates.push({ operation, arrived, released });
      return { arrived: arrivedPromise, release };
    },
    fault(next) {
      if (next.count !== undefined && !(Number.isInteger(next.count) && next.count > 0)) {
        throw new TypeError(`fault count must be a positive whole number, got ${next.count}`);
      }
      fault = { ...next, remaining: next.count ?? Number.POSITIVE_INFINITY };
    },
    heal() {
      fault = undefined;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Every connection, busy ones too: a hung request must not keep the proxy (or Jest) alive.
        server.closeAllConnections();
        agent.destroy();
      });
    },
  };
}

/** An endpoint where nothing listens: a server is started on a free port, then closed. */
export async function deadEndpoint(): Promise<string> {
  const server = createNetServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  return `http://127.0.0.1:${port}`;
}
