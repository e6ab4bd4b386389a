/**
 * Validates synthesized CloudFormation templates against CloudFormation's resource schemas, as
 * `@aws-cdk/aws-service-spec` ships them (the database the CDK generates its L1 constructs from):
 * each resource's type exists, its attributes are CloudFormation's, every property is known, the
 * required ones are present, and literal values have the declared types, down through nested
 * types, lists and maps. Intrinsic functions are opaque values of the kind they return: a `Ref` or
 * `Fn::GetAtt` may stand anywhere, an `Fn::Join` or `Fn::Sub` only where a scalar may, an
 * `Fn::Split` only where a list may; both branches of an `Fn::If` are checked.
 *
 * Loading the database takes about a second: load it once per test file (`CfnSchema.load()`).
 */
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
// The query API's types: @aws-cdk/aws-service-spec's own dependency, which its typings re-export.
import type {
  Property,
  PropertyType,
  Resource,
  SpecDatabase,
  TypeDefinition,
} from '@aws-cdk/service-spec-types';

/** One thing wrong with a resource, at a path like `Properties.Environment.Variables`. */
export interface SchemaProblem {
  logicalId: string;
  resourceType: string;
  path: string;
  message: string;
}

export type CfnResource = Record<string, unknown>;
export type CfnTemplate = { Resources?: Record<string, CfnResource> } & Record<string, unknown>;

/** `LoginFunction66F090C6 (AWS::Lambda::Function) Properties.MemorySize: expected integer, got "lots"` */
export function formatProblem(problem: SchemaProblem): string {
  return `${problem.logicalId} (${problem.resourceType}) ${problem.path}: ${problem.message}`;
}

/** A template's top-level sections. */
const TEMPLATE_SECTIONS = new Set([
  'AWSTemplateFormatVersion',
  'Description',
  'Metadata',
  'Parameters',
  'Rules',
  'Mappings',
  'Conditions',
  'Transform',
  'Resources',
  'Outputs',
]);

/** A resource's attributes, beside `Type` and `Properties`: none of them is a property. */
const RESOURCE_ATTRIBUTES: Record<string, (value: unknown) => string | undefined> = {
  DependsOn: (value) =>
    typeof value === 'string' || (Array.isArray(value) && value.every((id) => typeof id === 'string'))
      ? undefined
      : `expected a logical id or a list of them, got ${show(value)}`,
  DeletionPolicy: oneOf(['Delete', 'Retain', 'RetainExceptOnCreate', 'Snapshot']),
  UpdateReplacePolicy: oneOf(['Delete', 'Retain', 'Snapshot']),
  Condition: (value) =>
    typeof value === 'string' ? undefined : `expected a condition name, got ${show(value)}`,
  Metadata: (value) => (isObject(value) ? undefined : `expected an object, got ${show(value)}`),
  CreationPolicy: (value) => (isObject(value) ? undefined : `expected an object, got ${show(value)}`),
  UpdatePolicy: (value) => (isObject(value) ? undefined : `expected an object, got ${show(value)}`),
};

/**
 * What an intrinsic function returns: a scalar (a string, which CloudFormation converts where a
 * number or boolean is due), a list, or anything (a reference, an attribute, a lookup).
 */
type IntrinsicKind = 'scalar' | 'list' | 'any';
const INTRINSIC_KINDS: Record<string, IntrinsicKind> = {
  'Fn::Join': 'scalar',
  'Fn::Sub': 'scalar',
  'Fn::Base64': 'scalar',
  'Fn::ToJsonString': 'scalar',
  'Fn::Length': 'scalar',
  'Fn::Split': 'list',
  'Fn::GetAZs': 'list',
  'Fn::Cidr': 'list',
};

/** The CDK's own resource, which CloudFormation accepts but its registry does not list. */
const CDK_METADATA = 'AWS::CDK::Metadata';
const CDK_METADATA_PROPERTIES: Record<string, Property> = { Analytics: { type: { type: 'string' } } };

/** The legacy `tag` type: a key and a value. */
const TAG_PROPERTIES: Record<string, Property> = {
  Key: { type: { type: 'string' }, required: true },
  Value: { type: { type: 'string' }, required: true },
};

export class CfnSchema {
  private readonly resources = new Map<string, Resource | undefined>();

  private constructor(private readonly db: SpecDatabase) {}

  /** The database of @aws-cdk/aws-service-spec (about a second). */
  static load(): CfnSchema {
    return new CfnSchema(loadAwsServiceSpecSync());
  }

  /** The schema of a resource type, or undefined if CloudFormation has no such type. */
  resourceType(type: string): Resource | undefined {
    if (!this.resources.has(type)) {
      this.resources.set(type, this.db.lookup('resource', 'cloudFormationType', 'equals', type)[0]);
    }
    return this.resources.get(type);
  }

  /** Every problem of every resource in a template (and any unknown top-level section). */
  validateTemplate(template: CfnTemplate): SchemaProblem[] {
    const problems: SchemaProblem[] = Object.keys(template)
      .filter((section) => !TEMPLATE_SECTIONS.has(section))
      .map((section) => ({
        logicalId: '(template)',
        resourceType: '',
        path: section,
        message: 'unknown section',
      }));
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      problems.push(...this.validateResource(logicalId, resource));
    }
    return problems;
  }

  /** Every problem of one resource (its type, its attributes and its properties), by path. */
  validateResource(logicalId: string, resource: CfnResource): SchemaProblem[] {
    return this.resourceProblems(logicalId, resource).sort((a, b) =>
      a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
    );
  }

  private resourceProblems(logicalId: string, resource: CfnResource): SchemaProblem[] {
    const type = resource.Type;
    const resourceType = typeof type === 'string' ? type : '';
    const problems: SchemaProblem[] = [];
    const report = (path: string, message: string) =>
      problems.push({ logicalId, resourceType, path, message });

    for (const [key, value] of Object.entries(resource)) {
      if (key === 'Type' || key === 'Properties') continue;
      const check = RESOURCE_ATTRIBUTES[key];
      const message = check ? check(value) : 'unknown resource attribute';
      if (message) report(key, message);
    }
    if (typeof type !== 'string') {
      report('Type', `expected a resource type, got ${show(type)}`);
      return problems;
    }
    const properties = resource.Properties ?? {};
    if (!isObject(properties)) {
      report('Properties', `expected an object, got ${show(properties)}`);
      return problems;
    }

    if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') {
      // A custom resource's properties are its provider's: only the service token is CloudFormation's.
      if (!('ServiceToken' in properties)) report('Properties.ServiceToken', 'missing required property');
      return problems;
    }
    if (type === CDK_METADATA) {
      this.checkObject(properties, CDK_METADATA_PROPERTIES, 'Properties', report);
      return problems;
    }
    const schema = this.resourceType(type);
    if (!schema) {
      report('Type', 'unknown resource type');
      return problems;
    }
    this.checkObject(properties, schema.properties, 'Properties', report);
    return problems;
  }

  /** The keys of an object against the properties of a resource or nested type. */
  private checkObject(
    value: Record<string, unknown>,
    properties: Record<string, Property>,
    path: string,
    report: (path: string, message: string) => void,
  ): void {
    for (const [name, property] of Object.entries(properties)) {
      if (property.required && !(name in value)) report(`${path}.${name}`, 'missing required property');
    }
    for (const [name, propertyValue] of Object.entries(value)) {
      const property = properties[name];
      if (!property) {
        report(`${path}.${name}`, 'unknown property');
        continue;
      }
      // A property may still be given in a type it had before (CloudFormation keeps accepting it).
      const types = [property.type, ...(property.previousTypes ?? [])];
      const attempts = types.map((type) => this.problemsOf(propertyValue, type, `${path}.${name}`));
      if (attempts.some((found) => found.length === 0)) continue;
      for (const [problemPath, message] of attempts[0]) report(problemPath, message);
    }
  }

  /** The problems of a value against a property type, as [path, message] pairs. */
  private problemsOf(value: unknown, type: PropertyType, path: string): [string, string][] {
    const intrinsic = intrinsicOf(value);
    if (intrinsic) return this.intrinsicProblems(intrinsic, type, path);
    const problems: [string, string][] = [];
    const expected = () => problems.push([path, `expected ${this.describe(type)}, got ${show(value)}`]);
    switch (type.type) {
      case 'string':
      case 'date-time':
        // CloudFormation converts a number or a boolean where a string is due.
        if (!isScalar(value)) expected();
        else if (
          type.type === 'string' &&
          type.allowedValues &&
          !type.allowedValues.includes(String(value))
        ) {
          problems.push([path, `${show(value)} is not one of ${type.allowedValues.join(', ')}`]);
        }
        break;
      case 'integer':
      case 'number': {
        const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
        if (typeof number !== 'number' || !Number.isFinite(number)) expected();
        else if (type.type === 'integer' && !Number.isInteger(number)) expected();
        else if (type.type === 'integer' && type.allowedValues && !type.allowedValues.includes(number)) {
          problems.push([path, `${show(value)} is not one of ${type.allowedValues.join(', ')}`]);
        }
        break;
      }
      case 'boolean':
        if (typeof value !== 'boolean' && value !== 'true' && value !== 'false') expected();
        break;
      case 'null':
        if (value !== null) expected();
        break;
      case 'json':
        if (!isObject(value) && !Array.isArray(value)) expected();
        break;
      case 'tag':
        if (!isObject(value)) expected();
        else this.checkObject(value, TAG_PROPERTIES, path, (at, message) => problems.push([at, message]));
        break;
      case 'ref': {
        const definition: TypeDefinition = this.db.get('typeDefinition', type.reference);
        if (!isObject(value)) expected();
        else
          this.checkObject(value, definition.properties, path, (at, message) => problems.push([at, message]));
        break;
      }
      case 'array':
        if (!Array.isArray(value)) expected();
        else {
          for (const [index, element] of value.entries()) {
            problems.push(...this.problemsOf(element, type.element, `${path}[${index}]`));
          }
        }
        break;
      case 'map':
        if (!isObject(value)) expected();
        else {
          for (const [key, element] of Object.entries(value)) {
            problems.push(...this.problemsOf(element, type.element, `${path}${keyPath(key)}`));
          }
        }
        break;
      case 'union': {
        // The members the value's shape could be: if only one, its problems are the precise ones.
        const candidates = type.types.filter((member) => shapeFits(value, member));
        const attempts = candidates.map((member) => this.problemsOf(value, member, path));
        if (attempts.some((found) => found.length === 0)) break;
        if (attempts.length === 1) problems.push(...attempts[0]);
        else expected();
        break;
      }
    }
    return problems;
  }

  private intrinsicProblems(
    [name, argument]: [string, unknown],
    type: PropertyType,
    path: string,
  ): [string, string][] {
    if (name === 'Fn::If') {
      // [condition, value if true, value if false]: each branch must fit (or be AWS::NoValue).
      if (!Array.isArray(argument) || argument.length !== 3)
        return [[path, `malformed Fn::If: ${show(argument)}`]];
      return [1, 2].flatMap((branch) =>
        isNoValue(argument[branch])
          ? []
          : this.problemsOf(argument[branch], type, `${path}.Fn::If[${branch}]`),
      );
    }
    const kind = INTRINSIC_KINDS[name] ?? 'any';
    if (kind === 'any' || kindFits(kind, type)) return [];
    return [
      [path, `${name} returns a ${kind === 'scalar' ? 'string' : 'list'}, expected ${this.describe(type)}`],
    ];
  }

  /** A type as the messages name it: `integer`, `list<string>`, `LoggingConfig`, `string | json`. */
  private describe(type: PropertyType): string {
    switch (type.type) {
      case 'ref':
        return this.db.get('typeDefinition', type.reference).name;
      case 'array':
        return `list<${this.describe(type.element)}>`;
      case 'map':
        return `map<${this.describe(type.element)}>`;
      case 'union':
        return type.types.map((member) => this.describe(member)).join(' | ');
      default:
        return type.type;
    }
  }
}

/** `[name, argument]` if the value is an intrinsic function call (`{ "Ref": … }`, `{ "Fn::…": … }`). */
function intrinsicOf(value: unknown): [string, unknown] | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const [name] = keys;
  return name === 'Ref' || name.startsWith('Fn::') ? [name, value[name]] : undefined;
}

function isNoValue(value: unknown): boolean {
  return isObject(value) && value.Ref === 'AWS::NoValue';
}

/** Whether an intrinsic of this kind may stand for a value of this type. */
function kindFits(kind: IntrinsicKind, type: PropertyType): boolean {
  switch (type.type) {
    case 'json':
      return true;
    case 'array':
      return kind === 'list';
    case 'union':
      return type.types.some((member) => kindFits(kind, member));
    case 'string':
    case 'date-time':
    case 'integer':
    case 'number':
    case 'boolean':
      return kind === 'scalar';
    default:
      return false;
  }
}

/** Whether a value has the shape of a type (object, list or scalar), before its contents are checked. */
function shapeFits(value: unknown, type: PropertyType): boolean {
  if (intrinsicOf(value)) return true;
  switch (type.type) {
    case 'ref':
    case 'map':
    case 'tag':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'json':
      return isObject(value) || Array.isArray(value);
    case 'union':
      return type.types.some((member) => shapeFits(value, member));
    case 'null':
      return value === null;
    default:
      return isScalar(value);
  }
}

function oneOf(allowed: string[]): (value: unknown) => string | undefined {
  return (value) =>
    typeof value === 'string' && allowed.includes(value)
      ? undefined
      : `expected one of ${allowed.join(', ')}, got ${show(value)}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function keyPath(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** A value in a message: short JSON. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
