import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { createRequestLog } from '../../lambda/app/requestLog';
import {
  chunkSize,
  type HandlerOutputSummary,
  isRequestLine,
  redirectHandlerOutput,
} from '../../scripts/bench/handlerOutput';

let folder: string;

beforeEach(() => {
  folder = mkdtempSync(path.join(tmpdir(), 'handler-output-test-'));
});

afterEach(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe('handler output written to a file', () => {
  test("Powertools Logger's lines and stderr land in the file, counted there, until restore", () => {
    // Prepare
    const file = path.join(folder, 'out', 'handler-output.log');
    const realStdout = process.stdout.write;
    const output = redirectHandlerOutput(file);
    const logger = new Logger({ serviceName: 'test', logLevel: 'INFO' });
    const requestLog = createRequestLog(logger, 'test', 'NS');

    // Act
    let passedThrough = false;
    let written: HandlerOutputSummary;
    try {
      requestLog({ requestId: 'a' }, ['SessionHit']);
      requestLog({ requestId: 'b' }, []);
      logger.info('something else');
      output.passThrough(() => {
        passedThrough = process.stdout.write === realStdout;
      });
      process.stderr.write('an error line\n');
    } finally {
      written = output.restore();
    }

    // Assess
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[0])).toMatchObject({ requestId: 'a', service: 'test', SessionHit: 1 });
    expect(JSON.parse(lines[2])).toMatchObject({ level: 'INFO', message: 'something else' });
    expect(lines[3]).toBe('an error line');
    expect(written).toMatchObject({ lines: 4, requestLogLines: 2, stderrLines: 1 });
    expect(passedThrough).toBe(true);
    expect(process.stdout.write).toBe(realStdout);
  });

  test('says how much was written so far, as CloudWatch counts it: bytes without the newlines, and lines', () => {
    // Prepare
    const output = redirectHandlerOutput(path.join(folder, 'handler-output.log'));

    // Act
    let sizes: { bytes: number; lines: number }[];
    let last: string;
    try {
      const start = output.written();
      process.stdout.write('{"requestId":"é"}\n');
      const one = output.written();
      process.stderr.write(Buffer.from('two\nlines\n'));
      sizes = [start, one, output.written()];
      last = output.lastWrite();
    } finally {
      output.restore();
    }

    // Assess: é is two bytes in UTF-8
    expect(sizes).toEqual([
      { bytes: 0, lines: 0 },
      { bytes: 18, lines: 1 },
      { bytes: 26, lines: 3 },
    ]);
    expect(last).toBe('two\nlines\n');
  });

  test('tells the request lines (opened by the request id) from the Logger’s and from anything else', () => {
    expect(isRequestLine('{"requestId":"x","service":"s"}')).toBe(true);
    expect(isRequestLine('{"level":"ERROR","message":"session store unavailable","requestId":"x"}')).toBe(
      false,
    );
    expect(isRequestLine('START RequestId: x Version: $LATEST')).toBe(false);
    expect(chunkSize('ab\ncd')).toEqual({ bytes: 4, lines: 1 });
  });

  test('truncates the file it is given', () => {
    const file = path.join(folder, 'handler-output.log');
    redirectHandlerOutput(file).restore();
    const output = redirectHandlerOutput(file);
    process.stdout.write('one line\n');
    expect(output.restore()).toMatchObject({ lines: 1, requestLogLines: 0 });
  });
});
