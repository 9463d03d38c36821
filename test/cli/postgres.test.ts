// The push → pull round trip on Postgres (SKILLOPT_TEST_DATABASE_URL, a fresh
// schema dropped afterwards), through the same functions the CLI and the
// SessionStart hook call.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSkillDocument } from '../../core/skill-document';
import { CHUNK_BYTES } from '../../core/skill-tree';
import { pullSkills } from '../../sync/pull-skills';
import { pushSkill } from '../../sync/push-folder';
import { openStore } from '../../store/open-store';
import type { Store } from '../../store/types';
import type { Sandbox } from './helpers';
import { makeSandbox, skillText, writeSkill } from './helpers';
import { directBackend } from '../../team/direct';
import { readSigningKey } from '../../local/signing-key';
import { formatSkillRef } from '../../core/skill-ref';

const url = process.env.SKILLOPT_TEST_DATABASE_URL?.trim() || undefined;

describe.skipIf(!url)('push and pull on Postgres', () => {
  const schema = `skillopt_cli_${randomBytes(6).toString('hex')}`;
  let store: Store;
  let sb: Sandbox;

  beforeAll(async () => {
    sb = await makeSandbox();
    store = await openStore({ url, schema });
  });

  afterAll(async () => {
    await store?.close();
    const admin = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
    try {
      await admin.schema.dropSchema(schema).ifExists().cascade().execute();
    } finally {
      await admin.destroy();
    }
    await sb?.cleanup();
  });

  it('pushes, pulls, pushes a change and pulls the update', async () => {
    const name = 'a-long-postgres-skill-name-that-is-well-over-eighty-characters-long-and-stays-whole';
    const src = await writeSkill(join(sb.dir, 'src'), skillText(`name: ${name}\ndescription: d`, 'Step one.\n'));
    const pushed = await pushSkill({ publisher: directBackend(store), skillDir: src, pusher: 'alice', env: sb.env });
    expect(pushed).toMatchObject({ ref: `${name}--alice`, status: 'created', version: 1 });
    expect(await pushSkill({ publisher: directBackend(store), skillDir: src, pusher: 'alice', env: sb.env })).toMatchObject({ status: 'up-to-date', version: 1 });

    const first = await pullSkills({ source: directBackend(store), home: sb.home, skilloptHome: sb.skilloptHome });
    expect(first.items.map((i) => [i.ref, i.status])).toEqual([[`${name}--alice`, 'installed']]);

    await writeSkill(src, skillText(`name: ${name}\ndescription: d`, 'Step one.\nStep two.\n'));
    // Bob, whom alice made an owner, pushes the change.
    const ref = { name, author: 'alice' };
    const at = new Date().toISOString();
    const alice = (await readSigningKey(sb.env))!;
    await directBackend(store).changeOwners(ref, { action: 'add', user: 'bob', at, signature: alice.sign({ kind: 'owners', ref: formatSkillRef(ref), action: 'add', user: 'bob', at }, 'alice') });
    expect(await pushSkill({ publisher: directBackend(store), skillDir: src, pusher: 'bob', author: 'alice', env: sb.env })).toMatchObject({ version: 2, contributors: ['alice', 'bob'] });
    const second = await pullSkills({ source: directBackend(store), home: sb.home, skilloptHome: sb.skilloptHome });
    expect(second.items.map((i) => [i.status, i.installedVersion])).toEqual([['updated', 1]]);
    const installed = parseSkillDocument(await readFile(join(sb.userSkills, `${name}--alice`, 'SKILL.md'), 'utf8'));
    expect(installed.frontmatter).toMatchObject({ name: `${name}--alice`, version: 2 });
    expect(installed.body).toBe('Step one.\nStep two.\n');
  });

  it('a folder with a script, a nested reference and a binary over one chunk arrives byte for byte', async () => {
    const src = await writeSkill(join(sb.dir, 'folder'), skillText('name: folder\ndescription: d\nlicense: MIT', 'Run scripts/go.sh.\n'));
    await mkdir(join(src, 'scripts'));
    await mkdir(join(src, 'references', 'deep'), { recursive: true });
    await writeFile(join(src, 'scripts', 'go.sh'), '#!/bin/sh\necho go\n', { mode: 0o755 });
    await writeFile(join(src, 'references', 'deep', 'ref.md'), '# Ref\n');
    const blob = randomBytes(CHUNK_BYTES + 7);
    await writeFile(join(src, 'blob.bin'), blob);
    expect(await pushSkill({ publisher: directBackend(store), skillDir: src, pusher: 'alice', env: sb.env })).toMatchObject({ status: 'created', files: 3 });
    await pullSkills({ source: directBackend(store), home: sb.home, skilloptHome: sb.skilloptHome });
    const dir = join(sb.userSkills, 'folder--alice');
    expect((await readFile(join(dir, 'blob.bin'))).equals(blob)).toBe(true);
    expect(await readFile(join(dir, 'references', 'deep', 'ref.md'), 'utf8')).toBe('# Ref\n');
    expect((await stat(join(dir, 'scripts', 'go.sh'))).mode & 0o111).not.toBe(0);
    expect(parseSkillDocument(await readFile(join(dir, 'SKILL.md'), 'utf8')).frontmatter).toMatchObject({ license: 'MIT' });
  });
});
