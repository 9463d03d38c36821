// Installing for a teammate: what `npm pack` ships is enough to run, and an
// installed copy (here: the packed files laid out as npm installs them, with
// this checkout's node_modules beside them) works from any directory and
// writes its own hook path. The full `npm install -g <tarball>` takes minutes
// (dependencies from the registry); it is described in the README and was run by hand.
import { execFileSync, spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOOK_GATE, HOOK_GATE_NAME } from '../../agents/claude/hook-gate';

const root = join(import.meta.dirname, '..', '..');

interface PackedFile {
  path: string;
}

function packedFiles(): string[] {
  // The bundles are built by vitest's globalSetup; --ignore-scripts skips building them again.
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return ((JSON.parse(out) as { files: PackedFile[] }[])[0]!.files).map((f) => f.path).sort();
}

let dir: string;
let files: string[];
beforeAll(async () => {
  files = packedFiles();
  dir = await mkdtemp(join(tmpdir(), 'skillopt-install-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the package', () => {
  it('ships the command and every bundle, and no sources or source maps', () => {
    for (const needed of ['bin/skillopt.js', 'dist/cli.mjs', 'dist/hook.cjs', 'dist/flusher.mjs', 'dist/machine-worker.mjs', 'dist/hook-session-start.mjs', 'dist/worker.mjs', 'dist/workflow-bundle.js', 'package.json']) {
      expect(files).toContain(needed);
    }
    expect(files.filter((f) => f.endsWith('.ts') || f.endsWith('.map'))).toEqual([]);
  });

  it('ships exactly the chunks the CLI and the SessionStart bundle import (none left from older builds)', async () => {
    const shipped = files.filter((f) => f.startsWith('dist/chunks/'));
    const imported = new Set<string>();
    const visit = async (file: string): Promise<void> => {
      const text = await readFile(join(root, file), 'utf8');
      // Static and dynamic imports only: a `new URL('./x.mjs', import.meta.url)` names a bundle beside it, not a chunk.
      for (const [, spec] of text.matchAll(/(?:from\s*|import\(\s*)["'](\.{1,2}\/[^"']*?\.mjs)["']/g)) {
        const target = join(dirname(file), spec!).replace(/\\/g, '/');
        if (target.startsWith('dist/chunks/') && !imported.has(target)) {
          imported.add(target);
          await visit(target);
        }
      }
    };
    await visit('dist/cli.mjs');
    await visit('dist/hook-session-start.mjs');
    expect(shipped).toEqual([...imported].sort());
  });

  it('installed elsewhere: runs from any directory, writes its own hook path, and that hook runs silently', async () => {
    const pkg = join(dir, 'prefix', 'lib', 'node_modules', 'skillopt');
    for (const file of files) {
      await mkdir(dirname(join(pkg, file)), { recursive: true });
      await cp(join(root, file), join(pkg, file));
    }
    await symlink(join(root, 'node_modules'), join(pkg, 'node_modules'));
    const home = join(dir, 'home');
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(elsewhere, { recursive: true });
    const env = { PATH: process.env.PATH, HOME: home, SKILLOPT_HOME: join(home, '.skillopt'), SKILLOPT_USER: 'alice' };
    const skillopt = (args: string[]) => spawnSync(process.execPath, [join(pkg, 'bin', 'skillopt.js'), ...args], { cwd: elsewhere, env, encoding: 'utf8', timeout: 30_000 });

    const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(skillopt(['--version'])).toMatchObject({ status: 0, stdout: `${version}\n` });
    expect(skillopt(['hooks', 'install'])).toMatchObject({ status: 0 });
    const settings = JSON.parse(await readFile(join(home, '.claude', 'settings.json'), 'utf8')) as { hooks: Record<string, { hooks: { command: string; args: string[] }[] }[]> };
    const start = settings.hooks.SessionStart![0]!.hooks[0]!;
    expect([start.command, ...start.args]).toEqual(['node', join(pkg, 'dist', 'hook.cjs'), 'hook', 'SessionStart']);
    // The prompt's hook goes through the gate, which starts this package's hook when there is work.
    const { command, args } = settings.hooks.UserPromptSubmit![0]!.hooks[0]!;
    expect([command, ...args]).toEqual(['/bin/sh', '-c', HOOK_GATE, HOOK_GATE_NAME, 'UserPromptSubmit', 'node', join(pkg, 'dist', 'hook.cjs'), 'hook', 'UserPromptSubmit']);

    // As Claude Code runs the exec form: the program from PATH with its arguments, no shell.
    const payload = JSON.stringify({ session_id: 's1', cwd: elsewhere, hook_event_name: 'UserPromptSubmit', prompt: 'hi', transcript_path: join(dir, 'none.jsonl') });
    const hook = spawnSync(command, args, { cwd: elsewhere, env, input: payload, encoding: 'utf8', timeout: 30_000 });
    expect(hook).toMatchObject({ status: 0, stdout: '', stderr: '' });
  });
});
