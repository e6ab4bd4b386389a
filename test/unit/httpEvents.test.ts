import { type LambdaHttpEvent, resultWithCookies, sessionRequestFromEvent } from '@lambda-sessions/dynamodb';
import type { ALBResult, APIGatewayProxyResult, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { EVENT_SOURCES, type EventSource, sampleEvent, sentSetCookies } from '../support/eventSources';

// The two helpers every adapter goes through: the session's request read from any Lambda HTTP
// source's event, and the session's Set-Cookie values put where that source sends them from.

const SESSION = '__Host-session=abc.def; Path=/; HttpOnly; Secure; SameSite=Lax';
const CLEARED = '__Host-session=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax';
const MULTI_VALUE: readonly EventSource[] = ['rest-api', 'alb-multi-value'];
const PAYLOAD_2: readonly EventSource[] = ['http-api', 'function-url'];

/** A REST API event of an HTTP API route set to payload 1.0: REST's shape, `version: '1.0'`. */
function httpApiPayload1Event(options: Parameters<typeof sampleEvent>[1] = {}): LambdaHttpEvent {
  return { ...sampleEvent('rest-api', options), version: '1.0' } as LambdaHttpEvent;
}

describe('sessionRequestFromEvent', () => {
  it.each(EVENT_SOURCES)('reads the cookies a browser sent through %s, in order, over HTTPS', (source) => {
    // Prepare
    const event = sampleEvent(source, { cookies: ['__Host-session=abc.def', 'theme=dark'] });

    // Act
    const request = sessionRequestFromEvent(event);

    // Assess
    expect(request).toEqual({ cookies: ['__Host-session=abc.def', 'theme=dark'], secure: true });
  });

  it.each(EVENT_SOURCES)('reads no cookies from a %s event without any', (source) => {
    expect(sessionRequestFromEvent(sampleEvent(source))).toEqual({ cookies: [], secure: true });
  });

  it.each(EVENT_SOURCES)(
    'takes X-Forwarded-Proto: http from %s as plain HTTP, whatever its case',
    (source) => {
      for (const forwardedProto of ['http', 'HTTP', ' http ']) {
        expect(sessionRequestFromEvent(sampleEvent(source, { forwardedProto })).secure).toBe(false);
      }
      expect(sessionRequestFromEvent(sampleEvent(source, { forwardedProto: 'https' })).secure).toBe(true);
    },
  );

  it('reads an HTTP API route on payload 1.0 as a REST API event', () => {
    // Act
    const request = sessionRequestFromEvent(
      httpApiPayload1Event({ cookies: ['a=1', 'b=2'], forwardedProto: 'http' }),
    );

    // Assess
    expect(request).toEqual({ cookies: ['a=1', 'b=2'], secure: false });
  });

  it('REST: reads every Cookie header once, though headers repeats the last of multiValueHeaders', () => {
    // Prepare: two Cookie headers (an HTTP/2 client may split them), with REST's two maps.
    const event = sampleEvent('rest-api');
    event.multiValueHeaders.cookie = ['a=1; b=2', 'c=3'];
    event.headers.cookie = 'c=3';

    // Act
    const { cookies } = sessionRequestFromEvent(event);

    // Assess
    expect(cookies).toEqual(['a=1', 'b=2', 'c=3']);
  });

  it('REST: reads the Cookie header of any case, and headers alone when multiValueHeaders has none', () => {
    // Prepare
    const event = sampleEvent('rest-api');
    event.multiValueHeaders = {};
    event.headers.COOKIE = 'a=1';

    // Act
    const { cookies } = sessionRequestFromEvent(event);

    // Assess
    expect(cookies).toEqual(['a=1']);
  });

  it('splits a Cookie header on semicolons, leaving out empty entries and spaces', () => {
    // Prepare
    const event = sampleEvent('alb');
    event.headers = { ...event.headers, cookie: ' a=1;;b=2 ;  ; c=x=y ' };

    // Act
    const { cookies } = sessionRequestFromEvent(event);

    // Assess
    expect(cookies).toEqual(['a=1', 'b=2', 'c=x=y']);
  });

  it('payload 2.0 reads its cookies array only: API Gateway moves the Cookie header there', () => {
    // Prepare
    const event = sampleEvent('http-api', { cookies: ['a=1'] });
    event.headers.cookie = 'b=2';

    // Act
    const { cookies } = sessionRequestFromEvent(event);

    // Assess
    expect(cookies).toEqual(['a=1']);
  });

  it('gives HTTPS when no X-Forwarded-Proto says otherwise (the safer cookie)', () => {
    // Prepare
    const event = sampleEvent('alb');
    delete event.headers?.['x-forwarded-proto'];

    // Act
    const { secure } = sessionRequestFromEvent(event);

    // Assess
    expect(secure).toBe(true);
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['a string', 'cookie: a=1'],
    ['an array', [['cookie', 'a=1']]],
    ['an empty object', {}],
    ['payload 2.0 with cookies as a string', { version: '2.0', cookies: 'a=1', headers: null }],
    ['payload 2.0 with cookies of the wrong types', { version: '2.0', cookies: [1, null, { a: 1 }] }],
    ['REST with headers as a string', { headers: 'Cookie: a=1', multiValueHeaders: 'Cookie: a=1' }],
    ['REST with a Cookie header as an array', { headers: { Cookie: ['a=1'] }, multiValueHeaders: {} }],
    ['REST with multi-value Cookie as a string', { headers: {}, multiValueHeaders: { Cookie: 'a=1' } }],
    [
      'ALB with values of the wrong types',
      { requestContext: { elb: {} }, multiValueHeaders: { cookie: [1, null] } },
    ],
    ['ALB with a null context', { requestContext: null, headers: { cookie: 7 } }],
  ])('reads %s as no cookies, without throwing', (_what, event) => {
    expect(sessionRequestFromEvent(event as LambdaHttpEvent)).toEqual({ cookies: [], secure: true });
  });

  it('keeps the string cookies of a payload 2.0 array with other values in it', () => {
    const event = { version: '2.0', cookies: [1, 'a=1', null, 'b=2'] } as unknown as LambdaHttpEvent;
    expect(sessionRequestFromEvent(event).cookies).toEqual(['a=1', 'b=2']);
  });
});

describe('resultWithCookies', () => {
  describe.each(PAYLOAD_2)('%s (payload 2.0)', (source) => {
    const event = sampleEvent(source);

    it('appends the Set-Cookie values to cookies, after the handler’s own', () => {
      // Prepare
      const result: APIGatewayProxyStructuredResultV2 = {
        statusCode: 303,
        headers: { location: '/' },
        cookies: ['theme=dark; Path=/'],
      };

      // Act
      const answered = resultWithCookies(event, result, [SESSION]);

      // Assess
      expect(answered).toEqual({
        statusCode: 303,
        headers: { location: '/' },
        cookies: ['theme=dark; Path=/', SESSION],
      });
      expect(sentSetCookies(source, answered)).toEqual(['theme=dark; Path=/', SESSION]);
      expect(result.cookies).toEqual(['theme=dark; Path=/']);
    });

    it('makes a bare body a 200 JSON result when there are cookies, and leaves it alone when not', () => {
      expect(resultWithCookies(event, '{"ok":true}', [SESSION])).toEqual({
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: '{"ok":true}',
        cookies: [SESSION],
      });
      expect(resultWithCookies(event, undefined, [SESSION])).toMatchObject({ statusCode: 200, body: '' });
      expect(resultWithCookies(event, '{"ok":true}', [])).toBe('{"ok":true}');
      expect(resultWithCookies(event, undefined, [])).toBeUndefined();
    });

    it('returns the very result when there is no cookie to add', () => {
      const result = { statusCode: 200, body: 'ok' };
      expect(resultWithCookies(event, result, [])).toBe(result);
    });
  });

  describe.each(MULTI_VALUE)('%s (multi-value headers)', (source) => {
    const event = sampleEvent(source);

    it('puts the Set-Cookie values in multiValueHeaders, and nowhere else', () => {
      // Act
      const answered = resultWithCookies(event, { statusCode: 200, body: 'ok' }, [SESSION]);

      // Assess
      expect(answered).toEqual({
        statusCode: 200,
        body: 'ok',
        multiValueHeaders: { 'Set-Cookie': [SESSION] },
      });
      expect(sentSetCookies(source, answered)).toEqual([SESSION]);
    });

    it('gathers the handler’s own Set-Cookie (headers or multiValueHeaders, any case) before the session’s', () => {
      // Prepare
      const result: APIGatewayProxyResult = {
        statusCode: 303,
        headers: { Location: '/', 'set-cookie': 'theme=dark; Path=/' },
        multiValueHeaders: { 'SET-COOKIE': ['lang=en; Path=/'], Vary: ['Cookie'] },
        body: '',
      };
      const before = structuredClone(result);

      // Act
      const answered = resultWithCookies(event, result, [SESSION]);

      // Assess
      expect(answered).toEqual({
        statusCode: 303,
        headers: { Location: '/' },
        multiValueHeaders: {
          Vary: ['Cookie'],
          'Set-Cookie': ['lang=en; Path=/', 'theme=dark; Path=/', SESSION],
        },
        body: '',
      });
      expect(sentSetCookies(source, answered)).toEqual(['lang=en; Path=/', 'theme=dark; Path=/', SESSION]);
      expect(result).toEqual(before);
    });

    it('moves the handler’s Set-Cookie out of headers even with no cookie to add (a load balancer would ignore it)', () => {
      // Prepare
      const result = { statusCode: 200, headers: { 'Set-Cookie': 'theme=dark', Vary: 'Cookie' }, body: 'ok' };

      // Act
      const answered = resultWithCookies(event, result, []);

      // Assess
      expect(answered).toEqual({
        statusCode: 200,
        headers: { Vary: 'Cookie' },
        multiValueHeaders: { 'Set-Cookie': ['theme=dark'] },
        body: 'ok',
      });
    });

    it('returns the very result when it has no Set-Cookie in headers and there is none to add', () => {
      const result = { statusCode: 200, multiValueHeaders: { 'set-cookie': ['theme=dark'] }, body: 'ok' };
      expect(resultWithCookies(event, result, [])).toBe(result);
    });

    it('sends a value the handler set in both headers and multiValueHeaders once', () => {
      // Prepare
      const result = {
        statusCode: 200,
        headers: { 'Set-Cookie': 'theme=dark' },
        multiValueHeaders: { 'Set-Cookie': ['theme=dark'] },
        body: 'ok',
      };

      // Act
      const answered = resultWithCookies(event, result, [CLEARED]);

      // Assess
      expect(sentSetCookies(source, answered)).toEqual(['theme=dark', CLEARED]);
    });

    it('makes a bare body a 200 JSON result, with or without cookies: the source takes no bare body', () => {
      expect(resultWithCookies(event, 'hello', [SESSION])).toEqual({
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: 'hello',
        multiValueHeaders: { 'Set-Cookie': [SESSION] },
      });
      expect(resultWithCookies(event, 'hello', [])).toEqual({
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: 'hello',
      });
      expect(resultWithCookies(event, null, [])).toEqual({
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: '',
      });
    });
  });

  it('an HTTP API route on payload 1.0 gets multiValueHeaders, as REST does', () => {
    // Act
    const answered = resultWithCookies(httpApiPayload1Event(), { statusCode: 200, body: 'ok' }, [SESSION]);

    // Assess
    expect(answered).toEqual({ statusCode: 200, body: 'ok', multiValueHeaders: { 'Set-Cookie': [SESSION] } });
  });

  describe('alb (without multi-value headers)', () => {
    const event = sampleEvent('alb');

    it('puts the one Set-Cookie in headers, keeping the rest of the result', () => {
      // Prepare
      const result: ALBResult = {
        statusCode: 303,
        statusDescription: '303 See Other',
        headers: { location: '/' },
        body: '',
      };

      // Act
      const answered = resultWithCookies(event, result, [SESSION]);

      // Assess
      expect(answered).toEqual({
        statusCode: 303,
        statusDescription: '303 See Other',
        headers: { location: '/', 'Set-Cookie': SESSION },
        body: '',
      });
      expect(sentSetCookies('alb', answered)).toEqual([SESSION]);
    });

    it('refuses to send a second Set-Cookie with a TypeError saying to enable multi-value headers', () => {
      // Prepare: the handler set one (lower case), the session adds one.
      const result: ALBResult = { statusCode: 200, headers: { 'set-cookie': 'theme=dark' }, body: 'ok' };

      // Act
      const answering = () => resultWithCookies(event, result, [SESSION]);

      // Assess
      expect(answering).toThrow(TypeError);
      expect(answering).toThrow(/enable multi-value headers on the target group/);
      expect(answering).toThrow(/2 Set-Cookie headers/);
    });

    it('refuses two Set-Cookie values of the session alone too', () => {
      expect(() => resultWithCookies(event, { statusCode: 200, body: 'ok' }, [CLEARED, SESSION])).toThrow(
        /multi-value headers/,
      );
    });

    it('leaves the handler’s own single Set-Cookie alone when the session adds none', () => {
      const result: ALBResult = { statusCode: 200, headers: { 'Set-Cookie': 'theme=dark' }, body: 'ok' };
      expect(resultWithCookies(event, result, [])).toEqual(result);
    });

    it('makes a bare body a 200 JSON result, with its one cookie in headers', () => {
      expect(resultWithCookies(event, 'hello', [SESSION])).toEqual({
        statusCode: 200,
        headers: { 'content-type': 'application/json', 'Set-Cookie': SESSION },
        body: 'hello',
      });
    });
  });
});
