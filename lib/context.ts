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
