/** What the process tried to write while its output was discarded. */
export interface DiscardedOutput {
  stdoutLines: number;
  stdoutBytes: number;
  /** stdout lines that are a handler's per-request log line (Powertools Logger, message "request"). */
  requestLogLines: number;
  stderrLines: number;
  /** The last few stderr writes, shown when a check fails. */
  stderrTail: string[];
}

export interface OutputGate {
  /** Runs `write` with the real stdout and stderr (progress lines), then discards again. */
  passThrough(write: () => void): void;
  /** Puts the real writers back and says what was discarded. */
  restore(): DiscardedOutput;
}

type Write = typeof process.stdout.write;
type WriteCallback = (error?: Error | null) => void;

const STDERR_TAIL = 5;
const REQUEST_LOG_MARK = '"message":"request"';

function countNewlines(chunk: string | Uint8Array): number {
  let lines = 0;
  if (typeof chunk === 'string') {
    for (let at = chunk.indexOf('\n'); at >= 0; at = chunk.indexOf('\n', at + 1)) lines++;
  } else {
    for (const byte of chunk) if (byte === 0x0a) lines++;
  }
  return lines;
}

/**
 * Replaces `process.stdout.write` and `process.stderr.write` with counting no-ops until
 * `restore()`. Why this and not a quieter logger: the deployed handlers log one JSON line per
 * request at INFO (and may print EMF metrics lines), and that work belongs in the measurement.
 * Powertools' Logger (and Metrics) print through a `Console` bound to `process.stdout`, which
 * calls `process.stdout.write` on every line, so everything up to the final write (building the
 * record, JSON.stringify, Console formatting) still runs; only the terminal write is dropped
 * (in Lambda that write goes to the runtime's log pipe). The counts prove the lines were made.
 * @example
 * const gate = discardOutput();
 * try { await work(); } finally { const discarded = gate.restore(); }
 */
export function discardOutput(): OutputGate {
  const realStdout = process.stdout.write;
  const realStderr = process.stderr.write;
  const discarded: DiscardedOutput = {
    stdoutLines: 0,
    stdoutBytes: 0,
    requestLogLines: 0,
    stderrLines: 0,
    stderrTail: [],
  };

  const sink = (stream: 'stdout' | 'stderr'): Write =>
    function write(
      chunk: string | Uint8Array,
      encodingOrCallback?: BufferEncoding | WriteCallback,
      callback?: WriteCallback,
    ): boolean {
      if (stream === 'stdout') {
        discarded.stdoutLines += countNewlines(chunk);
        discarded.stdoutBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
        if (typeof chunk === 'string' && chunk.includes(REQUEST_LOG_MARK)) discarded.requestLogLines++;
      } else {
        discarded.stderrLines += countNewlines(chunk);
        discarded.stderrTail.push(String(chunk).slice(0, 500));
        if (discarded.stderrTail.length > STDERR_TAIL) discarded.stderrTail.shift();
      }
      const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
      if (done) process.nextTick(done);
      return true;
    } as Write;

  const install = () => {
    process.stdout.write = sink('stdout');
    process.stderr.write = sink('stderr');
  };
  const uninstall = () => {
    process.stdout.write = realStdout;
    process.stderr.write = realStderr;
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
      return discarded;
    },
  };
}
