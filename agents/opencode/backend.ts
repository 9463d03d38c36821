// A model backend on the user's own OpenCode (`opencode run`, npm opencode-ai),
// used as a plain text-in/text-out model, with whatever providers, models and
// logins the user's OpenCode config and auth set up. See docs/opencode.md §4.
//
// Prompts carry untrusted transcript text, so the call can do nothing but
// answer: it runs as an agent of its own, defined in OPENCODE_CONFIG_CONTENT
// (merged over the user's config), whose permission denies every tool
// (`"*": "deny"`: the request then offers no tools at all, measured) and whose
// prompt is the system prompt; `--pure` loads no external plugin (so
// skillopt's own plugin never runs: no recursion; SKILLOPT_INTERNAL=1 is a
// second guard); `--title` skips the title request. The working directory is a
// private empty temp dir and OPENCODE_DISABLE_PROJECT_CONFIG /
// OPENCODE_DISABLE_CLAUDE_CODE keep any project's AGENTS.md/CLAUDE.md, .opencode
// folder and Claude Code files out (only the user's own <config>/AGENTS.md is
// still added, which OpenCode cannot turn off). No models.dev fetch
// (OPENCODE_DISABLE_MODELS_FETCH), no autoupdate. The user prompt goes on stdin
// with no positional message, so it reaches the model exactly as given. The
// answer is the `text` events of `--format json`; an `error` event or a
// non-zero exit is the call's error. OpenCode records the call as a session in
// the user's database, like any run.
//
// Settings, explicit options first, then the environment, then defaults:
//   bin        SKILLOPT_OPENCODE_BIN      `opencode` (looked up on PATH)
//   judge      SKILLOPT_JUDGE_MODEL       none: OpenCode's configured model
//   proposer   SKILLOPT_PROPOSER_MODEL    none: OpenCode's configured model
//   timeout    SKILLOPT_MODEL_TIMEOUT_MS  120000
// A model is passed as `-m provider/model`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPlainObject } from '../../core/model-json';
import { emptyOutputError, exitError, runAgentCli, type AgentCli } from '../agent-cli';
import { envValue, resolveTimeoutMs } from '../config';
import { ModelCallError, type ModelCall, type ModelRole } from '../types';

export const DEFAULT_OPENCODE_BIN = 'opencode';
/** The agent the call runs as (OPENCODE_CONFIG_CONTENT defines it). */
export const OPENCODE_BACKEND_AGENT = 'skillopt-model';

export interface OpenCodeCliOptions {
  /** The executable (a name looked up on PATH, or a path). */
  bin?: string;
  judgeModel?: string;
  proposerModel?: string;
  timeoutMs?: number;
  /** Where settings are read from and what the child inherits (replaces process.env, it is not merged with it). */
  env?: NodeJS.ProcessEnv;
}

export interface OpenCodeCliSettings {
  bin: string;
  /** Undefined: no `-m`, OpenCode picks its configured model. */
  models: Record<ModelRole, string | undefined>;
  timeoutMs: number;
}

export function resolveOpenCodeCliSettings(options: OpenCodeCliOptions = {}): OpenCodeCliSettings {
  const env = options.env ?? process.env;
  return {
    bin: options.bin ?? envValue(env, 'SKILLOPT_OPENCODE_BIN') ?? DEFAULT_OPENCODE_BIN,
    models: {
      judge: options.judgeModel ?? envValue(env, 'SKILLOPT_JUDGE_MODEL'),
      proposer: options.proposerModel ?? envValue(env, 'SKILLOPT_PROPOSER_MODEL'),
    },
    timeoutMs: resolveTimeoutMs(options.timeoutMs, env),
  };
}

/** The config merged over the user's: one primary agent with the system prompt and every tool denied. */
export function openCodeBackendConfig(system: string): string {
  // An empty prompt would leave OpenCode's own coding-agent prompt in place: a space says "none".
  return JSON.stringify({ agent: { [OPENCODE_BACKEND_AGENT]: { mode: 'primary', prompt: system === '' ? ' ' : system, permission: { '*': 'deny' } } } });
}

/** The argv after the binary: headless, pure, the tool-less agent, no title request, JSON events. */
export function openCodeCliArgs(model: string | undefined): string[] {
  return ['run', '--pure', '--agent', OPENCODE_BACKEND_AGENT, '--title', 'skillopt', '--format', 'json', ...(model ? ['-m', model] : [])];
}

/** The environment of one call: the given one, the agent config, and nothing OpenCode would fetch or read of a project. */
export function openCodeCliEnv(env: NodeJS.ProcessEnv, system: string): NodeJS.ProcessEnv {
  return {
    ...env,
    OPENCODE_CONFIG_CONTENT: openCodeBackendConfig(system),
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_PROJECT_CONFIG: '1',
    OPENCODE_DISABLE_CLAUDE_CODE: '1',
    OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
    SKILLOPT_INTERNAL: '1',
  };
}

/** The answer in `opencode run --format json` output: its text parts joined; an `error` event throws its message. */
export function openCodeAnswer(stdout: string): string {
  const texts: string[] = [];
  for (const line of stdout.split('\n')) {
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      continue;
    }
    if (!isPlainObject(event)) continue;
    if (event.type === 'error') {
      const error = isPlainObject(event.error) ? event.error : {};
      const data = isPlainObject(error.data) ? error.data : {};
      throw new ModelCallError(`opencode: ${typeof data.message === 'string' ? data.message : typeof error.name === 'string' ? error.name : 'the run failed'}`);
    }
    if (event.type === 'text' && isPlainObject(event.part) && typeof event.part.text === 'string') texts.push(event.part.text);
  }
  return texts.join('\n').trim();
}

export function openCodeCliModel(options: OpenCodeCliOptions = {}): ModelCall {
  const settings = resolveOpenCodeCliSettings(options);
  const cli: AgentCli = {
    name: 'opencode',
    bin: settings.bin,
    installHint: 'install OpenCode (npm i -g opencode-ai) or set SKILLOPT_OPENCODE_BIN to its path',
  };
  return async (request) => {
    // A private, empty working folder (mode 0700): no project's instructions or config are found from it.
    const dir = await mkdtemp(join(tmpdir(), 'skillopt-opencode-'));
    try {
      const result = await runAgentCli(cli, openCodeCliArgs(settings.models[request.role]), {
        input: request.user,
        env: openCodeCliEnv(options.env ?? process.env, request.system),
        cwd: dir,
        timeoutMs: settings.timeoutMs,
        signal: request.signal,
      });
      const text = openCodeAnswer(result.stdout);
      if (result.exitCode !== 0) throw exitError('opencode', result.exitCode, result.stderr.trim().split('\n').at(-1) || '(no output)');
      if (!text) throw emptyOutputError('opencode');
      return text;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}
