// Content addresses: the SHA-256 of a file and of each of its chunks, as a
// TreeFile names them. Node's crypto, like fingerprint.ts; workflow code never
// imports this module.
import { createHash } from 'node:crypto';
import { CHUNK_BYTES, type TreeFile } from './skill-tree';

export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The TreeFile of `bytes` at `path` (chunk hashes listed only for a content of more than one chunk). */
export function treeFileOf(path: string, bytes: Uint8Array, executable: boolean): TreeFile {
  const hash = contentHash(bytes);
  const file: TreeFile = { path, size: bytes.length, executable, hash };
  if (bytes.length > CHUNK_BYTES) {
    const chunks: string[] = [];
    for (let at = 0; at < bytes.length; at += CHUNK_BYTES) chunks.push(contentHash(bytes.subarray(at, at + CHUNK_BYTES)));
    file.chunks = chunks;
  }
  return file;
}
