// Content addresses: the SHA-256 of a file and of each of its chunks, as a
// TreeFile names them. Node's crypto, like fingerprint.ts; workflow code never
// imports this module.
import { createHash } from 'node:crypto';
import { CHUNK_BYTES, type TreeFile } from './skill-tree';

export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A content cut into the chunks the store keeps (CHUNK_BYTES each but the last; one, maybe empty, for a small content). */
export function contentChunks(bytes: Uint8Array): Array<{ hash: string; data: Uint8Array }> {
  const chunks: Array<{ hash: string; data: Uint8Array }> = [];
  for (let at = 0; at === 0 || at < bytes.length; at += CHUNK_BYTES) {
    const data = bytes.subarray(at, at + CHUNK_BYTES);
    chunks.push({ hash: contentHash(data), data });
  }
  return chunks;
}

/** The TreeFile of `bytes` at `path` (chunk hashes listed only for a content of more than one chunk). */
export function treeFileOf(path: string, bytes: Uint8Array, executable: boolean): TreeFile {
  const file: TreeFile = { path, size: bytes.length, executable, hash: contentHash(bytes) };
  if (bytes.length > CHUNK_BYTES) file.chunks = contentChunks(bytes).map((c) => c.hash);
  return file;
}
