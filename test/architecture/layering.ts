import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

// The layering rules of docs/design.md ("Layout"), checked over the imports the TypeScript compiler
// parses: static imports and re-exports, `import x = require()`, `import()` (in code and in
// types) and `require()` all count.

/** A file of the project: its path from the project root (with `/`), and its text. */
export interface ProjectFile {
  path: string;
  text: string;
}

export interface ImportReference {
  /** The module named, or undefined when the specifier is computed (`require(join(…))`). */
  specifier: string | undefined;
  /** The source text of the specifier expression, as written. */
  written: string;
  kind: 'import' | 'export from' | 'import =' | 'import()' | 'import type()' | 'require()';
  /** `import type { … }`: erased from the compiled code. */
  typeOnly: boolean;
  line: number;
}

export interface Violation {
  file: string;
  line: number;
  /** What the file does: `import '../x'`, `require(join(…))`, `process.env`. */
  found: string;
  rule: string;
}

/** Where a relative import leads: a project path without extension, e.g. `lambda/session/index`. */
type Target = string;

interface Rule {
  /** The rule as the violation message states it. */
  text: string;
  appliesTo(file: string): boolean;
  /** True when importing `target` from `file` breaks the rule; undefined for a package import. */
  forbids(reference: ImportReference, target: Target | undefined): boolean;
}

const under = (folder: string) => (file: string) => file === folder || file.startsWith(`${folder}/`);
const inRuntime = under('lambda');
const inSessionLibrary = under('lambda/session');
const inConstruct = under('lib/construct');
/** The workspace packages: used by the rest of the project by name, as a user would. */
const inPackage = (file: string) => inSessionLibrary(file) || inConstruct(file);
const inTools = under('scripts');
const inInfra = (file: string) => under('lib')(file) || under('bin')(file);
const inTests = under('test');
/** Infrastructure packages: the runtime never loads them. */
const isInfraPackage = (specifier: string | undefined) =>
  specifier !== undefined && /^(@lambda-sessions\/cdk|aws-cdk-lib|constructs)(\/|$)/.test(specifier);

export const RULES: readonly Rule[] = [
  {
    text: 'nothing under lambda/ imports lib/, bin/, scripts/ or test/',
    appliesTo: inRuntime,
    forbids: (_reference, target) =>
      target !== undefined && (inInfra(target) || inTools(target) || inTests(target)),
  },
  {
    text: 'lambda/contract.ts imports nothing but types of @lambda-sessions/dynamodb/table',
    appliesTo: (file) => file === 'lambda/contract.ts',
    forbids: (reference) =>
      !(
        reference.kind === 'import' &&
        reference.typeOnly &&
        reference.specifier === '@lambda-sessions/dynamodb/table'
      ),
  },
  {
    text: 'nothing under lambda/ imports @lambda-sessions/cdk, aws-cdk-lib or constructs',
    appliesTo: inRuntime,
    forbids: (reference) => isInfraPackage(reference.specifier),
  },
  {
    text: 'lambda/session/ imports nothing of the project outside lambda/session/',
    appliesTo: inSessionLibrary,
    forbids: (_reference, target) => target !== undefined && !inSessionLibrary(target),
  },
  {
    text: 'lib/construct/ imports nothing of the project outside lib/construct/ (the library by name)',
    appliesTo: inConstruct,
    forbids: (_reference, target) => target !== undefined && !inConstruct(target),
  },
  {
    text: 'lambda/, lib/, bin/ and scripts/ use the packages by name (@lambda-sessions/…), never by path',
    appliesTo: (file) => (inRuntime(file) || inInfra(file) || inTools(file)) && !inPackage(file),
    forbids: (_reference, target) => target !== undefined && inPackage(target),
  },
  {
    text: 'nothing under scripts/ imports test/',
    appliesTo: inTools,
    forbids: (_reference, target) => target !== undefined && inTests(target),
  },
  {
    text: 'nothing under lib/ or bin/ imports scripts/ or test/',
    appliesTo: inInfra,
    forbids: (_reference, target) => target !== undefined && (inTools(target) || inTests(target)),
  },
];

const NO_ENV_RULE = 'no file under lambda/session/ reads process.env';
const COMPUTED_RULE =
  'imports outside test/ name their module literally, so that the rules above can be checked';

/**
 * Computed specifiers that are checked by hand: file, the specifier as written, and why it is fine.
 * A change to one of them fails the check until it is looked at again.
 */
export const COMPUTED_IMPORTS_ALLOWED: readonly { file: string; written: string; reason: string }[] = [
  {
    file: 'scripts/invoke.ts',
    written: "join(__dirname, '..', FUNCTIONS[name].entry)",
    reason: 'loads the handler entry (lambda/*.ts) that lambda/contract.ts names for the function',
  },
];

const SCRIPT_KINDS: Record<string, ts.ScriptKind> = {
  '.ts': ts.ScriptKind.TS,
  '.mts': ts.ScriptKind.TS,
  '.cts': ts.ScriptKind.TS,
  '.tsx': ts.ScriptKind.TSX,
  '.js': ts.ScriptKind.JS,
  '.mjs': ts.ScriptKind.JS,
  '.cjs': ts.ScriptKind.JS,
};

function parse(file: ProjectFile): ts.SourceFile {
  const kind = SCRIPT_KINDS[path.posix.extname(file.path)] ?? ts.ScriptKind.TS;
  return ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true, kind);
}

function lineOf(source: ts.SourceFile, node: ts.Node): number {
  return source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
}

function literalText(node: ts.Node | undefined): string | undefined {
  return node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
    ? node.text
    : undefined;
}

/** The import reference of `node`, if it is one. */
function referenceAt(source: ts.SourceFile, node: ts.Node): ImportReference | undefined {
  const at = (kind: ImportReference['kind'], specifier: ts.Node, typeOnly = false): ImportReference => ({
    specifier: literalText(specifier),
    written: specifier.getText(source),
    kind,
    typeOnly,
    line: lineOf(source, node),
  });
  if (ts.isImportDeclaration(node)) {
    return at('import', node.moduleSpecifier, node.importClause?.isTypeOnly === true);
  }
  if (ts.isExportDeclaration(node) && node.moduleSpecifier) return at('export from', node.moduleSpecifier);
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
    return at('import =', node.moduleReference.expression);
  }
  if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
    return at('import type()', node.argument.literal);
  }
  if (ts.isCallExpression(node)) {
    const callee = node.expression;
    const [first] = node.arguments;
    if (callee.kind === ts.SyntaxKind.ImportKeyword) {
      return first ? at('import()', first) : undefined;
    }
    const isRequire =
      (ts.isIdentifier(callee) && callee.text === 'require') ||
      (ts.isPropertyAccessExpression(callee) &&
        ts.isIdentifier(callee.expression) &&
        callee.expression.text === 'require' &&
        callee.name.text === 'resolve');
    if (isRequire && first) return at('require()', first);
  }
  return undefined;
}

/** `process.env`, `process['env']`, `globalThis.process.env`, `const { env } = process`. */
function readsProcessEnv(node: ts.Node): boolean {
  const isProcess = (expression: ts.Expression) =>
    (ts.isIdentifier(expression) && expression.text === 'process') ||
    (ts.isPropertyAccessExpression(expression) &&
      expression.name.text === 'process' &&
      ts.isIdentifier(expression.expression) &&
      expression.expression.text === 'globalThis');
  if (ts.isPropertyAccessExpression(node)) return node.name.text === 'env' && isProcess(node.expression);
  if (ts.isElementAccessExpression(node)) {
    return literalText(node.argumentExpression) === 'env' && isProcess(node.expression);
  }
  if (ts.isVariableDeclaration(node) && node.initializer && ts.isObjectBindingPattern(node.name)) {
    return (
      isProcess(node.initializer) &&
      node.name.elements.some((element) => {
        const name = element.propertyName ?? element.name;
        return ts.isIdentifier(name) && name.text === 'env';
      })
    );
  }
  return false;
}

/** Every import reference in a file, in order, and the lines where it reads `process.env`. */
export function scanFile(file: ProjectFile): { imports: ImportReference[]; envReads: number[] } {
  const source = parse(file);
  const imports: ImportReference[] = [];
  const envReads: number[] = [];
  const visit = (node: ts.Node) => {
    const reference = referenceAt(source, node);
    if (reference) imports.push(reference);
    if (readsProcessEnv(node)) envReads.push(lineOf(source, node));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { imports, envReads };
}

const EXTENSIONS = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;

/**
 * The project path a relative specifier leads to, without extension (`./a.js` and `./a` are both
 * `dir/a`); `dir/index` when the specifier names a folder holding an index file. Undefined for a
 * package (`node:fs`, `aws-cdk-lib`). A path that leaves the project starts with `..`.
 */
export function resolveTarget(
  fromFile: string,
  specifier: string,
  known: ReadonlySet<string>,
): Target | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), specifier));
  const withoutExtension = joined.replace(EXTENSIONS, '').replace(/\/$/, '');
  const isFolderWithIndex = [...known].some(
    (file) => file.replace(EXTENSIONS, '') === `${withoutExtension}/index`,
  );
  return isFolderWithIndex ? `${withoutExtension}/index` : withoutExtension;
}

function describeImport(reference: ImportReference): string {
  switch (reference.kind) {
    case 'import':
      return `import ${reference.written}`;
    case 'export from':
      return `export … from ${reference.written}`;
    case 'import =':
      return `import … = require(${reference.written})`;
    case 'import()':
      return `import(${reference.written})`;
    case 'import type()':
      return `typeof import(${reference.written})`;
    case 'require()':
      return `require(${reference.written})`;
  }
}

/** Every violation of the rules in `files` (the whole project, or made-up files in a test). */
export function findViolations(files: readonly ProjectFile[]): Violation[] {
  const known = new Set(files.map((file) => file.path));
  const violations: Violation[] = [];
  for (const file of files) {
    const { imports, envReads } = scanFile(file);
    for (const reference of imports) {
      const found = describeImport(reference);
      if (reference.specifier === undefined) {
        const allowed = COMPUTED_IMPORTS_ALLOWED.some(
          (entry) => entry.file === file.path && entry.written === reference.written,
        );
        if (!allowed && !inTests(file.path)) {
          violations.push({ file: file.path, line: reference.line, found, rule: COMPUTED_RULE });
        }
        continue;
      }
      const target = resolveTarget(file.path, reference.specifier, known);
      for (const rule of RULES) {
        if (rule.appliesTo(file.path) && rule.forbids(reference, target)) {
          violations.push({ file: file.path, line: reference.line, found, rule: rule.text });
        }
      }
    }
    if (inSessionLibrary(file.path)) {
      for (const line of envReads) {
        violations.push({ file: file.path, line, found: 'process.env', rule: NO_ENV_RULE });
      }
    }
  }
  return violations;
}

/**
 * The groups of files outside test/ that import each other in a loop, type-only imports included
 * (they tie the files as much for a reader), each sorted, as `a.ts -> b.ts -> a.ts`. A loop hides
 * which module stands on which: the one that holds the shared name should stand lower.
 */
export function findImportCycles(files: readonly ProjectFile[]): string[] {
  const known = new Set(files.map((file) => file.path));
  const pathOf = new Map([...known].map((file) => [file.replace(EXTENSIONS, ''), file]));
  const edges = new Map<string, string[]>();
  for (const file of files.filter((candidate) => !inTests(candidate.path))) {
    const targets = scanFile(file)
      .imports.map((reference) => reference.specifier && resolveTarget(file.path, reference.specifier, known))
      .map((target) => (target ? pathOf.get(target) : undefined))
      .filter((target): target is string => target !== undefined && !inTests(target));
    edges.set(file.path, [...new Set(targets)]);
  }
  // Tarjan's strongly connected components: a component of two or more files is a loop.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[] = [];
  const visit = (file: string) => {
    index.set(file, index.size);
    low.set(file, index.get(file) as number);
    stack.push(file);
    onStack.add(file);
    for (const target of edges.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file) as number, low.get(target) as number));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file) as number, index.get(target) as number));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1) cycles.push([...component.sort(), component[0]].join(' -> '));
  };
  for (const file of edges.keys()) if (!index.has(file)) visit(file);
  return cycles.sort();
}

/** `lambda/x.ts:3: import '../lib/y' breaks "nothing under lambda/ imports lib/, …"` */
export function formatViolation(violation: Violation): string {
  return `${violation.file}:${violation.line}: ${violation.found} breaks "${violation.rule}"`;
}

/** The folders the rules speak of. */
export const CHECKED_FOLDERS = ['lambda', 'lib', 'bin', 'scripts', 'test'] as const;

/** Folders of installed or built files, not sources: the packages' builds and the rotation bundle. */
const GENERATED_FOLDERS = new Set(['node_modules', 'cdk.out', 'dist', 'assets']);

/** Every source file under the checked folders of the project at `root`. */
export function readProjectFiles(root: string): ProjectFile[] {
  const files: ProjectFile[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(path.join(root, folder), { withFileTypes: true })) {
      const relative = path.posix.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!GENERATED_FOLDERS.has(entry.name)) walk(relative);
      } else if (EXTENSIONS.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        files.push({ path: relative, text: readFileSync(path.join(root, relative), 'utf8') });
      }
    }
  };
  for (const folder of CHECKED_FOLDERS) walk(folder);
  return files;
}
