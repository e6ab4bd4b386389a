import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { codeBlocks, installedPackages } from './docExamples';
import { ROOT, WORKSPACES } from './scratch';

// docs/library.md is the packages' API reference and its examples are what tarballs.test.ts and
// construct.test.ts install and run: here, that the page holds them in the form those tests read,
// and that it names every export of every entry of both packages.

const LIBRARY_DOC = path.join(ROOT, 'docs', 'library.md');
const text = readFileSync(LIBRARY_DOC, 'utf8');
const blocks = codeBlocks(text);
const typescript = blocks.filter((block) => block.language === 'ts');

/** Every entry of a workspace package: `@lambda-sessions/dynamodb/keys` → its source file. */
function entries(): { entry: string; source: string }[] {
  return Object.entries(WORKSPACES).flatMap(([name, folder]) => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, folder, 'package.json'), 'utf8'));
    return Object.entries(manifest.exports as Record<string, string | Record<string, unknown>>)
      .filter(([subpath]) => subpath !== './package.json')
      .map(([subpath, target]) => {
        const source = typeof target === 'object' ? target['lambda-sessions-source'] : undefined;
        if (typeof source !== 'string')
          throw new Error(`${name}: exports["${subpath}"] has no source condition`);
        return { entry: `${name}${subpath.slice(1)}`, source: path.join(ROOT, folder, source) };
      });
  });
}

/**
 * The names a module exports, types included: its `export` declarations and what its `export …
 * from './x.js'` statements re-export, followed into those files (read, not type-checked: fast).
 */
function exportedNames(source: string): string[] {
  const file = ts.createSourceFile(source, readFileSync(source, 'utf8'), ts.ScriptTarget.ES2022);
  const local = (specifier: string) => path.resolve(path.dirname(source), specifier.replace(/\.js$/, '.ts'));
  return file.statements.flatMap((statement): string[] => {
    if (ts.isExportDeclaration(statement)) {
      const from = statement.moduleSpecifier && (statement.moduleSpecifier as ts.StringLiteral).text;
      const clause = statement.exportClause;
      if (clause && ts.isNamedExports(clause)) return clause.elements.map((element) => element.name.text);
      if (clause) return [clause.name.text]; // export * as name from …
      if (from?.startsWith('.')) return exportedNames(local(from)); // export * from './x.js'
      throw new Error(`${source}: cannot follow \`export * from '${from}'\``);
    }
    const exported = ts.canHaveModifiers(statement)
      ? ts.getModifiers(statement)?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword)
      : false;
    if (!exported) return [];
    if (ts.isVariableStatement(statement)) {
      return statement.declarationList.declarations.map((declaration) => declaration.name.getText(file));
    }
    const name = (statement as ts.DeclarationStatement).name;
    return name && ts.isIdentifier(name) ? [name.text] : [];
  });
}

/** The identifiers in the page's inline code (`…`), code blocks left out. */
function namedInInlineCode(markdown: string): Set<string> {
  const prose = markdown.replace(/^```[\s\S]*?^```$/gm, '');
  return new Set([...prose.matchAll(/`([^`\n]+)`/g)].flatMap((span) => span[1].match(/[\w$]+/g) ?? []));
}

describe('docs/library.md', () => {
  it('lists the packages to install, with the library by name', () => {
    const dependencies = blocks.find((block) => block.marker === 'dependencies');
    expect(dependencies?.language).toBe('sh');
    expect(installedPackages(dependencies?.code ?? '')).toEqual(
      expect.arrayContaining([
        '@lambda-sessions/dynamodb',
        '@aws-sdk/client-dynamodb',
        '@aws-sdk/lib-dynamodb',
        '@middy/core',
        '@aws-lambda-powertools/event-handler',
      ]),
    );
  });

  it('has the plain handler, the Middy handler, the Powertools handler, the CDK apps (one region, several) and at least ten snippets, and nothing else in TypeScript', () => {
    // Prepare
    const files = typescript.filter((block) => block.marker?.startsWith('file: '));
    const snippets = typescript.filter((block) => block.marker === undefined);

    // Assess: every TypeScript block is run, as a file or as a snippet
    expect(files.map((block) => block.marker).sort()).toEqual([
      'file: middy.ts',
      'file: multi-region-stack.ts',
      'file: plain.ts',
      'file: powertools.ts',
      'file: stack.ts',
    ]);
    expect(snippets.length).toBeGreaterThanOrEqual(10);
    expect(typescript).toHaveLength(files.length + snippets.length);
  });

  it('imports the packages by name in every example, never a path', () => {
    // Act
    const relative = typescript.flatMap((block) =>
      [...block.code.matchAll(/^import\s.*\sfrom\s+'(\.[^']*)';$/gm)].map(
        (match) => `line ${block.line}: ${match[1]}`,
      ),
    );

    // Assess
    expect(relative).toEqual([]);
  });
});

describe('the API reference', () => {
  it('names every export of every entry of both packages', () => {
    // Prepare
    const all = entries();
    const named = namedInInlineCode(text);

    // Act
    const exported = all.flatMap(({ entry, source }) =>
      exportedNames(source).map((name) => ({ entry, name })),
    );
    const missing = exported
      .filter(({ name }) => !named.has(name))
      .map(({ entry, name }) => `${entry}: ${name}`);

    // Assess
    expect(all.map(({ entry }) => entry)).toEqual(
      expect.arrayContaining([
        '@lambda-sessions/dynamodb',
        '@lambda-sessions/dynamodb/keys',
        '@lambda-sessions/dynamodb/middy',
        '@lambda-sessions/dynamodb/powertools',
        '@lambda-sessions/dynamodb/sweep',
        '@lambda-sessions/dynamodb/table',
        '@lambda-sessions/cdk',
      ]),
    );
    expect(exported.length).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });
});
