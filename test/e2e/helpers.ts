// Shared by the end-to-end tests: the real Claude Code CLI from
// node_modules, run in a throwaway HOME against the scripted Anthropic server,
// and the stack each test runs on (startLoopStack; startAgentLoop for the
// tests of one agent and its one user).
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { claudeCliModel } from '../../agents/claude/backend';
import type { AgentName } from '../../agents/registry';
import type { ModelCall } from '../../agents/types';
import { DEFAULT_CANARY_SETTINGS } from '../../core/rollout-rules';
import type { RolloutDefaults } from '../../core/rollout-types';
import { dailyModelCalls } from '../../local/model-calls';
import { liveFlusherPid } from '../../local/outbox/flusher-lock';
import { openStore, type Store } from '../../store/open-store';
import { createSkilloptWorker } from '../../worker/worker';
import { anthropicEnv, type AnthropicServer } from '../fixtures/anthropic-server';
import { startTestServer, uniqueName, workflowBundle } from '../helpers/temporal';
import { BODY, SKILL_NAME } from './deploy-skill';

export const REPO = join(import.meta.dirname, '..', '..');
export const CLAUDE_BIN = join(REPO, 'node_modules', '.bin', 'claude');
export const SKILLOPT_BIN = join(REPO, 'bin', 'skillopt.js');

export interface Sandbox {
  root: string;
  /** The throwaway HOME: ~/.claude lives here. */
  home: string;
  /** Where `claude` runs (the project folder). */
  cwd: string;
}

export function makeSandbox(prefix = 'skillopt-e2e-'): Sandbox {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const home = join(root, 'home');
  const cwd = join(root, 'project');
  mkdirSync(home, { recursive: true });
  mkdirSync(cwd, { recursive: true });
  return { root, home, cwd };
}

/** A minimal environment: nothing of the developer's own (HOME, tokens, settings) leaks in. */
export function baseEnv(extra: Record<string, string>): Record<string, string> {
  // The detached pull runs at the background priority: on a loaded machine it can take longer than the
  // 5 s budget, which SessionStart's own tests cover; here a slow pull must not read as a missing one.
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', SKILLOPT_AUTOPULL_TIMEOUT_MS: '20000' };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  return { ...env, ...extra };
}

/** Writes <dir>/SKILL.md with frontmatter name and description. */
export function writeSkillDir(dir: string, name: string, description: string, body: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'SKILL.md');
  writeFileSync(path, `---\nname: ${name}\ndescription: ${description}\n---\n${body}`);
  return path;
}

export interface ClaudeRun {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** Wall time of the whole process, ms. */
  ms: number;
  /** The `--output-format json` envelope. */
  json: { result?: string; session_id?: string; is_error?: boolean; [key: string]: unknown } | undefined;
}

/** `claude -p [...args] <prompt> --output-format json`, bounded in time. */
export async function runClaude(
  prompt: string,
  options: { env: Record<string, string>; cwd: string; args?: string[]; timeoutMs?: number },
): Promise<ClaudeRun> {
  const started = performance.now();
  const result = await execa(CLAUDE_BIN, ['-p', ...(options.args ?? []), '--output-format', 'json', prompt], {
    env: options.env,
    extendEnv: false,
    cwd: options.cwd,
    timeout: options.timeoutMs ?? 30_000,
    reject: false,
    stdin: 'ignore',
  });
  const ms = performance.now() - started;
  let json: ClaudeRun['json'];
  try {
    json = JSON.parse(result.stdout) as ClaudeRun['json'];
  } catch {
    json = undefined;
  }
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr, ms, json };
}

/** Explains a failed run in an assertion message. */
export function describeRun(run: ClaudeRun): string {
  return `exit ${run.exitCode}; stdout: ${run.stdout.slice(0, 1000)}; stderr: ${run.stderr.slice(0, 1000)}`;
}

/** Polls `fn` until `ok` holds, or throws with the last value after `timeoutMs`. */
export async function until<T>(what: string, fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 30_000, everyMs = 150): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await fn();
      lastError = undefined;
      if (ok(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError !== undefined ? `error: ${String(lastError)}` : `last value: ${JSON.stringify(last)?.slice(0, 2000)}`;
      throw new Error(`timed out waiting for ${what}; ${detail}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The one tool_use id the scripted model gave a session (its Skill call). */
export function onlyToolUseId(server: AnthropicServer, sessionId: string): string {
  const ids = server
    .sessionRequests(sessionId)
    .map((r) => r.reply?.toolUse?.id)
    .filter((id): id is string => id !== undefined);
  // Thrown, not expect(): this module loads no vitest, so the benchmarks can share it.
  if (ids.length !== 1) throw new Error(`expected one tool_use id in session ${sessionId}, got ${ids.length}: ${ids.join(', ')}`);
  return ids[0]!;
}

/** The judge and the proposer as skillopt runs them: the real `claude -p` against the scripted server, in a HOME of their own. */
export function scriptedClaudeModel(serverUrl: string, home: string): ModelCall {
  mkdirSync(home, { recursive: true });
  return claudeCliModel({ bin: CLAUDE_BIN, env: baseEnv({ HOME: home, ...anthropicEnv(serverUrl) }) });
}

/** The central part of an end-to-end test on this machine: a Temporal dev server, a SQLite store and a worker on its queue. */
export interface RunningStack {
  temporal: TestWorkflowEnvironment;
  store: Store;
  worker: Worker;
  workerRun: Promise<void>;
  taskQueue: string;
}

export async function startLoopStack(options: {
  /** The store's home: a SQLite store here whatever the environment says (SKILLOPT_DATABASE_URL is not read). */
  skilloptHome: string;
  /** The queue's name, made unique. */
  queue: string;
  model: ModelCall;
  /** Where the sessions' transcripts are: the only place the judge reads. */
  transcriptRoots: string[];
  rollout: RolloutDefaults;
  modelCallCap?: number;
}): Promise<RunningStack> {
  const taskQueue = uniqueName(options.queue);
  const [temporal, store] = await Promise.all([startTestServer(), openStore({ home: options.skilloptHome })]);
  const worker = await createSkilloptWorker({
    connection: temporal.nativeConnection,
    namespace: temporal.namespace ?? 'default',
    store,
    model: options.model,
    transcriptRoots: options.transcriptRoots,
    modelCalls: dailyModelCalls({ home: options.skilloptHome, cap: options.modelCallCap ?? 100 }),
    rollout: options.rollout,
    taskQueue,
    workflowBundle: await workflowBundle(),
  });
  return { temporal, store, worker, workerRun: worker.run(), taskQueue };
}

/**
 * A user's environment on the stack: their HOME and SKILLOPT_HOME, Temporal and
 * the stack's queue (the embedded path with an explicit address: judged by the
 * shared worker, not this machine's own queue), and the scripted model.
 */
export function userEnvOn(stack: RunningStack, user: { home: string; skilloptHome: string; name: string; modelUrl: string }, extra: Record<string, string> = {}): Record<string, string> {
  return baseEnv({
    HOME: user.home,
    SKILLOPT_HOME: user.skilloptHome,
    SKILLOPT_USER: user.name,
    TEMPORAL_ADDRESS: stack.temporal.address,
    TEMPORAL_NAMESPACE: stack.temporal.namespace ?? 'default',
    SKILLOPT_TASK_QUEUE: stack.taskQueue,
    SKILLOPT_ACTIVITY_QUEUE: stack.taskQueue,
    ...anthropicEnv(user.modelUrl),
    ...extra,
  });
}

/** One agent's end-to-end stack (Codex, pi, Gemini CLI, Copilot CLI, OpenCode) and its one user, alice. */
export interface AgentLoop extends RunningStack {
  /** alice's environment: her agent's (`userEnv`), Temporal and the stack's queue. */
  env: Record<string, string>;
  /** What `skillopt hooks install --agent <agent>` printed. */
  installed: string;
}

/**
 * A stack for one agent's user: its worker judging on the stack's queue with `model`, the whole team in the
 * canary cohort (the next session gets a candidate), skillopt's hooks installed for `agent`, and the deploy
 * skill pushed by alice as v1 (pulled by her first session).
 */
export async function startAgentLoop(options: {
  agent: AgentName;
  /** The test's folder (the store lives in <root>/store) and the project the agent runs in. */
  root: string;
  cwd: string;
  /** The agent's home and settings: HOME and the agent's own variables. */
  userEnv: Record<string, string>;
  model: ModelCall;
  transcriptRoots: string[];
}): Promise<AgentLoop> {
  const stack = await startLoopStack({
    skilloptHome: join(options.root, 'store'),
    queue: `skillopt-${options.agent}`,
    model: options.model,
    transcriptRoots: options.transcriptRoots,
    rollout: { policy: 'canary', canary: { ...DEFAULT_CANARY_SETTINGS, percent: 100, minJudged: 2 } },
  });
  const env = baseEnv({
    ...options.userEnv,
    SKILLOPT_USER: 'alice',
    SKILLOPT_DEBUG: '1',
    TEMPORAL_ADDRESS: stack.temporal.address,
    SKILLOPT_TASK_QUEUE: stack.taskQueue,
    SKILLOPT_ACTIVITY_QUEUE: stack.taskQueue,
    SKILLOPT_FLUSHER_LINGER_MS: '1000',
  });
  const skillopt = (...args: string[]) => execa(process.execPath, [SKILLOPT_BIN, ...args], { env, extendEnv: false, cwd: options.cwd, reject: false });
  try {
    const install = await skillopt('hooks', 'install', '--agent', options.agent);
    if (install.exitCode !== 0) throw new Error(`skillopt hooks install --agent ${options.agent} failed: ${install.stderr}`);
    const source = join(options.root, 'src', SKILL_NAME);
    writeSkillDir(source, SKILL_NAME, 'Use when deploying services to production', BODY);
    const push = await skillopt('push', source, '--author', 'alice');
    if (push.exitCode !== 0) throw new Error(`skillopt push failed: ${push.stderr}`);
    return { ...stack, env, installed: install.stdout };
  } catch (err) {
    await stopLoopStack({ ...stack, skilloptHomes: [], folders: [] });
    throw err;
  }
}

export interface LoopStack {
  /** Each user's SKILLOPT_HOME: their detached flushers linger a moment after the last event. */
  skilloptHomes: (string | undefined)[];
  worker?: Worker;
  workerRun?: Promise<void>;
  store?: Store;
  temporal?: TestWorkflowEnvironment;
  server?: { close(): Promise<void> };
  /** Removed last. */
  folders: (string | undefined)[];
}

/** Ends an end-to-end test's stack in order: the flushers (before Temporal goes), the worker, the store, Temporal, the model server, the folders. */
export async function stopLoopStack(stack: LoopStack): Promise<void> {
  for (const home of stack.skilloptHomes) {
    if (home) await until('the flushers to exit', () => liveFlusherPid(home), (pid) => pid === undefined, 15_000).catch(() => undefined);
  }
  if (stack.worker) {
    stack.worker.shutdown();
    await stack.workerRun;
  }
  await stack.store?.close();
  await stack.temporal?.teardown();
  await stack.server?.close();
  for (const folder of stack.folders) if (folder) rmSync(folder, { recursive: true, force: true });
}

/** The `version:` of an installed SKILL.md, or undefined when it is not there. */
export function installedVersionAt(file: string): number | undefined {
  return existsSync(file) ? Number(/^version: (\d+)$/m.exec(readFileSync(file, 'utf8'))?.[1]) : undefined;
}

/** The tail of the hooks' log of the skillopt home under `home`, for a failure's message. */
export function hooksLogTail(home: string): string {
  const path = join(home, '.skillopt', 'hooks.log');
  return existsSync(path) ? readFileSync(path, 'utf8').slice(-3000) : '(no hooks.log)';
}

/** `until`, every 200 ms, whose timeout says what the hooks logged under `home`. */
export async function untilLogged<T>(home: string, what: string, fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  try {
    return await until(what, fn, ok, timeoutMs, 200);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- hooks.log ---\n${hooksLogTail(home)}`);
  }
}
