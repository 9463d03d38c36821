// Several pulls at once (every starting session runs one): every installed skill
// must end up in the manifest, or later pulls skip it and the hooks stop
// treating it as an org skill. Also: a pull heals an install whose manifest entry
// was lost, and the manifest lock survives a dead owner.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseManifest, removeEntry } from '../../core/manifest';
import { withFileLock } from '../../local/process-lock';
import { pullSkills } from '../../sync/pull-skills';
import { pushSkill } from '../../sync/push-folder';
import { openStore } from '../../store/open-store';
import type { Store } from '../../store/types';
import type { RunResult, Sandbox } from './helpers';
import { makeSandbox, run, skillText, writeSkill } from './helpers';
import { directBackend } from '../../team/direct';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'skillopt.js');
const SKILLS = 20;

let sb: Sandbox;
let store: Store;
const manifestFile = (): string => join(sb.skilloptHome, 'manifest.json');
const manifest = async (): Promise<ReturnType<typeof parseManifest>> => parseManifest(await readFile(manifestFile(), 'utf8'));

beforeEach(async () => {
  sb = await makeSandbox();
  store = await openStore({ url: `sqlite:${join(sb.skilloptHome, 'skillopt.db')}` });
  for (let i = 0; i < SKILLS; i++) {
    const dir = await writeSkill(join(sb.dir, 'src', `skill-${i}`), skillText(`name: skill-${i}\ndescription: d${i}`, `Step ${i}.\n`));
    await pushSkill({ publisher: directBackend(store), skillDir: dir, pusher: 'alice' });
  }
});
afterEach(async () => {
  await store.close();
  await sb.cleanup();
});

async function expectAllUpToDate(): Promise<void> {
  const again = await pullSkills({ source: directBackend(store), home: sb.home, skilloptHome: sb.skilloptHome });
  expect(again.items.filter((i) => i.status !== 'up-to-date' || i.reason)).toEqual([]);
  expect(again.items).toHaveLength(SKILLS);
}

function spawnPull(): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'pull'], { cwd: sb.project, env: sb.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('concurrent pulls', () => {
  it('four pullSkills at once record every skill, and the next pull is all up to date', async () => {
    const reports = await Promise.all([1, 2, 3, 4].map(() => pullSkills({ source: directBackend(store), home: sb.home, skilloptHome: sb.skilloptHome })));
    expect(reports.flatMap((r) => r.items.filter((i) => i.status === 'failed' || i.status === 'skipped'))).toEqual([]);
    expect((await readdir(sb.userSkills)).length).toBe(SKILLS);
    expect((await manifest()).entries.map((e) => e.dirName).sort()).toEqual((await readdir(sb.userSkills)).sort());
    expect(existsSync(`${manifestFile()}.lock`)).toBe(false);
    await expectAllUpToDate();
  });

  it('four `skillopt pull` processes at once record every skill', async () => {
    const results = await Promise.all([1, 2, 3, 4].map(() => spawnPull()));
    for (const r of results) expect(r).toMatchObject({ code: 0, stderr: '' });
    expect((await manifest()).entries).toHaveLength(SKILLS);
    await expectAllUpToDate();
  }, 60_000);
});

describe('healing', () => {
  it('adopts a folder whose SKILL.md is exactly what pull installs, and still skips an edited one', async () => {
    await pullSkills({ source: directBackend(store), home: sb.home, skilloptHome: sb.skilloptHome });
    // What the race used to leave behind: folders installed, their entries lost.
    const root = sb.userSkills;
    let m = await manifest();
    for (const d of ['skill-1--alice', 'skill-2--alice', 'skill-3--alice']) m = removeEntry(m, root, d);
    await writeFile(manifestFile(), JSON.stringify(m));
    const edited = join(root, 'skill-3--alice', 'SKILL.md');
    await writeFile(edited, (await readFile(edited, 'utf8')).replace('Step 3.', 'My own step.'));
    // skill-2 moved on to v2 in the store meanwhile: its folder is still exactly v1.
    await pushSkill({ publisher: directBackend(store), skillDir: await writeSkill(join(sb.dir, 'src', 'skill-2'), skillText('name: skill-2\ndescription: d2', 'Step 2, better.\n')), pusher: 'alice' });

    const r = await run(sb, ['pull']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^up to date\s+skill-1--alice\s+v1$/m);
    expect(r.stdout).toMatch(/^updated\s+skill-2--alice\s+v2 \(was v1\)$/m);
    expect(r.stdout).toMatch(/^skipped\s+skill-3--alice\s+v1: .* was not installed by skillopt pull/m);
    expect(await readFile(edited, 'utf8')).toMatch(/My own step/);
    const dirs = (await manifest()).entries.map((e) => e.dirName);
    expect(dirs).toContain('skill-1--alice');
    expect(dirs).toContain('skill-2--alice');
    expect(dirs).not.toContain('skill-3--alice');
    expect(await readFile(join(root, 'skill-2--alice', 'SKILL.md'), 'utf8')).toMatch(/Step 2, better/);
  });
});

describe('the manifest lock', () => {
  it('takes over a lock left by a dead process', async () => {
    // A pid far above pid_max is never alive.
    await writeFile(`${manifestFile()}.lock`, JSON.stringify({ pid: 2 ** 30, createdAt: Date.now(), nonce: 'x' }));
    const report = await pullSkills({ source: directBackend(store), home: sb.home, skilloptHome: sb.skilloptHome });
    expect(report.items.filter((i) => i.status === 'installed')).toHaveLength(SKILLS);
    expect(existsSync(`${manifestFile()}.lock`)).toBe(false);
  });

  it('takes over a lock older than its age limit (a reused pid) and an empty one left by a crash', async () => {
    const lock = `${manifestFile()}.lock`;
    // pid 1 is alive, but not the pull that wrote this two minutes ago.
    await writeFile(lock, JSON.stringify({ pid: 1, createdAt: Date.now() - 120_000, nonce: 'x' }));
    expect(await withFileLock(lock, () => Promise.resolve('ran'), { timeoutMs: 500 })).toBe('ran');
    await writeFile(lock, '');
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    expect(await withFileLock(lock, () => Promise.resolve('ran'), { timeoutMs: 500 })).toBe('ran');
    expect(existsSync(lock)).toBe(false);
  });

  it('gives up waiting for a live owner with one line naming the lock', async () => {
    const lock = `${manifestFile()}.lock`;
    await withFileLock(lock, async () => {
      await expect(withFileLock(lock, () => Promise.resolve(), { timeoutMs: 200 })).rejects.toThrow(
        new RegExp(`^${lock.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is held by process ${process.pid} \\(since .*\\); try again`),
      );
    });
    // An aborted pull (the SessionStart budget ran out) stops waiting and writes nothing.
    await withFileLock(lock, async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const report = await pullSkills({ source: directBackend(store), home: sb.home, skilloptHome: sb.skilloptHome, signal: controller.signal });
      expect(report).toMatchObject({ aborted: true, items: [] });
    });
    expect(existsSync(sb.userSkills)).toBe(false);
  });
});
