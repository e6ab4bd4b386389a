import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { summarize } from './stats';

/** What the handlers wrote while their output went to the file. */
export interface HandlerOutputSummary {
  /** The file, relative to the working directory when it is below it. */
  file: string;
  /** Lines in the file: stdout and stderr together, as in a Lambda log stream. */
  lines: number;
  bytes: number;
  /** Lines in the file that are a handler's per-request log line (Powertools Logger, message "request"). */
  requestLogLines: number;
  /** Lines written to stderr (counted as they were written). */
  stderrLines: number;
  /** The median time of one `write(2)` of the output, in µs, timed where the handlers make it. */
  writeMedianUs: number;
}

export interface OutputRedirect {
  /** Runs `write` with the real stdout and stderr (progress lines), then redirects again. */
  passThrough(write: () => void): void;
  /** Puts the real writers back, closes the file and counts what is in it. */
  restore(): HandlerOutputSummary;
  /** The last few stderr writes, shown when a check fails. */
  readonly stderrTail: readonly string[];
}

type Write = typeof process.stdout.write;

const STDERR_TAIL = 5;
const REQUEST_LOG_MARK = '"message":"request"';

/**
 * A writable stream that writes each chunk to `fd` with one synchronous `write(2)`, as Node's own
 * `process.stdout` does when stdout is a file (its internal SyncWriteStream is this class), or a
 * pipe on Linux (libuv makes stdio pipes blocking). The Lambda Node.js runtime's stdout is such a
 * pipe to the runtime's log collector, and Powertools Logger prints through a `Console` bound to
 * `process.stdout`: so each log line costs the Writable bookkeeping plus one blocking write
 * system call, on the request's path. An asynchronous `fs.createWriteStream` would move the
 * write to the thread pool, off the request's path, and flatter the handlers.
 */
class SyncFileWriter extends Writable {
  /** How long each `write(2)` took, in ms. */
  readonly writeMs: number[] = [];

  constructor(private readonly fd: number) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      const started = performance.now();
      writeSync(this.fd, chunk);
      this.writeMs.push(performance.now() - started);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }
}

function countLines(text: string, mark?: string): number {
  let lines = 0;
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end < 0 ? text.length : end);
    if (mark === undefined ? line.length > 0 : line.includes(mark)) lines++;
    if (end < 0) break;
    start = end + 1;
  }
  return lines;
}

/**
 * Sends `process.stdout.write` and `process.stderr.write` to `file` (truncated first) until
 * `restore()`: the handlers' log lines are built, stringified and written to a real file
 * descriptor, synchronously, as the Lambda runtime would write them (see `SyncFileWriter`), so
 * the time the line costs is in the measurement. `restore()` counts the lines in the file: the
 * proof that they were written.
 * @example
 * const output = redirectHandlerOutput('bench-results/handler-output.log');
 * try { await work(); } finally { const written = output.restore(); }
 */
export function redirectHandlerOutput(file: string): OutputRedirect {
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'w');
  const writer = new SyncFileWriter(fd);
  const realStdout = process.stdout.write;
  const realStderr = process.stderr.write;
  const stderrTail: string[] = [];
  let stderrLines = 0;

  const toFile = writer.write.bind(writer) as Write;
  const stderrToFile = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    stderrLines += countLines(text);
    stderrTail.push(text.slice(0, 500));
    if (stderrTail.length > STDERR_TAIL) stderrTail.shift();
    return (writer.write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as Write;

  const install = () => {
    process.stdout.write = toFile;
    process.stderr.write = stderrToFile;
  };
  const uninstall = () => {
    process.stdout.write = realStdout;
    process.stderr.write = realStderr;
  };
  install();
  return {
    stderrTail,
    passThrough(write) {
      uninstall();
      try {
        write();
      } finally {
        install();
      }
    },
    restore() {
      uninstall();
      closeSync(fd);
      const text = readFileSync(file, 'utf8');
      const relative = path.relative(process.cwd(), file);
      return {
        file: relative.startsWith('..') ? file : relative,
        lines: countLines(text),
        bytes: Buffer.byteLength(text),
        requestLogLines: countLines(text, REQUEST_LOG_MARK),
        stderrLines,
        writeMedianUs: summarize(writer.writeMs).median * 1000,
      };
    },
  };
}
