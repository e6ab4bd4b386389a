import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type {
  ALBEvent,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  LambdaFunctionURLEvent,
} from 'aws-lambda';

/** The Lambda HTTP sources, each with its sample event in test/fixtures/events/<source>.json. */
export interface SampleEvents {
  'rest-api': APIGatewayProxyEvent;
  'http-api': APIGatewayProxyEventV2;
  alb: ALBEvent;
  'alb-multi-value': ALBEvent;
  'function-url': LambdaFunctionURLEvent;
}
export type EventSource = keyof SampleEvents;
export const EVENT_SOURCES: readonly EventSource[] = [
  'rest-api',
  'http-api',
  'alb',
  'alb-multi-value',
  'function-url',
];

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'events');

export interface SampleEventOptions {
  /** `name=value` pairs, sent as the source sends a browser's cookies. */
  cookies?: readonly string[];
  method?: string;
  path?: string;
  /** Replaces `X-Forwarded-Proto` (the samples say `https`). */
  forwardedProto?: string;
}

/**
 * A fresh copy of `source`'s sample event, with `cookies` where that source puts a browser's
 * `Cookie` header: payload 2.0 splits it into `cookies`; REST passes it as it came, in `headers`
 * and `multiValueHeaders` both; a load balancer in the one it uses.
 * @example sampleEvent('alb', { cookies: ['__Host-session=…'], method: 'POST', path: '/login' })
 */
export function sampleEvent<Source extends EventSource>(
  source: Source,
  options: SampleEventOptions = {},
): SampleEvents[Source] {
  const event = JSON.parse(readFileSync(path.join(FIXTURES, `${source}.json`), 'utf8'));
  const method = options.method ?? 'GET';
  const target = options.path ?? '/';
  const cookieHeader = options.cookies?.length ? options.cookies.join('; ') : undefined;
  if (event.version === '2.0') {
    Object.assign(event, { rawPath: target });
    Object.assign(event.requestContext.http, { method, path: target });
    if (options.cookies?.length) event.cookies = [...options.cookies];
    if (options.forwardedProto) event.headers['x-forwarded-proto'] = options.forwardedProto;
    return event;
  }
  Object.assign(event, { httpMethod: method, path: target });
  if (source === 'rest-api') {
    Object.assign(event, { resource: target });
    Object.assign(event.requestContext, {
      httpMethod: method,
      path: `/${event.requestContext.stage}${target}`,
      resourcePath: target,
    });
  }
  // REST names headers as the client sent them; a load balancer in lower case.
  const [cookie, proto] =
    source === 'rest-api' ? ['Cookie', 'X-Forwarded-Proto'] : ['cookie', 'x-forwarded-proto'];
  if (event.headers) {
    if (cookieHeader) event.headers[cookie] = cookieHeader;
    if (options.forwardedProto) event.headers[proto] = options.forwardedProto;
  }
  if (event.multiValueHeaders) {
    if (cookieHeader) event.multiValueHeaders[cookie] = [cookieHeader];
    if (options.forwardedProto) event.multiValueHeaders[proto] = [options.forwardedProto];
  }
  return event;
}

/**
 * The Set-Cookie values `source` sends for a Lambda result, read where that source reads them:
 * payload 2.0 `cookies`; REST `multiValueHeaders` and `headers`; a load balancer with
 * multi-value headers `multiValueHeaders` only; one without, `headers` only. Throws on a
 * Set-Cookie in a field the source ignores: a cookie lost.
 */
export function sentSetCookies(source: EventSource, result: unknown): string[] {
  if (typeof result !== 'object' || result === null) throw new Error(`not a structured result: ${result}`);
  const fields = result as {
    cookies?: string[];
    headers?: Record<string, unknown>;
    multiValueHeaders?: Record<string, unknown[]>;
  };
  const single = Object.entries(fields.headers ?? {})
    .filter(([name]) => name.toLowerCase() === 'set-cookie')
    .map(([, value]) => String(value));
  const multi = Object.entries(fields.multiValueHeaders ?? {})
    .filter(([name]) => name.toLowerCase() === 'set-cookie')
    .flatMap(([, values]) => values.map(String));
  const lost = (what: string, values: readonly unknown[]) => {
    if (values.length > 0) throw new Error(`${source} ignores ${what}: ${values.join(' | ')} would be lost`);
  };
  switch (source) {
    case 'http-api':
    case 'function-url':
      lost('multiValueHeaders', multi);
      return fields.cookies ?? [];
    case 'rest-api':
      lost('cookies', fields.cookies ?? []);
      return [...multi, ...single.filter((value) => !multi.includes(value))];
    case 'alb-multi-value':
      lost('cookies', fields.cookies ?? []);
      lost('headers', single);
      return multi;
    case 'alb':
      lost('cookies', fields.cookies ?? []);
      lost('multiValueHeaders', multi);
      if (single.length > 1) throw new Error(`alb sends one Set-Cookie, got ${single.length}`);
      return single;
  }
}
