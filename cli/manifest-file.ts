// Reading and writing <SKILLOPT_HOME>/manifest.json; the logic is in core/manifest.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MANIFEST_FILE, emptyManifest, parseManifest, serializeManifest } from '../core/manifest';
import type { Manifest } from '../core/manifest';
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
 * Read, change, write. Re-reading right before each write keeps a concurrent
 * pull's entries (another session starting at the same time) from being lost
 * in all but a tiny window.
 */
export async function updateManifestFile(path: string, change: (m: Manifest) => Manifest): Promise<Manifest> {
  const next = change(await readManifestFile(path));
  await writeManifestFile(path, next);
  return next;
}
