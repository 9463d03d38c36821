// Runs the built hook the way Claude Code does: `node dist/hook.cjs hook
// <Event>` (the command `hooks install` writes) with one compact JSON line on stdin, cwd = the session's folder, in
// a sandbox (temp HOME, SKILLOPT_HOME and project). Payloads are shaped exactly
// like the ones captured from Claude Code 2.1.197 (reference §3).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HOOK_GATE, HOOK_GATE_NAME } from '../../agents/claude/hook-gate';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'skillopt.js');
/** What `hooks install` writes into settings.json: the bundled hook entry. */
export const HOOK_ENTRY = join(ROOT, 'dist', 'hook.cjs');

export interface HookSandbox {
  dir: string;
  home: string;
  skilloptHome: string;
  project: string;
  userSkills: string;
  /** The environment every hook run gets (never the test runner's own). */
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

export async function makeHookSandbox(extraEnv: NodeJS.ProcessEnv = {}): Promise<HookSandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'skillopt-hooks-'));
  const home = join(dir, 'home');
  const skilloptHome = join(dir, 'skillopt-home');
  const project = join(dir, 'project');
  await mkdir(home, { recursive: true });
  await mkdir(project, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    SKILLOPT_HOME: skilloptHome,
    SKILLOPT_USER: 'alice',
    // Spool only, unless a test delivers: no stray flusher talks to a Temporal it did not start.
    SKILLOPT_FLUSHER: '0',
    ...extraEnv,
  };
  return {
    dir,
    home,
    skilloptHome,
    project,
    userSkills: join(home, '.claude', 'skills'),
    env,
    // A detached flusher may still be writing in the sandbox: retry the removal.
    cleanup: () => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }),
  };
}

export interface HookRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs one hook; `input` is sent as is (a string) or as one compact JSON line. */
export function runHook(sb: HookSandbox, event: string, input: unknown, env: NodeJS.ProcessEnv = {}, cwd = sb.project): Promise<HookRun> {
  // `event` may carry the agent too: 'PreToolUse --agent codex'.
  return runCommand(sb, [process.execPath, HOOK_ENTRY, 'hook', ...event.split(' ')], input, env, cwd);
}

/**
 * Runs one hook as `hooks install` writes UserPromptSubmit and PreToolUse for Claude Code: behind the
 * gate (agents/claude/hook-gate.ts), `/bin/sh -c <gate> skillopt-gate <Event> node dist/hook.cjs hook <Event>`;
 * `hook` replaces what the gate starts (default: the built hook).
 */
export function runGatedHook(sb: HookSandbox, event: string, input: unknown, env: NodeJS.ProcessEnv = {}, hook = [process.execPath, HOOK_ENTRY, 'hook', event]): Promise<HookRun> {
  return runCommand(sb, ['/bin/sh', '-c', HOOK_GATE, HOOK_GATE_NAME, event, ...hook], input, env, sb.project);
}

function runCommand(sb: HookSandbox, command: string[], input: unknown, env: NodeJS.ProcessEnv, cwd: string): Promise<HookRun> {
  const text = typeof input === 'string' ? input : `${JSON.stringify(input)}\n`;
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(command[0]!, command.slice(1), { cwd, env: { ...sb.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr, ms: performance.now() - started }));
    // The hook may exit before reading everything (it never should, but EPIPE must not fail the test).
    child.stdin.on('error', () => undefined);
    child.stdin.end(text);
  });
}

/** The hook payloads the pinned Claude Code sent for a `/deploy-checklist--alice` session (record-claude-slash-command.ts). */
const RECORDED_HOOKS = readFileSync(join(ROOT, 'test', 'fixtures', 'transcripts', 'slash-command-then-resumed-correction-hooks.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line) as Record<string, string>);

export function projectKey(cwd: string): string {
  return cwd.replace(/[^A-Za-z0-9]/g, '-');
}

export class Session {
  readonly id = randomUUID();
  promptId = randomUUID();
  constructor(readonly sb: HookSandbox) {}

  get transcriptPath(): string {
    return join(this.sb.home, '.claude', 'projects', projectKey(this.sb.project), `${this.id}.jsonl`);
  }

  /** What every Claude Code hook payload of this session carries. */
  private common() {
    return { session_id: this.id, transcript_path: this.transcriptPath, cwd: this.sb.project };
  }

  sessionStart(source = 'startup') {
    return { ...this.common(), hook_event_name: 'SessionStart', source };
  }

  userPromptSubmit(prompt: string) {
    this.promptId = randomUUID();
    return {
      ...this.common(),
      prompt_id: this.promptId,
      permission_mode: 'default',
      hook_event_name: 'UserPromptSubmit',
      prompt,
    };
  }

  /**
   * The user types `/<skill> [args]`: Claude Code sends UserPromptExpansion, then UserPromptSubmit for
   * the same prompt (one prompt_id), shaped as recorded from the pinned CLI
   * (test/fixtures/transcripts/slash-command-then-resumed-correction-hooks.jsonl).
   */
  slashCommand(skill: string, args = '') {
    const submit = this.userPromptSubmit(args ? `/${skill} ${args}` : `/${skill}`);
    const recorded = RECORDED_HOOKS.find((h) => h.hook_event_name === 'UserPromptExpansion')!;
    const expansion = { ...recorded, ...this.common(), prompt_id: this.promptId, command_name: skill, command_args: args, prompt: submit.prompt };
    return { expansion, submit };
  }

  preToolUseSkill(skill: string, toolUseId = `toolu_01${randomUUID().replace(/-/g, '').slice(0, 22)}`, toolName = 'Skill') {
    return {
      ...this.common(),
      prompt_id: this.promptId,
      permission_mode: 'default',
      effort: { level: 'high' },
      hook_event_name: 'PreToolUse',
      tool_name: toolName,
      tool_input: { skill },
      tool_use_id: toolUseId,
    };
  }

  sessionEnd(reason = 'other') {
    return { ...this.common(), prompt_id: this.promptId, hook_event_name: 'SessionEnd', reason };
  }

  async writeTranscript(text: string): Promise<void> {
    await mkdir(join(this.sb.home, '.claude', 'projects', projectKey(this.sb.project)), { recursive: true });
    await writeFile(this.transcriptPath, text);
  }
}

export interface ManifestSkill {
  name: string;
  author: string;
  version: number;
  root?: string;
  scope?: 'user' | 'project';
}

/** Installs skills as pull would: the folder with a SKILL.md, and the manifest entry. */
export async function installOrgSkills(sb: HookSandbox, skills: ManifestSkill[]): Promise<void> {
  const entries = [];
  for (const s of skills) {
    const root = s.root ?? sb.userSkills;
    const dirName = `${s.name}--${s.author}`;
    await mkdir(join(root, dirName), { recursive: true });
    await writeFile(join(root, dirName, 'SKILL.md'), `---\nname: ${dirName}\ndescription: test\nversion: ${s.version}\n---\n\n# ${s.name}\n`);
    entries.push({ dirName, name: s.name, author: s.author, version: s.version, scope: s.scope ?? 'user', root, pulledAt: new Date().toISOString() });
  }
  await mkdir(sb.skilloptHome, { recursive: true });
  await writeFile(join(sb.skilloptHome, 'manifest.json'), JSON.stringify({ version: 1, entries }, null, 2));
}

export async function outboxFiles(sb: HookSandbox): Promise<string[]> {
  try {
    return (await readdir(join(sb.skilloptHome, 'outbox'))).filter((n) => /^\d{16}-.*\.json$/.test(n)).sort();
  } catch {
    return [];
  }
}

export interface SpooledEvent {
  signal: string;
  ref: { name: string; author: string };
  workflowId: string;
  payload: Record<string, unknown>;
  config?: Record<string, unknown>;
}

export async function outboxEvents(sb: HookSandbox): Promise<SpooledEvent[]> {
  const files = await outboxFiles(sb);
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(join(sb.skilloptHome, 'outbox', f), 'utf8'))));
}

export async function readHintFile(sb: HookSandbox, sessionId: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(join(sb.skilloptHome, 'sessions', `${sessionId.replace(/[^A-Za-z0-9_-]/g, '_')}.json`), 'utf8'));
  } catch {
    return undefined;
  }
}

export { until } from '../helpers/wait';
