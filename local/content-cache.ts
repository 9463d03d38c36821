// This machine's cache of contents by hash (<SKILLOPT_HOME>/contents): what a
// pull fetched once is never fetched again, for any root, version or skill
// that holds the same content. A chunk is written whole or not at all, and one
// whose bytes no longer match its name reads as absent.
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { contentHash } from '../core/content-hash';
import { isContentHash } from '../core/skill-tree';
import { isErrno } from './fs';

export interface ContentCache {
  readonly dir: string;
  read(hash: string): Promise<Uint8Array | undefined>;
  write(hash: string, data: Uint8Array): Promise<void>;
}

export function contentCache(skilloptHome: string): ContentCache {
  const dir = join(skilloptHome, 'contents');
  // Two levels, like git's objects: no folder ends up with more than a few thousand entries.
  const pathOf = (hash: string) => join(dir, hash.slice(0, 2), hash);
  return {
    dir,
    async read(hash) {
      if (!isContentHash(hash)) return undefined;
      try {
        const data = await readFile(pathOf(hash));
        return contentHash(data) === hash ? data : undefined;
      } catch (err) {
        if (isErrno(err, 'ENOENT')) return undefined;
        throw err;
      }
    },
    async write(hash, data) {
      if (!isContentHash(hash)) return;
      const path = pathOf(hash);
      await mkdir(join(dir, hash.slice(0, 2)), { recursive: true, mode: 0o700 });
      const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await writeFile(tmp, data, { mode: 0o600 });
        await rename(tmp, path);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
    },
  };
}
