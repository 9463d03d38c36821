// Contents by hash: every chunk of every file of every version, stored once
// (core/skill-tree.ts). A push asks which it lacks and sends only those; a
// publish refuses a tree whose chunks are not all here; a pull asks for the
// chunks its machine lacks. Each chunk is checked against its hash on the way in.
import { batches } from '../core/batches';
import { contentHash } from '../core/content-hash';
import { CHUNK_BYTES, isContentHash } from '../core/skill-tree';
import type { Executor, SqlContext } from './sql-context';
import { StoreValidationError, type ContentStore } from './types';

/** Hashes per query: far below either engine's bound-parameter limit. */
const HASHES_PER_QUERY = 500;

function checkHashes(hashes: readonly string[]): string[] {
  for (const h of hashes) if (!isContentHash(h)) throw new StoreValidationError(`${JSON.stringify(h)} is not a content hash (SHA-256, lowercase hex)`);
  return [...new Set(hashes)];
}

/** The hashes of `hashes` the store does not hold, in the order given. */
export async function missingContents(db: Executor, hashes: readonly string[]): Promise<string[]> {
  const wanted = checkHashes(hashes);
  const held = new Set<string>();
  for (const batch of batches(wanted, HASHES_PER_QUERY)) {
    for (const row of await db.selectFrom('skill_contents').select('hash').where('hash', 'in', batch).execute()) held.add(row.hash);
  }
  return wanted.filter((h) => !held.has(h));
}

export function sqlContentStore({ db, guard }: SqlContext): ContentStore {
  return {
    missingContents: (hashes) => guard(() => missingContents(db, hashes)),

    putContents: (chunks) =>
      guard(async () => {
        const rows = chunks.map(({ hash, data }) => {
          if (data.length > CHUNK_BYTES) throw new StoreValidationError(`a chunk of ${data.length} bytes is over the ${CHUNK_BYTES}-byte chunk size`);
          if (contentHash(data) !== hash) throw new StoreValidationError(`a chunk's content does not match its hash ${hash}`);
          return { hash, size: data.length, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
        });
        for (const row of rows) {
          // A content is the same whoever sends it: a second copy is nothing to write.
          await db.insertInto('skill_contents').values(row).onConflict((oc) => oc.column('hash').doNothing()).execute();
        }
      }),

    getContents: (hashes) =>
      guard(async () => {
        const found = new Map<string, Uint8Array>();
        for (const batch of batches(checkHashes(hashes), HASHES_PER_QUERY)) {
          for (const row of await db.selectFrom('skill_contents').select(['hash', 'data']).where('hash', 'in', batch).execute()) {
            found.set(row.hash, new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength));
          }
        }
        return found;
      }),
  };
}
