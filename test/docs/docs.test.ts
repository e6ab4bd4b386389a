import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { codeBlocks } from '../library/docExamples';
import { anchorsOf, brokenReason, headingSlug, npmScripts, relativeLinks } from './markdown';

// The README is the front page and docs/ holds the depth: the front page stays short, and every
// link and every npm command the documents give must work.
const ROOT = path.resolve(__dirname, '../..');
const README = path.join(ROOT, 'README.md');
/** 12 KB read the strict way (1 KB = 1,000 bytes). */
const MAX_README_BYTES = 12_000;

const docs = readdirSync(path.join(ROOT, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => path.join(ROOT, 'docs', name));
const documents = [README, ...docs];
const relative = (file: string) => path.relative(ROOT, file).split(path.sep).join('/');

describe('README.md', () => {
  test(`is at most ${MAX_README_BYTES} bytes`, () => {
    expect(statSync(README).size).toBeLessThanOrEqual(MAX_README_BYTES);
  });

  test('links to every document in docs/', () => {
    // Prepare
    const linked = new Set(
      relativeLinks(readFileSync(README, 'utf8')).map((link) => link.target.split('#')[0]),
    );

    // Assess
    for (const doc of docs.map(relative)) expect(linked).toContain(doc);
  });
});

describe.each(documents.map((file) => [relative(file), file]))('%s', (_name, file) => {
  const text = readFileSync(file, 'utf8');

  test('every relative link resolves to a file in the repository, and every anchor to a heading', () => {
    // Act
    const broken = relativeLinks(text).flatMap((link) => {
      const reason = brokenReason(ROOT, file, link);
      return reason === undefined ? [] : [`line ${link.line}: ${link.target}: ${reason}`];
    });

    // Assess
    expect(broken).toEqual([]);
  });

  test('every npm script it mentions exists in package.json', () => {
    // Prepare
    const scripts = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts;

    // Act
    const missing = npmScripts(text).filter((name) => !Object.hasOwn(scripts, name));

    // Assess
    expect(missing).toEqual([]);
  });

  test('holds no TypeScript example unless it is docs/library.md, whose examples a test runs', () => {
    // test/library/tarballs.test.ts and construct.test.ts compile and run every TypeScript block of docs/library.md.
    const typescript = codeBlocks(text).filter((block) =>
      /^(ts|typescript|js|javascript)$/.test(block.language),
    );
    expect(typescript.length === 0 || relative(file) === 'docs/library.md').toBe(true);
  });
});

// The checks above pass only if they can fail: each must catch what it is for.
describe('the link checker', () => {
  const file = path.join(ROOT, 'docs', 'example.md');
  const reason = (target: string) => brokenReason(ROOT, file, { target, line: 1 });

  test('accepts a file, a folder and a heading anchor', () => {
    expect(reason('../README.md')).toBeUndefined();
    expect(reason('../lambda/session/')).toBeUndefined();
    expect(reason('security.md#what-is-not-protected')).toBeUndefined();
    expect(reason('library.md')).toBeUndefined();
  });

  test('refuses a missing file, a missing heading and a path outside the repository', () => {
    expect(reason('securty.md')).toBe('no such file: docs/securty.md');
    expect(reason('security.md#no-such-heading')).toBe('no heading #no-such-heading in docs/security.md');
    expect(reason('../../outside.md')).toBe('points outside the repository');
  });

  test('finds inline links, images and reference definitions, not code or web addresses', () => {
    // Prepare
    const markdown = [
      'See [ops](docs/operations.md#alarms) and ![shot](docs/logged-in.png).',
      '`[not a link](nowhere.md)` and [web](https://example.com)',
      '```',
      '[inside a code block](nowhere.md)',
      '```',
      '[ref]: docs/performance.md',
    ].join('\n');

    // Act
    const links = relativeLinks(markdown);

    // Assess
    expect(links).toEqual([
      { target: 'docs/operations.md#alarms', line: 1 },
      { target: 'docs/logged-in.png', line: 1 },
      { target: 'docs/performance.md', line: 6 },
    ]);
  });

  test("makes GitHub's anchors, numbering repeated headings", () => {
    expect(headingSlug('Load test: `npm run load`')).toBe('load-test-npm-run-load');
    expect(headingSlug('Side by side with express-session + connect-dynamodb')).toBe(
      'side-by-side-with-express-session--connect-dynamodb',
    );
    expect([...anchorsOf('# Logs\n## Logs\n```\n# not a heading\n```')]).toEqual(['logs', 'logs-1']);
  });

  test('finds the npm scripts a text mentions', () => {
    expect(npmScripts('npm ci, npm start, `npm run bench -- --quick`, npm test and npm run load.')).toEqual([
      'start',
      'bench',
      'test',
      'load',
    ]);
  });
});
