import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** A link found in a markdown file, as written, with its 1-based line. */
export interface MarkdownLink {
  target: string;
  line: number;
}

const FENCE = /^ {0,3}(```|~~~)/;
const INLINE_LINK = /!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/;
const HEADING = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/;
const HTML_ANCHOR = /<a\s+(?:name|id)="([^"]+)"/g;
/** `http:`, `https:`, `mailto:`…: not a file in this repository. */
const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i;

/**
 * The text with fenced code blocks and inline code blanked out (line count kept): links and
 * headings inside code are examples, not links.
 * @example withoutCode('see `[x](y)`') // 'see '
 */
export function withoutCode(markdown: string): string {
  let inFence = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (FENCE.test(line)) {
        inFence = !inFence;
        return '';
      }
      return inFence ? '' : line.replace(/`+[^`]*`+/g, '');
    })
    .join('\n');
}

/**
 * Every link to a path in the repository: inline links, images and reference definitions;
 * external addresses are left out. Same-file anchors come back as `#anchor`.
 * @example relativeLinks('[ops](docs/operations.md#alarms) [web](https://example.com)') // [{ target: 'docs/operations.md#alarms', line: 1 }]
 */
export function relativeLinks(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  withoutCode(markdown)
    .split('\n')
    .forEach((text, index) => {
      const targets = [...text.matchAll(INLINE_LINK)].map((match) => match[1]);
      const definition = REFERENCE_DEFINITION.exec(text);
      if (definition) targets.push(definition[1]);
      for (const target of targets) {
        if (!EXTERNAL.test(target)) links.push({ target, line: index + 1 });
      }
    });
  return links;
}

/**
 * GitHub's anchor for a heading: inline markup removed, lower case, punctuation dropped, each
 * space a hyphen.
 * @example headingSlug('Side by side with `express-session` + connect-dynamodb') // 'side-by-side-with-express-session--connect-dynamodb'
 */
export function headingSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a file offers: its headings' slugs (repeats numbered as GitHub does) and HTML anchors. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (FENCE.test(line)) inFence = !inFence;
    if (inFence) continue;
    for (const match of line.matchAll(HTML_ANCHOR)) anchors.add(match[1]);
    const heading = HEADING.exec(line);
    if (!heading) continue;
    const slug = headingSlug(heading[1]);
    const repeats = seen.get(slug) ?? 0;
    seen.set(slug, repeats + 1);
    anchors.add(repeats === 0 ? slug : `${slug}-${repeats}`);
  }
  return anchors;
}

/**
 * Why `link` in `file` does not resolve, or undefined when it does: the path must exist inside
 * `root`, and an anchor into a markdown file must name one of its headings.
 */
export function brokenReason(root: string, file: string, link: MarkdownLink): string | undefined {
  const hash = link.target.indexOf('#');
  const filePart = decodeURI(hash < 0 ? link.target : link.target.slice(0, hash));
  const anchor = hash < 0 ? undefined : decodeURIComponent(link.target.slice(hash + 1));
  const resolved = filePart === '' ? file : path.resolve(path.dirname(file), filePart);
  const fromRoot = path.relative(root, resolved).split(path.sep).join('/');
  if (fromRoot.startsWith('../') || path.isAbsolute(fromRoot)) return 'points outside the repository';
  if (!existsSync(resolved)) return `no such file: ${fromRoot}`;
  if (anchor === undefined || !resolved.endsWith('.md')) return undefined;
  if (anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)) return undefined;
  return `no heading #${anchor} in ${fromRoot}`;
}

/**
 * The npm scripts a text tells people to run: `npm run <name>`, `npm start`, `npm test`.
 * @example npmScripts('npm start, then `npm run bench -- --quick`') // ['start', 'bench']
 */
export function npmScripts(markdown: string): string[] {
  const names = [...markdown.matchAll(/\bnpm (?:run ([\w:-]+)|(start|test)\b)/g)].map(
    (match) => match[1] ?? match[2],
  );
  return [...new Set(names)];
}
