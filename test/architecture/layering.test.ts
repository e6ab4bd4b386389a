import * as path from 'node:path';
import {
  findImportCycles,
  findViolations,
  formatViolation,
  type ProjectFile,
  readProjectFiles,
  resolveTarget,
  scanFile,
} from './layering';

const ROOT = path.join(__dirname, '../..');

describe('the project keeps its layers (docs/design.md, "Layout")', () => {
  const files = readProjectFiles(ROOT);

  it('reads the runtime, the infra, the tools and the tests', () => {
    const paths = files.map((file) => file.path);
    for (const expected of [
      'lambda/contract.ts',
      'lambda/session/src/index.ts',
      'lambda/session/src/middy.ts',
      'lib/construct/src/ServerSessions.ts',
      'lib/SessionsStack.ts',
      'bin/app.ts',
      'scripts/bench/main.ts',
      'test/architecture/layering.ts',
    ]) {
      expect(paths).toContain(expected);
    }
    // A checker that parses nothing finds nothing: the library's entry does import its modules.
    const entry = files.find((file) => file.path === 'lambda/session/src/index.ts') as ProjectFile;
    expect(scanFile(entry).imports.length).toBeGreaterThan(3);
    // And the dynamic ones are seen where the project has them.
    const kindsIn = (file: string) =>
      scanFile(files.find((candidate) => candidate.path === file) as ProjectFile).imports.map(
        (reference) => reference.kind,
      );
    expect(kindsIn('lambda/session/src/keys/SecretsManagerKeys.ts')).toContain('import()');
    // Built files are not sources: the packages' builds and the bundled rotation function.
    expect(paths.filter((file) => /\/(dist|assets)\//.test(file))).toEqual([]);
    expect(kindsIn('scripts/invoke.ts')).toContain('require()');
  });

  it('breaks none of the rules', () => {
    expect(findViolations(files).map(formatViolation)).toEqual([]);
  });

  it('has no files outside test/ that import each other in a loop', () => {
    expect(findImportCycles(files)).toEqual([]);
  });
});

describe('the import loop finder', () => {
  it('finds a loop of two files, a type-only import included, and one of three', () => {
    const files: ProjectFile[] = [
      { path: 'lambda/session/a.ts', text: "import { b } from './b.js';\nexport const a = 1;" },
      { path: 'lambda/session/b.ts', text: "import type { A } from './a.js';\nexport const b = 2;" },
      { path: 'lib/x.ts', text: "import { y } from './y';" },
      { path: 'lib/y.ts', text: "import { z } from './local/z';" },
      { path: 'lib/local/z.ts', text: "import { x } from '../x';" },
      { path: 'lib/free.ts', text: "import { x } from './x';" },
    ];
    expect(findImportCycles(files)).toEqual([
      'lambda/session/a.ts -> lambda/session/b.ts -> lambda/session/a.ts',
      'lib/local/z.ts -> lib/x.ts -> lib/y.ts -> lib/local/z.ts',
    ]);
  });

  it('leaves tests out: a test importing what it tests is no loop', () => {
    const files: ProjectFile[] = [
      { path: 'lib/x.ts', text: 'export const x = 1;' },
      { path: 'test/x.test.ts', text: "import { x } from '../lib/x';" },
    ];
    expect(findImportCycles(files)).toEqual([]);
  });
});

describe('the layering checker', () => {
  /** The violations of one made-up file, next to the library's real entries. */
  function check(file: string, text: string): string[] {
    const entries: ProjectFile[] = [
      { path: 'lambda/session/src/index.ts', text: '' },
      { path: 'lambda/session/src/middy.ts', text: '' },
      { path: 'lambda/session/src/keys/KeyRing.ts', text: '' },
      { path: 'lib/construct/src/index.ts', text: '' },
    ];
    return findViolations([...entries, { path: file, text }]).map(formatViolation);
  }

  it.each([
    [
      'lambda/app/x.ts',
      "import { stack } from '../../lib/SessionsStack';",
      'lambda/app/x.ts:1: import \'../../lib/SessionsStack\' breaks "nothing under lambda/ imports lib/, bin/, scripts/ or test/"',
    ],
    [
      'lambda/index.ts',
      "export { fixture } from '../test/support/store';",
      'lambda/index.ts:1: export … from \'../test/support/store\' breaks "nothing under lambda/ imports lib/, bin/, scripts/ or test/"',
    ],
    [
      'lambda/http/x.ts',
      "const bench = await import('../../scripts/bench/flows.js');",
      'lambda/http/x.ts:1: import(\'../../scripts/bench/flows.js\') breaks "nothing under lambda/ imports lib/, bin/, scripts/ or test/"',
    ],
    [
      'lambda/contract.ts',
      "\n\nimport { join } from 'node:path';",
      'lambda/contract.ts:3: import \'node:path\' breaks "lambda/contract.ts imports nothing but types of @lambda-sessions/dynamodb/table"',
    ],
    [
      'lambda/contract.ts',
      "export type Handler = typeof import('./index');",
      'lambda/contract.ts:1: typeof import(\'./index\') breaks "lambda/contract.ts imports nothing but types of @lambda-sessions/dynamodb/table"',
    ],
    [
      'lambda/contract.ts',
      "import { TABLE_SCHEMA } from '@lambda-sessions/dynamodb/table';",
      'lambda/contract.ts:1: import \'@lambda-sessions/dynamodb/table\' breaks "lambda/contract.ts imports nothing but types of @lambda-sessions/dynamodb/table"',
    ],
    [
      'lambda/session/x.ts',
      "const { ROUTES } = require('../contract');",
      'lambda/session/x.ts:1: require(\'../contract\') breaks "lambda/session/ imports nothing of the project outside lambda/session/"',
    ],
    [
      'lambda/session/x.ts',
      'export const table = process.env.TABLE_NAME;',
      'lambda/session/x.ts:1: process.env breaks "no file under lambda/session/ reads process.env"',
    ],
    [
      'lambda/session/x.ts',
      'const { env } = process;',
      'lambda/session/x.ts:1: process.env breaks "no file under lambda/session/ reads process.env"',
    ],
    [
      'lambda/session/x.ts',
      "export const table = globalThis.process['env'].TABLE_NAME;",
      'lambda/session/x.ts:1: process.env breaks "no file under lambda/session/ reads process.env"',
    ],
    [
      'lambda/app/x.ts',
      "import { KeyRing } from '../session/src/KeyRing.js';",
      'lambda/app/x.ts:1: import \'../session/src/KeyRing.js\' breaks "lambda/, lib/, bin/ and scripts/ use the packages by name (@lambda-sessions/…), never by path"',
    ],
    [
      'lambda/app/x.ts',
      "import { SessionManager } from '../session/src/index.js';",
      'lambda/app/x.ts:1: import \'../session/src/index.js\' breaks "lambda/, lib/, bin/ and scripts/ use the packages by name (@lambda-sessions/…), never by path"',
    ],
    [
      'bin/x.ts',
      "import ring = require('../lambda/session/src/keys/KeyRing');",
      'bin/x.ts:1: import … = require(\'../lambda/session/src/keys/KeyRing\') breaks "lambda/, lib/, bin/ and scripts/ use the packages by name (@lambda-sessions/…), never by path"',
    ],
    [
      'scripts/x.ts',
      "import { SessionSeal } from '../lambda/session/src/SessionSeal';",
      'scripts/x.ts:1: import \'../lambda/session/src/SessionSeal\' breaks "lambda/, lib/, bin/ and scripts/ use the packages by name (@lambda-sessions/…), never by path"',
    ],
    [
      'lib/x.ts',
      "import { ServerSessions } from './construct/src/ServerSessions';",
      'lib/x.ts:1: import \'./construct/src/ServerSessions\' breaks "lambda/, lib/, bin/ and scripts/ use the packages by name (@lambda-sessions/…), never by path"',
    ],
    [
      'lambda/app/x.ts',
      "import type { ServerSessions } from '@lambda-sessions/cdk';",
      'lambda/app/x.ts:1: import \'@lambda-sessions/cdk\' breaks "nothing under lambda/ imports @lambda-sessions/cdk, aws-cdk-lib or constructs"',
    ],
    [
      'lambda/session/src/x.ts',
      "import { Duration } from 'aws-cdk-lib';",
      'lambda/session/src/x.ts:1: import \'aws-cdk-lib\' breaks "nothing under lambda/ imports @lambda-sessions/cdk, aws-cdk-lib or constructs"',
    ],
    [
      'lib/construct/src/x.ts',
      "import { FUNCTIONS } from '../../../lambda/contract';",
      'lib/construct/src/x.ts:1: import \'../../../lambda/contract\' breaks "lib/construct/ imports nothing of the project outside lib/construct/ (the library by name)"',
    ],
    [
      'scripts/x.ts',
      "import { useStore } from '../test/support/store';",
      'scripts/x.ts:1: import \'../test/support/store\' breaks "nothing under scripts/ imports test/"',
    ],
    [
      'lib/local/x.ts',
      "const flows = require('../../scripts/bench/flows');",
      'lib/local/x.ts:1: require(\'../../scripts/bench/flows\') breaks "nothing under lib/ or bin/ imports scripts/ or test/"',
    ],
    [
      'lib/x.ts',
      'export const load = (name: string) => require(name);',
      'lib/x.ts:1: require(name) breaks "imports outside test/ name their module literally, so that the rules above can be checked"',
    ],
  ])('reports %s doing %j', (file, text, expected) => {
    expect(check(file, text)).toContain(expected);
  });

  it('reports a file that breaks several rules once per rule and import', () => {
    // Prepare: lambda/session reaching into lib/: outside the library and into the infra.
    const text = "import { x } from '../../lib/x';\nimport { y } from '../../test/y';";

    // Act
    const violations = check('lambda/session/x.ts', text);

    // Assess
    expect(violations).toHaveLength(4);
    expect(violations.filter((violation) => violation.startsWith('lambda/session/x.ts:2:'))).toHaveLength(2);
  });

  it.each([
    ['lambda/app/x.ts', "import type { SessionWrite } from '@lambda-sessions/dynamodb';"],
    ['lambda/app/y.ts', "import { sessionMiddleware } from '@lambda-sessions/dynamodb/middy';"],
    ['lib/x.ts', "import { TABLE_SCHEMA } from '@lambda-sessions/dynamodb/table';"],
    ['lib/y.ts', "import { ServerSessions } from '@lambda-sessions/cdk';"],
    [
      'lib/construct/src/x.ts',
      "import { TABLE_SCHEMA } from '@lambda-sessions/dynamodb/table';\nimport { y } from './y';",
    ],
    [
      'lambda/session/x.ts',
      "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nimport { KeyRing } from './KeyRing';",
    ],
    ['lambda/session/y.ts', "// process.env is the app's business\nexport const env = { process: 1 };"],
    [
      'scripts/x.ts',
      "import { UserSessions } from '@lambda-sessions/dynamodb';\nimport { flows } from '../lib/local/x';",
    ],
    [
      'test/unit/x.test.ts',
      "import { KeyRing } from '../../lambda/session/src/keys/KeyRing';\nrequire(path);",
    ],
    ['lib/x.ts', "const text = `import x from '../scripts/y'`;"],
  ])('accepts %s doing %j', (file, text) => {
    expect(check(file, text)).toEqual([]);
  });

  it('resolves a folder with an index file to its index, and a path without extension', () => {
    const known = new Set(['lambda/session/src/index.ts']);
    expect(resolveTarget('lambda/app/x.ts', '../session/src', known)).toBe('lambda/session/src/index');
    expect(resolveTarget('lambda/app/x.ts', '../session/src/keys/KeyRing.js', known)).toBe(
      'lambda/session/src/keys/KeyRing',
    );
    expect(resolveTarget('lambda/app/x.ts', 'node:path', known)).toBeUndefined();
    expect(resolveTarget('lambda/x.ts', '../../outside', known)).toBe('../outside');
  });
});
