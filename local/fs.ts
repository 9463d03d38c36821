// Small file helpers. Writes go to a temp file in the same folder and are
// renamed into place, so a failure (or a crash) leaves the previous file whole.
import type { Stats } from 'node:fs';
import { copyFile, lstat, mkdir, readFile, realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

export async function atomicWriteFile(path: string, data: string, mode = 0o644): Promise<void> {
  await replaceFileKeepingBackup(path, data, undefined, mode);
}

/**
 * Writes a user's config file (an agent's settings, hooks or config.toml)
 * atomically: through a symlink to its target (dotfile managers link these),
 * keeping the file's mode, `newMode` for a new file.
 */
export async function writeConfigFile(path: string, data: string, newMode = 0o644): Promise<void> {
  let target = path;
  try {
    target = await realpath(path);
  } catch {
    await mkdir(dirname(path), { recursive: true });
  }
  const mode = await stat(target).then((s) => s.mode & 0o777, () => newMode);
  await atomicWriteFile(target, data, mode);
}

/** Copies `from` to `to` atomically (the copy appears whole or not at all). */
export async function atomicCopyFile(from: string, to: string): Promise<void> {
  const tmp = tempPathFor(to);
  try {
    await copyFile(from, tmp);
    await rename(tmp, to);
  } catch (err) {
    await removeQuietly(tmp);
    throw err;
  }
}

/**
 * Replaces `path` with `data`, first copying the current file to `backup`.
 * The new text is staged before anything changes, so a full disk or an
 * unwritable backup fails with the old file untouched.
 */
export async function replaceFileKeepingBackup(path: string, data: string, backup?: string, mode = 0o644): Promise<void> {
  const staged = tempPathFor(path);
  try {
    await writeFile(staged, data, { mode, flag: 'wx' });
    if (backup !== undefined) await atomicCopyFile(path, backup);
    await rename(staged, path);
  } catch (err) {
    await removeQuietly(staged);
    throw err;
  }
}

export function isErrno(err: unknown, ...codes: string[]): boolean {
  return err instanceof Error && 'code' in err && codes.includes(String(err.code));
}

/** The file's text, or undefined when it does not exist. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/** lstat, or undefined when nothing is there (ENOTDIR: a parent is a file, so nothing can be). */
export async function lstatIfExists(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return undefined;
    throw err;
  }
}
