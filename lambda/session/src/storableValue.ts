import { SessionDataError } from './errors.js';

/** DynamoDB's number range: magnitudes from 1E-130 up to, not including, 1E+126. */
const LARGEST_NUMBER = 1e126;
const SMALLEST_NUMBER = 1e-130;

/** Why `value` cannot be stored, with the path to the part at fault, or undefined when it can. */
function problem(value: unknown, path: string, seen: Set<object>): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      if (!Number.isFinite(value)) return `${path} is ${value}: only finite numbers can be stored`;
      if (value !== 0 && (Math.abs(value) >= LARGEST_NUMBER || Math.abs(value) < SMALLEST_NUMBER)) {
        return `${path} is outside DynamoDB's number range (1E-130 to 1E+126): store it as a string`;
      }
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
        return `${path} is an integer beyond 2^53, which a number cannot hold exactly: store it as a string`;
      }
      return undefined;
    case 'object': {
      if (value === null) return undefined;
      const prototype = Object.getPrototypeOf(value);
      const isArray = Array.isArray(value);
      if (!isArray && prototype !== Object.prototype && prototype !== null) {
        return `${path} is a ${value.constructor?.name ?? 'class instance'}: store plain objects, arrays, strings, numbers, booleans or null`;
      }
      if (seen.has(value)) return `${path} refers to itself`;
      seen.add(value);
      const entries = isArray
        ? value.map((item, index) => [String(index), item] as const)
        : Object.entries(value);
      for (const [key, item] of entries) {
        const found = problem(item, isArray ? `${path}[${key}]` : `${path}.${key}`, seen);
        if (found) return found;
      }
      seen.delete(value);
      return undefined;
    }
    default:
      return `${path} is ${value === undefined ? 'undefined (use pop() to remove a key)' : `a ${typeof value}`}: it cannot be stored`;
  }
}

/**
 * Throws `SessionDataError` unless `value` survives the trip to DynamoDB and back unchanged: JSON
 * data (plain objects, arrays, strings, booleans, null) with numbers DynamoDB holds exactly.
 * Checked at `set`, so the caller hears of it there, not as a failed commit.
 */
export function assertStorable(key: string, value: unknown): void {
  const found = problem(value, key, new Set());
  if (found !== undefined) throw new SessionDataError(key, found);
}
