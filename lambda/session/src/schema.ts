import type { StandardSchemaV1 } from '@standard-schema/spec';
import { SessionDataError } from './errors.js';
import type { SessionData } from './store/SessionStore.js';

/**
 * How a session's data is validated: a Standard Schema (zod, valibot, arktype, …) for the whole
 * data, or one per key. Only the spec's types are used: the schema library is the app's choice.
 * Schemas must validate synchronously (`set` does, and so throws where it is called).
 */
export type SessionSchema<Data> =
  | { whole: StandardSchemaV1<unknown, Data> }
  | { keys: { [K in keyof Data]?: StandardSchemaV1<unknown, Data[K]> } };

type Issues = ReadonlyArray<StandardSchemaV1.Issue>;
type Result = StandardSchemaV1.Result<unknown>;

function validated(schema: StandardSchemaV1, value: unknown, where: string): Result {
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) {
    throw new TypeError(`${where}: the schema validates asynchronously; session schemas must be synchronous`);
  }
  return result;
}

/** The data key an issue is about: the first segment of its path (undefined: the data as a whole). */
function issueKey(issue: StandardSchemaV1.Issue): PropertyKey | undefined {
  const first = issue.path?.[0];
  return typeof first === 'object' && first !== null ? first.key : first;
}

/**
 * Checks values against the app's schema: one at `set` (a `SessionDataError` naming the key and
 * carrying the issues), all at the read (a value that fails reads as absent, and is counted).
 */
export class DataValidator {
  private readonly whole: StandardSchemaV1 | undefined;
  private readonly keys: Readonly<Record<string, StandardSchemaV1 | undefined>> | undefined;

  constructor(schema: SessionSchema<unknown> | undefined) {
    if (schema === undefined) return;
    if (typeof schema !== 'object' || schema === null)
      throw new TypeError('schema: expected { whole } or { keys }');
    if ('whole' in schema && 'keys' in schema) {
      throw new TypeError(
        'schema: give either a schema for the whole data (whole) or one per key (keys), not both',
      );
    }
    if ('whole' in schema) {
      if (!isSchema(schema.whole)) throw new TypeError('schema.whole: expected a Standard Schema');
      this.whole = schema.whole;
    } else if ('keys' in schema && typeof schema.keys === 'object' && schema.keys !== null) {
      for (const [key, keySchema] of Object.entries(schema.keys)) {
        if (!isSchema(keySchema)) throw new TypeError(`schema.keys.${key}: expected a Standard Schema`);
      }
      this.keys = schema.keys as Record<string, StandardSchemaV1>;
    } else {
      throw new TypeError('schema: expected { whole } or { keys }');
    }
  }

  /**
   * `value` as the schema gives it back for `key` (its output: a schema may transform), or
   * `SessionDataError` naming the key. `data` is the session's data, for a whole-data schema.
   */
  valueFor(key: string, value: unknown, data: SessionData): unknown {
    if (this.keys !== undefined) {
      const schema = Object.hasOwn(this.keys, key) ? this.keys[key] : undefined;
      if (schema === undefined) return value;
      const result = validated(schema, value, `schema.keys.${key}`);
      if (result.issues) throw invalid(key, result.issues);
      return result.value;
    }
    if (this.whole === undefined) return value;
    const result = validated(this.whole, { ...data, [key]: value }, 'schema.whole');
    if (!result.issues) return (result.value as SessionData)[key];
    // Issues about other keys (a required key not set yet) are not this value's fault.
    const own = result.issues.filter((issue) => issueKey(issue) === key);
    if (own.length > 0) throw invalid(key, own);
    return value;
  }

  /** The data read with every value that fails its schema left out, and how many were. */
  loaded(data: SessionData): { data: SessionData; invalid: number } {
    if (this.keys !== undefined) return this.loadedByKey(data, this.keys);
    if (this.whole !== undefined) return this.loadedWhole(data, this.whole);
    return { data, invalid: 0 };
  }

  private loadedByKey(
    data: SessionData,
    schemas: Readonly<Record<string, StandardSchemaV1 | undefined>>,
  ): { data: SessionData; invalid: number } {
    let invalid = 0;
    for (const key of Object.keys(data)) {
      const schema = Object.hasOwn(schemas, key) ? schemas[key] : undefined;
      if (schema === undefined) continue;
      const result = validated(schema, data[key], `schema.keys.${key}`);
      if (result.issues) {
        delete data[key];
        invalid++;
      } else {
        data[key] = result.value;
      }
    }
    return { data, invalid };
  }

  private loadedWhole(data: SessionData, schema: StandardSchemaV1): { data: SessionData; invalid: number } {
    const first = validated(schema, { ...data }, 'schema.whole');
    if (!first.issues) return { data: Object.assign(data, first.value), invalid: 0 };
    // Leave out the values the issues point at, then try what is left once more.
    let invalid = 0;
    for (const issue of first.issues) {
      const key = issueKey(issue);
      if (typeof key === 'string' && Object.hasOwn(data, key)) {
        delete data[key];
        invalid++;
      }
    }
    const second = validated(schema, { ...data }, 'schema.whole');
    if (!second.issues) return { data: Object.assign(data, second.value), invalid };
    // What is left fails as a whole (a required key absent, say): it is kept as read, and `get`
    // of a missing key gives undefined, as its type says.
    return { data, invalid };
  }
}

function isSchema(value: unknown): value is StandardSchemaV1 {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<StandardSchemaV1>)['~standard']?.validate === 'function'
  );
}

function invalid(key: string, issues: Issues): SessionDataError {
  const detail = issues.map((issue) => issue.message).join('; ');
  return new SessionDataError(key, `${key} does not match its schema: ${detail}`, issues);
}
