// push, pull and the manifest against a real SQLite store in a temp SKILLOPT_HOME.
import { chmod, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseManifest } from '../../core/manifest';
import { parseSkillDocument } from '../../core/skill-document';
import { MAX_DESCRIPTION_CHARS, MAX_SKILL_BODY_BYTES } from '../../core/limits';
import { parseSkillRef, skillRefFromWorkflowId, workflowIdForSkill } from '../../core/skill-ref';
import { pullSkills } from '../../sync/pull-skills';
import { openStore } from '../../store/open-store';
import type { Sandbox } from './helpers';
import { expectOneLineError, makeSandbox, run, skillText, writeSkill } from './helpers';
import { directBackend } from '../../team/direct';
import { SERVICE_SIGNER, treeHash } from '../../core/signing';
import { testKey } from '../helpers/keys';

let sb: Sandbox;
beforeEach(async () => {
  sb = await makeSandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

const DEPLOY = skillText('name: deploy\ndescription: Use when deploying the app', '# Deploy\n\n1. Run the tests.\n');

async function readManifestJson(): Promise<ReturnType<typeof parseManifest>> {
  const path = join(sb.skilloptHome, 'manifest.json');
  return parseManifest(existsSync(path) ? await readFile(path, 'utf8') : '');
}

async function listJson(): Promise<Array<{ ref: string; version: number }>> {
  const r = await run(sb, ['skills', 'list', '--json']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Array<{ ref: string; version: number }>;
}

describe('push', () => {
  it('publishes v1, then nothing when unchanged, then v2 when the body changes', async () => {
    const dir = await writeSkill(join(sb.dir, 'src', 'deploy'), DEPLOY);
    const first = await run(sb, ['push', dir]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toBe('pushed deploy--alice v1 (new skill)\n');

    const again = await run(sb, ['push', dir]);
    expect(again.stdout).toBe('deploy--alice is up to date at v1; nothing pushed\n');
    expect((await listJson())[0]?.version).toBe(1);

    // Only trailing whitespace differs: still the same body.
    await writeSkill(dir, DEPLOY + '\n\n');
    expect((await run(sb, ['push', dir])).stdout).toMatch(/up to date at v1/);

    await writeSkill(dir, skillText('name: deploy\ndescription: Use when deploying the app', '# Deploy\n\n1. Run the tests.\n2. Tag.\n'));
    const second = await run(sb, ['push', dir, '--json', '--author', 'alice'], { SKILLOPT_USER: 'bob' });
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      ref: 'deploy--alice',
      status: 'updated',
      version: 2,
      previousVersion: 1,
      contributors: ['alice', 'bob'],
      createdBy: 'bob',
    });
  });

  it('publishes a new version when only the description changes', async () => {
    const dir = await writeSkill(join(sb.dir, 'deploy'), DEPLOY);
    await run(sb, ['push', dir]);
    await writeSkill(dir, DEPLOY.replace('deploying the app', 'shipping'));
    expect((await run(sb, ['push', dir])).stdout).toMatch(/pushed deploy--alice v2 \(was v1\)/);
    // The SKILL.md itself may be given instead of its folder.
    expect((await run(sb, ['push', join(dir, 'SKILL.md')])).stdout).toMatch(/up to date at v2/);
  });

  it('takes the author from --author, then the ref in `name`, then frontmatter `author`, then SKILLOPT_USER', async () => {
    const a = await writeSkill(join(sb.dir, 'a'), skillText('name: one\nauthor: carol'));
    expect((await run(sb, ['push', a, '--author', 'dave'])).stdout).toMatch(/one--dave v1/);
    expect((await run(sb, ['push', a])).stdout).toMatch(/one--carol v1/);
    const b = await writeSkill(join(sb.dir, 'b'), skillText('name: two--erin\nauthor: carol'));
    expect((await run(sb, ['push', b])).stdout).toMatch(/two--erin v1/);
    const c = await writeSkill(join(sb.dir, 'c'), skillText('name: three'));
    expect((await run(sb, ['push', c])).stdout).toMatch(/three--alice v1/);
    // An author may contain "--": the ref splits at the first one.
    const d = await writeSkill(join(sb.dir, 'd'), skillText('name: four--first--last'));
    expect((await run(sb, ['push', d])).stdout).toMatch(/four--first--last v1/);
    expect(parseSkillRef('four--first--last')).toEqual({ name: 'four', author: 'first--last' });
  });

  it.each([
    ['no frontmatter', '# Just a body\n', /no frontmatter/],
    ['no name', skillText('description: x'), /no `name:`/],
    ['no description', '---\nname: deploy\n---\n\n# Deploy\n', /no `description:`; agents skip a skill without one/],
    ['an empty description', '---\nname: deploy\ndescription: ""\n---\n\n# Deploy\n', /no `description:`/],
    ['YAML that does not parse', '---\nname: deploy\ndescription: Use when: deploying\n---\n\n# Deploy\n', /not valid YAML/],
    ['an invalid name', skillText('name: Not_Kebab'), /kebab case/],
    ['an invalid ref', skillText('name: deploy--'), /not a shared skill ref/],
    ['an invalid author', skillText('name: deploy\nauthor: "bad author!"'), /author "bad author!" may only contain/],
    ['an empty body', skillText('name: deploy', '\n\n'), /no body/],
    ['a body over the limit', skillText('name: deploy', 'x'.repeat(MAX_SKILL_BODY_BYTES + 1)), new RegExp(`limit is ${MAX_SKILL_BODY_BYTES} bytes`)],
    ['a description over the store limit', skillText(`name: deploy\ndescription: ${'d'.repeat(MAX_DESCRIPTION_CHARS + 1)}`), new RegExp(`description is ${MAX_DESCRIPTION_CHARS + 1} characters`)],
  ])('refuses a SKILL.md with %s in one line and writes nothing', async (_label, text, pattern) => {
    const dir = await writeSkill(join(sb.dir, 'bad'), text);
    const r = await run(sb, ['push', dir]);
    expectOneLineError(r, pattern);
    expect(r.stdout).toBe('');
    expect(await listJson()).toEqual([]);
  });

  it('refuses an invalid --author and a missing folder in one line', async () => {
    const dir = await writeSkill(join(sb.dir, 'deploy'), DEPLOY);
    expectOneLineError(await run(sb, ['push', dir, '--author', '../x']), /author/);
    expectOneLineError(await run(sb, ['push', join(sb.dir, 'nope')]), /does not exist/);
    await mkdir(join(sb.dir, 'empty'));
    expectOneLineError(await run(sb, ['push', join(sb.dir, 'empty')]), /SKILL\.md does not exist/);
    expect(await listJson()).toEqual([]);
  });

  it('refuses to push a pulled file that is older than the store, unless --force', async () => {
    const src = await writeSkill(join(sb.dir, 'deploy'), DEPLOY);
    await run(sb, ['push', src]);
    await run(sb, ['pull']);
    const installed = join(sb.userSkills, 'deploy--alice', 'SKILL.md');
    // Another owner publishes v2 while the pulled v1 is being edited.
    await run(sb, ['owners', 'add', 'deploy--alice', 'bob']);
    await writeSkill(src, DEPLOY.replace('Run the tests.', 'Run all the tests.'));
    await run(sb, ['push', src, '--author', 'alice'], { SKILLOPT_USER: 'bob' });
    await writeFile(installed, (await readFile(installed, 'utf8')).replace('Run the tests.', 'Run the tests twice.'));

    expectOneLineError(await run(sb, ['push', join(sb.userSkills, 'deploy--alice')]), /at v2 in the store but .* is based on v1; run `skillopt pull`/);
    const forced = await run(sb, ['push', join(sb.userSkills, 'deploy--alice'), '--force']);
    expect(forced.stdout).toMatch(/pushed deploy--alice v3/);
    // The file now says which version it matches, so the next edit pushes without --force.
    expect(parseSkillDocument(await readFile(installed, 'utf8')).frontmatter.version).toBe(3);
    expect((await run(sb, ['pull'])).stdout).toMatch(/up to date\s+deploy--alice\s+v3/);
  });
});

describe('push over versions the source does not include', () => {
  const service = testKey();
  async function publishAsOptimizer(body: string): Promise<void> {
    const store = await openStore({ url: `sqlite:${join(sb.skilloptHome, 'skillopt.db')}` });
    try {
      const latest = (await store.latestVersion({ name: 'deploy', author: 'alice' }))!;
      // Signed as the central worker signs the optimizer's edits, so a pull installs it.
      await store.registerKey(SERVICE_SIGNER, service.publicKey);
      const version = latest.version + 1;
      const tree = treeHash({ frontmatter: latest.frontmatter, body, files: latest.files });
      const signature = service.sign({ kind: 'candidate', ref: 'deploy--alice', tree, version, from: latest.version }, SERVICE_SIGNER);
      await store.publishVersion({
        name: 'deploy',
        author: 'alice',
        body,
        description: latest.description,
        frontmatter: latest.frontmatter,
        files: latest.files,
        contributors: [...latest.contributors, 'skillopt'],
        createdBy: 'skillopt',
        idempotencyKey: `opt-${latest.version}`,
        baseVersion: latest.version,
        signature: { ...signature, kind: 'candidate', from: latest.version },
      });
    } finally {
      await store.close();
    }
  }

  it('refuses to undo an optimizer version from a source without `version:`, until --force', async () => {
    const src = await writeSkill(join(sb.dir, 'src', 'deploy'), DEPLOY);
    await run(sb, ['push', src]);
    await publishAsOptimizer('# Deploy\n\n1. Run the tests.\n2. Check the migration first.\n');
    await writeSkill(src, DEPLOY.replace('Run the tests.', 'Run the unit tests.'));

    const refused = await run(sb, ['push', src]);
    expectOneLineError(refused, /deploy--alice v2 was published by the optimizer \(skillopt\) after your last push.*run `skillopt pull`.*--force/);
    expect(refused.stdout).toBe('');
    expect((await listJson())[0]?.version).toBe(2);

    // Pushing from the pulled copy (which says it is v2) keeps working.
    await run(sb, ['pull']);
    const installed = join(sb.userSkills, 'deploy--alice', 'SKILL.md');
    await writeFile(installed, (await readFile(installed, 'utf8')).replace('Run the tests.', 'Run the unit tests.'));
    expect((await run(sb, ['push', join(sb.userSkills, 'deploy--alice')])).stdout).toMatch(/pushed deploy--alice v3 \(was v2\)/);
    const v3 = await run(sb, ['skills', 'show', 'deploy--alice']);
    expect(v3.stdout).toMatch(/Check the migration first/);

    // --force overwrites on purpose; the next push from the source is then based on the user's own v4.
    await publishAsOptimizer('# Deploy\n\n1. Run the unit tests.\n2. Check the migration first.\n3. Tag.\n');
    expectOneLineError(await run(sb, ['push', src]), /v4 was published by the optimizer/);
    expect((await run(sb, ['push', src, '--force'])).stdout).toMatch(/pushed deploy--alice v5 \(was v4\)/);
    await writeSkill(src, DEPLOY.replace('Run the tests.', 'Run every test.'));
    expect((await run(sb, ['push', src])).stdout).toMatch(/pushed deploy--alice v6/);
  });

  it('refuses when another owner published after your last push; a first push by a co-owner is allowed', async () => {
    const src = await writeSkill(join(sb.dir, 'src', 'deploy'), DEPLOY);
    await run(sb, ['push', src]);
    expect((await run(sb, ['owners', 'add', 'deploy--alice', 'bob'])).stdout).toBe('deploy--alice: owners alice, bob\n');
    // Bob's own copy of the source: his first push is allowed (nothing says what it is based on).
    const bobs = await writeSkill(join(sb.dir, 'bob', 'deploy'), DEPLOY.replace('Run the tests.', 'Run the tests (bob).'));
    expect((await run(sb, ['push', bobs, '--author', 'alice'], { SKILLOPT_USER: 'bob' })).stdout).toMatch(/pushed deploy--alice v2/);
    await writeSkill(src, DEPLOY.replace('Run the tests.', 'Run the tests (alice again).'));
    expectOneLineError(await run(sb, ['push', src]), /deploy--alice v2 was published by bob after your last push/);
    expect((await listJson())[0]?.version).toBe(2);
  });
});

describe('pull', () => {
  it('round-trips push → pull → show, and re-pushing the pulled file changes nothing', async () => {
    await run(sb, ['push', await writeSkill(join(sb.dir, 'deploy'), DEPLOY)]);
    const pulled = await run(sb, ['pull']);
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toMatch(/^installed\s+deploy--alice\s+v1$/m);

    const text = await readFile(join(sb.userSkills, 'deploy--alice', 'SKILL.md'), 'utf8');
    const doc = parseSkillDocument(text);
    expect(Object.keys(doc.frontmatter)).toEqual(['name', 'description', 'author', 'version', 'contributors', 'updated_at']);
    expect(doc.frontmatter).toMatchObject({ name: 'deploy--alice', description: 'Use when deploying the app', author: 'alice', version: 1, contributors: ['alice'] });
    expect(doc.body).toBe('# Deploy\n\n1. Run the tests.\n');
    expect(text).toMatch(/\n---\n\n# Deploy\n\n1\. Run the tests\.\n$/);

    const shown = await run(sb, ['skills', 'show', 'deploy--alice']);
    expect(shown.stdout).toBe(text);
    expect((await run(sb, ['push', join(sb.userSkills, 'deploy--alice')])).stdout).toMatch(/up to date at v1/);
  });

  it('installs into the user root and records the manifest; a second pull is up to date', async () => {
    await run(sb, ['push', await writeSkill(join(sb.dir, 'deploy'), DEPLOY)]);
    await run(sb, ['pull']);
    const manifest = await readManifestJson();
    expect(manifest.entries).toEqual([
      expect.objectContaining({ dirName: 'deploy--alice', name: 'deploy', author: 'alice', version: 1, scope: 'user', root: sb.userSkills }),
    ]);
    expect((await stat(join(sb.skilloptHome, 'manifest.json'))).mode & 0o777).toBe(0o600);

    const again = await run(sb, ['pull', '--json']);
    const report = JSON.parse(again.stdout) as { items: Array<{ ref: string; status: string }> };
    expect(report.items).toEqual([expect.objectContaining({ ref: 'deploy--alice', status: 'up-to-date' })]);
    expect(existsSync(join(sb.userSkills, 'deploy--alice', 'SKILL.md.bak'))).toBe(false);
  });

  it('updates to a newer version; a SKILL.md changed here is kept as SKILL.md.bak, an unchanged one is not', async () => {
    const src = await writeSkill(join(sb.dir, 'deploy'), DEPLOY);
    await run(sb, ['push', src]);
    await run(sb, ['pull']);
    const installed = join(sb.userSkills, 'deploy--alice', 'SKILL.md');

    await writeSkill(src, DEPLOY.replace('Run the tests.', 'Run the tests, then tag.'));
    await run(sb, ['push', src]);
    const r = await run(sb, ['pull']);
    expect(r.stdout).toMatch(/^updated\s+deploy--alice\s+v2 \(was v1\)$/m);
    expect(parseSkillDocument(await readFile(installed, 'utf8')).body).toMatch(/then tag/);
    expect((await readManifestJson()).entries[0]?.version).toBe(2);
    // Nothing to keep, and no temp files are left behind.
    expect(await readdir(join(sb.userSkills, 'deploy--alice'))).toEqual(['SKILL.md']);

    const edited = (await readFile(installed, 'utf8')).replace('then tag', 'then tag (my note)');
    await writeFile(installed, edited);
    await writeSkill(src, DEPLOY.replace('Run the tests.', 'Run the tests, then tag and push.'));
    await run(sb, ['push', src]);
    const again = await run(sb, ['pull']);
    expect(again.stdout).toMatch(/^updated\s+deploy--alice\s+v3 \(was v2\); your changes to SKILL\.md are kept as SKILL\.md\.bak$/m);
    expect(await readFile(`${installed}.bak`, 'utf8')).toBe(edited);
    expect((await readdir(join(sb.userSkills, 'deploy--alice'))).sort()).toEqual(['SKILL.md', 'SKILL.md.bak']);
  });

  it('rewrites a current skill only with --force', async () => {
    await run(sb, ['push', await writeSkill(join(sb.dir, 'deploy'), DEPLOY)]);
    await run(sb, ['pull']);
    const installed = join(sb.userSkills, 'deploy--alice', 'SKILL.md');
    const pristine = await readFile(installed, 'utf8');
    await writeFile(installed, pristine.replace('Run the tests.', 'local edit'));
    expect((await run(sb, ['pull'])).stdout).toMatch(/up to date/);
    expect(await readFile(installed, 'utf8')).toMatch(/local edit/);
    expect((await run(sb, ['pull', '--force'])).stdout).toMatch(/^updated\s+deploy--alice/m);
    expect(await readFile(installed, 'utf8')).toBe(pristine);
    expect(await readFile(`${installed}.bak`, 'utf8')).toMatch(/local edit/);
  });

  it('leaves a <name>--<author> folder it did not install untouched, even with --force', async () => {
    await run(sb, ['push', await writeSkill(join(sb.dir, 'deploy'), DEPLOY)]);
    const mine = await writeSkill(join(sb.userSkills, 'deploy--alice'), 'my own notes\n');
    for (const args of [['pull'], ['pull', '--force']]) {
      const r = await run(sb, args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^skipped\s+deploy--alice\s+v1: .* exists but was not installed by skillopt pull; move it away/m);
    }
    expect(await readFile(join(mine, 'SKILL.md'), 'utf8')).toBe('my own notes\n');
    expect(await readdir(mine)).toEqual(['SKILL.md']);
    expect((await readManifestJson()).entries).toEqual([]);
  });

  it('installs into <cwd>/.claude/skills with --to project', async () => {
    await run(sb, ['push', await writeSkill(join(sb.dir, 'deploy'), DEPLOY)]);
    const r = await run(sb, ['pull', '--to', 'project']);
    expect(r.code).toBe(0);
    const projectRoot = join(sb.project, '.claude', 'skills');
    expect(existsSync(join(projectRoot, 'deploy--alice', 'SKILL.md'))).toBe(true);
    expect(existsSync(sb.userSkills)).toBe(false);
    expect((await readManifestJson()).entries).toEqual([expect.objectContaining({ scope: 'project', root: projectRoot })]);
    // The same skill in the user root is a separate install (the key is root + folder).
    await run(sb, ['pull']);
    expect((await readManifestJson()).entries.map((e) => e.scope).sort()).toEqual(['project', 'user']);
  });

  it('--agent codex installs into $CODEX_HOME/skills, --agent agents into ~/.agents/skills, --agent all into Claude Code’s and the shared one; one install record each', async () => {
    await run(sb, ['push', await writeSkill(join(sb.dir, 'deploy'), DEPLOY)]);
    const codexHome = join(sb.dir, 'codex-home');
    const codexSkills = join(codexHome, 'skills');
    const sharedSkills = join(sb.home, '.agents', 'skills');
    const codex = await run(sb, ['pull', '--agent', 'codex'], { CODEX_HOME: codexHome });
    expect(codex).toMatchObject({ code: 0, stdout: expect.stringContaining(`${codexSkills}: 1 installed`) });
    expect(existsSync(join(codexSkills, 'deploy--alice', 'SKILL.md'))).toBe(true);
    expect(existsSync(sb.userSkills)).toBe(false);
    const all = await run(sb, ['pull', '--agent', 'all', '--json'], { CODEX_HOME: codexHome });
    const reports = JSON.parse(all.stdout) as { root: string; items: { status: string }[] }[];
    expect(reports.map((r) => [r.root, r.items.map((i) => i.status)])).toEqual([
      [sb.userSkills, ['installed']],
      [sharedSkills, ['installed']],
    ]);
    expect(existsSync(join(sharedSkills, 'deploy--alice', 'SKILL.md'))).toBe(true);
    expect((await readManifestJson()).entries.map((e) => e.root).sort()).toEqual([codexSkills, sb.userSkills, sharedSkills].sort());
    // In a project: ./.agents/skills.
    const project = await run(sb, ['pull', '--agent', 'agents', '--to', 'project']);
    expect(project).toMatchObject({ code: 0, stdout: expect.stringContaining(`${join(sb.project, '.agents', 'skills')}: 1 installed`) });
    expect(await run(sb, ['pull', '--agent', 'cursor'])).toMatchObject({ code: 2, stderr: expect.stringContaining('"claude", "codex", "pi", "gemini", "copilot", "opencode", "agents" or "all"') });
  });

  it('writes nothing with --dry-run', async () => {
    await run(sb, ['push', await writeSkill(join(sb.dir, 'deploy'), DEPLOY)]);
    const manifestBefore = existsSync(join(sb.skilloptHome, 'manifest.json'));
    const r = await run(sb, ['pull', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^would install\s+deploy--alice\s+v1$/m);
    expect(r.stdout).toMatch(/dry run, nothing written/);
    expect(existsSync(join(sb.home, '.claude'))).toBe(false);
    expect(existsSync(join(sb.skilloptHome, 'manifest.json'))).toBe(manifestBefore);
  });

  it('keeps the previous version whole when installing the new one fails', async () => {
    const src = await writeSkill(join(sb.dir, 'deploy'), DEPLOY);
    await run(sb, ['push', src]);
    await run(sb, ['pull']);
    const dir = join(sb.userSkills, 'deploy--alice');
    const v1 = await readFile(join(dir, 'SKILL.md'), 'utf8');
    await writeSkill(src, DEPLOY.replace('Run the tests.', 'Changed.'));
    await writeFile(join(src, 'NOTES.md'), 'notes\n');
    await run(sb, ['push', src]);

    // The store has lost v2's NOTES.md (a content row deleted by hand): v2 cannot be installed whole.
    const db = new Database(join(sb.skilloptHome, 'skillopt.db'));
    db.prepare('delete from skill_contents').run();
    db.close();
    const r = await run(sb, ['pull']);
    expectOneLineError(r, /could not install deploy--alice: the store has lost a content of this version .*; push the skill again; its folder was left as it was/);
    expect(r.stdout).toMatch(/^failed\s+deploy--alice\s+v2/m);
    expect(await readFile(join(dir, 'SKILL.md'), 'utf8')).toBe(v1);
    expect(await readdir(dir)).toEqual(['SKILL.md']);
    expect((await readManifestJson()).entries[0]?.version).toBe(1);
  });

  it('reports a failed fresh install when a file sits where the skills folder should be', async () => {
    await run(sb, ['push', await writeSkill(join(sb.dir, 'deploy'), DEPLOY)]);
    await mkdir(join(sb.home, '.claude'), { recursive: true });
    await writeFile(sb.userSkills, 'not a folder');
    const r = await run(sb, ['pull']);
    expectOneLineError(r, /could not install deploy--alice/);
    expect(await readFile(sb.userSkills, 'utf8')).toBe('not a folder');
    // The folder claim is withdrawn, so the manifest does not point at a skill that is not there.
    expect((await readManifestJson()).entries).toEqual([]);
  });

  it('reinstalls a managed skill whose folder was deleted, and reads a corrupt manifest as empty (adopting only untouched installs)', async () => {
    await run(sb, ['push', await writeSkill(join(sb.dir, 'deploy'), DEPLOY)]);
    await run(sb, ['pull']);
    await rm(join(sb.userSkills, 'deploy--alice'), { recursive: true });
    expect((await run(sb, ['pull'])).stdout).toMatch(/^installed\s+deploy--alice/m);
    expect((await readManifestJson()).entries).toHaveLength(1);

    await writeFile(join(sb.skilloptHome, 'manifest.json'), '{not json');
    // Corrupt manifest: a folder holding exactly what pull wrote is adopted again…
    expect((await run(sb, ['pull'])).stdout).toMatch(/^up to date\s+deploy--alice/m);
    expect((await readManifestJson()).entries).toHaveLength(1);
    // …but an edited one is no longer known to be ours, so it is left alone.
    const installed = join(sb.userSkills, 'deploy--alice', 'SKILL.md');
    await writeFile(installed, (await readFile(installed, 'utf8')).replace('Run the tests.', 'local edit'));
    await writeFile(join(sb.skilloptHome, 'manifest.json'), '{not json');
    expect((await run(sb, ['pull'])).stdout).toMatch(/^skipped\s+deploy--alice/m);
  });

  it('reports an empty store', async () => {
    const r = await run(sb, ['pull']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/no skills in the store yet/);
  });

  it('is callable as pullSkills (the SessionStart hook) and stops on an aborted signal', async () => {
    await run(sb, ['push', await writeSkill(join(sb.dir, 'deploy'), DEPLOY)]);
    const store = await openStore({ url: `sqlite:${join(sb.skilloptHome, 'skillopt.db')}` });
    try {
      const aborted = await pullSkills({ source: directBackend(store), home: sb.home, skilloptHome: sb.skilloptHome, signal: AbortSignal.abort() });
      expect(aborted).toMatchObject({ aborted: true, items: [] });
      const report = await pullSkills({ source: directBackend(store), home: sb.home, skilloptHome: sb.skilloptHome });
      expect(report.items.map((i) => [i.ref, i.status])).toEqual([['deploy--alice', 'installed']]);
    } finally {
      await store.close();
    }
  });
});

describe('long names', () => {
  it('round-trips an 80+ character name unchanged through push, pull and the workflow id', async () => {
    const name = 'a-very-long-skill-name-that-goes-on-and-on-describing-exactly-when-to-use-it-in-detail';
    expect(name.length).toBeGreaterThan(80);
    const ref = `${name}--alice`;
    await run(sb, ['push', await writeSkill(join(sb.dir, 'long'), skillText(`name: ${name}`))]);
    expect((await run(sb, ['pull'])).code).toBe(0);
    const installed = join(sb.userSkills, ref, 'SKILL.md');
    expect(parseSkillDocument(await readFile(installed, 'utf8')).frontmatter.name).toBe(ref);
    expect((await readManifestJson()).entries[0]).toMatchObject({ dirName: ref, name });
    expect((await run(sb, ['push', join(sb.userSkills, ref)])).stdout).toMatch(/up to date at v1/);
    expect((await run(sb, ['skills', 'show', ref, '--json'])).code).toBe(0);
    const id = workflowIdForSkill(parseSkillRef(ref));
    expect(id).toBe(`skill:${ref}`);
    expect(skillRefFromWorkflowId(id)).toEqual({ name, author: 'alice' });
  });
});

describe('file modes', () => {
  it('creates SKILLOPT_HOME privately', async () => {
    await run(sb, ['push', await writeSkill(join(sb.dir, 'deploy'), DEPLOY)]);
    await run(sb, ['pull']);
    await chmod(join(sb.skilloptHome, 'manifest.json'), 0o644);
    await run(sb, ['pull', '--force']);
    expect((await stat(join(sb.skilloptHome, 'manifest.json'))).mode & 0o777).toBe(0o600);
  });
});

describe('push --canary, --rollout and skills set-rollout', () => {
  it('a canary push publishes a candidate: the cohort pulls it (manifest marks it), everyone else keeps the stable version', async () => {
    const src = await writeSkill(join(sb.dir, 'deploy'), DEPLOY);
    await run(sb, ['push', src]);
    await writeSkill(src, DEPLOY.replace('Run the tests.', 'Run the tests, then tag.'));
    const pushed = await run(sb, ['push', src, '--canary']);
    // Written to the store with no `skillopt up` running: its lane is told when up starts.
    expect(pushed.stdout).toBe('pushed deploy--alice v2 (was v1) as a candidate for the canary cohort\nskillopt up is not running: the canary trial starts when it does\n');
    const history = JSON.parse((await run(sb, ['skills', 'history', 'deploy--alice', '--json'])).stdout) as Array<{ version: number; state: string }>;
    expect(history.map((v) => [v.version, v.state])).toEqual([
      [1, 'stable'],
      [2, 'candidate'],
    ]);
    // `skills show` prints the stable version.
    expect(parseSkillDocument((await run(sb, ['skills', 'show', 'deploy--alice'])).stdout).frontmatter).toMatchObject({ version: 1 });

    // FNV-1a mod 100 below 50: alice (17) is in the cohort, bob (52) is not.
    await run(sb, ['pull']);
    expect((await readManifestJson()).entries).toEqual([expect.objectContaining({ dirName: 'deploy--alice', version: 2, candidate: true })]);
    const bob = await makeSandbox({ SKILLOPT_USER: 'bob', SKILLOPT_HOME: sb.skilloptHome.replace('skillopt-home', 'bob-home'), SKILLOPT_DATABASE_URL: `sqlite:${join(sb.skilloptHome, 'skillopt.db')}` });
    try {
      await run(bob, ['pull']);
      expect(parseSkillDocument(await readFile(join(bob.userSkills, 'deploy--alice', 'SKILL.md'), 'utf8')).frontmatter).toMatchObject({ version: 1 });
    } finally {
      await bob.cleanup();
    }
    // The whole team in the cohort (the worker's, or here the pulling machine's, setting).
    const everyone = await run(sb, ['pull', '--json'], { SKILLOPT_CANARY_PERCENT: '100', SKILLOPT_USER: 'bob' });
    expect(JSON.parse(everyone.stdout).items).toEqual([expect.objectContaining({ ref: 'deploy--alice', status: 'up-to-date' })]);
  });

  it('--rollout and skills set-rollout store the policy; a bad one is a one-line usage error', async () => {
    const src = await writeSkill(join(sb.dir, 'deploy'), DEPLOY);
    expect((await run(sb, ['push', src, '--rollout', 'approval'])).code).toBe(0);
    const store = await openStore({ home: sb.skilloptHome });
    try {
      expect(await store.rolloutSettings(parseSkillRef('deploy--alice'))).toMatchObject({ policy: 'approval', updatedBy: 'alice' });
      const set = await run(sb, ['skills', 'set-rollout', 'deploy--alice', 'canary+approval', '--percent', '20', '--max-hours', '48']);
      expect(set.stdout).toBe(
        "deploy--alice: rollout policy canary+approval; its own canary settings: percent 20, maxHours 48; the team's pre-publish check (its next candidate follows them)\n",
      );
      expect(await store.rolloutSettings(parseSkillRef('deploy--alice'))).toMatchObject({ policy: 'canary+approval', canary: { percent: 20, maxHours: 48 }, precheck: null });
      expectOneLineError(await run(sb, ['skills', 'set-rollout', 'deploy--alice', 'canary', '--percent', '0']), /a percent is a whole number from 1 to 100/);
      // The skill's own pre-publish check, signed with the rest; set-rollout states the whole setting, so the canary overrides go.
      const off = await run(sb, ['skills', 'set-rollout', 'deploy--alice', 'canary', '--precheck', 'off']);
      expect(off.stdout).toBe("deploy--alice: rollout policy canary; the team's canary settings; pre-publish check off (its own) (its next candidate follows them)\n");
      expect(await store.rolloutSettings(parseSkillRef('deploy--alice'))).toMatchObject({ policy: 'canary', canary: null, precheck: 'off' });
      const report = JSON.parse((await run(sb, ['report', 'deploy--alice', '--json'])).stdout) as { skills: Array<{ precheck: unknown }> };
      expect(report.skills[0]!.precheck).toEqual({ on: false, source: 'skill' });
      expectOneLineError(await run(sb, ['skills', 'set-rollout', 'deploy--alice', 'canary', '--precheck', 'maybe']), /'--precheck <on\|off>' argument 'maybe' is invalid\. use on or off/);
    } finally {
      await store.close();
    }
    const bad = await run(sb, ['push', src, '--rollout', 'yolo']);
    expectOneLineError(bad, /yolo/);
    expect(bad.code).toBe(2);
  });
});
