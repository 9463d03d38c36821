// Installing one version's tree into a skills root, atomically: the whole
// folder is staged beside the root, then swapped in with two renames, so a
// session never reads half a version and a pull killed midway leaves the old
// version whole (what it staged is cleared by the next pull). Contents come
// from the installed folder when unchanged, then this machine's content cache,
// and only then from the team's store. Files a person changed in the installed
// folder are kept beside the new ones as <file>.bak; files pull never
// installed stay as they are; files the new version dropped are removed.
import { chmod, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, relative, sep } from 'node:path';
import { contentHash } from '../core/content-hash';
import { SKILL_FILE, fileChunks, type TreeFile } from '../core/skill-tree';
import type { ContentCache } from '../local/content-cache';
import { isErrno } from '../local/fs';
import type { SkillSource } from '../team/skill-source';

/** Where pulls stage trees and park replaced ones: beside the skills root, so no agent lists them as skills, on the same disk. */
export function stagingArea(root: string): string {
  return join(dirname(root), '.skillopt-pull');
}

/** Clears what a pull that died left in the staging area (the caller holds the manifest lock). */
export async function clearStaging(root: string): Promise<void> {
  await rm(stagingArea(root), { recursive: true, force: true });
}

export interface TreeInstall {
  root: string;
  /** The folder's name, `<name>--<author>`. */
  ref: string;
  /** The SKILL.md pull writes. */
  skillText: string;
  files: readonly TreeFile[];
  /**
   * What pull installed in the folder now, path → content hash, SKILL.md
   * included; `legacy`: an install recorded before trees (its SKILL.md is kept
   * as SKILL.md.bak, as pull always did then); undefined: no folder yet.
   */
  installed: { files: Readonly<Record<string, string>> } | { legacy: true } | undefined;
  source: Pick<SkillSource, 'contents'>;
  cache: ContentCache;
}

export interface TreeInstalled {
  /** Files of the previous install a person had changed, kept as <path>.bak. */
  kept: string[];
  /** Contents fetched from the store (not found in the folder or the cache). */
  fetched: { chunks: number; bytes: number };
}

/** Every regular file under `dir`, relative, `/`-separated. */
async function listFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (folder: string) => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const absolute = join(folder, entry.name);
      if (entry.isDirectory()) await walk(absolute);
      else if (entry.isFile()) found.push(relative(dir, absolute).split(sep).join('/'));
    }
  };
  await walk(dir);
  return found;
}

async function writeInto(staging: string, path: string, data: Uint8Array | string, executable: boolean): Promise<void> {
  const target = join(staging, ...path.split('/'));
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, data, { flag: 'wx' });
  // Explicit: the umask must not take the executable bit a script was shipped with.
  await chmod(target, executable ? 0o755 : 0o644);
}

/** Reads a file of the installed folder if it still holds `hash`, else undefined. */
async function unchangedInstalled(dir: string, path: string, hash: string): Promise<Uint8Array | undefined> {
  try {
    const data = await readFile(join(dir, ...path.split('/')));
    return contentHash(data) === hash ? data : undefined;
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR', 'EISDIR')) return undefined;
    throw err;
  }
}

/** The contents of `files` not in the installed folder, from the cache, fetching what it lacks into it first. */
async function contentsOf(files: readonly TreeFile[], install: TreeInstall, fetched: TreeInstalled['fetched']): Promise<Map<string, Uint8Array>> {
  const chunks = new Map<string, Uint8Array>();
  const wanted = [...new Set(files.flatMap(fileChunks))];
  const lacking: string[] = [];
  for (const hash of wanted) {
    const cached = await install.cache.read(hash);
    if (cached) chunks.set(hash, cached);
    else lacking.push(hash);
  }
  if (lacking.length > 0) {
    const got = await install.source.contents(lacking);
    for (const hash of lacking) {
      const data = got.get(hash);
      if (!data) throw new Error(`the store has lost a content of this version (${hash.slice(0, 12)}…); push the skill again`);
      if (contentHash(data) !== hash) throw new Error(`a content the store sent does not match its hash (${hash.slice(0, 12)}…)`);
      await install.cache.write(hash, data);
      chunks.set(hash, data);
      fetched.chunks += 1;
      fetched.bytes += data.length;
    }
  }
  return chunks;
}

function assemble(file: TreeFile, chunks: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const parts = fileChunks(file).map((h) => chunks.get(h)!);
  const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  if (data.length !== file.size || contentHash(data) !== file.hash) throw new Error(`${file.path} does not match its hash after assembly; pull again`);
  return data;
}

/** Stages the version beside the root and swaps it in for the folder `<root>/<ref>`. */
export async function installTree(install: TreeInstall): Promise<TreeInstalled> {
  const dir = join(install.root, install.ref);
  const area = stagingArea(install.root);
  const tag = `${install.ref}.${process.pid}.${randomBytes(4).toString('hex')}`;
  const staging = join(area, `new.${tag}`);
  const result: TreeInstalled = { kept: [], fetched: { chunks: 0, bytes: 0 } };
  await mkdir(install.root, { recursive: true });
  await mkdir(area, { recursive: true });
  await mkdir(staging);
  try {
    const previous = install.installed && 'files' in install.installed ? install.installed.files : undefined;
    // Unchanged files of the installed folder are copied, not fetched.
    const reused = new Map<string, Uint8Array>();
    if (previous) {
      for (const file of install.files) {
        if (previous[file.path] !== file.hash) continue;
        const data = await unchangedInstalled(dir, file.path, file.hash);
        if (data) reused.set(file.path, data);
      }
    }
    const chunks = await contentsOf(
      install.files.filter((f) => !reused.has(f.path)),
      install,
      result.fetched,
    );
    for (const file of install.files) await writeInto(staging, file.path, reused.get(file.path) ?? assemble(file, chunks), file.executable);
    await writeInto(staging, SKILL_FILE, install.skillText, false);

    if (install.installed) await carryOver(dir, staging, install, result);

    // The swap: the old folder is parked, the new one renamed in; only the moment between the renames has no folder.
    const parked = join(area, `old.${tag}`);
    if (install.installed) await rename(dir, parked);
    try {
      await rename(staging, dir);
    } catch (err) {
      if (install.installed) await rename(parked, dir).catch(() => undefined);
      throw err;
    }
    if (install.installed) await rm(parked, { recursive: true, force: true });
    return result;
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

/** What of the installed folder the new one keeps: a person's changes as .bak, files pull never installed as they are. */
async function carryOver(dir: string, staging: string, install: TreeInstall, result: TreeInstalled): Promise<void> {
  const previous = install.installed && 'files' in install.installed ? install.installed.files : undefined;
  const shipped = new Set([SKILL_FILE, ...install.files.map((f) => f.path)]);
  const changed: Array<{ path: string; data: Uint8Array; executable: boolean }> = [];
  for (const path of await listFiles(dir)) {
    const absolute = join(dir, ...path.split('/'));
    const [data, info] = await Promise.all([readFile(absolute), stat(absolute)]);
    const executable = (info.mode & 0o111) !== 0;
    // An install from before trees recorded no hashes: its SKILL.md is kept as .bak, as pull always did then.
    const installedHash = previous ? (Object.hasOwn(previous, path) ? previous[path] : undefined) : path === SKILL_FILE ? null : undefined;
    if (installedHash === undefined) {
      // Not pull's: the person's own file (or a .bak kept before) stays, unless the new version ships that path.
      if (!shipped.has(path)) await writeInto(staging, path, data, executable);
    } else if (installedHash === null || contentHash(data) !== installedHash) {
      changed.push({ path, data, executable });
    }
  }
  for (const { path, data, executable } of changed) {
    const backup = `${path}.bak`;
    // This change replaces a .bak kept of an earlier one.
    await rm(join(staging, ...backup.split('/')), { force: true });
    await writeInto(staging, backup, data, executable);
    result.kept.push(path);
  }
}
