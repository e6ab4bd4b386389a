import { format } from 'node:util';

export interface CapturedOutput {
  /** Everything written so far, in order. */
  text(): string;
  /** The JSON log lines written so far (other lines are skipped). */
  records(): Record<string, unknown>[];
  /** Stops capturing. */
  restore(): void;
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

/**
 * Captures everything written to stdout and stderr, and every `console` call (the SDK and the
 * local server log through it), until `restore()`. Nothing captured reaches the terminal.
 */
export function captureOutput(): CapturedOutput {
  const chunks: string[] = [];
  const spies = [
    ...[process.stdout, process.stderr].map((stream) =>
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return true;
      }),
    ),
    ...CONSOLE_METHODS.map((method) =>
      jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        chunks.push(`${format(...args)}\n`);
      }),
    ),
  ];
  return {
    text: () => chunks.join(''),
    records: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    restore() {
      for (const spy of spies) spy.mockRestore();
    },
  };
}
