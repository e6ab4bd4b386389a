/** A fenced code block of a markdown document, with the marker comment right above it, if any. */
export interface CodeBlock {
  language: string;
  code: string;
  /** `file: NAME` or `dependencies`, from `<!-- … -->` on the line before the fence. */
  marker: string | undefined;
  line: number;
}

/** Every fenced code block of `markdown`, in order. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const marker = /^<!--\s*(.+?)\s*-->$/.exec(lines[i - 1] ?? '')?.[1];
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`unclosed code block at line ${i + 1}`);
    blocks.push({ language: open[1], code: lines.slice(i + 1, end).join('\n'), marker, line: i + 1 });
    i = end;
  }
  return blocks;
}

/** The packages the `npm install` lines of a shell block name (flags and comments left out). */
export function installedPackages(shell: string): string[] {
  return shell
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line.startsWith('npm install '))
    .flatMap((line) => line.slice('npm install '.length).split(/\s+/))
    .filter((word) => word !== '' && !word.startsWith('-'));
}

const IMPORT = /^import\s+(type\s+)?\{([^}]*)\}\s+from\s+'([^']+)';$/;

/**
 * One module from API snippets: their imports merged at the top (with `prelude`'s), and each
 * snippet as `{ line, run }`: the line of its fence in the page, and its body as a function of
 * `scope`, in its own block so it may shadow the scope's names. Only named imports are supported:
 * a snippet with another kind fails here, loudly.
 */
export function snippetModule(prelude: string[], snippets: CodeBlock[], scope: string): string {
  const names = new Map<string, Set<string>>();
  const addImport = (line: string) => {
    const match = IMPORT.exec(line.trim());
    if (!match) throw new Error(`unsupported import in a snippet: ${line}`);
    const [, typeOnly, list, from] = match;
    const set = names.get(from) ?? new Set<string>();
    for (const name of list.split(',').map((part) => part.trim())) {
      if (name !== '') set.add(typeOnly && !name.startsWith('type ') ? `type ${name}` : name);
    }
    names.set(from, set);
  };
  prelude.forEach(addImport);
  const bodies = snippets.map((block) => {
    const lines = block.code.split('\n');
    for (const line of lines.filter((text) => text.startsWith('import '))) addImport(line);
    const body = lines.filter((text) => !text.startsWith('import ')).join('\n');
    return `  {\n    line: ${block.line},\n    run: async (${scope}) => {\n      {\n${body}\n      }\n    },\n  },`;
  });
  const imports = [...names].map(([from, set]) => {
    // A name imported both as a type and as a value is a value import.
    const values = [...set].filter((name) => !(name.startsWith('type ') && set.has(name.slice(5))));
    return `import { ${values.join(', ')} } from '${from}';`;
  });
  return `${imports.join('\n')}\n\nexport const snippets = [\n${bodies.join('\n')}\n];\n`;
}
