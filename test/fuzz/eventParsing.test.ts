import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { isCrossSiteRequest } from '../../lambda/http/crossSite';
import { readForm } from '../../lambda/http/form';
import { HttpError } from '../../lambda/http/HttpError';
import { type HttpRequest, parseRequest } from '../../lambda/http/request';
import { MAX_SESSION_COOKIE_CANDIDATES } from '../../lambda/session/src/constants';
import {
  type LambdaHttpEvent,
  resultWithCookies,
  sessionRequestFromEvent,
} from '../../lambda/session/src/httpEvents';
import { StaticKeys } from '../../lambda/session/src/keys/keyProvider';
import { sessionState } from '../../lambda/session/src/Session';
import { SessionCookie } from '../../lambda/session/src/SessionCookie';
import { SessionManager } from '../../lambda/session/src/SessionManager';
import { toHttpApiEvent } from '../../lib/local/apiGateway';
import { httpEvent } from '../../lib/local/httpApiEvents';
import { requestTargetUrl } from '../../lib/local/localServer';
import { EVENT_SOURCES, sampleEvent, sentSetCookies } from '../support/eventSources';
import { testKey } from '../support/keys';
import { documentClient } from '../support/mockedStore';
import { base64UrlOf, fuzz, fuzzAsync, textWith } from './fuzz';

// Event parsing survives whatever API Gateway, a load balancer (or a broken caller) hands it: any
// headers, any cookie arrays, fields of the wrong type; and what it returns is always well-typed.

/** Values of the wrong type, kept small: deep random objects only cost time. */
const junk = fc.anything({ maxDepth: 2, maxKeys: 4 });

const headerName = fc.oneof(
  fc.constantFrom(
    'Host',
    'origin',
    'Origin',
    'Sec-Fetch-Site',
    'content-type',
    'Content-Type',
    'x-forwarded-proto',
    'X-Forwarded-Host',
    'cookie',
    '__proto__',
    'constructor',
    'toString',
  ),
  fc.string({ maxLength: 20 }),
);
const headerValue = fc.oneof(
  { weight: 4, arbitrary: textWith(['http', 'https://', 'same-origin', 'cross-site', ':', '/', ';', ',']) },
  { weight: 1, arbitrary: junk },
);
const cookieEntry = fc.oneof(
  { weight: 4, arbitrary: textWith(['session=', '__Host-session=', '=', ';', '.', '%', '"', ' ']) },
  { weight: 1, arbitrary: fc.tuple(base64UrlOf(32), base64UrlOf(32)).map(([t, s]) => `session=${t}.${s}`) },
  { weight: 1, arbitrary: junk },
);
const headers = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(headerName, headerValue, { maxKeys: 12 }) },
  { weight: 1, arbitrary: junk },
);
const cookies = fc.oneof(
  { weight: 4, arbitrary: fc.array(cookieEntry, { maxLength: 20 }) },
  { weight: 1, arbitrary: junk },
);

/** A realistic event with its headers, cookies, body and context replaced by arbitrary values. */
const event: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: junk },
  {
    weight: 6,
    arbitrary: fc
      .record(
        {
          headers,
          cookies,
          body: fc.oneof(fc.string(), fc.base64String(), junk),
          isBase64Encoded: fc.oneof(fc.boolean(), junk),
          rawPath: fc.oneof(fc.string(), junk),
          requestContext: fc.oneof(
            fc.record(
              {
                http: fc.oneof(fc.record({ method: fc.oneof(fc.string(), junk), path: junk }), junk),
                requestId: fc.oneof(fc.string(), junk),
              },
              { requiredKeys: [] },
            ),
            junk,
          ),
        },
        { requiredKeys: [] },
      )
      .map((fields) => ({ ...httpEvent(), ...fields })),
  },
);

function isWellTyped(request: HttpRequest): boolean {
  return (
    typeof request.method === 'string' &&
    request.method === request.method.toUpperCase() &&
    typeof request.path === 'string' &&
    typeof request.requestId === 'string' &&
    typeof request.secure === 'boolean' &&
    Buffer.isBuffer(request.body) &&
    Array.isArray(request.cookies) &&
    request.cookies.every((cookie) => typeof cookie === 'string') &&
    Object.entries(request.headers).every(
      ([name, value]) => name === name.toLowerCase() && typeof value === 'string',
    )
  );
}

const sessions = new SessionManager({
  client: documentClient(),
  tableName: 'unused',
  keys: new StaticKeys([testKey('fuzz')]),
});
const cookie = new SessionCookie();

describe('parseRequest', () => {
  it('never throws and always returns a well-typed request', () => {
    fuzz(fc.property(event, (input) => isWellTyped(parseRequest(input as APIGatewayProxyEventV2))));
  });

  it('keeps every string cookie, in order, and drops everything else', () => {
    fuzz(
      fc.property(fc.array(cookieEntry, { maxLength: 20 }), (entries) => {
        const request = parseRequest({ ...httpEvent(), cookies: entries as string[] });
        const strings = entries.filter((entry) => typeof entry === 'string');
        return JSON.stringify(request.cookies) === JSON.stringify(strings);
      }),
    );
  });

  it('reads the same cookies and scheme as the library does from the event', () => {
    fuzz(
      fc.property(event, (input) => {
        const request = parseRequest(input as APIGatewayProxyEventV2);
        const sessionRequest = sessionRequestFromEvent(input as APIGatewayProxyEventV2);
        return (
          JSON.stringify(sessionRequest.cookies) === JSON.stringify(request.cookies) &&
          sessionRequest.secure === request.secure
        );
      }),
    );
  });

  it('hands the next steps nothing they cannot handle', async () => {
    await fuzzAsync(
      fc.asyncProperty(event, async (input) => {
        // Prepare
        const request = parseRequest(input as APIGatewayProxyEventV2);

        // Act: everything the handlers do with a request before touching the store.
        const crossSite = isCrossSiteRequest(request.headers);
        const values = cookie.read(request.cookies, request.secure);
        const session = await sessions.attach(request);
        try {
          readForm(request);
        } catch (error) {
          if (!(error instanceof HttpError) || error.status < 400 || error.status > 499) throw error;
        }

        // Assess: none of the random cookies was signed by the key ring.
        return (
          typeof crossSite === 'boolean' &&
          values.length <= MAX_SESSION_COOKIE_CANDIDATES &&
          sessionState(session).token === undefined
        );
      }),
    );
  });
});

/** Header maps as payload 1.0 and a load balancer send them: string arrays, or anything else. */
const multiValueHeaders = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.dictionary(headerName, fc.oneof(fc.array(headerValue, { maxLength: 3 }), junk), {
      maxKeys: 12,
    }),
  },
  { weight: 1, arbitrary: junk },
);

/** An event of a header-borne source (REST, a load balancer with or without multi-value headers), fields replaced. */
const headerSourceEvent: fc.Arbitrary<unknown> = fc
  .tuple(
    fc.constantFrom('rest-api', 'alb', 'alb-multi-value') as fc.Arbitrary<
      'rest-api' | 'alb' | 'alb-multi-value'
    >,
    fc.record(
      { headers, multiValueHeaders, cookies, requestContext: fc.oneof(fc.constant({ elb: {} }), junk) },
      { requiredKeys: [] },
    ),
  )
  .map(([source, fields]) => ({ ...sampleEvent(source), ...fields }));

describe('sessionRequestFromEvent, whatever the source', () => {
  it('never throws, and gives string cookies and a boolean scheme', () => {
    fuzz(
      fc.property(fc.oneof(event, headerSourceEvent), (input) => {
        const request = sessionRequestFromEvent(input as LambdaHttpEvent);
        return (
          Array.isArray(request.cookies) &&
          request.cookies.every((cookie) => typeof cookie === 'string') &&
          typeof request.secure === 'boolean'
        );
      }),
    );
  });

  it('splits Cookie headers into trimmed, non-empty entries, none holding a semicolon', () => {
    fuzz(
      fc.property(headerSourceEvent, (input) =>
        sessionRequestFromEvent(input as LambdaHttpEvent).cookies.every(
          (cookie) => cookie !== '' && cookie === cookie.trim() && !cookie.includes(';'),
        ),
      ),
    );
  });
});

describe('resultWithCookies', () => {
  const setCookie = textWith(['=', ';', ' Path=/', 'a', ' ']).filter((value) => value.trim() !== '');
  const setCookieName = fc.constantFrom('Set-Cookie', 'set-cookie', 'SET-COOKIE');

  it('sends every Set-Cookie of the handler and then the session’s, where each source reads them, or refuses with a TypeError', () => {
    fuzz(
      fc.property(
        fc.constantFrom(...EVENT_SOURCES),
        fc.uniqueArray(setCookie, { maxLength: 4 }),
        fc.nat(4),
        fc.nat(4),
        setCookieName,
        (source, values, ownCount, inHeaders, name) => {
          // Prepare: the handler's own cookies first, in the fields its source reads.
          const own = values.slice(0, Math.min(ownCount, source === 'alb' ? 1 : values.length));
          const session = values.slice(own.length);
          const result: Record<string, unknown> = { statusCode: 200, headers: { location: '/' }, body: '' };
          if (source === 'http-api' || source === 'function-url') {
            result.cookies = own;
          } else if (source === 'alb') {
            if (own.length > 0) result.headers = { location: '/', [name]: own[0] };
          } else {
            // Some in multiValueHeaders, the last one (if any) in headers.
            const split = Math.max(0, own.length - Math.min(inHeaders, 1));
            result.multiValueHeaders = { [name]: own.slice(0, split) };
            if (split < own.length) result.headers = { location: '/', [name]: own[split] };
          }

          // Act
          let answered: unknown;
          try {
            answered = resultWithCookies(sampleEvent(source), result as never, session);
          } catch (error) {
            // Assess: refused only where one Set-Cookie is all that can be sent.
            return error instanceof TypeError && source === 'alb' && own.length + session.length > 1;
          }

          // Assess
          const headersOut = (answered as { headers?: Record<string, unknown> }).headers;
          return (
            !(source === 'alb' && own.length + session.length > 1) &&
            JSON.stringify(sentSetCookies(source, answered)) === JSON.stringify([...own, ...session]) &&
            headersOut?.location === '/'
          );
        },
      ),
    );
  });
});

describe('isCrossSiteRequest', () => {
  const host = fc.tuple(fc.domain(), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }));

  it('allows an Origin naming this site (any case, default port or not) and refuses another host or scheme', () => {
    fuzz(
      fc.property(host, host, fc.constantFrom('http', 'https'), ([name, port], [other], scheme) => {
        const authority = port === undefined ? name : `${name}:${port}`;
        // The site's scheme reaches the handler as X-Forwarded-Proto (the local server: http).
        const site = { host: authority.toUpperCase(), 'x-forwarded-proto': scheme };
        const otherScheme = scheme === 'http' ? 'https' : 'http';
        const sameSite = isCrossSiteRequest({ origin: `${scheme}://${authority}`, ...site });
        const otherHost = isCrossSiteRequest({ origin: `${scheme}://${other}.evil`, ...site });
        // Another scheme is another origin, whatever the ports.
        const otherOrigin = isCrossSiteRequest({ origin: `${otherScheme}://${name}`, ...site });
        return sameSite === false && otherHost === true && otherOrigin === true;
      }),
    );
  });

  /**
   * Sec-Fetch-Site values: the two allowed ones (about a third of the cases each), the browser's
   * refused ones, near misses a sloppy check would let through, and anything else.
   */
  const fetchSiteValue = fc.oneof(
    { weight: 5, arbitrary: fc.constant('same-origin') },
    { weight: 5, arbitrary: fc.constant('none') },
    { weight: 2, arbitrary: fc.constantFrom('same-site', 'cross-site') },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'Same-Origin',
        'NONE',
        ' same-origin',
        'same-origin ',
        'same-origin,none',
        '',
      ),
    },
    { weight: 1, arbitrary: fc.string() },
  );

  it('follows Sec-Fetch-Site whatever Origin says', () => {
    // Prepare: count both verdicts, so that a generator drifting to one side fails the test.
    const verdicts = { allowed: 0, refused: 0 };

    // Act
    fuzz(
      fc.property(headerValue, fetchSiteValue, (origin, fetchSite) => {
        const headers = { 'sec-fetch-site': fetchSite, ...(typeof origin === 'string' ? { origin } : {}) };
        const crossSite = isCrossSiteRequest(headers);
        verdicts[crossSite ? 'refused' : 'allowed']++;
        return crossSite === !['same-origin', 'none'].includes(fetchSite);
      }),
    );

    // Assess: both halves of the property were exercised, each in a good share of the runs.
    const runs = verdicts.allowed + verdicts.refused;
    expect(verdicts.allowed).toBeGreaterThan(runs / 4);
    expect(verdicts.refused).toBeGreaterThan(runs / 8);
  });
});

describe("the local server's API Gateway event", () => {
  /** What node's HTTP parser gives the server: lower-case names, string (or string[]) values. */
  const nodeHeaders = fc.dictionary(
    fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 20 }).map((name) => name.toLowerCase()),
    fc.oneof(
      fc.string({ unit: 'binary-ascii' }),
      fc.array(fc.string({ unit: 'binary-ascii' }), { maxLength: 3 }),
    ),
    { maxKeys: 10 },
  );
  const cookieHeader = fc.option(
    fc.array(textWith([';', '; ', '=', 'session=', ' ']), { maxLength: 30 }).map((parts) => parts.join('; ')),
    { nil: undefined },
  );
  const path = fc.oneof(
    fc.webPath(),
    textWith(['/', '%', '?', '#', '..', '//', '%ZZ', '%C3%28', '\\']).map((text) => `/${text}`),
  );

  it('builds an event parseRequest reads back: cookies split, body intact, proto and client address set', () => {
    fuzz(
      fc.property(
        nodeHeaders,
        cookieHeader,
        path,
        fc.uint8Array({ maxLength: 200 }),
        (headersIn, cookie, target, bytes) => {
          // Prepare
          const message = {
            headers: { ...headersIn, ...(cookie === undefined ? {} : { cookie }) },
            method: 'POST',
            httpVersion: '1.1',
            socket: { remoteAddress: '127.0.0.1', localPort: 3000 },
          } as unknown as IncomingMessage;
          const body = Buffer.from(bytes);
          const url = requestTargetUrl(target);
          if (url === undefined) return true; // the server answers 400 before building an event

          // Act
          const apiEvent = toHttpApiEvent(message, body, 'POST /login', url);
          const request = parseRequest(apiEvent);

          // Assess
          const expectedCookies = (cookie ?? '')
            .split(';')
            .map((entry) => entry.trim())
            .filter((entry) => entry !== '');
          return (
            isWellTyped(request) &&
            JSON.stringify(request.cookies) === JSON.stringify(expectedCookies) &&
            request.body.equals(body) &&
            request.secure === false &&
            request.headers['x-forwarded-for'] === '127.0.0.1' &&
            request.headers.cookie === undefined &&
            request.path === url.pathname
          );
        },
      ),
    );
  });
});
