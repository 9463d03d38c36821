// The real built command (`node bin/skillopt.js`, the bundle vitest's globalSetup
import { readFileSync } from 'node:fs';
// builds): exit codes and the one-line errors a user sees.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunResult, Sandbox } from './helpers';
import { expectOneLineError, makeSandbox, skillText, writeSkill } from './helpers';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'skillopt.js');

let sb: Sandbox;
beforeEach(async () => {
  sb = await makeSandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

function skillopt(args: string[], env: NodeJS.ProcessEnv = {}): RunResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: sb.project, env: { ...sb.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('the skillopt command', () => {
  it('prints its version and help', () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(skillopt(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
    const help = skillopt(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Commands:[\s\S]*push[\s\S]*pull[\s\S]*skills[\s\S]*up/);
  });

  it('pushes and pulls with the bundled store', async () => {
    const dir = await writeSkill(join(sb.dir, 'deploy'), skillText('name: deploy'));
    expect(skillopt(['push', dir])).toMatchObject({ code: 0, stdout: 'pushed deploy--alice v1 (new skill)\n', stderr: '' });
    const pulled = skillopt(['pull']);
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toMatch(/^installed\s+deploy--alice\s+v1$/m);
  });

  it('fails with one line and exit 2 for a bad argument', () => {
    const r = skillopt(['skills', 'diff', 'deploy--alice', 'one', '2']);
    expectOneLineError(r, /argument 'v1'/);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expectOneLineError(skillopt(['frobnicate']), /unknown command 'frobnicate'/);
  });

  it('fails with one line and exit 1 for a malformed SKILL.md', async () => {
    const dir = await writeSkill(join(sb.dir, 'bad'), '# no frontmatter\n');
    const r = skillopt(['push', dir]);
    expectOneLineError(r, /no frontmatter/);
    expect(r.code).toBe(1);
  });

  it('fails with one line, quickly, when the database cannot be reached', () => {
    const started = Date.now();
    for (const args of [['skills', 'list'], ['pull']]) {
      const r = skillopt(args, { SKILLOPT_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' });
      expectOneLineError(r, /127\.0\.0\.1:1.*SKILLOPT_DATABASE_URL/);
      expect(r.code).toBe(1);
      expect(r.stderr).not.toMatch(/\bat .*\.(m?js|ts):\d+/); // no stack trace
    }
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
