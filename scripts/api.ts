/**
 * `npm run api`: rewrites the API reports of the workspace packages (`lambda/session/api/*.api.md`,
 * `lib/construct/api/*.api.md`) from their built declarations, after a deliberate change of their
 * public API. test/packages/api.test.ts runs the same extraction in check mode and fails when a
 * report is out of date or API Extractor finds a problem.
 *
 * One report per entry point of a package's `exports` map (so a new subpath gets its report), one
 * API Extractor configuration for all of them, in code: only the entry's `.d.ts` and the report's
 * name differ. The entries of a package share one TypeScript program.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  CompilerState,
  Extractor,
  ExtractorConfig,
  ExtractorLogLevel,
  type ExtractorMessage,
  type IConfigFile,
} from '@microsoft/api-extractor';
import type * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');

/** The workspace packages whose API is reported, by folder from the repository root. */
export const PACKAGE_FOLDERS = ['lambda/session', 'lib/construct'] as const;

export interface ApiEntry {
  /** The package's folder from the repository root, e.g. `lambda/session`. */
  packageFolder: string;
  packageName: string;
  /** The key in the package's `exports` map: `.`, `./keys`. */
  subpath: string;
  /** The entry's declarations (the CommonJS build's), from the package's folder. */
  declarations: string;
  /** The committed report, from the repository root, e.g. `lambda/session/api/dynamodb-keys.api.md`. */
  report: string;
}

export interface ApiCheck {
  entry: ApiEntry;
  /** The report differs from the committed one, or there is none. */
  changed: boolean;
  /** The diff from the committed report to the current API, when it changed. */
  diff: string;
  /** The names the entry exports, types included, from its declarations. */
  exportedNames: string[];
  /** API Extractor's errors and warnings, e.g. an ae-forgotten-export, with where they are. */
  problems: string[];
  /** Types the entry uses but leaves to another entry of the package to export (not problems). */
  exportedElsewhere: string[];
}

/** The entry as users import it: `@lambda-sessions/dynamodb/keys`. */
export function entryName(entry: ApiEntry): string {
  return entry.subpath === '.' ? entry.packageName : `${entry.packageName}${entry.subpath.slice(1)}`;
}

type ExportTarget = string | { [condition: string]: ExportTarget };

/** The declarations a CommonJS consumer gets for an export: `require` → `types`, else `types`. */
function declarationsOf(target: ExportTarget | undefined): string | undefined {
  if (target === undefined) return undefined;
  if (typeof target === 'string') return target.endsWith('.d.ts') ? target : undefined;
  return declarationsOf(target.require) ?? declarationsOf(target.types);
}

/** Every entry point of the package in `packageFolder` (`./package.json` is not code). */
export function apiEntries(packageFolder: string): ApiEntry[] {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, packageFolder, 'package.json'), 'utf8')) as {
    name: string;
    exports: Record<string, ExportTarget>;
  };
  const unscoped = manifest.name.replace(/^@[^/]+\//, '');
  return Object.entries(manifest.exports)
    .filter(([subpath]) => subpath !== './package.json')
    .map(([subpath, target]) => {
      const declarations = declarationsOf(target);
      if (declarations === undefined) {
        throw new Error(`${packageFolder}/package.json: exports["${subpath}"] names no declarations`);
      }
      const name = subpath === '.' ? unscoped : `${unscoped}-${subpath.slice(2).replace(/\W+/g, '-')}`;
      return {
        packageFolder,
        packageName: manifest.name,
        subpath,
        declarations,
        report: path.posix.join(packageFolder, 'api', `${name}.api.md`),
      };
    });
}

/** The reports in the package's `api/` folder of no entry (one removed from `exports`). */
export function staleReports(packageFolder: string): string[] {
  const folder = path.join(ROOT, packageFolder, 'api');
  const current = new Set(apiEntries(packageFolder).map((entry) => entry.report));
  return (existsSync(folder) ? readdirSync(folder) : [])
    .map((file) => path.posix.join(packageFolder, 'api', file))
    .filter((file) => file.endsWith('.api.md') && !current.has(file));
}

/** The configuration; what differs per entry is its declarations and its report. */
function configOf(entry: ApiEntry, tempFolder: string): IConfigFile {
  const projectFolder = path.join(ROOT, entry.packageFolder);
  const mainEntryPointFilePath = path.join(projectFolder, entry.declarations);
  return {
    projectFolder,
    mainEntryPointFilePath,
    compiler: {
      // The declarations as a Node.js project that requires the package reads them. skipLibCheck as
      // in the repository's tsconfigs: the declarations are tsc's output of type-checked sources, and
      // type-checking aws-cdk-lib's own declarations would double the time.
      overrideTsconfig: {
        compilerOptions: {
          target: 'es2022',
          lib: ['es2022'],
          module: 'node16',
          moduleResolution: 'node16',
          types: ['node'],
          strict: true,
          skipLibCheck: true,
        },
        files: [mainEntryPointFilePath],
      },
    },
    apiReport: {
      enabled: true,
      reportFolder: path.join(ROOT, path.posix.dirname(entry.report)),
      reportFileName: path.posix.basename(entry.report),
      reportTempFolder: tempFolder,
    },
    docModel: { enabled: false },
    dtsRollup: { enabled: false },
    tsdocMetadata: { enabled: false },
    newlineKind: 'lf',
    messages: {
      compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Warning } },
      extractorMessageReporting: {
        default: { logLevel: ExtractorLogLevel.Warning },
        // The packages use no release tags (@public, @beta): all they export is public.
        'ae-missing-release-tag': { logLevel: ExtractorLogLevel.None },
        // A type the API uses that users cannot import: a defect to fix, so an error (see forgotten()).
        'ae-forgotten-export': { logLevel: ExtractorLogLevel.Error, addToApiReportFile: false },
        // Which declarations have no comment is for the docs' review, not the API's.
        'ae-undocumented': { logLevel: ExtractorLogLevel.None },
      },
      // The comments are JSDoc (`@default`, `@example` code), not TSDoc: the reports are about
      // signatures, not about the comments' syntax.
      tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
    },
  };
}

/** The names a module exports, types included, as its declarations say. */
function exportedNames(program: ts.Program, declarations: string): string[] {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(declarations);
  const module = source && checker.getSymbolAtLocation(source);
  if (module === undefined) throw new Error(`${declarations} is not a module of the program`);
  return checker
    .getExportsOfModule(module)
    .map((symbol) => symbol.name)
    .sort();
}

/** The symbol an ae-forgotten-export message names. */
function forgotten(message: ExtractorMessage): string | undefined {
  return message.messageId === 'ae-forgotten-export'
    ? /The symbol "([^"]+)"/.exec(message.text)?.[1]
    : undefined;
}

/**
 * Checks the entries of the package in `packageFolder` against their reports (`update` false), or
 * rewrites the reports (`update` true). Quiet: what API Extractor says is in the result.
 */
export function extractApi(packageFolder: string, { update }: { update: boolean }): ApiCheck[] {
  const entries = apiEntries(packageFolder);
  for (const entry of entries) {
    const declarations = path.posix.join(packageFolder, entry.declarations);
    if (!existsSync(path.join(ROOT, declarations)))
      throw new Error(`${declarations} is missing: npm run build`);
  }
  const tempFolder = mkdtempSync(path.join(tmpdir(), 'api-report-'));
  try {
    const configs = entries.map((entry) =>
      ExtractorConfig.prepare({
        configObject: configOf(entry, tempFolder),
        configObjectFullPath: undefined,
        packageJsonFullPath: path.join(ROOT, packageFolder, 'package.json'),
      }),
    );
    const compilerState = CompilerState.create(configs[0], {
      additionalEntryPoints: configs.map((config) => config.mainEntryPointFilePath),
    });
    const program = compilerState.program as ts.Program;
    const exportsOf = new Map(
      configs.map((config, index) => [entries[index], exportedNames(program, config.mainEntryPointFilePath)]),
    );
    if (update) {
      mkdirSync(path.join(ROOT, packageFolder, 'api'), { recursive: true });
      for (const stale of staleReports(packageFolder)) rmSync(path.join(ROOT, stale));
    }
    return entries.map((entry, index) => {
      // A symbol another entry of the package exports is not forgotten: users import it from there
      // (`./keys` uses the root's KeyProvider).
      const elsewhere = new Set(
        entries.filter((other) => other !== entry).flatMap((other) => exportsOf.get(other) ?? []),
      );
      const problems: string[] = [];
      const exportedElsewhere: string[] = [];
      let diff = '';
      const result = Extractor.invoke(configs[index], {
        compilerState,
        localBuild: update,
        printApiReportDiff: true,
        messageCallback: (message: ExtractorMessage) => {
          message.handled = true;
          const symbol = forgotten(message);
          if (symbol !== undefined && elsewhere.has(symbol)) {
            message.logLevel = ExtractorLogLevel.None;
            exportedElsewhere.push(symbol);
          }
          if (message.messageId === 'console-api-report-diff') diff = message.text;
          else if (/^console-api-report-(not-copied|copied|created)$/.test(message.messageId)) return;
          else if (
            message.logLevel === ExtractorLogLevel.Error ||
            message.logLevel === ExtractorLogLevel.Warning
          ) {
            problems.push(message.formatMessageWithLocation(ROOT));
          }
        },
      });
      return {
        entry,
        changed: result.apiReportChanged,
        diff,
        exportedNames: exportsOf.get(entry) ?? [],
        problems,
        exportedElsewhere,
      };
    });
  } finally {
    rmSync(tempFolder, { recursive: true, force: true });
  }
}

function main(): void {
  let failed = false;
  for (const packageFolder of PACKAGE_FOLDERS) {
    for (const { entry, changed, problems, exportedElsewhere } of extractApi(packageFolder, {
      update: true,
    })) {
      process.stdout.write(`${changed ? 'updated  ' : 'unchanged'} ${entry.report} (${entryName(entry)})\n`);
      for (const problem of problems) process.stdout.write(`  ${problem}\n`);
      if (exportedElsewhere.length > 0) {
        process.stdout.write(`  uses, from another entry of the package: ${exportedElsewhere.join(', ')}\n`);
      }
      failed ||= problems.length > 0;
    }
  }
  if (failed) {
    process.stdout.write('\nAPI Extractor found the problems above: npm test fails until they are fixed.\n');
    process.exitCode = 1;
  }
}

if (require.main === module) main();
