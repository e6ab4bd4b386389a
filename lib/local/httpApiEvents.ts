import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface EventOptions {
  method?: string;
  path?: string;
  cookies?: string[];
  headers?: Record<string, string>;
  /** Sent base64-encoded, as API Gateway sends form posts. */
  body?: string | Buffer;
  secure?: boolean;
}

let counter = 0;

/**
 * A realistic API Gateway HTTP API payload 2.0 event, built in code for the tests and the bench
 * (`apiGateway.ts` builds the same shape from a real HTTP request).
 * @example await handler(httpEvent({ path: '/', cookies: [cookie] }));
 */
export function httpEvent(options: EventOptions = {}): APIGatewayProxyEventV2 {
  const method = options.method ?? 'GET';
  const path = options.path ?? '/';
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const requestId = `test-request-${++counter}`;
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    ...(options.cookies ? { cookies: options.cookies } : {}),
    headers: {
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      'user-agent': 'jest',
      'x-forwarded-proto': options.secure === false ? 'http' : 'https',
      'x-forwarded-port': options.secure === false ? '80' : '443',
      'x-forwarded-for': '203.0.113.7',
      ...(body ? { 'content-length': String(body.length) } : {}),
      ...options.headers,
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'jest' },
      requestId,
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '25/Nov/2026:22:00:00 +0000',
      timeEpoch: Date.now(),
    },
    ...(body ? { body: body.toString('base64'), isBase64Encoded: true } : { isBase64Encoded: false }),
  };
}

/** A `POST` event with a urlencoded form body. */
export function formEvent(
  path: string,
  fields: Record<string, string>,
  options: EventOptions = {},
): APIGatewayProxyEventV2 {
  return httpEvent({
    method: 'POST',
    path,
    body: new URLSearchParams(fields).toString(),
    ...options,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
  });
}

/** A `POST /login` event with a urlencoded form body. */
export function loginEvent(username: string, options: EventOptions = {}): APIGatewayProxyEventV2 {
  return formEvent('/login', { username }, options);
}

/** The `name=value` part of each `Set-Cookie` value, ready to send back in `cookies`. */
export function cookieJar(setCookies: readonly string[] | undefined): string[] {
  return (setCookies ?? []).map((cookie) => cookie.split(';')[0]);
}
