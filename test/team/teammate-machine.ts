// A teammate's machine for the team tests that run the real CLIs: its own home
// (0700: the central part, run as nobody, cannot enter it), `claude` and
// `skillopt` on its PATH, and only the Temporal address and its user name as
// settings; its agent talks to the scripted model server.
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { anthropicEnv } from '../fixtures/anthropic-server';
import { expect } from 'vitest';
import { CLAUDE_BIN, REPO, baseEnv, describeRun, hooksLogTail, makeSandbox, runClaude, until, type ClaudeRun, type Sandbox } from '../e2e/helpers';

export interface Teammate {
  name: string;
  box: Sandbox;
  skilloptHome: string;
  env: Record<string, string>;
}

export function makeTeammate(name: string, where: { temporalAddress: string; modelUrl: string }): Teammate {
  const box = makeSandbox(`skillopt-${name}-`);
  const bin = join(box.root, 'bin');
  mkdirSync(bin);
  symlinkSync(CLAUDE_BIN, join(bin, 'claude'));
  symlinkSync(join(REPO, 'bin', 'skillopt.js'), join(bin, 'skillopt'));
  const env = baseEnv({
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: box.home,
    SKILLOPT_USER: name,
    TEMPORAL_ADDRESS: where.temporalAddress,
    SKILLOPT_FLUSHER_LINGER_MS: '1000',
    SKILLOPT_WORKER_GRACE_MS: '5000',
    SKILLOPT_DEBUG: '1', // hooks.log, shown when a wait fails
    ...anthropicEnv(where.modelUrl),
  });
  return { name, box, skilloptHome: join(box.home, '.skillopt'), env };
}

/** `skillopt <args>` on the teammate's machine, with only its environment. */
export function skillopt(who: Teammate, args: string[], env: Record<string, string> = who.env, timeout = 90_000) {
  return execa('skillopt', args, { env, extendEnv: false, cwd: who.box.cwd, reject: false, timeout });
}

/** until(), every 250 ms, whose timeout says what a failed team wait most needs: the central part's output and each teammate's hooks log. */
export async function untilInTeam<T>(
  team: { centralOutput: () => string; teammates: Teammate[] },
  what: string,
  fn: () => Promise<T> | T,
  ok: (v: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  try {
    return await until(what, fn, ok, timeoutMs, 250);
  } catch (err) {
    const logs = team.teammates.filter(Boolean).map((who) => `--- ${who.name} hooks.log ---\n${hooksLogTail(who.box.home)}`);
    throw new Error([(err as Error).message, `--- central ---\n${team.centralOutput().slice(-3000)}`, ...logs].join('\n'));
  }
}

/** One `claude -p` turn on the teammate's machine (a new session, or `resume`), which must succeed; its session id. */
export async function teammateSession(who: Teammate, prompt: string, options: { resume?: string; env?: Record<string, string> } = {}): Promise<ClaudeRun & { sessionId: string }> {
  const run = await runClaude(prompt, { env: options.env ?? who.env, cwd: who.box.cwd, args: options.resume ? ['--resume', options.resume] : [], timeoutMs: 60_000 });
  expect(run.exitCode, describeRun(run)).toBe(0);
  expect(run.json?.is_error, describeRun(run)).toBe(false);
  expect(run.json?.session_id, describeRun(run)).toBeTypeOf('string');
  return { ...run, sessionId: run.json!.session_id! };
}

/** Where `pull` installs `skill` for the teammate's Claude Code, and what is there ('' when nothing). */
export function installedSkillPath(who: Teammate, skill: string): string {
  return join(who.box.home, '.claude', 'skills', skill, 'SKILL.md');
}

export function installedSkill(who: Teammate, skill: string): string {
  const path = installedSkillPath(who, skill);
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}
