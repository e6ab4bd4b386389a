/**
 * `npm run load`: many concurrent browsers logging in, reading `/` and logging out against the
 * local app (started in-process on 127.0.0.1) or `--url`. Reports requests/s, latency, errors,
 * 5xx, cross-talk and lost sessions; exits 1 unless all of those are zero. `--help` for options.
 */
import { resolve } from 'node:path';
import { parseLoadOptions, USAGE } from './load/options';
import { describeRun, progressLine, resultTable, writeResult } from './load/report';
import { runLoad } from './load/runLoad';

const RESULTS_FOLDER = resolve(__dirname, '../load-results');

async function main(): Promise<number> {
  const command = parseLoadOptions(process.argv.slice(2));
  if (command.help) {
    console.log(USAGE);
    return 0;
  }
  const { quick: _quick, help: _help, ...options } = command;
  const target = options.url ?? 'the local app (in-process, 127.0.0.1, fresh temporary data folder)';
  console.log(`Load: ${describeRun(options, target)}`);
  if (options.url === undefined) {
    // The handlers log one JSON line per request: only warnings and errors, or the progress drowns.
    process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
    // Node 20 is supported here; the SDK's notice about its future releases is noise in a report.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    console.log(
      `  handler logs: POWERTOOLS_LOG_LEVEL=${process.env.POWERTOOLS_LOG_LEVEL}; the server's request log is off; ` +
        'client and server share this process',
    );
  }

  const result = await runLoad(options, (progress) => console.log(progressLine(progress)));
  console.log(`\nResult (${result.target}, ${result.elapsedSeconds.toFixed(1)} s)`);
  console.log(resultTable(result));
  const file = writeResult(result, RESULTS_FOLDER);
  console.log(`\n${result.passed ? 'PASS' : 'FAIL'}: JSON in ${file} (and load-results/latest.json)`);
  return result.passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof TypeError ? `${error.message}\n\n${USAGE}` : error);
    process.exit(2);
  },
);
