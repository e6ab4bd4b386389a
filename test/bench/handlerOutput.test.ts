import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { type HandlerOutputSummary, redirectHandlerOutput } from '../../scripts/bench/handlerOutput';

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

    // Act
    let passedThrough = false;
    let written: HandlerOutputSummary;
    try {
      logger.info('request', { route: 'index' });
      logger.info('request', { route: 'login' });
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
    expect(JSON.parse(lines[0])).toMatchObject({ message: 'request', route: 'index', service: 'test' });
    expect(lines[3]).toBe('an error line');
    expect(written).toMatchObject({ lines: 4, requestLogLines: 2, stderrLines: 1 });
    expect(passedThrough).toBe(true);
    expect(process.stdout.write).toBe(realStdout);
  });

  test('truncates the file it is given', () => {
    const file = path.join(folder, 'handler-output.log');
    redirectHandlerOutput(file).restore();
    const output = redirectHandlerOutput(file);
    process.stdout.write('one line\n');
    expect(output.restore()).toMatchObject({ lines: 1, requestLogLines: 0 });
  });
});
