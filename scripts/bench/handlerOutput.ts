import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';

/** What the handlers wrote while their output went to the file. */
export interface HandlerOutputSummary {
  /** The file, relative to the working directory when it is below it. */
  file: string;
  /** Lines in the file: stdout and stderr together, as in a Lambda log stream. */
  lines: number;
  /** Lines that are a handler's per-request log line (`isRequestLine`). */
  requestLogLines: number;
  /** Lines written to stderr. */
  stderrLines: number;
}

/**
 * What was written so far, as CloudWatch Logs would count it: each line is one log event, its
 * size its UTF-8 bytes without the newline.
 */
export interface WrittenSoFar {
  bytes: number;
  lines: number;
}

export interface OutputRedirect {
  /** Runs `write` with the real stdout and stderr (progress lines), then redirects again. */
  passThrough(write: () => void): void;
  /** The handlers' output so far (progress lines passed through are not in it). */
  written(): WrittenSoFar;
  /** The last chunk written, as text ('' before any). */
  lastWrite(): string;
  /** Puts the real writers back, closes the file and counts what is in it. */
  restore(): HandlerOutputSummary;
}

type Write = typeof process.stdout.write;

const countLines = (text: string, keep: (line: string) => boolean = () => true) =>
  text.split('\n').filter((line) => line.length > 0 && keep(line)).length;

/**
 * Whether a line is a handler's per-request line (lambda/app/requestLog.ts): a JSON object whose
 * first member is the request id. The Logger's own lines start with `level`.
 */
export function isRequestLine(line: string): boolean {
  return line.startsWith('{"requestId":');
}

/** What a chunk adds to `WrittenSoFar`: its bytes less its newlines, and one line per newline. */
export function chunkSize(chunk: string | Uint8Array): WrittenSoFar {
  const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
  let lines = 0;
  for (const byte of buffer) if (byte === 0x0a) lines++;
  return { bytes: buffer.length - lines, lines };
}

/**
 * A stream that writes each chunk to `fd` with one synchronous `write(2)`, as Node's
 * `process.stdout` does when stdout is a file, or a pipe on Linux (libuv makes stdio pipes
 * blocking). Lambda's stdout is such a pipe, and Powertools Logger prints through a `Console` on
 * `process.stdout`: each log line costs one blocking system call on the request's path. An
 * asynchronous `fs.createWriteStream` would move the write off that path and flatter the handlers.
 */
class SyncFileWriter extends Writable {
  readonly written: WrittenSoFar = { bytes: 0, lines: 0 };
  last: Buffer = Buffer.alloc(0);

  constructor(private readonly fd: number) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      writeSync(this.fd, chunk);
      const size = chunkSize(chunk);
      this.written.bytes += size.bytes;
      this.written.lines += size.lines;
      this.last = chunk;
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }
}

/**
 * Sends `process.stdout.write` and `process.stderr.write` to `file` (truncated first) until
 * `restore()`, written synchronously as the Lambda runtime writes them (`SyncFileWriter`), so the
 * log line's cost is in the measurement; `written()` says how much so far (so a caller can tell
 * what one request wrote), and `restore()` counts the lines, the proof they were written.
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
    written: () => ({ ...writer.written }),
    lastWrite: () => writer.last.toString('utf8'),
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
        requestLogLines: countLines(text, isRequestLine),
        stderrLines,
      };
    },
  };
}
