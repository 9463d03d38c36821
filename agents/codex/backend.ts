// A model backend on the user's own OpenAI Codex CLI (`codex exec`), used as a
// plain text-in/text-out model, with whatever provider and login the user's
// $CODEX_HOME/config.toml sets up.
//
// Prompts carry untrusted transcript text, so the call can do nothing but
// answer: a read-only sandbox, the shell tools and image viewer off, hooks off
// (and so our own hooks never fire: no recursion), no session written
// (--ephemeral), no project AGENTS.md read from the working directory
// (project_doc_max_bytes=0), no web search. The system prompt goes in as
// Codex's developer instructions (`-c developer_instructions=…`: a developer
// message ahead of the conversation), the user prompt on stdin (`-`), so its
// size is not bounded by argv limits. The final message is read from the
// `-o` file (in a private temp dir, removed after), else stdout.
//
// Settings, explicit options first, then the environment, then defaults:
//   bin        SKILLOPT_CODEX_BIN         `codex` (looked up on PATH)
//   judge      SKILLOPT_JUDGE_MODEL       none: Codex's own default model
//   proposer   SKILLOPT_PROPOSER_MODEL    none: Codex's own default model
//   timeout    SKILLOPT_MODEL_TIMEOUT_MS  120000
//
// The child's environment is the given one (default process.env) plus
// SKILLOPT_INTERNAL=1, which skillopt's hooks treat as "an internal call: do
// nothing" (a second guard beside --disable hooks).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyOutputError, exitError, runAgentCli, type AgentCli } from '../agent-cli';
import { envValue, resolveTimeoutMs } from '../config';
import type { ModelCall, ModelRole } from '../types';

export const DEFAULT_CODEX_BIN = 'codex';

/**
 * A system prompt longer than this (as a TOML string) goes on stdin ahead of
 * the user prompt instead: one argument may not exceed 128 KiB on Linux.
 */
const MAX_INSTRUCTIONS_ARG_CHARS = 64 * 1024;

export interface CodexCliOptions {
  /** The executable (a name looked up on PATH, or a path). */
  bin?: string;
  judgeModel?: string;
  proposerModel?: string;
  timeoutMs?: number;
  /** Where settings are read from and what the child inherits (replaces process.env, it is not merged with it). */
  env?: NodeJS.ProcessEnv;
  /** The child's working directory. Default: the OS temp dir. */
  cwd?: string;
}

export interface CodexCliSettings {
  bin: string;
  /** Undefined: no `-m`, Codex picks its configured default. */
  models: Record<ModelRole, string | undefined>;
  timeoutMs: number;
}

/** The effective settings (explicit options, then env, then defaults). Throws ModelConfigError on a bad timeout. */
export function resolveCodexCliSettings(options: CodexCliOptions = {}): CodexCliSettings {
  const env = options.env ?? process.env;
  return {
    bin: options.bin ?? envValue(env, 'SKILLOPT_CODEX_BIN') ?? DEFAULT_CODEX_BIN,
    models: {
      judge: options.judgeModel ?? envValue(env, 'SKILLOPT_JUDGE_MODEL'),
      proposer: options.proposerModel ?? envValue(env, 'SKILLOPT_PROPOSER_MODEL'),
    },
    timeoutMs: resolveTimeoutMs(options.timeoutMs, env),
  };
}

/** A TOML basic string (what `-c key=value` parses): JSON's escapes, plus DEL and lone surrogates made safe. */
export function tomlString(text: string): string {
  const wellFormed = text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  return JSON.stringify(wellFormed).replace(/\x7f/g, '\\u007f');
}

export interface CodexCliCall {
  /** The argv after the binary. */
  args: string[];
  /** What goes on stdin. */
  input: string;
}

/**
 * The argv and stdin for one call: read-only sandbox, no session file, hooks,
 * shell tools, image viewer, project docs and web search off, no colour, the
 * final message written to `outputFile`, the prompt read from stdin.
 */
export function codexCliCall(system: string, user: string, model: string | undefined, outputFile: string): CodexCliCall {
  const instructions = tomlString(system);
  const inArgs = system.trim() !== '' && instructions.length <= MAX_INSTRUCTIONS_ARG_CHARS;
  const args = [
    'exec',
    '--skip-git-repo-check',
    '-s', 'read-only',
    '--ephemeral',
    '--disable', 'hooks',
    '--disable', 'shell_tool',
    '--disable', 'unified_exec',
    '--disable', 'view_image',
    '--color', 'never',
    '-c', 'project_doc_max_bytes=0',
    '-c', 'web_search="disabled"',
    ...(inArgs ? ['-c', `developer_instructions=${instructions}`] : []),
    ...(model ? ['-m', model] : []),
    '-o', outputFile,
    '-',
  ];
  const input = inArgs || system.trim() === '' ? user : `${system}\n\n${user}`;
  return { args, input };
}

export function codexCliModel(options: CodexCliOptions = {}): ModelCall {
  const settings = resolveCodexCliSettings(options);
  const childEnv: NodeJS.ProcessEnv = { ...(options.env ?? process.env), SKILLOPT_INTERNAL: '1' };
  const cwd = options.cwd ?? tmpdir();
  const cli: AgentCli = {
    name: 'codex',
    bin: settings.bin,
    installHint: 'install the Codex CLI (npm i -g @openai/codex) or set SKILLOPT_CODEX_BIN to its path',
  };

  return async (request) => {
    // A private folder (mode 0700) for the final message: nobody else can read or swap it.
    const dir = await mkdtemp(join(tmpdir(), 'skillopt-codex-'));
    try {
      const outputFile = join(dir, 'last-message.txt');
      const call = codexCliCall(request.system, request.user, settings.models[request.role], outputFile);
      const result = await runAgentCli(cli, call.args, {
        input: call.input,
        env: childEnv,
        cwd,
        timeoutMs: settings.timeoutMs,
        signal: request.signal,
      });
      if (result.exitCode !== 0) throw exitError('codex', result.exitCode, codexErrorDetail(result.stderr, result.stdout));
      const written = await readFile(outputFile, 'utf8').catch(() => '');
      const text = (written.trim() ? written : result.stdout).trim();
      if (!text) throw emptyOutputError('codex');
      return text;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

/**
 * What a failed `codex exec` said: its `ERROR:` lines (deduplicated), else its
 * last stderr line that is not a warning or the banner, else stdout.
 */
export function codexErrorDetail(stderr: string, stdout = ''): string {
  const lines = stderr.split('\n').map((line) => line.trim()).filter(Boolean);
  const errors = [...new Set(lines.filter((line) => /^error\b/i.test(line)).map((line) => line.replace(/^error:?\s*/i, '')))];
  if (errors.length > 0) return errors.join('; ');
  const last = lines.filter((line) => !/^(warning\b|WARNING\b)/.test(line)).at(-1);
  return last ?? (stdout.trim() || '(no output)');
}
