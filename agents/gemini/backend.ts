// A model backend on the user's own Gemini CLI (`gemini -p`, npm
// @google/gemini-cli), used as a plain text-in/text-out model with whatever
// auth, endpoint and model settings the user's ~/.gemini/settings.json and
// environment set up (GEMINI_API_KEY, GOOGLE_GEMINI_BASE_URL, Vertex, …).
// See docs/gemini-cli.md (4).
//
// Prompts carry untrusted transcript text, so the call can do nothing but
// answer. It runs in a private temp dir (mode 0700) holding a workspace
// `.gemini/settings.json` that Gemini merges over the user's: no built-in
// tool (`tools.core: []`), no hooks (so skillopt's own never run: no
// recursion, with SKILLOPT_INTERNAL=1 as a second guard), no skills, no
// directory tree or context files of a project, one attempt (the activity
// retries). A policy file passed with `--policy` denies every tool, so nothing
// else (an MCP server of the user's) is offered either. `-e none` loads no
// extension. The system prompt replaces Gemini's own (GEMINI_SYSTEM_MD names
// a file in the dir; the user's ~/.gemini/GEMINI.md is still appended, as
// Gemini always does). The workspace is trusted through
// GEMINI_CLI_TRUST_WORKSPACE=true, not `--skip-trust`: with the flag the
// workspace settings would be ignored. The user prompt goes on stdin (`-p ""`),
// the answer comes back as `-o json`'s `response`; a model error is a JSON
// `error` on stderr and a non-zero exit.
//
// Settings, explicit options first, then the environment, then defaults:
//   bin        SKILLOPT_GEMINI_BIN        `gemini` (looked up on PATH)
//   judge      SKILLOPT_JUDGE_MODEL       none: Gemini's configured default
//   proposer   SKILLOPT_PROPOSER_MODEL    none: Gemini's configured default
//   timeout    SKILLOPT_MODEL_TIMEOUT_MS  120000
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyOutputError, exitError, runAgentCli, type AgentCli } from '../agent-cli';
import { envValue, resolveTimeoutMs } from '../config';
import type { ModelCall, ModelRole } from '../types';

export const DEFAULT_GEMINI_BIN = 'gemini';

export interface GeminiCliOptions {
  bin?: string;
  judgeModel?: string;
  proposerModel?: string;
  timeoutMs?: number;
  /** Where settings are read from and what the child inherits (replaces process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface GeminiCliSettings {
  bin: string;
  /** Undefined: no `-m`, Gemini picks its configured model. */
  models: Record<ModelRole, string | undefined>;
  timeoutMs: number;
}

export function resolveGeminiCliSettings(options: GeminiCliOptions = {}): GeminiCliSettings {
  const env = options.env ?? process.env;
  return {
    bin: options.bin ?? envValue(env, 'SKILLOPT_GEMINI_BIN') ?? DEFAULT_GEMINI_BIN,
    models: {
      judge: options.judgeModel ?? envValue(env, 'SKILLOPT_JUDGE_MODEL'),
      proposer: options.proposerModel ?? envValue(env, 'SKILLOPT_PROPOSER_MODEL'),
    },
    timeoutMs: resolveTimeoutMs(options.timeoutMs, env),
  };
}

/** The workspace settings of the call's private dir (merged over the user's). */
export const GEMINI_WORKSPACE_SETTINGS = {
  tools: { core: [] },
  hooksConfig: { enabled: false },
  skills: { enabled: false },
  context: { fileName: ['SKILLOPT-NO-CONTEXT.md'], includeDirectoryTree: false },
  general: { maxAttempts: 1 },
};

/** A policy denying every tool, above any rule of the user's (priorities run up to 999 in a tier). */
export const GEMINI_DENY_ALL_POLICY = '[[rule]]\ntoolName = "*"\ndecision = "deny"\npriority = 999\n';

/** The argv after the binary. */
export function geminiCliArgs(policyFile: string, model: string | undefined): string[] {
  return [...(model ? ['-m', model] : []), '-e', 'none', '--policy', policyFile, '-o', 'json', '-p', ''];
}

/**
 * What a `-o json` run printed: `{response}` on success, `{error: {message}}` on failure (on stderr, after
 * Gemini's own log lines): the last object that starts a line and parses to its end.
 */
function parseJsonOutput(text: string): { response?: string; error?: string } | undefined {
  const starts = [...text.matchAll(/^\{/gm)].map((m) => m.index).reverse();
  for (const start of starts) {
    let data: { response?: unknown; error?: { message?: unknown } };
    try {
      data = JSON.parse(text.slice(start)) as typeof data;
    } catch {
      continue;
    }
    return {
      ...(typeof data.response === 'string' ? { response: data.response } : {}),
      ...(data.error && typeof data.error.message === 'string' ? { error: apiMessage(data.error.message) } : {}),
    };
  }
  return undefined;
}

/** An API error's message is the API's JSON body as text: its own `error.message` says it best. */
function apiMessage(message: string): string {
  try {
    const body = JSON.parse(message.slice(message.indexOf('{'))) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') return body.error.message;
  } catch {
    // Not a JSON body: the message as it is.
  }
  return message;
}

/** One line saying why a run failed: the JSON error, else the first stderr line that is not a known warning. */
export function geminiErrorDetail(stderr: string, stdout = ''): string {
  const parsed = parseJsonOutput(stderr) ?? parseJsonOutput(stdout);
  if (parsed?.error) return parsed.error;
  const line = stderr
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l && !/^(warning\b|ripgrep is not available|skill conflict detected)/i.test(l));
  return line ?? (stdout.trim() || '(no output)');
}

export function geminiCliModel(options: GeminiCliOptions = {}): ModelCall {
  const settings = resolveGeminiCliSettings(options);
  const baseEnv = options.env ?? process.env;
  const cli: AgentCli = { name: 'gemini', bin: settings.bin, installHint: 'install Gemini CLI (npm i -g @google/gemini-cli) or set SKILLOPT_GEMINI_BIN to its path' };

  return async (request) => {
    const dir = await mkdtemp(join(tmpdir(), 'skillopt-gemini-'));
    try {
      const systemFile = join(dir, 'system.md');
      const policyFile = join(dir, 'deny-all-tools.toml');
      // Never empty: an empty system file is no prompt of ours.
      await writeFile(systemFile, request.system === '' ? ' ' : request.system, { mode: 0o600 });
      await writeFile(policyFile, GEMINI_DENY_ALL_POLICY, { mode: 0o600 });
      await mkdir(join(dir, '.gemini'));
      await writeFile(join(dir, '.gemini', 'settings.json'), `${JSON.stringify(GEMINI_WORKSPACE_SETTINGS)}\n`, { mode: 0o600 });
      const env: NodeJS.ProcessEnv = { ...baseEnv, SKILLOPT_INTERNAL: '1', GEMINI_CLI_TRUST_WORKSPACE: 'true', GEMINI_SYSTEM_MD: systemFile };
      const result = await runAgentCli(cli, geminiCliArgs(policyFile, settings.models[request.role]), {
        input: request.user,
        env,
        cwd: dir,
        timeoutMs: settings.timeoutMs,
        signal: request.signal,
      });
      if (result.exitCode !== 0) throw exitError('gemini', result.exitCode, geminiErrorDetail(result.stderr, result.stdout));
      const text = parseJsonOutput(result.stdout)?.response?.trim();
      if (!text) throw emptyOutputError('gemini');
      return text;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}
