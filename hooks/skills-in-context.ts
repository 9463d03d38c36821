// Which pulled org skills a session has in context: manifest entries installed
// in the user's skills root or the session's project root. Claude Code lets a
// personal (user) skill win over a project skill of the same name, so a skill
// installed in both counts once, with the user root's version.
import { join, resolve } from 'node:path';
import type { Manifest, ManifestEntry } from '../core/manifest';
import { findInstalled } from '../core/manifest';

export interface SkillRoots {
  user: string;
  project: string;
}

export function skillRoots(userHome: string, cwd: string): SkillRoots {
  return { user: resolve(userHome, '.claude', 'skills'), project: resolve(cwd, '.claude', 'skills') };
}

/** The installs of one skill, the one in context first: user root, project root, then any other root. */
export function installsOf(manifest: Manifest, dirName: string, roots: SkillRoots): ManifestEntry[] {
  const rank = (e: ManifestEntry): number => (e.root === roots.user ? 0 : e.root === roots.project ? 1 : 2);
  return findInstalled(manifest, dirName).sort((a, b) => rank(a) - rank(b));
}

/**
 * Org skills in context, one per ref, sorted by name then author (code-point
 * order: the same on every machine). `exists` tells whether the folder is still there.
 */
export function orgSkillsInContext(
  manifest: Manifest,
  roots: SkillRoots,
  exists: (dir: string) => boolean,
): { name: string; author: string; version: number }[] {
  const byRef = new Map<string, ManifestEntry>();
  for (const root of [roots.user, roots.project]) {
    for (const entry of manifest.entries) {
      if (entry.root !== root || byRef.has(entry.dirName)) continue;
      if (exists(join(root, entry.dirName))) byRef.set(entry.dirName, entry);
    }
  }
  const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...byRef.values()]
    .map((e) => ({ name: e.name, author: e.author, version: e.version }))
    .sort((a, b) => compare(a.name, b.name) || compare(a.author, b.author));
}
