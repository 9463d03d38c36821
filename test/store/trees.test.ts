// Versions as trees on both engines: contents stored once by hash and checked
// on the way in, a publish refused while any of its contents is missing, the
// tree and the author's frontmatter kept with the version, and the migration
// that turns every version written before into a one-file tree.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentHash, treeFileOf } from '../../core/content-hash';
import { legacyFrontmatter } from '../../core/skill-document';
import { CHUNK_BYTES, fileChunks } from '../../core/skill-tree';
import { openStore, type Store } from '../../store/open-store';
import { openMigratedOnly, testEngines, uniqueAuthor, type TestDatabase } from './engines';
import { StoreValidationError } from '../../store/types';
import { expectOneLineRejection, newVersion } from './records';

/** Refused with a StoreValidationError whose one line matches. */
async function refused(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  expect((await expectOneLineRejection(promise, StoreValidationError)).message).toMatch(pattern);
}

/** The chunks of `bytes`, as push uploads them. */
function chunksOf(bytes: Buffer): Array<{ hash: string; data: Uint8Array }> {
  const out: Array<{ hash: string; data: Uint8Array }> = [];
  for (let at = 0; at < bytes.length || at === 0; at += CHUNK_BYTES) {
    const data = bytes.subarray(at, at + CHUNK_BYTES);
    out.push({ hash: contentHash(data), data });
    if (bytes.length === 0) break;
  }
  return out;
}

describe.each(testEngines.map((engine) => [engine.name, engine] as const))('trees on %s', (_name, engine) => {
  if (engine.skipReason) {
    it.skip(engine.skipReason, () => undefined);
    return;
  }

  let database: TestDatabase;
  let store: Store;

  beforeAll(async () => {
    database = await engine.createDatabase();
    store = await openStore(database.options);
  });

  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('keeps each content once, says which it lacks, and hands back exactly what was put', async () => {
    const font = randomBytes(CHUNK_BYTES + 10);
    const chunks = chunksOf(font);
    const hashes = chunks.map((c) => c.hash);
    expect(await store.missingContents([...hashes, hashes[0]!])).toEqual(hashes);
    await store.putContents(chunks);
    await store.putContents(chunks.slice(0, 1)); // a second copy is nothing to write
    expect(await store.missingContents(hashes)).toEqual([]);
    const got = await store.getContents(hashes);
    expect(Buffer.concat(hashes.map((h) => got.get(h)!)).equals(font)).toBe(true);
  });

  it('refuses a chunk that does not match its hash, or a hash that is not one, in one line', async () => {
    const data = Buffer.from('the real content\n');
    await refused(store.putContents([{ hash: contentHash(Buffer.from('another')), data }]), /does not match its hash/);
    await refused(store.missingContents(['../../etc/passwd']), /is not a content hash/);
  });

  it('publishes a tree only when every content is in the store, and keeps the tree and the frontmatter', async () => {
    const ref = { name: 'forms', author: uniqueAuthor() };
    const script = Buffer.from('#!/bin/sh\necho hi\n');
    const big = randomBytes(CHUNK_BYTES * 2 + 1);
    const files = [treeFileOf('scripts/run.sh', script, true), treeFileOf('assets/big.bin', big, false)];
    const frontmatter = 'name: forms\ndescription: does forms\nlicense: MIT  # as written';
    await refused(store.publishVersion(newVersion(ref, 0, { files, frontmatter })), /4 chunks of its files' contents are not in the store; upload them before publishing/);
    expect(await store.history(ref)).toEqual([]);

    await store.putContents([...chunksOf(script), ...chunksOf(big)]);
    const { version } = await store.publishVersion(newVersion(ref, 0, { files, frontmatter }));
    expect(version.frontmatter).toBe(frontmatter);
    // Sorted by path, as every reader gets it.
    expect(version.files.map((f) => [f.path, f.size, f.executable, fileChunks(f).length])).toEqual([
      ['assets/big.bin', big.length, false, 3],
      ['scripts/run.sh', script.length, true, 1],
    ]);
    expect(await store.getVersion(ref, 1)).toEqual(version);
  });

  it('refuses a tree with a path out of the folder, in one line', async () => {
    const ref = { name: 'escape', author: uniqueAuthor() };
    const file = treeFileOf('../outside.sh', Buffer.from('x'), true);
    await refused(store.publishVersion(newVersion(ref, 0, { files: [file] })), /\.\.\/outside\.sh: a path part "\.\."/);
  });

  it('the migration turns every version written before into a one-file tree, losing nothing', async () => {
    const old = await engine.createDatabase();
    try {
      const raw = await openMigratedOnly(old.options, ['0001_initial', '0002_verdict_outcome', '0003_version_states']);
      try {
        await sql`insert into skill_versions (name, author, version, body, description, scope, contributors, created_at, created_by, idempotency_key, state)
                  values ('deploy', 'alice', 1, '# Deploy\n', 'Use when deploying', 'org', '["alice"]', '2025-01-01T00:00:00.000Z', 'alice', null, 'stable')`.execute(raw);
      } finally {
        await raw.destroy();
      }
      const upgraded = await openStore(old.options);
      try {
        const v = await upgraded.getVersion({ name: 'deploy', author: 'alice' }, 1);
        expect(v).toMatchObject({ body: '# Deploy\n', description: 'Use when deploying', files: [], frontmatter: legacyFrontmatter('deploy', 'Use when deploying') });
      } finally {
        await upgraded.close();
      }
    } finally {
      await old.drop();
    }
  });
});
