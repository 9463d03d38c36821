// Which pulled org skills a session has in context: the skill the agent
// loads for a folder name is the one in the user's skills root if that folder
// exists, else the one in the session's project root (a personal skill wins
// over a project skill of the same name). It is an org skill only when pull
// installed that very folder (the manifest has it under that root): a local
// `x--y` folder is not the shared skill, even when pull installed an `x--y`
// somewhere else (another project) or in a root this one shadows.
import { join } from 'node:path';
import type { Manifest, ManifestEntry } from '../core/manifest';
import { findInstalled } from '../core/manifest';
import type { SkillRoots } from '../local/agents';

export type { SkillRoots };

/**
 * The pull install of `dirName` that Claude Code loads in a session with
 * these roots, or undefined when what it loads (if anything) is not pull's.
 * `exists` tells whether a folder is there.
 */
export function installInContext(manifest: Manifest, dirName: string, roots: SkillRoots, exists: (dir: string) => boolean): ManifestEntry | undefined {
  const installs = findInstalled(manifest, dirName);
  if (installs.length === 0) return undefined;
  for (const root of [roots.user, roots.project]) {
    if (exists(join(root, dirName))) return installs.find((e) => e.root === root);
  }
  return undefined;
}

/** Org skills in context, one per ref, sorted by name then author (code-point order: the same on every machine). */
export function orgSkillsInContext(
  manifest: Manifest,
  roots: SkillRoots,
  exists: (dir: string) => boolean,
): { name: string; author: string; version: number }[] {
  const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...new Set(manifest.entries.map((e) => e.dirName))]
    .map((dirName) => installInContext(manifest, dirName, roots, exists))
    .filter((e): e is ManifestEntry => e !== undefined)
    .map((e) => ({ name: e.name, author: e.author, version: e.version }))
    .sort((a, b) => compare(a.name, b.name) || compare(a.author, b.author));
}
