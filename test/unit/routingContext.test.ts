/**
 * The routing context (`-c domainName=... -c hostedZoneId=... -c hostedZoneName=...`): all three
 * or none, each checked, the domain inside the zone.
 */
import { App } from 'aws-cdk-lib';
import { type ContextDomain, contextDomain } from '../../lib/context';

const GOOD = {
  domainName: 'sessions.example.com',
  hostedZoneId: 'Z0123456789ABCDEFGHIJ',
  hostedZoneName: 'example.com',
} as const;

function domainFrom(context: Record<string, unknown>): ContextDomain | undefined {
  return contextDomain(new App({ context }));
}

/** The message contextDomain throws for `context`, or a failure when it does not throw. */
function errorFrom(context: Record<string, unknown>): string {
  try {
    domainFrom(context);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`expected an error for ${JSON.stringify(context)}`);
}

describe('contextDomain', () => {
  it('is undefined without any of the three keys (no custom domain)', () => {
    // Act
    const domain = domainFrom({ regions: 'us-east-1,us-east-2' });

    // Assess
    expect(domain).toBeUndefined();
  });

  it('reads all three', () => {
    // Act
    const domain = domainFrom(GOOD);

    // Assess
    expect(domain).toEqual<ContextDomain>(GOOD);
  });

  it('takes upper case, a trailing dot and the API form of the zone id, and normalizes them', () => {
    // Act
    const domain = domainFrom({
      domainName: 'Sessions.Example.COM.',
      hostedZoneId: '/hostedzone/Z0123456789ABCDEFGHIJ',
      hostedZoneName: 'example.com.',
    });

    // Assess
    expect(domain).toEqual<ContextDomain>(GOOD);
  });

  it('takes the zone apex and names several labels deep', () => {
    // Act
    const apex = domainFrom({ ...GOOD, domainName: 'example.com' });
    const deep = domainFrom({ ...GOOD, domainName: 'a-1.b2.sessions.example.com' });

    // Assess
    expect(apex?.domainName).toBe('example.com');
    expect(deep?.domainName).toBe('a-1.b2.sessions.example.com');
  });

  it.each([
    [{ domainName: GOOD.domainName }, 'missing hostedZoneId, hostedZoneName'],
    [{ hostedZoneId: GOOD.hostedZoneId, hostedZoneName: GOOD.hostedZoneName }, 'missing domainName'],
    [{ domainName: GOOD.domainName, hostedZoneName: GOOD.hostedZoneName }, 'missing hostedZoneId'],
    [{ hostedZoneId: GOOD.hostedZoneId }, 'missing domainName, hostedZoneName'],
  ])('refuses a partial set, naming the missing keys: %j', (context, missing) => {
    // Act
    const message = errorFrom(context);

    // Assess
    expect(message).toBe(
      `Context domainName, hostedZoneId, hostedZoneName: give all three or none; ${missing}`,
    );
  });

  it.each([
    'sessions example.com',
    '*.example.com',
    '-sessions.example.com',
    'sessions-.example.com',
    'sessions..example.com',
    'sessions_1.example.com',
    'https://sessions.example.com',
    'sessions.example.com/login',
    'localhost',
    '',
    `${'a'.repeat(64)}.example.com`,
    `${'abcdefghi.'.repeat(25)}example.com`,
  ])('refuses the domain name %j', (domainName) => {
    // Act
    const message = errorFrom({ ...GOOD, domainName });

    // Assess
    expect(message).toBe(
      'Context domainName: expected a host name such as sessions.example.com (letters, digits and ' +
        `hyphens, dot-separated, no wildcard), got ${JSON.stringify(domainName)}`,
    );
  });

  it.each([true, 42, ['sessions.example.com']])(
    'refuses a domain name that is not a string: %j',
    (domainName) => {
      // Act
      const message = errorFrom({ ...GOOD, domainName });

      // Assess
      expect(message).toMatch(/^Context domainName: expected a host name/);
    },
  );

  it.each(['com', 'example com', 'example.com/'])('refuses the zone name %j', (hostedZoneName) => {
    // Act
    const message = errorFrom({ ...GOOD, hostedZoneName });

    // Assess
    expect(message).toMatch(/^Context hostedZoneName: expected a host name/);
  });

  it.each(['z0123456789', 'X0123456789', 'Z', 'Z0123 456789', `Z${'A'.repeat(32)}`, '', 12345])(
    'refuses the hosted zone id %j',
    (hostedZoneId) => {
      // Act
      const message = errorFrom({ ...GOOD, hostedZoneId });

      // Assess
      expect(message).toBe(
        'Context hostedZoneId: expected a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ, got ' +
          JSON.stringify(hostedZoneId),
      );
    },
  );

  it.each([
    ['sessions.example.org', 'example.com'],
    // A suffix of the text is not enough: the zone must end at a dot.
    ['sessions.badexample.com', 'example.com'],
    ['example.com', 'sessions.example.com'],
  ])('refuses %s outside the zone %s', (domainName, hostedZoneName) => {
    // Act
    const message = errorFrom({ ...GOOD, domainName, hostedZoneName });

    // Assess
    expect(message).toBe(
      `Context domainName: ${domainName} is not in the hosted zone ${hostedZoneName} (expected ` +
        `${hostedZoneName} or a name ending in .${hostedZoneName})`,
    );
  });
});
