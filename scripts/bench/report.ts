import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { FUNCTION_NAMES } from '../../lambda/contract';
import type { ColdStartResult } from './coldStart';
import { RESULTS_FOLDER } from './common';
import { type ExpirySweepBenchResult, otherOperations, type SweepRun } from './expirySweep';
import { type FlowBenchResult, REQUEST_TYPES, type RequestType } from './flows';
import { type LogCostResult, PAGE_VIEW_TYPE } from './logCost';
import type { BenchOptions } from './options';
import { OPERATION_KINDS, type OperationKind, type RequestSummary } from './recorder';
import type { RefreshBenchResult } from './refresh';
import type { DifferenceInterval, RatioInterval } from './stats';
import {
  type DATA_REQUEST_TYPES,
  SCHEMA_VARIANTS,
  type SchemaVariant,
  type ValidationFlashResult,
} from './validationFlashes';

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
  coldStart: ColdStartResult;
  /** Measured last, after the parts above: what a schema and a flash cost (information, no target). */
  validationFlashes: ValidationFlashResult;
  /** Measured after validation and flashes: the expiry sweep of a table without TTL, and its write units (information). */
  expirySweep: ExpirySweepBenchResult;
  /** What each request writes to CloudWatch Logs, and that and its DynamoDB operations' cost. */
  logs: LogCostResult;
  /** Wall-clock time of the whole run. */
  durationSeconds: number;
  targets: TargetResult[];
}

/** The issue's targets (#5). A miss is reported, never fatal: timings come from a shared machine. */
export const TARGETS = {
  /** Logged-in `GET /` over the raw GetItem, with the request's log line written. */
  loggedInVsFloor: 1.15,
  writesPerLoggedInGet: 0.05,
  /** 600 KB, counted in KiB. */
  bundleBytes: 600 * 1024,
  /** Our largest function bundle over the peer's bundle (both SDK bundled, as deployed). */
  bundleVsPeer: 0.3,
  /** Our slowest-loading function over the peer's, cold `require` in a fresh process. */
  loadVsPeer: 0.45,
  /** CloudWatch Logs per million logged-in page views, in dollars (issue #22: about 300 bytes per view). */
  logsPerMillionViews: 0.15,
} as const;

/** The request types whose DynamoDB operations are targets: exactly those of `REQUEST_TYPES`. */
const OPERATION_TARGETS: readonly RequestType[] = [
  'badSignature',
  'login',
  'loginReplacing',
  'logout',
  'sessionsPage',
  'revoke',
  'afterLogout',
];

export interface TargetResult {
  name: string;
  target: string;
  measured: string;
  pass: boolean;
}

/** `0.013` → `0.013`, `1` → `1`: enough digits to show a rare write. */
const count = (value: number) => String(Number(value.toFixed(3)));
const us = (micros: number) => String(Math.round(micros));
const kb = (bytes: number) => (bytes / 1024).toFixed(1);

/** Mean operations per request as text, e.g. `1 GetItem + 0.01 UpdateItem`, or `0`. */
export function formatOperations(operations: Record<OperationKind, number>): string {
  const parts = OPERATION_KINDS.filter((kind) => operations[kind] > 0).map(
    (kind) => `${count(operations[kind])} ${kind}`,
  );
  return parts.length === 0 ? '0' : parts.join(' + ');
}

/** `0.412× (a / b µs; 95% interval 0.401–0.425)` */
function formatRatio({ ratio, low, high, confidence }: RatioInterval, detail: string): string {
  return `${ratio.toFixed(3)}× (${detail}; ${Math.round(confidence * 100)}% interval ${low.toFixed(3)}–${high.toFixed(3)})`;
}

/**
 * A signed amount with its unit and interval, e.g. `+0.84 µs per value (95% interval −0.12 to +1.80)`:
 * what one variant adds to another (negative: it measured faster; within the interval, noise).
 * @example formatDifference({ difference: 12.4, low: -3, high: 30.2, confidence: 0.95 }, 'µs', 0)
 */
export function formatDifference(
  { difference, low, high, confidence }: DifferenceInterval,
  unit: string,
  digits: number,
): string {
  const signed = (value: number) => {
    const text = Math.abs(value).toFixed(digits);
    return `${value < 0 && Number(text) !== 0 ? '−' : '+'}${text}`;
  };
  return `${signed(difference)} ${unit} (${Math.round(confidence * 100)}% interval ${signed(low)} to ${signed(high)})`;
}

function byType(flows: FlowBenchResult, type: RequestType): RequestSummary & { label: string } {
  const result = flows.requestTypes.find((candidate) => candidate.type === type);
  if (!result) throw new Error(`no results for ${type}`);
  return result;
}

/**
 * Every target of the issue with its measured value and PASS/MISS.
 * @example evaluateTargets(flows, coldStart).filter((target) => !target.pass)
 */
export function evaluateTargets(
  flows: FlowBenchResult,
  coldStart: ColdStartResult | undefined,
  logs?: LogCostResult,
): TargetResult[] {
  const loggedIn = byType(flows, 'loggedInIndex');
  const { GetItem } = loggedIn.operationsPerRequest;
  const median = (summary: RequestSummary | undefined) => us(summary?.latencyUs.median ?? Number.NaN);
  const results: TargetResult[] = [
    {
      name: 'GET / logged in, log line written: median vs raw GetItem floor',
      target: `≤ ${TARGETS.loggedInVsFloor}×`,
      measured: formatRatio(flows.floorRatio, `${median(loggedIn)} / ${median(byType(flows, 'floor'))} µs`),
      pass: flows.floorRatio.ratio <= TARGETS.loggedInVsFloor,
    },
    {
      name: 'GET / logged in: reads and writes per request',
      target: `1 GetItem, ≤ ${TARGETS.writesPerLoggedInGet} writes`,
      measured: `${count(GetItem)} GetItem, ${count(loggedIn.writesPerRequest)} writes`,
      pass: GetItem === 1 && loggedIn.writesPerRequest <= TARGETS.writesPerLoggedInGet,
    },
    ...OPERATION_TARGETS.map((type) => {
      const measured = byType(flows, type).operationsPerRequest;
      const expected = Object.fromEntries(OPERATION_KINDS.map((kind) => [kind, 0])) as Record<
        OperationKind,
        number
      >;
      for (const operation of REQUEST_TYPES[type].operations) expected[operation as OperationKind]++;
      return {
        name: `${REQUEST_TYPES[type].label}: DynamoDB operations`,
        target: formatOperations(expected),
        measured: formatOperations(measured),
        pass: OPERATION_KINDS.every((kind) => measured[kind] === expected[kind]),
      };
    }),
  ];
  const view = logs?.requestTypes.find((row) => row.type === PAGE_VIEW_TYPE);
  if (view) {
    results.push({
      name: 'GET / logged in: CloudWatch Logs per million views',
      target: `≤ $${TARGETS.logsPerMillionViews.toFixed(2)}`,
      measured: `${dollars(view.logsPerMillion)} (${Math.round(view.totalBytes)} bytes per view)`,
      pass: view.logsPerMillion <= TARGETS.logsPerMillionViews,
    });
  }
  return coldStart === undefined ? results : [...results, ...coldStartTargets(coldStart)];
}

const dollars = (value: number) => `$${value.toFixed(3)}`;

/**
 * The bundle targets: each function's size, and ours against the peer's on the deployed bundles.
 * @example coldStartTargets(coldStart).filter((target) => !target.pass)
 */
export function coldStartTargets(coldStart: ColdStartResult): TargetResult[] {
  const entry = (name: string) => coldStart.entries.find((candidate) => candidate.name === name);
  const peer = entry('peer');
  const { largest, bytesRatio, slowest, loadRatio } = coldStart.peerComparison;
  const ms = (value: number | undefined) => (value ?? Number.NaN).toFixed(1);
  return [
    ...FUNCTION_NAMES.map((name) => {
      const bytes = entry(name)?.bytes ?? Number.NaN;
      return {
        name: `${name}: bundle (SDK bundled)`,
        target: `≤ ${TARGETS.bundleBytes / 1024} KB`,
        measured: `${kb(bytes)} KB`,
        pass: bytes <= TARGETS.bundleBytes,
      };
    }),
    {
      name: `bundle bytes: ours (largest, ${largest}) vs peer`,
      target: `≤ ${TARGETS.bundleVsPeer}×`,
      measured: `${bytesRatio.toFixed(3)}× (${kb(entry(largest)?.bytes ?? Number.NaN)} / ${kb(peer?.bytes ?? Number.NaN)} KB)`,
      pass: bytesRatio <= TARGETS.bundleVsPeer,
    },
    {
      name: `load time: ours (slowest, ${slowest}) vs peer`,
      target: `≤ ${TARGETS.loadVsPeer}×`,
      measured: formatRatio(
        loadRatio,
        `${ms(entry(slowest)?.loadMs.median)} / ${ms(peer?.loadMs.median)} ms`,
      ),
      pass: loadRatio.ratio <= TARGETS.loadVsPeer,
    },
  ];
}

/**
 * Aligned columns: text columns (the first, unless told otherwise) left-aligned, the others right-aligned.
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

/** One row per request type: its count, median and p99 latency, and operations per request. */
function requestTypeTable(types: readonly (RequestSummary & { label: string })[]): string {
  return table(
    ['request type', 'n', 'median µs', 'p99 µs', ...OPERATION_KINDS, 'writes'],
    types.map((type) => [
      type.label,
      String(type.requests),
      us(type.latencyUs.median),
      us(type.latencyUs.p99),
      ...OPERATION_KINDS.map((kind) => count(type.operationsPerRequest[kind])),
      count(type.writesPerRequest),
    ]),
  );
}

function flowSection(flows: FlowBenchResult): string {
  return [
    `Flows: ${flows.flows} timed (+${flows.warmupFlows} warm-up); K = ${flows.k} logged-in GET / per flow, each measured ` +
      'next to one raw GetItem floor read of the same item, the same page with no log line and on Middy, and the ' +
      'peer’s logged-in GET /, in rotating order',
    '',
    requestTypeTable(flows.requestTypes),
    '  (DynamoDB operations: mean per request, counted at the HTTP level by the proxy; every request was checked',
    '   to make exactly these)',
  ].join('\n');
}

/** The floor ratio both ways: the line written (the target's) and not produced at all. */
function floorSection(flows: FlowBenchResult): string {
  const median = (type: RequestType) => byType(flows, type).latencyUs.median;
  const [written, silent, floor] = [
    median('loggedInIndex'),
    median('loggedInIndexNoLogLine'),
    median('floor'),
  ];
  const { output } = flows;
  return [
    'Logged-in GET / over the raw GetItem floor (median over median; the interval resamples each page with the floor read made next to it)',
    `  log line written (${output.file}, one synchronous write per line, as Lambda's stdout pipe): ` +
      formatRatio(flows.floorRatio, `${us(written)} / ${us(floor)} µs`),
    '  no log line (the index handler with its logger at ERROR): ' +
      formatRatio(flows.floorRatioWithoutLogLine, `${us(silent)} / ${us(floor)} µs`),
    '  on Middy with the session middleware, no log line (information): ' +
      formatRatio(
        flows.middyRatio,
        `${us(median('loggedInIndexOnMiddy'))} / ${us(silent)} µs, over ours without the line`,
      ),
    `  the line costs about ${us(written - silent)} µs per request here (difference of medians). The file holds ` +
      `${output.requestLogLines} per-request lines (${output.lines} lines, ${output.stderrLines} on stderr): one per ` +
      'request to an INFO handler, none from the ERROR-level one or Middy.',
  ].join('\n');
}

/** Ours and the peer, request by request, from the same flows. */
function peerSection(flows: FlowBenchResult): string {
  const { peer } = flows;
  const rows = (['login', 'loggedInIndex', 'logout', 'afterLogout'] as const).map((type) => {
    const mine = byType(flows, type);
    const other = peer.requestTypes.find((candidate) => candidate.type === type);
    return [
      mine.label,
      us(mine.latencyUs.median),
      other ? us(other.latencyUs.median) : '',
      other ? (mine.latencyUs.median / other.latencyUs.median).toFixed(2) : '',
      other ? us(other.latencyUs.p99) : '',
      formatOperations(mine.operationsPerRequest),
      other ? formatOperations(other.operationsPerRequest) : '',
    ];
  });
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
      rows,
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
      `(default settings: idle timeout ${refresh.idleTimeoutSeconds / 60} min; the refresh wrote at most every ` +
      `${refresh.refreshEverySeconds / 60} min)`,
    '',
    table(
      ['a view every', 'views', 'writes', 'writes per view'],
      refresh.rows.map((row) => [
        `${row.thinkSeconds} s`,
        String(row.pageViews),
        String(row.writes),
        count(row.writesPerView),
      ]),
    ),
    '  (every view still logged in, one GetItem each; the timed flows above last seconds, so they never refresh)',
  ].join('\n');
}

function coldStartSection(coldStart: ColdStartResult): string {
  const peer = coldStart.entries.find((entry) => entry.name === 'peer');
  const versusPeer = (value: number, base: number | undefined) =>
    base === undefined ? '' : (value / base).toFixed(2);
  const { largest, bytesRatio, slowest, loadRatio } = coldStart.peerComparison;
  const merged = new Map<string, number>();
  for (const copy of coldStart.peerMergedCopies)
    merged.set(copy.package, (merged.get(copy.package) ?? 0) + 1);
  const { indexWithoutSourceMaps: noMaps, indexCommonJsBuilds: commonJs } = coldStart;
  return [
    `Cold start: each bundled as lib/bundling.ts (esbuild, SDK bundled, as deployed), loaded with NODE_OPTIONS=${coldStart.nodeOptions} ` +
      `in ${coldStart.runs} fresh node processes, round-robin (median; node's own start excluded)`,
    '',
    table(
      ['bundle', 'KB', '× peer', 'load ms', '× peer', 'p99 ms'],
      coldStart.entries.map((entry) => [
        entry.label,
        kb(entry.bytes),
        versusPeer(entry.bytes, peer?.bytes),
        entry.loadMs.median.toFixed(1),
        versusPeer(entry.loadMs.median, peer?.loadMs.median),
        entry.loadMs.p99.toFixed(1),
      ]),
    ),
    '  (KB = 1024 bytes)',
    '  the peer is bundled with one copy of each package name@version, as a project of its own installs them; ' +
      `extra copies nested in this repository, merged: ${[...merged].map(([name, times]) => `${name} (×${times})`).join(', ') || 'none'}`,
    `  ours vs peer: largest bundle (${largest}) ${bytesRatio.toFixed(3)}×; slowest load (${slowest}) ` +
      formatRatio(loadRatio, "each run's two loads paired"),
    `  index without ${coldStart.nodeOptions}: ${noMaps.loadMs.median.toFixed(1)} ms (p99 ${noMaps.loadMs.p99.toFixed(1)} ms): ` +
      'the cost of reading the source map at load',
    `  index built from the packages' CommonJS builds (esbuild's default main fields): ${kb(commonJs.bytes)} KB, ` +
      `${commonJs.loadMs.median.toFixed(1)} ms: what mainFields module,main saves`,
  ].join('\n');
}

/** What a schema and a flash add: the paired page views, then the CPU-only loops. */
function validationFlashSection(result: ValidationFlashResult): string {
  const median = (type: keyof typeof DATA_REQUEST_TYPES) =>
    result.requestTypes.find((candidate) => candidate.type === type)?.latencyUs.median ?? Number.NaN;
  const n = result.valuesPerSession;
  const plain = median('noneView');
  const { cpu, flashes } = result;
  const cpuUs = (summaries: Record<SchemaVariant, { median: number }>, variant: SchemaVariant) =>
    summaries[variant].median.toFixed(2);
  const viewOf = {
    zodKeys: 'zodKeysView',
    zodWhole: 'zodWholeView',
    valibotKeys: 'valibotKeysView',
  } as const;
  return [
    `Validation and flashes: the library alone (SessionManager open, load, the ${n} values read, commit; no handler, page or ` +
      `log line) on sessions holding ${n} values (5 strings, 5 numbers), against a dynalite of its own behind the counting ` +
      `proxy, after the parts above. ${result.flows} timed flows (+${result.warmupFlows} warm-up): two new sessions each, then ` +
      `K = ${result.k} rounds: the five page views in rotating order, then the flash's round trip`,
    '',
    requestTypeTable(result.requestTypes),
    `  validation per value read, (median view with the schema − without) / ${n}, the views of a round paired:`,
    ...result.validation.map(
      (cost) =>
        `    ${cost.label}: ${formatDifference(cost.perValueRead, 'µs per value', 2)}; ${us(median(viewOf[cost.variant]))} vs ${us(plain)} µs per view`,
    ),
    `  the same on the CPU alone: load with the store's answer replayed (no I/O), ${cpu.batches} batches of ${cpu.loadBatch} per variant (median µs per load):`,
    ...result.validation.map(
      (cost) =>
        `    ${cost.label}: ${formatDifference(cost.perValueLoadCpu, 'µs per value', 3)}; ${cpuUs(cpu.loadUs, cost.variant)} vs ${cpuUs(cpu.loadUs, 'none')} µs per load`,
    ),
    `  set() on a session holding the ${n} values, CPU alone, ${cpu.batches} batches of ${cpu.setBatch} calls per variant (median µs per call):`,
    ...result.validation.map(
      (cost) =>
        `    ${cost.label}: ${formatDifference(cost.perSetCpu, 'µs per call', 3)}; ${cpuUs(cpu.setUs, cost.variant)} vs ${cpuUs(cpu.setUs, 'none')} µs per call`,
    ),
    `  flashedMessages() on a page view with none pending (no write): ${formatDifference(flashes.noneTaken, 'µs per view', 0)}; ` +
      `${us(median('noFlashesView'))} vs ${us(plain)} µs`,
    `  a flash's round trip: ${formatDifference(flashes.roundTrip, 'µs per flash', 0)} over two plain views: the request that ` +
      `flashes ${us(median('flash'))} µs (${formatDifference(flashes.flashRequest, 'µs', 0)}), the page that shows it ` +
      `${us(median('showFlash'))} µs (${formatDifference(flashes.showPage, 'µs', 0)}), each 1 GetItem + 1 UpdateItem, against ` +
      `${us(plain)} µs for a view (1 GetItem)`,
    `  (${Object.keys(SCHEMA_VARIANTS).length} managers on the same table, keys and store; schemas z.string() / z.number() and valibot's, ` +
      'the whole-data one a z.object of the same, every field optional)',
  ].join('\n');
}

/**
 * The expiry sweep: what each run deleted and sent, its wall time, and the write units and cost
 * per million sessions swept, derived from the operations.
 */
export function expirySweepSection(result: ExpirySweepBenchResult): string {
  const { sessions, writeUnits: units, costPerMillion, first } = result;
  const row = (label: string, run: SweepRun) => {
    const { summary, operations } = run;
    return [
      label,
      String(summary.buckets),
      String(summary.examined),
      String(summary.deleted),
      String(summary.kept),
      String(operations.Query),
      String(operations.DeleteItem),
      String(otherOperations(operations)),
      run.wallMs.toFixed(1),
      run.msPerDeleted === undefined ? '–' : run.msPerDeleted.toFixed(3),
    ];
  };
  const unitsOf = (value: number) => String(Number(value.toFixed(3)));
  return [
    `Expiry sweep: sweepExpiredSessions (@lambda-sessions/dynamodb/sweep) on a table with the byExpiry index, against a ` +
      `dynalite of its own behind the counting proxy, after the parts above. ${sessions.expired} expired sessions ` +
      `(${sessions.expiredLoggedIn} logged in, ${sessions.expiredAnonymous} anonymous), their expiry spread over the ` +
      `${result.hours} hours swept, and ${sessions.live} live (${sessions.live - sessions.liveRefreshed} logged in within ` +
      `the hour, ${sessions.liveRefreshed} logged in earlier and refreshed since), written through SessionManager with ` +
      `expiry 'sweeper' on an injected clock in ${result.writeSeconds.toFixed(1)} s; both runs sweep at ${result.sweptAt}`,
    '',
    table(
      [
        'run',
        'buckets',
        'examined',
        'deleted',
        'kept',
        'Query',
        'DeleteItem',
        'other',
        'wall ms',
        'ms per deleted',
      ],
      [row('first', first), row('again, the index now empty', result.again)],
    ),
    `  nothing live deleted, nothing expired left: after the first run the table held exactly the ${sessions.live} live ` +
      'sessions (read with a Scan outside the proxy), and each loaded with its data (1 GetItem)',
    `  write units, derived from the operations: each DeleteItem that deleted a session, its item (up to ` +
      `${units.largestItemBytes} B here), its byExpiry entry and, with an owner, its byOwner entry, each a unit per KB ` +
      'started; a DeleteItem whose condition failed, 1',
    `    per logged-in session: ${unitsOf(units.perLoggedIn)} → ${dollars(costPerMillion.loggedIn)} per million swept`,
    `    per anonymous session: ${unitsOf(units.perAnonymous)} → ${dollars(costPerMillion.anonymous)} per million swept`,
    `    this run: ${units.total} for ${units.deleted} sessions (items ${units.items}, byExpiry ${units.expiryEntries}, ` +
      `byOwner ${units.ownerEntries}, failed conditions ${units.failedConditions}): ${unitsOf(units.perSession)} per ` +
      `session → ${dollars(costPerMillion.perSession)} per million swept`,
    `  read units: ${unitsOf(first.readUnits)} per run (each Query page 0.5: eventually consistent, keys only, under 4 KB)`,
    `  (computed, not measured on AWS: $${result.prices.writeUnitsPerMillion} per million write units on demand × ` +
      `${result.replicas} replicas, as a strongly consistent global table bills each write in every replica)`,
  ].join('\n');
}

/**
 * What each request writes to CloudWatch Logs (its function's lines as measured, the platform's
 * and the access line as the stack's settings make them) and what that and its DynamoDB
 * operations cost per million.
 */
export function logSection(logs: LogCostResult): string {
  const { deployed, prices, pageView } = logs;
  const bytes = (value: number) => String(Math.round(value));
  const platform =
    deployed.platform.format === 'Text'
      ? 'text format (START, END and REPORT lines)'
      : `JSON format, system log level ${deployed.platform.systemLogLevel}`;
  return [
    `Logs and cost per request: the function's own lines as written in the timed flows; the platform's lines as Lambda ` +
      `writes them with the stack's settings (${platform}), for a warm invocation; the API's access line rendered from ` +
      "the stage's format with this request's route and status (bytes: UTF-8, one log event per line, newline excluded)",
    '',
    table(
      [
        'request type',
        'function B',
        'platform B',
        'access B',
        'total B',
        'events',
        'logs $/M',
        'DynamoDB $/M',
        'logs + DynamoDB $/M',
      ],
      logs.requestTypes.map((row) => [
        row.label,
        bytes(row.functionBytes),
        bytes(row.platformBytes),
        bytes(row.accessBytes),
        bytes(row.totalBytes),
        count(row.events),
        dollars(row.logsPerMillion),
        dollars(row.dynamoDbPerMillion),
        dollars(row.totalPerMillion),
      ]),
    ),
    `  (prices as docs/operations.md: CloudWatch Logs $${prices.logsPerGB.toFixed(2)} per GB of 10^9 bytes; DynamoDB on demand ` +
      `$${prices.readUnitsPerMillion} per million read units (a strongly consistent GetItem is 1, an eventually consistent ` +
      `Query 0.5) and $${prices.writeUnitsPerMillion} per million write units (1 per write); the owner index's writes are not ` +
      'counted here)',
    '  a logged-in page view, warm, with each platform setting (the function line and the access line as above):',
    ...logs.platformChoices.map(
      (choice) =>
        `    ${choice.label}: ${bytes(choice.bytes)} B in ${choice.lines} lines` +
        (choice.logging.format === deployed.platform.format &&
        (choice.logging.format === 'Text' ||
          choice.logging.systemLogLevel === deployed.platform.systemLogLevel)
          ? ' (deployed)'
          : ''),
    ),
    '  its lines:',
    `    function: ${pageView.functionLine ?? '(none)'}`,
    ...pageView.platformLines.map((line) => `    platform: ${line.replace(/\t/g, '\\t')}`),
    `    access:   ${pageView.accessLine}`,
  ].join('\n');
}

/** The tables a person reads at the end of `npm run bench`. */
export function formatReport(result: BenchResult): string {
  return [
    flowSection(result.flows),
    floorSection(result.flows),
    peerSection(result.flows),
    logSection(result.logs),
    refreshSection(result.refresh),
    coldStartSection(result.coldStart),
    validationFlashSection(result.validationFlashes),
    expirySweepSection(result.expirySweep),
    `Correctness: ${result.flows.checks + result.validationFlashes.checks + result.expirySweep.checks} checks passed\nDuration: ${result.durationSeconds.toFixed(0)} s`,
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
  ].join('\n\n');
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
