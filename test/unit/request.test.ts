import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { parseRequest } from '../../lambda/http/request';
import { httpEvent } from '../../lib/local/httpApiEvents';

describe('parseRequest', () => {
  it('reads method, path, request id and cookies from a payload 2.0 event', () => {
    // Prepare
    const event = httpEvent({
      method: 'post',
      path: '/login',
      cookies: ['__Host-session=abc', 'theme=dark'],
    });

    // Act
    const request = parseRequest(event);

    // Assess
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/login');
    expect(request.requestId).toBe(event.requestContext.requestId);
    expect(request.cookies).toEqual(['__Host-session=abc', 'theme=dark']);
  });

  it('decodes a base64 body', () => {
    // Prepare
    const event = httpEvent({ method: 'POST', body: 'username=J%C3%BCrgen' });
    expect(event.isBase64Encoded).toBe(true);
    expect(event.body).not.toContain('username');

    // Act & Assess
    expect(parseRequest(event).body.toString('utf8')).toBe('username=J%C3%BCrgen');
  });

  it('keeps binary base64 bodies byte for byte', () => {
    const bytes = Buffer.from([0, 0xff, 0x80, 0x3d]);
    expect(parseRequest(httpEvent({ method: 'POST', body: bytes })).body.equals(bytes)).toBe(true);
  });

  it('takes a plain body as UTF-8', () => {
    const event = { ...httpEvent({ method: 'POST' }), body: 'username=é', isBase64Encoded: false };
    expect(parseRequest(event).body).toEqual(Buffer.from('username=é', 'utf8'));
  });

  it('lower-cases header names and keeps values', () => {
    // Prepare
    const event = httpEvent({
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Sec-Fetch-Site': 'same-origin' },
    });

    // Act
    const { headers } = parseRequest(event);

    // Assess
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(headers['sec-fetch-site']).toBe('same-origin');
    expect(headers['Content-Type']).toBeUndefined();
  });

  it('is secure unless x-forwarded-proto says http', () => {
    expect(parseRequest(httpEvent({ secure: true })).secure).toBe(true);
    expect(parseRequest(httpEvent({ secure: false })).secure).toBe(false);
    const { headers: _omit, ...withoutHeaders } = httpEvent();
    expect(parseRequest(withoutHeaders as APIGatewayProxyEventV2).secure).toBe(true);
    expect(parseRequest(httpEvent({ headers: { 'x-forwarded-proto': 'HTTP' } })).secure).toBe(false);
  });

  it('has no cookies and an empty body when the event has none', () => {
    const request = parseRequest(httpEvent());
    expect(request.cookies).toEqual([]);
    expect(request.body).toHaveLength(0);
  });

  it('falls back to rawPath when requestContext.http is missing', () => {
    const event = {
      ...httpEvent({ path: '/logout' }),
      requestContext: {},
    } as unknown as APIGatewayProxyEventV2;
    expect(parseRequest(event).path).toBe('/logout');
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['an empty object', {}],
    ['a string', 'GET /'],
    ['a number', 42],
    ['an array', []],
    [
      'fields of the wrong type',
      {
        headers: 'host: x',
        cookies: 'session=x',
        body: 42,
        isBase64Encoded: 'yes',
        rawPath: 7,
        requestContext: { http: { method: 5, path: null }, requestId: {} },
      },
    ],
    ['null fields', { headers: null, cookies: null, body: null, requestContext: null }],
    ['an array of headers', { headers: ['a', 'b'] }],
    [
      'non-string header values and cookies',
      { headers: { Host: 5, Origin: null, Ok: 'yes' }, cookies: [1, null, 'a=b', {}] },
    ],
    ['requestContext.http as a string', { requestContext: { http: 'GET' } }],
    ['an invalid base64 body', { body: '!!!not base64***', isBase64Encoded: true }],
  ])('never throws for a malformed event: %s', (_label, event) => {
    // Act
    const parse = () => parseRequest(event as APIGatewayProxyEventV2);

    // Assess
    expect(parse).not.toThrow();
    const request = parse();
    expect(typeof request.method).toBe('string');
    expect(typeof request.path).toBe('string');
    expect(typeof request.requestId).toBe('string');
    expect(Buffer.isBuffer(request.body)).toBe(true);
    expect(Array.isArray(request.cookies)).toBe(true);
    expect(request.cookies.every((cookie) => typeof cookie === 'string')).toBe(true);
    expect(Object.values(request.headers).every((value) => typeof value === 'string')).toBe(true);
  });

  it('uses safe defaults for wrong types', () => {
    // Act
    const request = parseRequest({
      headers: { Host: 5, Ok: 'yes' },
      cookies: [1, 'a=b'],
      requestContext: { http: { method: 5 }, requestId: 9 },
      body: 42,
    } as unknown as APIGatewayProxyEventV2);

    // Assess
    expect(request).toEqual({
      method: 'GET',
      path: '/',
      headers: { ok: 'yes' },
      cookies: ['a=b'],
      body: Buffer.alloc(0),
      requestId: 'unknown',
      secure: true,
    });
  });
});
