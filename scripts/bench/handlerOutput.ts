import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';

/** What the handlers wrote while their output went to the file. */
export interface HandlerOutputSummary {
  /** The file, relative to the working directory when it is below it. */
  file: string;
  /** Lines in the file: stdout and stderr together, as in a Lambda log stream. */
  lines: number;
  /** Lines that are a handler's per-request log line (message "request"). */
  requestLogLines: number;
  /** Lines written to stderr. */
  stderrLines: number;
}

export interface OutputRedirect {
  /** Runs `write` with the real stdout and stderr (progress lines), then redirects again. */
  passThrough(write: () => void): void;
  /** Puts the real writers back, closes the file and counts what is in it. */
  restore(): HandlerOutputSummary;
}

type Write = typeof process.stdout.write;

const countLines = (text: string, mark = '') =>
  text.split('\n').filter((line) => line.length > 0 && line.includes(mark)).length;

/**
 * A stream that writes each chunk to `fd` with one synchronous `write(2)`, as Node's
 * `process.stdout` does when stdout is a file, or a pipe on Linux (libuv makes stdio pipes
 * blocking). Lambda's stdout is such a pipe, and Powertools Logger prints through a `Console` on
 * `process.stdout`: each log line costs one blocking system call on the request's path. An
 * asynchronous `fs.createWriteStream` would move the write off that path and flatter the handlers.
 */
class SyncFileWriter extends Writable {
  constructor(private readonly fd: number) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      writeSync(this.fd, chunk);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }
}

/**
 * Sends `process.stdout.write` and `process.stderr.write` to `file` (truncated first) until
 * `restore()`, written synchronously as the Lambda runtime writes them (`SyncFileWriter`), so the
 * log line's cost is in the measurement; `restore()` counts the lines, the proof they were written.
 * @example
 * const output = redirectHandlerOutput('bench-results/handler-output.log');
 * try { await work(); } finally { const written = output.restore(); }
 */
export function redirectHandlerOutput(file: string): OutputRedirect {
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'w');
  const writer = new SyncFileWriter(fd);
  const real = { stdout: process.stdout.write, stderr: process.stderr.write };
  let stderrLines = 0;
  const toFile = writer.write.bind(writer) as Write;
  const stderrToFile = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stderrLines += countLines(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return (writer.write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as Write;
  const install = () => {
    process.stdout.write = toFile;
    process.stderr.write = stderrToFile;
  };
  const uninstall = () => {
    process.stdout.write = real.stdout;
    process.stderr.write = real.stderr;
  };
  install();
  return {
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
        requestLogLines: countLines(text, '"message":"request"'),
        stderrLines,
      };
    },
  };
}
