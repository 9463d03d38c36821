// Reading and writing <SKILLOPT_HOME>/manifest.json; the logic is in core/manifest.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MANIFEST_FILE, emptyManifest, parseManifest, serializeManifest } from '../core/manifest';
import type { Manifest } from '../core/manifest';
import type { FileLockOptions } from './process-lock';
import { withFileLock } from './process-lock';
import { atomicWriteFile, readTextIfExists } from './fs';

export function manifestPath(skilloptHome: string): string {
  return join(skilloptHome, MANIFEST_FILE);
}

/** A missing or corrupt manifest reads as empty (never throws for content). */
export async function readManifestFile(path: string): Promise<Manifest> {
  const text = await readTextIfExists(path);
  return text === undefined ? emptyManifest() : parseManifest(text);
}

/** Atomic, mode 0600: the manifest says which folders pull may overwrite. */
export async function writeManifestFile(path: string, manifest: Manifest): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await atomicWriteFile(path, serializeManifest(manifest), 0o600);
}

/**
 * Runs `work` holding <manifest>.lock, the lock every writer of the manifest
 * takes (several sessions start pulls at once): read, change and write inside
 * it, and no other process's entries are lost.
 */
export function withManifestLock<T>(path: string, work: () => Promise<T>, options?: FileLockOptions): Promise<T> {
  return withFileLock(`${path}.lock`, work, options);
}
