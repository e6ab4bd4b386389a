import { Logger } from '@aws-lambda-powertools/logger';
import { metricMembers } from '../../lambda/app/metrics';
import { createRequestLog } from '../../lambda/app/requestLog';
import { captureOutput } from '../support/output';

/** The lines `write` prints, parsed. */
function linesOf(write: () => void): Record<string, unknown>[] {
  const output = captureOutput();
  try {
    write();
  } finally {
    output.restore();
  }
  return output
    .text()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('metricMembers', () => {
  it('is the EMF block and the counts, as JSON members, with repeated names counted', () => {
    // Act
    const members = metricMembers(
      'Space "quoted"',
      ['SessionCreated', 'SessionDestroyed', 'SessionCreated'],
      1234,
    );

    // Assess
    expect(JSON.parse(`{${members}}`)).toEqual({
      _aws: {
        Timestamp: 1234,
        CloudWatchMetrics: [
          {
            Namespace: 'Space "quoted"',
            Dimensions: [['service']],
            Metrics: [
              { Name: 'SessionCreated', Unit: 'Count' },
              { Name: 'SessionDestroyed', Unit: 'Count' },
            ],
          },
        ],
      },
      SessionCreated: 2,
      SessionDestroyed: 1,
    });
  });

  it('is empty for no names, and keeps namespaces apart', () => {
    expect(metricMembers('A', [])).toBe('');
    const a = JSON.parse(`{${metricMembers('A', ['SessionHit'], 1)}}`);
    const b = JSON.parse(`{${metricMembers('B', ['SessionHit'], 2)}}`);
    expect(a._aws.CloudWatchMetrics[0].Namespace).toBe('A');
    expect(b._aws.CloudWatchMetrics[0].Namespace).toBe('B');
    expect(b._aws.Timestamp).toBe(2);
  });
});

describe('createRequestLog', () => {
  it('writes one JSON line: the fields (the request id first), then the service and the metrics', () => {
    // Prepare
    const log = createRequestLog(new Logger({ logLevel: 'INFO' }), 'svc "x"', 'NS');

    // Act
    const output = captureOutput();
    try {
      log({ requestId: 'id-1', note: 'a "quote" and \n a newline' }, ['SessionHit']);
    } finally {
      output.restore();
    }

    // Assess: one line, one write, opened by the request id
    const text = output.text();
    expect(text.startsWith('{"requestId":"id-1",')).toBe(true);
    expect(text.indexOf('\n')).toBe(text.length - 1);
    const line = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(line)).toEqual(['requestId', 'note', 'service', '_aws', 'SessionHit']);
    expect(line).toMatchObject({ requestId: 'id-1', service: 'svc "x"', SessionHit: 1 });
    expect(line.note).toBe('a "quote" and \n a newline');
    const { Timestamp } = line._aws as { Timestamp: number };
    expect(Math.abs(Timestamp - Date.now())).toBeLessThan(60_000);
  });

  it('writes no service without metrics (it is only their dimension), and a valid line without fields', () => {
    const log = createRequestLog(new Logger({ logLevel: 'DEBUG' }), 'svc', 'NS');
    expect(linesOf(() => log({ requestId: 'id-2' }, []))).toEqual([{ requestId: 'id-2' }]);
    expect(linesOf(() => log({}, []))).toEqual([{}]);
    expect(Object.keys(linesOf(() => log({}, ['SessionMiss']))[0])).toEqual([
      'service',
      '_aws',
      'SessionMiss',
    ]);
  });

  it('writes neither level, message nor timestamp: a page view pays only for what is read', () => {
    const log = createRequestLog(new Logger({ logLevel: 'INFO' }), 'ServerSessionsStack', 'ServerSessions');
    const output = captureOutput();
    try {
      log({ requestId: 'Cx4qNhQ8joEEJvA=' }, ['SessionHit']);
    } finally {
      output.restore();
    }
    const line = output.text().trimEnd();
    expect(line).not.toMatch(/"(level|message|timestamp)"/);
    // The request id, the dimension and one metric in EMF: 243 bytes (docs/operations.md, "Logs").
    expect(Buffer.byteLength(line)).toBe(243);
  });

  it.each(['WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const)(
    'writes nothing when the logger is at %s',
    (logLevel) => {
      const log = createRequestLog(new Logger({ logLevel }), 'svc', 'NS');
      expect(linesOf(() => log({ requestId: 'id-3' }, ['SessionHit']))).toEqual([]);
    },
  );

  // Lambda's application log level (AWS_LAMBDA_LOG_LEVEL, set from the function's logging config)
  // wins over POWERTOOLS_LOG_LEVEL and the constructor's: the line follows the function's setting.
  it.each([
    ['INFO', 'WARN', 1],
    ['WARN', 'INFO', 0],
  ] as const)(
    'follows Lambda’s application log level %s over POWERTOOLS_LOG_LEVEL %s',
    (lambdaLevel, powertoolsLevel, lines) => {
      const saved = {
        lambda: process.env.AWS_LAMBDA_LOG_LEVEL,
        powertools: process.env.POWERTOOLS_LOG_LEVEL,
      };
      process.env.AWS_LAMBDA_LOG_LEVEL = lambdaLevel;
      process.env.POWERTOOLS_LOG_LEVEL = powertoolsLevel;
      try {
        const output = captureOutput();
        let log: ReturnType<typeof createRequestLog>;
        try {
          log = createRequestLog(new Logger(), 'svc', 'NS');
        } finally {
          output.restore();
        }
        expect(linesOf(() => log({ requestId: 'id-4' }, ['SessionHit']))).toHaveLength(lines);
      } finally {
        for (const [name, value] of [
          ['AWS_LAMBDA_LOG_LEVEL', saved.lambda],
          ['POWERTOOLS_LOG_LEVEL', saved.powertools],
        ] as const) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
      }
    },
  );
});
