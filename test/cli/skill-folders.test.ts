// Skills are folders: push reads the whole folder, pull installs the whole
// tree, byte for byte, with executable bits, the author's frontmatter, and
// nothing of what skills never ship. Hostile trees are refused in one line
// with nothing written. On the embedded store (SQLite); Postgres and a
// teammate's machine are in test/cli/postgres.test.ts and test/team/.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseManifest } from '../../core/manifest';
import { parseSkillDocument } from '../../core/skill-document';
import { CHUNK_BYTES } from '../../core/skill-tree';
import { expectOneLineError, makeSandbox, run, type Sandbox } from './helpers';

let sb: Sandbox;
beforeEach(async () => {
  sb = await makeSandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

const LONG_DESCRIPTION = `Use when filling, merging or splitting PDF forms. ${'Covers every field type and edge case. '.repeat(27)}`.trim();

/** The SKILL.md of a published skill as its author wrote it: comments, folded text, fields skillopt does not own. */
function pdfSkillMd(body: string): string {
  return [
    '---',
    '# Anthropic-style frontmatter, kept as written',
    'name: pdf',
    `description: "${LONG_DESCRIPTION}"`,
    'license: Proprietary. LICENSE.txt has complete terms',
    'allowed-tools: Bash(python:*) Read',
    'model: claude-sonnet-4-5',
    'disable-model-invocation: false',
    'metadata:',
    '  version: "1.0"   # the author\'s own version',
    '  tags: [pdf, forms]',
    'x-team-notes: an unknown field',
    '---',
    '',
    body,
  ].join('\n');
}

/** A folder like the published skills: a script, nested references, a binary font over one chunk, a long SKILL.md. */
async function writePdfSkill(dir: string): Promise<{ font: Buffer; body: string }> {
  const body = `# PDF\n\nRun \`scripts/fill_form.py\`, then read [FORMS.md](FORMS.md) and references/deep/fields.md.\n\n${'- a step of the long procedure\n'.repeat(3500)}`;
  await mkdir(join(dir, 'scripts'), { recursive: true });
  await mkdir(join(dir, 'references', 'deep'), { recursive: true });
  await mkdir(join(dir, 'assets'), { recursive: true });
  await writeFile(join(dir, 'SKILL.md'), pdfSkillMd(body));
  await writeFile(join(dir, 'FORMS.md'), '# Forms\n\nFill every field.\n');
  await writeFile(join(dir, 'LICENSE.txt'), 'Proprietary.\n');
  await writeFile(join(dir, 'scripts', 'fill_form.py'), '#!/usr/bin/env python3\nprint("filled")\n');
  await chmod(join(dir, 'scripts', 'fill_form.py'), 0o755);
  await writeFile(join(dir, 'references', 'deep', 'fields.md'), '# Fields\n\nText, check boxes, radio groups.\n');
  const font = randomBytes(CHUNK_BYTES * 2 + 1234);
  await writeFile(join(dir, 'assets', 'font.ttf'), font);
  return { font, body };
}

/** Every file under `dir`, relative, with its bytes and executable bit. */
async function treeOf(dir: string): Promise<Map<string, { bytes: Buffer; executable: boolean }>> {
  const out = new Map<string, { bytes: Buffer; executable: boolean }>();
  const walk = async (folder: string, prefix: string) => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(join(folder, entry.name), path);
      else out.set(path, { bytes: await readFile(join(folder, entry.name)), executable: ((await stat(join(folder, entry.name))).mode & 0o111) !== 0 });
    }
  };
  await walk(dir, '');
  return out;
}

async function storedSkills(): Promise<unknown[]> {
  const r = await run(sb, ['skills', 'list', '--json']);
  return JSON.parse(r.stdout) as unknown[];
}

describe('a folder pushed by one teammate arrives whole at another', () => {
  it('every file byte for byte with its executable bit, every frontmatter field as written, a long description with a warning', async () => {
    const src = join(sb.dir, 'pdf');
    const { body } = await writePdfSkill(src);
    const pushed = await run(sb, ['push', src]);
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toBe('pushed pdf--alice v1 (new skill)\n');
    // Warned, one line each, and published anyway.
    const warnings = pushed.stderr.trim().split('\n');
    expect(warnings).toEqual([
      expect.stringMatching(/^skillopt: warning: the description is \d{4} characters, over the format's 1024/),
      "skillopt: warning: frontmatter field `x-team-notes` is not in the Agent Skills format; kept as written",
      expect.stringMatching(/^skillopt: warning: SKILL\.md is \d+ lines/),
    ]);

    const bob = await run(sb, ['pull'], { SKILLOPT_USER: 'bob' });
    expect(bob.stdout).toMatch(/^installed\s+pdf--alice\s+v1$/m);
    const installed = join(sb.userSkills, 'pdf--alice');
    const source = await treeOf(src);
    const arrived = await treeOf(installed);
    expect([...arrived.keys()].sort()).toEqual([...source.keys()].sort());
    for (const [path, file] of source) {
      if (path === 'SKILL.md') continue;
      expect(arrived.get(path)!.bytes.equals(file.bytes), path).toBe(true);
      expect(arrived.get(path)!.executable, path).toBe(file.executable);
    }

    // SKILL.md: the author's frontmatter as written (comment, order, quoting), the owned fields set, the body whole.
    const text = arrived.get('SKILL.md')!.bytes.toString('utf8');
    const authorLines = pdfSkillMd('').split('---')[1]!.trim().split('\n');
    expect(text.split('\n').slice(1, authorLines.length + 1)).toEqual(authorLines.map((l) => (l === 'name: pdf' ? 'name: pdf--alice' : l)));
    const doc = parseSkillDocument(text);
    expect(Object.keys(doc.frontmatter)).toEqual([
      'name',
      'description',
      'license',
      'allowed-tools',
      'model',
      'disable-model-invocation',
      'metadata',
      'x-team-notes',
      'author',
      'version',
      'contributors',
      'updated_at',
    ]);
    expect(doc.frontmatter).toMatchObject({ name: 'pdf--alice', description: LONG_DESCRIPTION, metadata: { version: '1.0', tags: ['pdf', 'forms'] }, version: 1 });
    expect(doc.body).toBe(body.trim() + '\n');
    expect(Buffer.byteLength(text)).toBeGreaterThan(100 * 1024);
    // `skills show` prints the SKILL.md exactly as pull installed it; --files lists the tree.
    expect((await run(sb, ['skills', 'show', 'pdf--alice'])).stdout).toBe(text);
    const files = JSON.parse((await run(sb, ['skills', 'show', 'pdf--alice', '--files', '--json'])).stdout) as Array<{ path: string; executable: boolean }>;
    expect(files.map((f) => f.path)).toEqual(['SKILL.md', 'FORMS.md', 'LICENSE.txt', 'assets/font.ttf', 'references/deep/fields.md', 'scripts/fill_form.py']);
    expect(files.find((f) => f.path === 'scripts/fill_form.py')?.executable).toBe(true);

    // The pulled folder pushed back unchanged is the same version.
    const again = await run(sb, ['push', installed], { SKILLOPT_USER: 'bob' });
    expect(again.stdout).toBe('pdf--alice is up to date at v1; nothing pushed\n');
    // The manifest records every installed file's hash.
    const manifest = parseManifest(await readFile(join(sb.skilloptHome, 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.entries[0]!.files ?? {}).sort()).toEqual([...source.keys()].sort());
  });

  it('skips what skills never ship and what .skilloptignore names', async () => {
    const src = join(sb.dir, 'tidy');
    await mkdir(join(src, '.git'), { recursive: true });
    await mkdir(join(src, 'node_modules', 'x'), { recursive: true });
    await mkdir(join(src, 'scripts', '__pycache__'), { recursive: true });
    await mkdir(join(src, 'build'), { recursive: true });
    await writeFile(join(src, 'SKILL.md'), '---\nname: tidy\ndescription: Use when tidying\n---\n\n# Tidy\n');
    await writeFile(join(src, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    await writeFile(join(src, 'node_modules', 'x', 'index.js'), '');
    await writeFile(join(src, 'scripts', '__pycache__', 'a.pyc'), '');
    await writeFile(join(src, 'scripts', 'run.sh'), 'echo run\n');
    await writeFile(join(src, '.DS_Store'), '');
    await writeFile(join(src, '.run.sh.swp'), '');
    await writeFile(join(src, 'build', 'out.bin'), 'x');
    await writeFile(join(src, 'notes.local.md'), 'mine\n');
    await writeFile(join(src, '.skilloptignore'), '# not shared\nbuild/\n*.local.md\n');
    expect((await run(sb, ['push', src])).code).toBe(0);
    const files = JSON.parse((await run(sb, ['skills', 'show', 'tidy--alice', '--files', '--json'])).stdout) as Array<{ path: string }>;
    expect(files.map((f) => f.path)).toEqual(['SKILL.md', '.skilloptignore', 'scripts/run.sh']);
  });

  it('an update removes dropped files, keeps a changed file as .bak, leaves a file of the user alone, and moves only what changed', async () => {
    const src = join(sb.dir, 'pdf');
    const { font } = await writePdfSkill(src);
    await run(sb, ['push', src]);
    await run(sb, ['pull']);
    const installed = join(sb.userSkills, 'pdf--alice');
    await writeFile(join(installed, 'FORMS.md'), '# Forms\n\nmy local note\n');
    await writeFile(join(installed, 'mine.txt'), 'my own file\n');

    await rm(join(src, 'LICENSE.txt'));
    await writeFile(join(src, 'FORMS.md'), '# Forms\n\nFill every field, then sign.\n');
    await writeFile(join(src, 'scripts', 'fill_form.py'), '#!/usr/bin/env python3\nprint("filled and signed")\n');
    expect((await run(sb, ['push', src])).stdout).toMatch(/pushed pdf--alice v2 \(was v1\)/);

    const r = await run(sb, ['pull', '--json']);
    const [item] = (JSON.parse(r.stdout) as { items: Array<{ status: string; kept?: string[]; fetched?: { chunks: number; bytes: number } }> }).items;
    expect(item).toMatchObject({ status: 'updated', kept: ['FORMS.md'] });
    // Only the two changed files came from the store; the font (3 chunks) came from the installed folder.
    expect(item!.fetched).toEqual({ chunks: 2, bytes: expect.any(Number) });
    expect(item!.fetched!.bytes).toBeLessThan(200);
    const tree = await treeOf(installed);
    expect([...tree.keys()].sort()).toEqual(['FORMS.md', 'FORMS.md.bak', 'SKILL.md', 'assets/font.ttf', 'mine.txt', 'references/deep/fields.md', 'scripts/fill_form.py']);
    expect(tree.get('FORMS.md')!.bytes.toString()).toMatch(/then sign/);
    expect(tree.get('FORMS.md.bak')!.bytes.toString()).toMatch(/my local note/);
    expect(tree.get('mine.txt')!.bytes.toString()).toBe('my own file\n');
    expect(tree.get('scripts/fill_form.py')).toMatchObject({ executable: true });
    expect(tree.get('assets/font.ttf')!.bytes.equals(font)).toBe(true);

    // The diff, file by file.
    const diff = await run(sb, ['skills', 'diff', 'pdf--alice', '1', '2', '--json']);
    const d = JSON.parse(diff.stdout) as { files: Array<{ path: string; kind: string; binary: boolean }>; patch: string };
    expect(d.files.map((f) => [f.path, f.kind, f.binary])).toEqual([
      ['FORMS.md', 'changed', false],
      ['LICENSE.txt', 'removed', false],
      ['scripts/fill_form.py', 'changed', false],
    ]);
    expect(d.patch).toMatch(/^\+Fill every field, then sign\.$/m);
    expect(d.patch).toMatch(/^-Proprietary\.$/m);
  });

  it('stores each content once, across versions and skills; a second root installs from the cache, fetching nothing', async () => {
    const a = join(sb.dir, 'pdf');
    await writePdfSkill(a);
    await run(sb, ['push', a]);
    const b = join(sb.dir, 'pdf-copy');
    await writePdfSkill(b);
    await writeFile(join(b, 'SKILL.md'), (await readFile(join(b, 'SKILL.md'), 'utf8')).replace('name: pdf', 'name: pdf-copy'));
    await run(sb, ['push', b]);
    const db = new Database(join(sb.skilloptHome, 'skillopt.db'), { readonly: true });
    const rows = db.prepare('select count(*) as n from skill_contents').get() as { n: number };
    db.close();
    // 4 small files + 3 font chunks from the first skill; the second's font differs (random), its text files do not.
    expect(rows.n).toBe(4 + 3 + 3);

    await run(sb, ['pull']);
    const codexHome = join(sb.dir, 'codex-home');
    const r = await run(sb, ['pull', '--agent', 'codex', '--json'], { CODEX_HOME: codexHome });
    const items = (JSON.parse(r.stdout) as { items: Array<{ status: string; fetched?: { chunks: number } }> }).items;
    expect(items.map((i) => [i.status, i.fetched?.chunks])).toEqual([
      ['installed', 0],
      ['installed', 0],
    ]);
  });
});

describe('hostile or unshareable trees are refused in one line, with nothing written', () => {
  async function refused(prepare: (dir: string) => Promise<void>, pattern: RegExp, env: NodeJS.ProcessEnv = {}): Promise<void> {
    const dir = join(sb.dir, 'bad');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'SKILL.md'), '---\nname: bad\ndescription: Use when testing\n---\n\n# Bad\n');
    await prepare(dir);
    const r = await run(sb, ['push', dir], env);
    expectOneLineError(r, pattern);
    expect(r.stdout).toBe('');
    expect(await storedSkills()).toEqual([]);
    const db = join(sb.skilloptHome, 'skillopt.db');
    if (existsSync(db)) {
      const open = new Database(db, { readonly: true });
      expect((open.prepare('select count(*) as n from skill_contents').get() as { n: number }).n).toBe(0);
      open.close();
    }
  }

  it('a symbolic link out of the folder', async () => {
    await writeFile(join(sb.dir, 'secret'), 'id_rsa\n');
    await refused((dir) => symlink(join(sb.dir, 'secret'), join(dir, 'notes.md')), /notes\.md is a symbolic link to a place outside the skill folder/);
  });

  it('a symbolic link inside the folder is shared as the file it points to', async () => {
    const dir = join(sb.dir, 'linked');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'SKILL.md'), '---\nname: linked\ndescription: Use when testing\n---\n\n# Linked\n');
    await writeFile(join(dir, 'REAL.md'), 'real\n');
    await symlink('REAL.md', join(dir, 'ALIAS.md'));
    expect((await run(sb, ['push', dir])).code).toBe(0);
    await run(sb, ['pull']);
    expect(await readFile(join(sb.userSkills, 'linked--alice', 'ALIAS.md'), 'utf8')).toBe('real\n');
  });

  it('a FIFO', async () => {
    await refused(async (dir) => void execFileSync('mkfifo', [join(dir, 'pipe')]), /pipe is a special file/);
  });

  it('a path that is not portable: a backslash, names that differ only by case', async () => {
    await refused((dir) => writeFile(join(dir, 'a\\b.md'), 'x'), /a backslash in the path/);
    await rm(join(sb.dir, 'bad'), { recursive: true });
    await refused(async (dir) => {
      await writeFile(join(dir, 'Notes.md'), 'x');
      await writeFile(join(dir, 'notes.md'), 'y');
    }, /Notes\.md and notes\.md differ only by case/);
  });

  it('a file over the limit, named with the setting that raises it', async () => {
    await refused((dir) => writeFile(join(dir, 'big.bin'), Buffer.alloc(200 * 1024)), /big\.bin is 0\.2 MiB, over the 0\.1 MiB a file; .*raise SKILLOPT_MAX_FILE_MB/, { SKILLOPT_MAX_FILE_MB: '0.1' });
  });

  it('5,000 files', async () => {
    await refused(async (dir) => {
      await mkdir(join(dir, 'many'));
      await Promise.all(Array.from({ length: 5000 }, (_, i) => writeFile(join(dir, 'many', `f${i}.txt`), `${i}\n`)));
    }, /holds more than 1000 files besides SKILL\.md; .*raise SKILLOPT_MAX_SKILL_FILES/);
  });
});

describe('a pull killed mid-install', () => {
  it('leaves the old version whole, and the next pull finishes the update and clears what it staged', async () => {
    const src = join(sb.dir, 'big');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'SKILL.md'), '---\nname: big\ndescription: Use when testing\n---\n\n# Big v1\n');
    await writeFile(join(src, 'data.bin'), randomBytes(1024));
    await run(sb, ['push', src]);
    await run(sb, ['pull']);
    const installed = join(sb.userSkills, 'big--alice');
    const before = await treeOf(installed);

    // v2: 40 files of 1 MiB, enough that the install is still staging when it is killed.
    for (let i = 0; i < 40; i++) await writeFile(join(src, `part-${i}.bin`), randomBytes(1024 * 1024));
    await writeFile(join(src, 'SKILL.md'), '---\nname: big\ndescription: Use when testing\n---\n\n# Big v2\n');
    await run(sb, ['push', src]);

    const staging = join(sb.home, '.claude', '.skillopt-pull');
    const child = execa(process.execPath, [join(process.cwd(), 'bin', 'skillopt.js'), 'pull'], { env: sb.env, cwd: sb.project, reject: false });
    const deadline = Date.now() + 60_000;
    while (!(existsSync(staging) && (await readdir(staging)).length > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await child;
    expect(existsSync(staging)).toBe(true);

    const after = await treeOf(installed);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [path, file] of before) expect(after.get(path)!.bytes.equals(file.bytes), path).toBe(true);

    const r = await run(sb, ['pull']);
    expect(r.stdout).toMatch(/^updated\s+big--alice\s+v2 \(was v1\)$/m);
    expect((await treeOf(installed)).size).toBe(42);
    expect(existsSync(staging)).toBe(false);
  }, 120_000);
});
