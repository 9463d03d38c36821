// The pull manifest: which <name>--<author> folders `skillopt pull` installed,
// where, and at which version. It is the authority for "is this an org skill?"
// (the PreToolUse hook) and for "may pull touch this folder?" (pull never
// overwrites a folder it did not install). Pure: parsing, lookup and update
// only; reading and writing the file is the caller's job.
import { formatSkillRef, tryParseSkillRef } from './skill-ref';
import type { SkillRef } from './skill-ref';

export const MANIFEST_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';

/** user = ~/.claude/skills, project = <cwd>/.claude/skills. */
export type InstallScope = 'user' | 'project';

export interface ManifestEntry {
  /** The installed folder's name, always `<name>--<author>`. */
  dirName: string;
  name: string;
  author: string;
  version: number;
  scope: InstallScope;
  /** Absolute path of the skills root the folder lives in. */
  root: string;
  pulledAt: string;
  /** Installed as a candidate on trial (this user is in its canary cohort); absent: the stable version. */
  candidate?: true;
  /** What pull wrote, path → content hash, SKILL.md included; absent for an install from before skills were folders. */
  files?: Record<string, string>;
}

export interface Manifest {
  version: typeof MANIFEST_VERSION;
  entries: ManifestEntry[];
}

export function emptyManifest(): Manifest {
  return { version: MANIFEST_VERSION, entries: [] };
}

/** A dirName that could escape its root (or isn't a ref at all) is never trusted. */
export function isSafeDirName(dirName: string): boolean {
  return dirName.length > 0 && !dirName.includes('/') && !dirName.includes('\\') && !dirName.includes('..') && !dirName.includes('\0');
}

// POSIX "/…" or Windows "C:\…"; core stays free of node:path.
function isAbsoluteRoot(root: string): boolean {
  return (root.startsWith('/') || /^[A-Za-z]:[\\/]/.test(root)) && !root.includes('\0');
}

/** The entry as a valid ManifestEntry, or undefined when any field is wrong. */
export function validateEntry(raw: unknown): ManifestEntry | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const e = raw as Record<string, unknown>;
  const { dirName, name, author, version, scope, root, pulledAt } = e;
  if (typeof dirName !== 'string' || !isSafeDirName(dirName)) return undefined;
  if (typeof name !== 'string' || typeof author !== 'string') return undefined;
  // One key everywhere: the folder name must be exactly the (name, author) ref.
  const ref = tryParseSkillRef(dirName);
  if (!ref || ref.name !== name || ref.author !== author) return undefined;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) return undefined;
  if (scope !== 'user' && scope !== 'project') return undefined;
  if (typeof root !== 'string' || !isAbsoluteRoot(root)) return undefined;
  if (typeof pulledAt !== 'string') return undefined;
  const files = validFiles(e.files);
  return { dirName, name, author, version, scope, root, pulledAt, ...(e.candidate === true ? { candidate: true as const } : {}), ...(files ? { files } : {}) };
}

/**
 * A recorded tree, path → content hash, or undefined (the install is then
 * treated as one from before trees). Only its shape is checked: pull looks
 * hashes up by the paths of a version's tree or of the folder on disk, never
 * writes to a path it read here, and every hook parses this manifest, so the
 * paths are not validated one by one.
 */
function validFiles(raw: unknown): Record<string, string> | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const files = raw as Record<string, unknown>;
  for (const key in files) if (typeof files[key] !== 'string') return undefined;
  return files as Record<string, string>;
}

/** Never throws: a corrupt or foreign file reads as empty, invalid entries are dropped, duplicates keep the last. */
export function parseManifest(text: string): Manifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return emptyManifest();
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return emptyManifest();
  const { version, entries } = data as Record<string, unknown>;
  if (version !== MANIFEST_VERSION || !Array.isArray(entries)) return emptyManifest();
  let manifest = emptyManifest();
  for (const raw of entries) {
    const entry = validateEntry(raw);
    if (entry) manifest = upsertEntry(manifest, entry);
  }
  return manifest;
}

export function serializeManifest(manifest: Manifest): string {
  return `${JSON.stringify({ version: MANIFEST_VERSION, entries: manifest.entries }, null, 2)}\n`;
}

/** Every install of this folder name, in any root (user and project may both have it). */
export function findInstalled(manifest: Manifest, dirName: string): ManifestEntry[] {
  if (!isSafeDirName(dirName)) return [];
  return manifest.entries.filter((e) => e.dirName === dirName);
}

/** The entry for one folder: the manifest's key is (root, dirName). */
export function findEntry(manifest: Manifest, root: string, dirName: string): ManifestEntry | undefined {
  return manifest.entries.find((e) => e.root === root && e.dirName === dirName);
}

/** True when pull installed this skill somewhere: the hook's test for "an org skill". */
export function isOrgSkill(manifest: Manifest, skill: string | SkillRef): boolean {
  return findInstalled(manifest, typeof skill === 'string' ? skill : formatSkillRef(skill)).length > 0;
}

/** A new manifest with the entry added or replacing the one with the same (root, dirName). */
export function upsertEntry(manifest: Manifest, entry: ManifestEntry): Manifest {
  const entries = manifest.entries.filter((e) => !(e.root === entry.root && e.dirName === entry.dirName));
  entries.push(entry);
  return { version: MANIFEST_VERSION, entries };
}

/** A new manifest without the entry for (root, dirName). */
export function removeEntry(manifest: Manifest, root: string, dirName: string): Manifest {
  return { version: MANIFEST_VERSION, entries: manifest.entries.filter((e) => !(e.root === root && e.dirName === dirName)) };
}
