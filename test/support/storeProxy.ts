import { once } from 'node:events';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer, type Socket } from 'node:net';

/** Operation name of a DynamoDB request, e.g. `GetItem` from `DynamoDB_20120810.GetItem`. */
export type Operation = string;

interface Gate {
  operation: Operation;
  arrived: () => void;
  released: Promise<void>;
}

export interface CountingProxy {
  /** `http://127.0.0.1:<port>`: point `DYNAMODB_ENDPOINT` here. */
  endpoint: string;
  /** Operations seen since the last `reset()`, in arrival order. */
  readonly operations: readonly Operation[];
  count(operation: Operation): number;
  /** Count of UpdateItem + PutItem + DeleteItem (+ batch/transact writes). */
  writes(): number;
  reset(): void;
  /**
   * Holds the next request for `operation` at the proxy until `release()` is called.
   * `arrived` resolves once that request has reached the proxy.
   */
  hold(operation: Operation): { arrived: Promise<void>; release(): void };
  /**
   * Answers the next `count` requests itself with a DynamoDB error instead of forwarding them
   * (they are still recorded): `throttling` (400 ThrottlingException) or `internal` (500).
   */
  failNext(count: number, kind: 'throttling' | 'internal'): void;
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

/**
 * A tiny HTTP proxy on 127.0.0.1 that forwards every request to `target` (dynalite) and records
 * each request's `x-amz-target` operation before forwarding it. Counts are taken at the HTTP
 * level, so they include the SDK's retries, exactly what DynamoDB would bill.
 */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const targetUrl = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let operations: Operation[] = [];
  const gates: Gate[] = [];
  let failures: { remaining: number; kind: 'throttling' | 'internal' } = { remaining: 0, kind: 'internal' };

  const server: Server = createServer(async (req: IncomingMessage, res) => {
    const header = req.headers['x-amz-target'];
    const operation = (Array.isArray(header) ? header[0] : (header ?? 'unknown')).replace(/^.*\./, '');
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
    if (failures.remaining > 0) {
      failures.remaining--;
      const throttling = failures.kind === 'throttling';
      const body = JSON.stringify({
        __type: `com.amazonaws.dynamodb.v20120810#${throttling ? 'ThrottlingException' : 'InternalServerError'}`,
        message: throttling ? 'Rate exceeded' : 'Internal server error',
      });
      res.writeHead(throttling ? 400 : 500, { 'content-type': 'application/x-amz-json-1.0' }).end(body);
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
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    upstream.end(Buffer.concat(chunks));
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
    failNext(count, kind) {
      failures = { remaining: count, kind };
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      });
    },
  };
}

/** A server that accepts connections and never answers: DynamoDB hanging. Close it in afterAll. */
export async function startHungServer(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.resume(); // read and drop the request
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
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
