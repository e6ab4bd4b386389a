import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Plugin } from 'esbuild';
import { PROJECT_ROOT } from './common';

/** A package copy the bundle took from another install folder of the same name and version. */
export interface MergedCopy {
  /** `name@version` */
  package: string;
  /** Install folders relative to the repository, e.g. `node_modules/send/node_modules/mime-types`. */
  from: string;
  to: string;
}

/** For each install folder in the lock file: its `name@version`, and where that is installed first (in path order). */
function canonicalFolders(lockFile: string): Map<string, { key: string; target: string }> {
  const { packages } = JSON.parse(readFileSync(lockFile, 'utf8')) as {
    packages: Record<string, { version?: string; name?: string; link?: boolean }>;
  };
  const first = new Map<string, string>();
  const canonical = new Map<string, { key: string; target: string }>();
  const folders = Object.keys(packages)
    .filter((folder) => folder.includes('node_modules/') && !packages[folder].link)
    .sort();
  for (const folder of folders) {
    const name = folder.slice(folder.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const key = `${packages[folder].name ?? name}@${packages[folder].version}`;
    if (!first.has(key)) first.set(key, folder);
    canonical.set(folder, { key, target: first.get(key) ?? folder });
  }
  return canonical;
}

/**
 * An esbuild plugin that takes one copy of each package name@version, as npm lays out a project
 * that has only those dependencies. Why: this repository's tree holds some of the peer's packages
 * several times (express 5 wants mime-types 3, the CDK and autocannon want mime-types 2 at the
 * top, so npm nests a mime-types 3 with its mime-db under each of express, accepts, send and
 * type-is); bundled from here, the peer would carry ~450 KB that a project of its own would not.
 * Every merge is recorded in `merged`. Used for the peer's bundle only: ours is bundled exactly
 * as the stack bundles it (and a test checks this plugin would merge nothing in it).
 * @example const dedupe = dedupePackages(); await build({ ...options, plugins: [dedupe.plugin] });
 */
export function dedupePackages(lockFile = path.join(PROJECT_ROOT, 'package-lock.json')): {
  plugin: Plugin;
  merged: MergedCopy[];
} {
  const canonical = canonicalFolders(lockFile);
  const merged = new Map<string, MergedCopy>();
  const skip = Symbol('dedupe');
  const plugin: Plugin = {
    name: 'dedupe-packages',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === skip) return undefined;
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: skip,
        });
        if (resolved.errors.length > 0 || resolved.external || !path.isAbsolute(resolved.path))
          return resolved;
        const relative = path.relative(PROJECT_ROOT, resolved.path).split(path.sep).join('/');
        // The install folder holding the file, if it is under node_modules.
        const folder = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(relative)?.[1];
        const copy = folder === undefined ? undefined : canonical.get(folder);
        if (folder === undefined || copy === undefined || copy.target === folder) return resolved;
        merged.set(folder, { package: copy.key, from: folder, to: copy.target });
        return { ...resolved, path: path.join(PROJECT_ROOT, copy.target, relative.slice(folder.length + 1)) };
      });
    },
  };
  return {
    plugin,
    get merged() {
      return [...merged.values()].sort((a, b) => a.from.localeCompare(b.from));
    },
  };
}
