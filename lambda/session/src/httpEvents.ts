import type {
  ALBEvent,
  ALBResult,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyStructuredResultV2,
  LambdaFunctionURLEvent,
} from 'aws-lambda';
import type { SessionRequest } from './SessionScope.js';

/**
 * The Lambda HTTP events the library reads: API Gateway REST API (payload 1.0, as is an HTTP API
 * route set to payload 1.0), API Gateway HTTP API (payload 2.0), an Application Load Balancer
 * target group, and a function URL (payload 2.0).
 */
export type LambdaHttpEvent =
  | APIGatewayProxyEvent
  | APIGatewayProxyEventV2
  | ALBEvent
  | LambdaFunctionURLEvent;

/**
 * The structured result the source of `Event` takes: `ALBResult` for a load balancer,
 * `APIGatewayProxyStructuredResultV2` for payload 2.0 (HTTP API, function URL),
 * `APIGatewayProxyResult` for payload 1.0 (REST API).
 */
export type LambdaHttpResult<Event extends LambdaHttpEvent = LambdaHttpEvent> = Event extends ALBEvent
  ? ALBResult
  : Event extends APIGatewayProxyEventV2
    ? APIGatewayProxyStructuredResultV2
    : APIGatewayProxyResult;

/** How a source takes cookies in and sends Set-Cookie out. */
type Source = 'payload-2.0' | 'payload-1.0' | 'alb' | 'alb-multi-value';

/**
 * The event's source, told apart by its shape. Payload 2.0 says `version: '2.0'` (a function URL
 * too); a load balancer's event alone has `requestContext.elb`, and its `multiValueHeaders` only
 * when the target group has multi-value headers on (then it wants them in the result too).
 * Anything else is payload 1.0.
 */
function sourceOf(event: unknown): Source {
  if (!isObject(event)) return 'payload-1.0';
  if (event.version === '2.0') return 'payload-2.0';
  if (isObject(event.requestContext) && isObject(event.requestContext.elb)) {
    return isObject(event.multiValueHeaders) ? 'alb-multi-value' : 'alb';
  }
  return 'payload-1.0';
}

/**
 * The session's view of a Lambda HTTP event, whatever its source: its cookies (payload 2.0's
 * `cookies`, or the `Cookie` headers of payload 1.0 and a load balancer), and whether the client
 * used HTTPS: yes unless `X-Forwarded-Proto` (any case) says `http`, as a load balancer's HTTP
 * listener or a local emulator does. Never throws: a malformed event gives no cookies.
 * @example const session = await sessions.load(sessionRequestFromEvent(event));
 */
export function sessionRequestFromEvent(event: LambdaHttpEvent): SessionRequest {
  const fields: Record<string, unknown> = isObject(event) ? event : {};
  if (sourceOf(event) === 'payload-2.0') {
    const cookies = Array.isArray(fields.cookies)
      ? fields.cookies.filter((cookie): cookie is string => typeof cookie === 'string')
      : [];
    return { cookies, secure: isSecure(headerValues(fields.headers, 'x-forwarded-proto')) };
  }
  // Payload 1.0 repeats every header in `headers` (its last value only) and `multiValueHeaders`
  // (all of them): read one, or each cookie would count twice. A load balancer sends one of them.
  const values = (name: string) => {
    const multiValue = headerValues(fields.multiValueHeaders, name, true);
    return multiValue.length > 0 ? multiValue : headerValues(fields.headers, name);
  };
  const cookies = values('cookie').flatMap((header) =>
    header
      .split(';')
      .map((pair) => pair.trim())
      .filter((pair) => pair !== ''),
  );
  return { cookies, secure: isSecure(values('x-forwarded-proto')) };
}

/** HTTPS unless the last `X-Forwarded-Proto` says `http`: with none, the safer cookie. */
function isSecure(forwardedProto: readonly string[]): boolean {
  return forwardedProto.at(-1)?.trim().toLowerCase() !== 'http';
}

/**
 * The string values of a header (`name` in lower case) in a `headers` map (string values), or
 * with `multiValue` in a `multiValueHeaders` map (string arrays), whatever the case of its name:
 * REST APIs keep the client's. Values of the wrong shape are left out.
 */
function headerValues(headers: unknown, name: string, multiValue = false): string[] {
  if (!isObject(headers)) return [];
  return Object.entries(headers)
    .filter(([header]) => header.toLowerCase() === name)
    .flatMap(([, value]): unknown[] => {
      if (!multiValue) return [value];
      return Array.isArray(value) ? value : [];
    })
    .filter((value): value is string => typeof value === 'string');
}

/**
 * `result` with the session's `Set-Cookie` values where the event's source sends them from:
 * - payload 2.0 (HTTP API, function URL): appended to `cookies`;
 * - payload 1.0 (REST API), and a load balancer with multi-value headers: in
 *   `multiValueHeaders['Set-Cookie']`, after the handler's own, which are gathered there from
 *   `headers` and `multiValueHeaders` whatever the case of their name;
 * - a load balancer without multi-value headers: the one `headers['Set-Cookie']` it can send.
 *
 * A bare body (a string, `undefined` or `null`) becomes a 200 JSON result, as payload 2.0 reads
 * one; payload 2.0 takes it as it is when there is no cookie to add, the other sources never.
 * @throws TypeError when a load balancer without multi-value headers would have to send more than
 * one Set-Cookie (the handler set one and the session adds one): it would drop all but one, so
 * turn multi-value headers on in the target group (`lambda.multi_value_headers.enabled`).
 * @example return resultWithCookies(event, { statusCode: 200, body: 'ok' }, await sessions.commit(session, request));
 */
export function resultWithCookies<
  Event extends LambdaHttpEvent,
  Result extends LambdaHttpResult<Event> | string | undefined | null,
>(event: Event, result: Result, setCookies: readonly string[]): Result | LambdaHttpResult<Event> {
  const source = sourceOf(event);
  if (source === 'payload-2.0' && setCookies.length === 0) return result;
  const structured: StructuredResult = isBareBody(result)
    ? { statusCode: 200, headers: { 'content-type': 'application/json' }, body: result ?? '' }
    : (result as StructuredResult);
  return withSetCookies(source, structured, setCookies) as LambdaHttpResult<Event>;
}

function withSetCookies(
  source: Source,
  result: StructuredResult,
  setCookies: readonly string[],
): StructuredResult {
  switch (source) {
    case 'payload-2.0':
      return { ...result, cookies: [...(result.cookies ?? []), ...setCookies] };
    case 'alb':
      return setCookies.length === 0 ? result : withSingleSetCookie(result, setCookies);
    default:
      return withMultiValueSetCookie(result, setCookies);
  }
}

/** Any source's result, as the helpers below handle it. */
type HeaderValue = boolean | number | string;
interface StructuredResult {
  statusCode?: number;
  headers?: Record<string, HeaderValue>;
  multiValueHeaders?: Record<string, HeaderValue[]>;
  body?: string;
  cookies?: string[];
}

/**
 * All the Set-Cookie values in `multiValueHeaders['Set-Cookie']`: the handler's own moved there
 * from `headers` and other spellings, since a load balancer with multi-value headers ignores
 * `headers` (so even with no cookie to add) and one name cannot drop another's values.
 */
function withMultiValueSetCookie(result: StructuredResult, setCookies: readonly string[]): StructuredResult {
  if (setCookies.length === 0 && !Object.keys(result.headers ?? {}).some(isSetCookie)) return result;
  const headers = { ...result.headers };
  const multiValueHeaders = { ...result.multiValueHeaders };
  const handlers: string[] = [];
  for (const name of Object.keys(multiValueHeaders).filter(isSetCookie)) {
    handlers.push(...(multiValueHeaders[name] ?? []).map(String));
    delete multiValueHeaders[name];
  }
  for (const name of Object.keys(headers).filter(isSetCookie)) {
    // REST merges the two maps and sends a value found in both once: so does this.
    const value = String(headers[name]);
    if (!handlers.includes(value)) handlers.push(value);
    delete headers[name];
  }
  return {
    ...result,
    ...(result.headers === undefined ? {} : { headers }),
    multiValueHeaders: { ...multiValueHeaders, 'Set-Cookie': [...handlers, ...setCookies] },
  };
}

/** The one Set-Cookie a load balancer without multi-value headers can send, or a TypeError. */
function withSingleSetCookie(result: StructuredResult, setCookies: readonly string[]): StructuredResult {
  const handlers = Object.keys(result.headers ?? {}).filter(isSetCookie).length;
  const count = handlers + setCookies.length;
  if (count > 1) {
    throw new TypeError(
      `This response has ${count} Set-Cookie headers, and a load balancer target group without ` +
        'multi-value headers sends only one: enable multi-value headers on the target group ' +
        '(lambda.multi_value_headers.enabled), so that no cookie is dropped',
    );
  }
  return { ...result, headers: { ...result.headers, 'Set-Cookie': setCookies[0] } };
}

function isSetCookie(name: string): boolean {
  return name.toLowerCase() === 'set-cookie';
}

function isBareBody(result: unknown): result is string | undefined | null {
  return typeof result === 'string' || result === undefined || result === null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
