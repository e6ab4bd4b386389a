/**
 * `npm run bench` (issue #5): the four handlers in-process against dynalite behind a counting
 * proxy (latency, DynamoDB operations and the raw GetItem floor), side by side with the peer
 * (Express + express-session + connect-dynamodb); the sliding refresh's writes over simulated
 * time; then the bundles' size and load time in fresh processes, ours and the peer's; then what
 * a schema's validation and a flash message cost, through the library alone; then the expiry sweep
 * of a table without TTL (its operations, time and write units); last, what each
 * request writes to CloudWatch Logs and what it costs with its DynamoDB operations. Prints
 * tables, writes JSON to bench-results/, and exits non-zero when a correctness check fails.
 */
// First, for its side effect: the handler modules read the environment when they are imported.
import './environment';
import * as os from 'node:os';
import * as path from 'node:path';
import { runColdStart } from './coldStart';
import { BenchCheckError } from './common';
import { deployedLogging } from './deployedLogging';
import { runExpirySweepBench } from './expirySweep';
import { runFlowBench } from './flows';
import { logCosts } from './logCost';
import { parseBenchOptions, USAGE } from './options';
import { runRefreshBench, THINK_SECONDS } from './refresh';
import { type BenchResult, evaluateTargets, formatReport, writeResults } from './report';
import { runValidationFlashBench } from './validationFlashes';

const progress = (line: string) => console.log(`  ${line}`);

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const { help: _help, ...recorded } = options;
  const startedAt = new Date().toISOString();
  const cpus = os.cpus();
  console.log(
    `npm run bench: ${options.flows} flows (K = ${options.k}, ${options.warmupFlows} warm-up), ` +
      `${options.loadRuns} load runs per bundle${options.quick ? ' (--quick)' : ''}`,
  );
  console.log(
    `  node ${process.version} ${process.platform} ${process.arch}, ${cpus.length} × ${cpus[0]?.model ?? '?'}`,
  );

  const benchStarted = performance.now();
  console.log('flows: the handlers and the peer in-process, dynalite on loopback behind the counting proxy');
  const flows = await runFlowBench({ ...options, report: progress });
  console.log(`sliding refresh: ${options.browsingMinutes} min of simulated browsing per page-view interval`);
  const refresh = await runRefreshBench({
    thinkSeconds: THINK_SECONDS,
    browsingMinutes: options.browsingMinutes,
  });
  console.log('cold start');
  const coldStart = await runColdStart({ runs: options.loadRuns, report: progress });
  // Last, so that nothing here changes the order or the warm-up of the figures above.
  console.log(
    'validation and flashes: the library alone, on a dynalite of its own behind the counting proxy',
  );
  const validationFlashes = await runValidationFlashBench({
    flows: options.flows,
    k: options.k,
    warmupFlows: options.warmupFlows,
    report: progress,
  });
  console.log(
    'expiry sweep: sweepExpiredSessions on a table with the byExpiry index, a dynalite of its own behind the counting proxy',
  );
  const expirySweep = await runExpirySweepBench({
    expired: options.sweepExpired,
    live: options.sweepLive,
    report: progress,
  });
  // After everything timed: reading the stack's log settings loads aws-cdk-lib.
  const logs = logCosts(flows.logged, await deployedLogging());

  const result: BenchResult = {
    startedAt,
    options: recorded,
    machine: {
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? 'unknown',
      loadAverage: os.loadavg(),
    },
    flows,
    refresh,
    coldStart,
    validationFlashes,
    expirySweep,
    logs,
    durationSeconds: (performance.now() - benchStarted) / 1000,
    targets: evaluateTargets(flows, coldStart, logs),
  };
  console.log(`\n${formatReport(result)}\n`);
  const { file, latest } = await writeResults(result);
  console.log(`results: ${path.relative(process.cwd(), file)} (and ${path.relative(process.cwd(), latest)})`);
}

main().catch((error: unknown) => {
  if (error instanceof BenchCheckError) {
    console.error(
      `\nBENCH FAILED: a correctness check did not hold, so no result is reported.\n  ${error.message}`,
    );
  } else if (error instanceof TypeError && /^--|Unknown option|unexpected argument/i.test(error.message)) {
    console.error(`${error.message}\n\n${USAGE}`);
  } else {
    console.error('\nBENCH FAILED:', error);
  }
  process.exitCode = 1;
});
