import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { ColdStartResult } from './coldStart';
import { RESULTS_FOLDER } from './constants';
import type { CpuProfileResult } from './cpuProfile';
import { type FlowBenchResult, HANDLER_REQUESTS_PER_FLOW, OPERATION_KINDS, type RequestType } from './flows';
import type { BenchOptions } from './options';
import type { RequestSummary } from './recorder';
import type { RefreshBenchResult } from './refresh';
import type { SealingBenchResult } from './sealing';
import type { RatioInterval } from './stats';
import { formatCount, formatOperations, formatRatio, type TargetResult } from './targets';

/** Everything one run measured: printed as tables and written as JSON. */
export interface BenchResult {
  startedAt: string;
  options: Omit<BenchOptions, 'help'>;
  machine: {
    node: string;
    platform: string;
    arch: string;
    cpus: number;
    cpuModel: string;
    loadAverage: number[];
  };
  flows: FlowBenchResult;
  refresh: RefreshBenchResult;
  sealing: SealingBenchResult;
  coldStart: ColdStartResult;
  /** With `--cpu-profile`: where a logged-in `GET /` spends its CPU time, next to the floor read. */
  cpuProfile?: CpuProfileResult;
  /** Wall-clock time of the whole run. */
  durationSeconds: number;
  /** Peak resident set size of the bench process (handlers, dynalite and the proxy in one process). */
  peakRssMb: number;
  targets: TargetResult[];
}

/**
 * Aligned columns: text columns (the first, unless told otherwise) left-aligned, the others
 * right-aligned.
 * @example table(['type', 'n'], [['GET /', '300']])
 */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  textColumns: readonly number[] = [0],
): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        textColumns.includes(column) ? cell.padEnd(widths[column]) : cell.padStart(widths[column]),
      )
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

const kb = (bytes: number) => (bytes / 1024).toFixed(1);
const us = (micros: number) => String(Math.round(micros));

const interval = ({ low, high, confidence }: RatioInterval) =>
  `${Math.round(confidence * 100)}% interval ${low.toFixed(3)}–${high.toFixed(3)}`;

/** The flows: one row per request type of ours, the floor included. */
function flowSection(flows: FlowBenchResult): string {
  const requestsPerFlow = HANDLER_REQUESTS_PER_FLOW + flows.k;
  const companion = flows.companion ? ', and the peer’s logged-in GET /' : '';
  return [
    `Flows: ${flows.flows} timed (+${flows.warmupFlows} warm-up), ${requestsPerFlow} handler requests each ` +
      `(K = ${flows.k} logged-in GET /); each logged-in GET / measured next to one raw GetItem floor read, ` +
      `the same page with no log line${companion}, in rotating order`,
    `  ${flows.flowsPerSecond.toFixed(1)} flows/s wall clock (everything included, ${(flows.elapsedMs / 1000).toFixed(2)} s); ` +
      `${flows.handlerFlowsPerSecond.toFixed(1)} flows/s of our handlers' time alone`,
    '',
    table(
      ['request type', 'n', 'median µs', 'p99 µs', ...OPERATION_KINDS, 'writes'],
      flows.requestTypes.map((type) => [
        type.label,
        String(type.requests),
        us(type.latencyUs.median),
        us(type.latencyUs.p99),
        ...OPERATION_KINDS.map((kind) => formatCount(type.operationsPerRequest[kind])),
        formatCount(type.writesPerRequest),
      ]),
    ),
    '  (DynamoDB operations: mean per request, counted at the HTTP level by the proxy)',
  ].join('\n');
}

/** The floor ratio both ways: the line written (the target's) and not produced at all. */
function floorSection(flows: FlowBenchResult): string {
  const median = (type: RequestType) =>
    flows.requestTypes.find((candidate) => candidate.type === type)?.latencyUs.median ?? Number.NaN;
  const written = median('loggedInIndex');
  const silent = median('loggedInIndexNoLogLine');
  const floor = median('floor');
  const { output } = flows;
  return [
    'Logged-in GET / over the raw GetItem floor (median over median; the interval resamples each page with the floor read made next to it)',
    `  log line written (${output.file}, one synchronous write per line, as Lambda's stdout pipe): ` +
      formatRatio(flows.floorRatio, `${us(written)} / ${us(floor)} µs`),
    '  no log line (the index handler with its logger at ERROR):                     ' +
      formatRatio(flows.floorRatioWithoutLogLine, `${us(silent)} / ${us(floor)} µs`),
    '  on Middy with the session middleware, no log line (information):           ' +
      formatRatio(
        flows.middyRatio,
        `${us(median('loggedInIndexOnMiddy'))} / ${us(silent)} µs, over ours without the line`,
      ),
    `  the line costs about ${us(written - silent)} µs per request here (difference of medians); timed in the handler, ` +
      `building and writing it takes ${us(flows.indexLineMedianUs)} µs, its write(2) ${us(output.writeMedianUs)} µs (medians). ` +
      `The file holds ${output.requestLogLines} per-request lines (${output.lines} lines, ${kb(output.bytes)} KB, ` +
      `${output.stderrLines} on stderr): one per handler request at INFO, none from the ERROR-level one.`,
  ].join('\n');
}

/** Ours and the peer, request by request, from the same flows. */
function peerSection(flows: FlowBenchResult): string | undefined {
  const peer = flows.companion;
  if (!peer) return undefined;
  const ours = (type: RequestType) => flows.requestTypes.find((candidate) => candidate.type === type);
  const theirs = (type: string) => peer.requestTypes.find((candidate) => candidate.type === type);
  const rows: [string, RequestSummary | undefined, RequestSummary | undefined][] = [
    ['POST /login', ours('login'), theirs('login')],
    ['GET / logged in', ours('loggedInIndex'), theirs('loggedInIndex')],
    ['GET /logout', ours('logout'), theirs('logout')],
    ['GET / after logout', ours('afterLogout'), theirs('afterLogout')],
  ];
  return [
    `Side by side with the peer: ${peer.name}`,
    '  (same run, same dynalite and counting proxy; one peer flow per flow of ours, its logged-in GET / next to each of ours)',
    '',
    table(
      [
        'request',
        'ours median µs',
        'peer median µs',
        'ours / peer',
        'peer p99 µs',
        'ours: DynamoDB operations',
        'peer: DynamoDB operations',
      ],
      rows.map(([label, mine, other]) => [
        label,
        mine ? us(mine.latencyUs.median) : '',
        other ? us(other.latencyUs.median) : '',
        mine && other ? (mine.latencyUs.median / other.latencyUs.median).toFixed(2) : '',
        other ? us(other.latencyUs.p99) : '',
        mine ? formatOperations(mine.operationsPerRequest) : '',
        other ? formatOperations(other.operationsPerRequest) : '',
      ]),
    ),
    `  logged-in GET /, paired: ${formatRatio(peer.loggedInRatio, 'ours / peer')}`,
    '  (peer: express-session touches the session on every request that carries one, connect-dynamodb writes',
    '   it with UpdateItem; its login regenerates the session (deleting the old id) and saves it as its README',
    '   shows, and express-session saves it again as the response ends)',
  ].join('\n');
}

function refreshSection(refresh: RefreshBenchResult): string {
  return [
    `Sliding refresh: one user views GET / every N s for ${refresh.browsingMinutes} min of simulated time ` +
      `(default settings: idle timeout ${refresh.idleTimeoutSeconds / 60} min, refresh at most every ` +
      `${refresh.refreshEverySeconds / 60} min)`,
    '',
    table(
      ['a view every', 'views', 'writes', 'writes per view'],
      refresh.rows.map((row) => [
        `${row.thinkSeconds} s`,
        String(row.pageViews),
        String(row.writes),
        formatCount(row.writesPerView),
      ]),
    ),
    '  (every view still logged in, one GetItem each; the timed flows above last seconds, so they never refresh)',
  ].join('\n');
}

function sealingSection(sealing: SealingBenchResult): string {
  const decimal = (micros: number) => micros.toFixed(1);
  return [
    `Sealing: what it adds to a logged-in page view, in tight loops of ${sealing.iterations} (median of ${sealing.rounds} rounds, no store)`,
    `  ${decimal(sealing.addedPerViewUs)} µs per page view: deriving the session's keys from its token and opening the ` +
      `one stored value take ${decimal(sealing.openUs)} µs, less the item key's SHA-256 (${decimal(sealing.itemKeyUs)} µs) ` +
      'that a page view computed before',
    `  sealing the username at a login: ${decimal(sealing.sealUs)} µs (keys and one value)`,
  ].join('\n');
}

/** `mime-types@3.0.2 (×3), cookie@0.7.2 (×1)`, or `none`. */
function mergedCopies(coldStart: ColdStartResult): string {
  const counts = new Map<string, number>();
  for (const copy of coldStart.peerMergedCopies)
    counts.set(copy.package, (counts.get(copy.package) ?? 0) + 1);
  if (counts.size === 0) return 'none';
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([name, count]) => `${name} (×${count})`)
    .join(', ');
}

function coldStartSection(coldStart: ColdStartResult): string {
  const peer = coldStart.entries.find((entry) => entry.name === 'peer');
  const versusPeer = (value: number, base: number | undefined) =>
    base === undefined ? '' : (value / base).toFixed(2);
  const { largest, bytesRatio, slowest, loadRatio } = coldStart.peerComparison;
  return [
    `Cold start: each bundled as lib/bundling.ts (esbuild), loaded with NODE_OPTIONS=${coldStart.nodeOptions} ` +
      `in ${coldStart.runs} fresh node processes, round-robin (median; node's own start excluded)`,
    '',
    table(
      [
        'bundle',
        'KB',
        '× peer',
        '.map KB',
        'load ms',
        '× peer',
        'p99 ms',
        'RSS MB',
        'KB (SDK ext.)',
        'load ms (SDK ext.)',
      ],
      coldStart.entries.map((entry) => {
        const { bundled, external } = entry.sdk;
        return [
          entry.label,
          kb(bundled.bytes),
          versusPeer(bundled.bytes, peer?.sdk.bundled.bytes),
          kb(bundled.mapBytes),
          bundled.loadMs.median.toFixed(1),
          versusPeer(bundled.loadMs.median, peer?.sdk.bundled.loadMs.median),
          bundled.loadMs.p99.toFixed(1),
          bundled.rssMb.toFixed(1),
          kb(external.bytes),
          external.loadMs.median.toFixed(1),
        ];
      }),
    ),
    '  (KB = 1024 bytes; SDK bundled is what deploys; SDK ext.: @aws-sdk/* and @smithy/* left to the runtime,',
    '   loaded from node_modules. "DynamoDB client only" is what every bundle here loads: information, no target)',
    `  the peer is bundled with one copy of each package name@version, as a project of its own installs them; ` +
      `extra copies nested in this repository, merged: ${mergedCopies(coldStart)}`,
    `  ours vs peer: largest bundle (${largest}) ${bytesRatio.toFixed(3)}×; slowest load (${slowest}) ` +
      `${loadRatio.ratio.toFixed(3)}× (${interval(loadRatio)}, each run's two loads paired)`,
    `  index (SDK bundled) without ${coldStart.nodeOptions}: ${coldStart.indexWithoutSourceMaps.loadMs.median.toFixed(1)} ms ` +
      `(p99 ${coldStart.indexWithoutSourceMaps.loadMs.p99.toFixed(1)} ms): the cost of reading the source map at load`,
    `  index (SDK bundled) built from the packages' CommonJS builds (esbuild's default main fields): ` +
      `${kb(coldStart.indexCommonJsBuilds.bytes)} KB, ${coldStart.indexCommonJsBuilds.loadMs.median.toFixed(1)} ms: ` +
      'what mainFields module,main saves',
  ].join('\n');
}

function profileSection(profile: CpuProfileResult): string {
  return [
    `CPU profile: ${profile.requests} logged-in GET / (${us(profile.pageWallUs)} µs each), each next to one floor read ` +
      `(${us(profile.floorWallUs)} µs each); V8 sampling every ${profile.samplingIntervalUs} µs, each sample assigned ` +
      'to the call it fell in. Everything runs in this process: the store (dynalite) and the proxy are in it too.',
    `  file: ${profile.file} (open in Chrome DevTools or VS Code)`,
    '',
    'Top self time in the logged-in GET / requests',
    '',
    table(
      ['function', 'µs / request', '%', 'area', 'location'],
      profile.top.map((entry) => [
        entry.functionName.slice(0, 40),
        entry.selfUsPerRequest.toFixed(1),
        entry.percent.toFixed(1),
        entry.area,
        entry.location,
      ]),
      [0, 3, 4],
    ),
    '',
    'Self time per request by area: where the page spends more than the floor read (largest first)',
    '',
    table(
      ['area', 'page µs', 'floor µs', 'page − floor µs'],
      profile.areas
        .filter((area) => Math.max(area.pageUsPerRequest, area.floorUsPerRequest) >= 5)
        .map((area) => [
          area.area,
          area.pageUsPerRequest.toFixed(1),
          area.floorUsPerRequest.toFixed(1),
          (area.pageUsPerRequest - area.floorUsPerRequest).toFixed(1),
        ]),
    ),
    '  (areas under 5 µs per request on both sides left out; the full profile is in the file)',
  ].join('\n');
}

/** The tables a person reads at the end of `npm run bench`. */
export function formatReport(result: BenchResult): string {
  const { flows, coldStart } = result;
  const sections = [
    flowSection(flows),
    floorSection(flows),
    peerSection(flows),
    refreshSection(result.refresh),
    sealingSection(result.sealing),
    coldStartSection(coldStart),
    result.cpuProfile ? profileSection(result.cpuProfile) : undefined,
    [
      `Peak RSS of the bench process (handlers, peer, dynalite and proxy): ${result.peakRssMb.toFixed(1)} MB`,
      `Correctness: ${flows.checks} checks passed`,
      `Duration: ${result.durationSeconds.toFixed(0)} s`,
    ].join('\n'),
    [
      "Targets (a MISS is reported, not fatal; a ratio whose interval spans its goal is within this run's noise)",
      '',
      table(
        ['target', 'goal', 'measured', 'result'],
        result.targets.map((target) => [
          target.name,
          target.target,
          target.measured,
          target.pass ? 'PASS' : 'MISS',
        ]),
        [0, 1, 2],
      ),
    ].join('\n'),
  ];
  return sections.filter((section) => section !== undefined).join('\n\n');
}

/**
 * Writes the result as `bench-results/bench-<time>.json` and `bench-results/latest.json`.
 * @example const { file } = await writeResults(result);
 */
export async function writeResults(
  result: BenchResult,
  folder = RESULTS_FOLDER,
): Promise<{ file: string; latest: string }> {
  await mkdir(folder, { recursive: true });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  const file = path.join(folder, `bench-${result.startedAt.replace(/[:.]/g, '-')}.json`);
  const latest = path.join(folder, 'latest.json');
  await writeFile(file, json);
  await writeFile(latest, json);
  return { file, latest };
}
