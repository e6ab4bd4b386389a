import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

// The typed session API, checked by the compiler: `typed.ts` must compile, and every file in
// `mistyped/` must fail with exactly the errors its lines mark (`// error TS2345`), no more, no
// fewer. The mistyped files are left out of the repository's typecheck (tsconfig `exclude`).

const ROOT = path.resolve(__dirname, '../..');
const HERE = __dirname;
const MISTYPED = path.join(HERE, 'mistyped');
/** The compiler reads the library's sources and zod's declarations: a few seconds on a busy machine. */
const COMPILE_TIMEOUT_MS = 60_000;

function compilerOptions(): ts.CompilerOptions {
  const configPath = path.join(ROOT, 'tsconfig.json');
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  return { ...options, noEmit: true };
}

interface Found {
  file: string;
  line: number;
  code: string;
}

/** Every diagnostic of the program over `files`, as file, 1-based line and `TS` code. */
function diagnostics(files: string[]): Found[] {
  const program = ts.createProgram(files, compilerOptions());
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const file = diagnostic.file?.fileName ?? '(global)';
    const line =
      diagnostic.file && diagnostic.start !== undefined
        ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line + 1
        : 0;
    return { file: path.relative(ROOT, file), line, code: `TS${diagnostic.code}` };
  });
}

/** The errors a mistyped file's lines mark. */
function marked(file: string): Found[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((text, index) => {
      const match = /\/\/ error (TS\d+)\s*$/.exec(text);
      return match ? [{ file: path.relative(ROOT, file), line: index + 1, code: match[1] as string }] : [];
    });
}

const mistyped = readdirSync(MISTYPED)
  .filter((name) => name.endsWith('.ts'))
  .map((name) => path.join(MISTYPED, name));

let found: Found[];

beforeAll(() => {
  found = diagnostics([path.join(HERE, 'typed.ts'), ...mistyped]);
}, COMPILE_TIMEOUT_MS);

it('typed code compiles', () => {
  expect(found.filter((diagnostic) => diagnostic.file === 'test/types/typed.ts')).toEqual([]);
});

it.each(mistyped.map((file) => [path.basename(file), file]))(
  '%s fails exactly where it is marked',
  (_name, file) => {
    const expected = marked(file);
    expect(expected.length).toBeGreaterThan(0);
    const relative = path.relative(ROOT, file);
    expect(found.filter((diagnostic) => diagnostic.file === relative)).toEqual(expected);
  },
);

it('nothing else fails to compile', () => {
  const ours = new Set(['test/types/typed.ts', ...mistyped.map((file) => path.relative(ROOT, file))]);
  expect(found.filter((diagnostic) => !ours.has(diagnostic.file))).toEqual([]);
});
