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
  it('writes one JSON line in the Logger’s layout, then the fields, then the metrics', () => {
    // Prepare
    const log = createRequestLog(new Logger({ logLevel: 'INFO' }), 'svc "x"', 'NS');

    // Act
    const lines = linesOf(() => log({ route: 'index', note: 'a "quote" and \n a newline' }, ['SessionHit']));

    // Assess
    expect(lines).toHaveLength(1);
    expect(Object.keys(lines[0])).toEqual([
      'level',
      'message',
      'timestamp',
      'service',
      'route',
      'note',
      '_aws',
      'SessionHit',
    ]);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      message: 'request',
      service: 'svc "x"',
      route: 'index',
      SessionHit: 1,
    });
    expect(lines[0].note).toBe('a "quote" and \n a newline');
    expect(Math.abs(Date.parse(String(lines[0].timestamp)) - Date.now())).toBeLessThan(60_000);
  });

  it('writes a valid line without fields or metrics', () => {
    const log = createRequestLog(new Logger({ logLevel: 'DEBUG' }), 'svc', 'NS');
    expect(linesOf(() => log({}, []))).toEqual([
      { level: 'INFO', message: 'request', timestamp: expect.any(String), service: 'svc' },
    ]);
  });

  it.each(['WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const)(
    'writes nothing when the logger is at %s',
    (logLevel) => {
      const log = createRequestLog(new Logger({ logLevel }), 'svc', 'NS');
      expect(linesOf(() => log({ route: 'index' }, ['SessionHit']))).toEqual([]);
    },
  );
});
