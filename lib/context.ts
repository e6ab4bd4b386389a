import type { Construct } from 'constructs';

/** A boolean context value: `true` or the string `"true"` (as `cdk -c key=true` passes it). */
export function contextFlag(scope: Construct, key: string): boolean {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new Error(`Context ${key}: expected true or false, got ${JSON.stringify(value)}`);
}

/** A whole-number context value from `min` to `max`, or undefined when unset. */
export function optionalContextNumber(
  scope: Construct,
  key: string,
  { min = 1, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
): number | undefined {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined) return undefined;
  // Digits only: `-c key=1e3` or `0x10` is a typo more likely than a way to write a number.
  const number = typeof value === 'number' || /^\s*\d+\s*$/.test(String(value)) ? Number(value) : Number.NaN;
  if (!Number.isInteger(number) || number < min || number > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new Error(`Context ${key}: expected a whole number ${range}, got ${JSON.stringify(value)}`);
  }
  return number;
}

/** A positive whole-number context value, or `defaultValue` when unset. */
export function contextNumber(scope: Construct, key: string, defaultValue: number): number {
  return optionalContextNumber(scope, key) ?? defaultValue;
}

/** One address, local@domain.tld, no spaces or commas: what an SNS e-mail subscription takes. */
const EMAIL_ADDRESS = /^[^\s@,;<>"]+@[^\s@,;<>"]+\.[^\s@,;<>".]+$/;

/** An e-mail address from context, or undefined when unset. */
export function contextEmail(scope: Construct, key: string): string | undefined {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !EMAIL_ADDRESS.test(value)) {
    throw new Error(
      `Context ${key}: expected one e-mail address such as ops@example.com, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** The routing context keys, in the order their errors name them. */
export const DOMAIN_CONTEXT_KEYS = ['domainName', 'hostedZoneId', 'hostedZoneName'] as const;

/** The site's public name and the Route 53 public hosted zone that holds it (context, lib/routing.ts). */
export interface ContextDomain {
  /** The site's address, lower case, no trailing dot: `sessions.example.com`. */
  readonly domainName: string;
  /** The zone's id without `/hostedzone/`: `Z0123456789ABCDEFGHIJ`. */
  readonly hostedZoneId: string;
  /** The zone's name, lower case, no trailing dot: `example.com`. */
  readonly hostedZoneName: string;
}

/** A host name label: letters, digits and inner hyphens, 1 to 63 characters (RFC 1123). */
const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A Route 53 hosted zone id: `Z` then upper-case letters and digits, at most 32 characters. */
const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,31}$/;

/** A host name of at least two labels, at most 253 characters, lower-cased, one trailing dot dropped. */
function contextHostName(key: string, value: unknown): string {
  const name = typeof value === 'string' ? value.trim().toLowerCase().replace(/\.$/, '') : '';
  const labels = name.split('.');
  if (name.length > 253 || labels.length < 2 || !labels.every((label) => HOST_LABEL.test(label))) {
    throw new Error(
      `Context ${key}: expected a host name such as sessions.example.com (letters, digits and ` +
        `hyphens, dot-separated, no wildcard), got ${JSON.stringify(value)}`,
    );
  }
  return name;
}

/**
 * The site's domain and its Route 53 hosted zone from context `domainName`, `hostedZoneId` and
 * `hostedZoneName`: all three or none (undefined: no custom domain). The domain must be the
 * zone's name or inside it. A zone id as the Route 53 API prints it (`/hostedzone/Z…`) is taken
 * too. Read only, never looked up: nothing reaches AWS at synth time.
 * @example contextDomain(app); // -c domainName=sessions.example.com -c hostedZoneId=Z0123456789ABCDEFGHIJ -c hostedZoneName=example.com
 */
export function contextDomain(scope: Construct): ContextDomain | undefined {
  const values = DOMAIN_CONTEXT_KEYS.map((key) => scope.node.tryGetContext(key) as unknown);
  const missing = DOMAIN_CONTEXT_KEYS.filter((_key, index) => values[index] === undefined);
  if (missing.length === DOMAIN_CONTEXT_KEYS.length) return undefined;
  if (missing.length > 0) {
    throw new Error(
      `Context ${DOMAIN_CONTEXT_KEYS.join(', ')}: give all three or none; missing ${missing.join(', ')}`,
    );
  }
  const [domainValue, zoneIdValue, zoneNameValue] = values;
  const domainName = contextHostName('domainName', domainValue);
  const hostedZoneName = contextHostName('hostedZoneName', zoneNameValue);
  const hostedZoneId =
    typeof zoneIdValue === 'string' ? zoneIdValue.trim().replace(/^\/hostedzone\//, '') : '';
  if (!HOSTED_ZONE_ID.test(hostedZoneId)) {
    throw new Error(
      `Context hostedZoneId: expected a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ, got ${JSON.stringify(zoneIdValue)}`,
    );
  }
  if (domainName !== hostedZoneName && !domainName.endsWith(`.${hostedZoneName}`)) {
    throw new Error(
      `Context domainName: ${domainName} is not in the hosted zone ${hostedZoneName} (expected ` +
        `${hostedZoneName} or a name ending in .${hostedZoneName})`,
    );
  }
  return { domainName, hostedZoneId, hostedZoneName };
}
