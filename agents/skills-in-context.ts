// Which pulled org skills a session has in context: the skill the agent
// loads for a folder name is the one in the first of its skills roots that has
// that folder (Claude Code: a personal skill wins over a project skill of the
// same name). It is an org skill only when pull
// installed that very folder (the manifest has it under that root): a local
// `x--y` folder is not the shared skill, even when pull installed an `x--y`
// somewhere else (another project) or in a root this one shadows.
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Manifest, ManifestEntry } from '../core/manifest';
import { findEntry, findInstalled } from '../core/manifest';
import { formatSkillRef, tryParseSkillRef, type SkillRef } from '../core/skill-ref';
import { expandHome } from '../local/home';
import type { Agent, AgentPlace, PulledSkills, SkillCall } from './agent';

/**
 * The pull install of `dirName` that the agent loads in a session with
 * these roots (first wins), or undefined when what it loads (if anything) is not pull's.
 * `exists` tells whether a folder is there.
 */
export function installInContext(manifest: Manifest, dirName: string, roots: readonly string[], exists: (dir: string) => boolean): ManifestEntry | undefined {
  const installs = findInstalled(manifest, dirName);
  if (installs.length === 0) return undefined;
  for (const root of roots) {
    if (exists(join(root, dirName))) return installs.find((e) => e.root === root);
  }
  return undefined;
}

/** Org skills in context, one per ref, sorted by name then author (code-point order: the same on every machine). */
export function orgSkillsInContext(
  manifest: Manifest,
  roots: readonly string[],
  exists: (dir: string) => boolean,
): { name: string; author: string; version: number }[] {
  const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...new Set(manifest.entries.map((e) => e.dirName))]
    .map((dirName) => installInContext(manifest, dirName, roots, exists))
    .filter((e): e is ManifestEntry => e !== undefined)
    .map((e) => ({ name: e.name, author: e.author, version: e.version }))
    .sort((a, b) => compare(a.name, b.name) || compare(a.author, b.author));
}

/** The org skill named `name` (`<name>--<author>`) as the agent loads it in this session, or 'not-org-skill'. */
export function pulledSkillNamed(agent: Agent, name: string, skills: PulledSkills): SkillCall {
  const ref = tryParseSkillRef(name);
  const pulled = ref && skills.manifest();
  const install = ref && pulled && installInContext(pulled, formatSkillRef(ref), agent.skillRoots(skills.place), existsSync);
  return ref && install ? { ref, install } : 'not-org-skill';
}

/**
 * The org skill whose SKILL.md is at one of `files` (as the agent named them,
 * relative to the session's folder or `~`-prefixed): `<root>/<name>--<author>/SKILL.md`
 * where pull installed that very folder (any other file, a local skill's among them, is none).
 */
export function pulledSkillAt(files: readonly string[], skills: PulledSkills): { ref: SkillRef; install: ManifestEntry } | undefined {
  const pulled = skills.manifest();
  if (!pulled) return undefined;
  for (const file of files) {
    const dir = dirname(resolve(skills.place.cwd, expandHome(file, skills.place.env)));
    const ref = tryParseSkillRef(basename(dir));
    const install = ref && findEntry(pulled, dirname(dir), basename(dir));
    if (ref && install) return { ref, install };
  }
  return undefined;
}

/**
 * Where a session's start pulls for `agent`: the folders it reads that pull
 * installed into for the user (its own, or the agents' shared folder), else
 * its own user folder; so a skill pulled into ~/.agents/skills is kept up to
 * date there and not installed a second time beside it.
 */
export function sessionPullRoots(agent: Agent, manifest: Manifest | undefined, place: AgentPlace, exists: (dir: string) => boolean = existsSync): string[] {
  // A folder the user deleted there no longer counts (how doctor's fix for a skill listed twice works).
  const pulledInto = agent.skillRoots(place).filter((root) => manifest?.entries.some((e) => e.scope === 'user' && e.root === root && exists(join(root, e.dirName))));
  return pulledInto.length > 0 ? pulledInto : [agent.installRoots(place).user];
}
