import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { LoadOptions } from './options';
import type { LoadProgress, LoadResult } from './runLoad';

const integer = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : 'n/a');

function counts(record: Record<string, number>): string {
  const entries = Object.entries(record).sort(([a], [b]) => Number(a) - Number(b));
  return entries.length === 0 ? 'none' : entries.map(([status, n]) => `${status}: ${integer(n)}`).join(', ');
}

/** What the run is about to do, in one sentence. */
export function describeRun(options: LoadOptions, target: string): string {
  const cycles = options.cycles === undefined ? 'as many cycles as fit' : `${options.cycles} cycles`;
  return (
    `${options.clients} clients × ${cycles} × (login, ${options.reads} reads of /, logout, replayed cookie on /) ` +
    `against ${target}, at most ${options.durationSeconds} s`
  );
}

/** One progress line. */
export function progressLine(progress: LoadProgress): string {
  const rate = progress.requests / Math.max(progress.elapsedSeconds, 1e-3);
  return (
    `  ${progress.elapsedSeconds.toFixed(0).padStart(3)} s  ${integer(progress.requests).padStart(8)} requests` +
    `  ${integer(rate).padStart(6)} req/s  cycles ${integer(progress.cyclesCompleted)}` +
    `  errors ${progress.errors}  5xx ${progress.serverErrors}  cross-talk ${progress.crossTalk}` +
    `  lost sessions ${progress.lostSessions}`
  );
}

/** The final table. */
export function resultTable(result: LoadResult): string {
  const planned = result.cyclesPlanned === undefined ? '' : ` of ${integer(result.cyclesPlanned)}`;
  const rows: Array<[string, string]> = [
    ['requests', integer(result.requests)],
    ['requests/s', integer(result.requestsPerSecond)],
    ['latency p50', ms(result.latencyMs.p50)],
    ['latency p99', ms(result.latencyMs.p99)],
    ['latency max', ms(result.latencyMs.max)],
    [
      'cycles completed',
      `${integer(result.cyclesCompleted)}${planned}${result.stoppedByTimeLimit ? ' (time limit reached)' : ''}`,
    ],
    ['responses', counts(result.statusCounts)],
    ['non-2xx/3xx', counts(result.unexpectedStatusCounts)],
    [
      'errors',
      `${result.errors} (transport ${result.transportErrors}, timeouts ${result.timeouts}, wrong responses ${result.wrongResponses})`,
    ],
    ['5xx', String(result.serverErrors)],
    ['cross-talk', String(result.crossTalk)],
    ['lost sessions', String(result.lostSessions)],
    ['still logged in after logout', String(result.notLoggedOut)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const lines = rows.map(([label, value]) => `  ${label.padEnd(width)}${value}`);
  if (result.uncheckedReads > 0) {
    lines.push(`  (${integer(result.uncheckedReads)} reads not checked: their cycle's login had failed)`);
  }
  if (result.examples.length > 0)
    lines.push('  first problems:', ...result.examples.map((line) => `    - ${line}`));
  return lines.join('\n');
}

/**
 * Writes the result as JSON to `<folder>/load-<time>.json` and `<folder>/latest.json`; returns the
 * first path, relative to the working directory.
 */
export function writeResult(result: LoadResult, folder: string): string {
  mkdirSync(folder, { recursive: true });
  const stamp = result.startedAt.replace(/[:.]/g, '-');
  const file = join(folder, `load-${stamp}.json`);
  const json = `${JSON.stringify(result, null, 2)}\n`;
  writeFileSync(file, json);
  writeFileSync(join(folder, 'latest.json'), json);
  return relative(process.cwd(), file);
}
