// Builds the package: CommonJS into dist/cjs and ES modules into dist/esm, each with its
// declarations, from the same sources. A package.json in each folder tells Node (and
// TypeScript, for the declarations) which module system the files there use.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const build = (...args) =>
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', ...args], { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
build();
build('--module', 'es2022', '--moduleResolution', 'bundler', '--outDir', 'dist/esm');
for (const [folder, type] of [
  ['dist/cjs', 'commonjs'],
  ['dist/esm', 'module'],
]) {
  mkdirSync(folder, { recursive: true });
  writeFileSync(`${folder}/package.json`, `${JSON.stringify({ type })}\n`);
}
