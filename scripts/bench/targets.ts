import { FUNCTION_NAMES } from '../../lambda/contract';
import type { ColdStartResult } from './coldStart';
import type { FlowBenchResult, OperationKind, RequestType, RequestTypeResult } from './flows';
import { OPERATION_KINDS } from './flows';
import type { RatioInterval } from './stats';

/** The targets (#5). A miss is reported, never fatal: timings come from a shared machine. */
export const TARGETS = {
  /** Logged-in `GET /` over the raw GetItem, with the request's log line written. */
  loggedInVsFloor: 1.15,
  writesPerLoggedInGet: 0.05,
  /** 600 KB, counted in KiB. */
  bundleBytes: 600 * 1024,
  /** Ours over the peer's (Express + express-session + connect-dynamodb): logged-in `GET /` median. */
  loggedInVsPeer: 0.4,
  /** Our largest function bundle over the peer's bundle (both SDK bundled, as deployed). */
  bundleVsPeer: 0.3,
  /** Our slowest-loading function over the peer's, cold `require` in a fresh process. */
  loadVsPeer: 0.45,
} as const;

export interface TargetResult {
  name: string;
  target: string;
  measured: string;
  pass: boolean;
}

/** `0.013` → `0.013`, `1` → `1`: enough digits to show a rare write. */
export function formatCount(value: number): string {
  return String(Number(value.toFixed(3)));
}

/** Mean operations per request as text, e.g. `1 GetItem + 0.01 UpdateItem`, or `0`. */
export function formatOperations(operations: Record<OperationKind, number>): string {
  const parts = OPERATION_KINDS.filter((kind) => operations[kind] > 0).map(
    (kind) => `${formatCount(operations[kind])} ${kind}`,
  );
  return parts.length === 0 ? '0' : parts.join(' + ');
}

/** `0.412× (a / b µs; 95% interval 0.401–0.425)` */
export function formatRatio(interval: RatioInterval, detail: string): string {
  const { ratio, low, high, confidence } = interval;
  return `${ratio.toFixed(3)}× (${detail}; ${Math.round(confidence * 100)}% interval ${low.toFixed(3)}–${high.toFixed(3)})`;
}

function byType(flows: FlowBenchResult, type: RequestType): RequestTypeResult {
  const result = flows.requestTypes.find((candidate) => candidate.type === type);
  if (!result) throw new Error(`no results for ${type}`);
  return result;
}

function operationsTarget(
  result: RequestTypeResult,
  target: string,
  holds: (operations: Record<OperationKind, number>) => boolean,
): TargetResult {
  return {
    name: `${result.label}: DynamoDB operations`,
    target,
    measured: formatOperations(result.operationsPerRequest),
    pass: holds(result.operationsPerRequest),
  };
}

/**
 * Every target of the issue with its measured value and PASS/MISS.
 * @example evaluateTargets(flows, coldStart).filter((target) => !target.pass)
 */
export function evaluateTargets(
  flows: FlowBenchResult,
  coldStart: ColdStartResult | undefined,
): TargetResult[] {
  const loggedIn = byType(flows, 'loggedInIndex');
  const floor = byType(flows, 'floor');
  const ops = loggedIn.operationsPerRequest;
  const results: TargetResult[] = [
    {
      name: 'GET / logged in, log line written: median vs raw GetItem floor',
      target: `≤ ${TARGETS.loggedInVsFloor}×`,
      measured: formatRatio(
        flows.floorRatio,
        `${Math.round(loggedIn.latencyUs.median)} / ${Math.round(floor.latencyUs.median)} µs`,
      ),
      pass: flows.floorRatio.ratio <= TARGETS.loggedInVsFloor,
    },
    {
      name: 'GET / logged in: reads and writes per request',
      target: `1 GetItem, ≤ ${TARGETS.writesPerLoggedInGet} writes`,
      measured: `${formatCount(ops.GetItem)} GetItem, ${formatCount(loggedIn.writesPerRequest)} writes`,
      pass: ops.GetItem === 1 && loggedIn.writesPerRequest <= TARGETS.writesPerLoggedInGet,
    },
    operationsTarget(byType(flows, 'badSignature'), '0', (o) =>
      OPERATION_KINDS.every((kind) => o[kind] === 0),
    ),
    operationsTarget(
      byType(flows, 'login'),
      '1 PutItem',
      (o) => o.PutItem === 1 && o.GetItem + o.UpdateItem + o.DeleteItem + o.Query + o.other === 0,
    ),
    operationsTarget(
      byType(flows, 'loginReplacing'),
      '1 PutItem + 1 DeleteItem',
      (o) => o.PutItem === 1 && o.DeleteItem === 1 && o.GetItem + o.UpdateItem + o.Query + o.other === 0,
    ),
    operationsTarget(
      byType(flows, 'logout'),
      '1 DeleteItem',
      (o) => o.DeleteItem === 1 && o.GetItem + o.PutItem + o.UpdateItem + o.Query + o.other === 0,
    ),
    operationsTarget(
      byType(flows, 'sessionsPage'),
      '1 GetItem + 1 Query',
      (o) => o.GetItem === 1 && o.Query === 1 && o.PutItem + o.UpdateItem + o.DeleteItem + o.other === 0,
    ),
    operationsTarget(
      byType(flows, 'revoke'),
      '1 GetItem + 1 Query + 1 DeleteItem',
      (o) =>
        o.GetItem === 1 && o.Query === 1 && o.DeleteItem === 1 && o.PutItem + o.UpdateItem + o.other === 0,
    ),
    operationsTarget(
      byType(flows, 'afterLogout'),
      '≤ 1 GetItem, no write',
      (o) => o.GetItem <= 1 && o.PutItem + o.UpdateItem + o.DeleteItem + o.Query + o.other === 0,
    ),
  ];
  const peer = flows.companion;
  const peerLoggedIn = peer?.requestTypes.find((type) => type.type === 'loggedInIndex');
  if (peer && peerLoggedIn) {
    results.splice(1, 0, {
      name: 'GET / logged in: median, ours vs peer (paired)',
      target: `≤ ${TARGETS.loggedInVsPeer}×`,
      measured: formatRatio(
        peer.loggedInRatio,
        `${Math.round(loggedIn.latencyUs.median)} / ${Math.round(peerLoggedIn.latencyUs.median)} µs`,
      ),
      pass: peer.loggedInRatio.ratio <= TARGETS.loggedInVsPeer,
    });
  }
  return coldStart === undefined ? results : [...results, ...coldStartTargets(coldStart)];
}

/**
 * The bundle targets: each function's size, and ours against the peer's on the deployed bundles.
 * @example coldStartTargets(coldStart).filter((target) => !target.pass)
 */
export function coldStartTargets(coldStart: ColdStartResult): TargetResult[] {
  const results: TargetResult[] = [];
  const entry = (name: string) => coldStart.entries.find((candidate) => candidate.name === name);
  for (const name of FUNCTION_NAMES) {
    const bundled = entry(name)?.sdk.bundled;
    if (bundled === undefined) continue;
    results.push({
      name: `${name}: bundle (SDK bundled)`,
      target: `≤ ${TARGETS.bundleBytes / 1024} KB`,
      measured: `${(bundled.bytes / 1024).toFixed(1)} KB`,
      pass: bundled.bytes <= TARGETS.bundleBytes,
    });
  }
  const peerBundle = entry('peer')?.sdk.bundled;
  const { largest, bytesRatio, slowest, loadRatio } = coldStart.peerComparison;
  const largestBytes = entry(largest)?.sdk.bundled.bytes ?? Number.NaN;
  const slowestMs = entry(slowest)?.sdk.bundled.loadMs.median ?? Number.NaN;
  results.push(
    {
      name: `bundle bytes: ours (largest, ${largest}) vs peer`,
      target: `≤ ${TARGETS.bundleVsPeer}×`,
      measured: `${bytesRatio.toFixed(3)}× (${(largestBytes / 1024).toFixed(1)} / ${((peerBundle?.bytes ?? Number.NaN) / 1024).toFixed(1)} KB)`,
      pass: bytesRatio <= TARGETS.bundleVsPeer,
    },
    {
      name: `load time: ours (slowest, ${slowest}) vs peer`,
      target: `≤ ${TARGETS.loadVsPeer}×`,
      measured: formatRatio(
        loadRatio,
        `${slowestMs.toFixed(1)} / ${(peerBundle?.loadMs.median ?? Number.NaN).toFixed(1)} ms`,
      ),
      pass: loadRatio.ratio <= TARGETS.loadVsPeer,
    },
  );
  return results;
}
