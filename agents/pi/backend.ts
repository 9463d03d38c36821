// A model backend on the user's own pi coding agent (`pi -p`, npm
// @mariozechner/pi-coding-agent), used as a plain text-in/text-out model, with
// whatever providers, models.json and logins the user's pi agent dir
// (~/.pi/agent, or $PI_CODING_AGENT_DIR) sets up. See docs/pi.md.
//
// Prompts carry untrusted transcript text, so the call can do nothing but
// answer: no tools at all (--no-tools: the request offers none), no extensions
// (so our own pi extension never loads: no recursion), no skills, prompt
// templates or themes (so a prompt that starts with `/skill:…` or `/name` is
// sent as typed, never expanded), no AGENTS.md/CLAUDE.md context files, no
// session written (--no-session), no startup network work (--offline: no
// version check, no package installs). The system prompt replaces pi's own:
// it is written to a file in a private temp dir and passed as that file's path
// (`--system-prompt <path>`: pi reads a value that names an existing file), so
// neither its size nor its text meets argv (and a text that happened to name
// an existing file could not be mistaken for one); `--append-system-prompt ''`
// keeps the user's APPEND_SYSTEM.md out. pi still appends "Current date" and
// "Current working directory" lines. The user prompt goes on stdin (print mode
// reads piped stdin as the prompt; pi trims it). The answer is stdout: in text
// mode pi prints the last assistant message's text blocks, or, when that
// message ended in an error, the error on stderr and exit 1 (`--mode json`
// would exit 0 on a model error).
//
// Settings, explicit options first, then the environment, then defaults:
//   bin        SKILLOPT_PI_BIN            `pi` (looked up on PATH)
//   judge      SKILLOPT_JUDGE_MODEL       none: pi's default model (settings.json)
//   proposer   SKILLOPT_PROPOSER_MODEL    none: pi's default model
//   timeout    SKILLOPT_MODEL_TIMEOUT_MS  120000
// A model is passed as `--model`: an id, a pattern, or `provider/id` (and an
// optional `:<thinking>` suffix), as pi resolves them.
//
// The child's environment is the given one (default process.env) plus
// SKILLOPT_INTERNAL=1, which skillopt's hooks and extension treat as "an
// internal call: do nothing" (a second guard beside --no-extensions). Its
// working directory is the private temp dir unless `cwd` is given, so no
// project's .pi/ folder is read; the dir holds a project `.pi/settings.json`
// that turns pi's auto-compaction off: pi compacts when a reply's usage nears
// the model's context window, which costs one more model call (a summary) and
// leaves the summary, not the reply, as the last message, so print mode would
// print nothing.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyOutputError, exitError, runAgentCli, type AgentCli } from '../agent-cli';
import { envValue, resolveTimeoutMs } from '../config';
import type { ModelCall, ModelRole } from '../types';

export const DEFAULT_PI_BIN = 'pi';

export interface PiCliOptions {
  /** The executable (a name looked up on PATH, or a path). */
  bin?: string;
  judgeModel?: string;
  proposerModel?: string;
  timeoutMs?: number;
  /** Where settings are read from and what the child inherits (replaces process.env, it is not merged with it). */
  env?: NodeJS.ProcessEnv;
  /** The child's working directory. Default: the call's private temp dir (with the no-compaction project settings; a given cwd gets none). */
  cwd?: string;
}

export interface PiCliSettings {
  bin: string;
  /** Undefined: no `--model`, pi picks its configured default. */
  models: Record<ModelRole, string | undefined>;
  timeoutMs: number;
}

/** The effective settings (explicit options, then env, then defaults). Throws ModelConfigError on a bad timeout. */
export function resolvePiCliSettings(options: PiCliOptions = {}): PiCliSettings {
  const env = options.env ?? process.env;
  return {
    bin: options.bin ?? envValue(env, 'SKILLOPT_PI_BIN') ?? DEFAULT_PI_BIN,
    models: {
      judge: options.judgeModel ?? envValue(env, 'SKILLOPT_JUDGE_MODEL'),
      proposer: options.proposerModel ?? envValue(env, 'SKILLOPT_PROPOSER_MODEL'),
    },
    timeoutMs: resolveTimeoutMs(options.timeoutMs, env),
  };
}

export interface PiCliCall {
  /** The argv after the binary. */
  args: string[];
  /** What goes on stdin: the user prompt. */
  input: string;
}

/**
 * The argv and stdin for one call: print mode, offline, no session, no tools,
 * extensions, skills, prompt templates, themes or context files, the system
 * prompt read from `systemPromptFile` (which the caller writes), the user's
 * APPEND_SYSTEM.md replaced by nothing, the prompt on stdin.
 */
export function piCliCall(systemPromptFile: string, user: string, model: string | undefined): PiCliCall {
  const args = [
    '-p',
    '--offline',
    '--no-session',
    '--no-tools',
    '--no-extensions',
    '--no-skills',
    '--no-prompt-templates',
    '--no-themes',
    '--no-context-files',
    '--system-prompt', systemPromptFile,
    '--append-system-prompt', '',
    ...(model ? ['--model', model] : []),
  ];
  return { args, input: user };
}

/**
 * What goes in the system prompt file. pi treats an empty system prompt as
 * "none" and falls back to its own coding-agent prompt (which describes tools
 * and pi's docs), so an empty one is sent as a single space.
 */
export function piSystemPromptText(system: string): string {
  return system === '' ? ' ' : system;
}

/** The project settings written into the call's private working directory (merged over the user's settings.json). */
export const PI_PROJECT_SETTINGS = { compaction: { enabled: false } };

export function piCliModel(options: PiCliOptions = {}): ModelCall {
  const settings = resolvePiCliSettings(options);
  const childEnv: NodeJS.ProcessEnv = { ...(options.env ?? process.env), SKILLOPT_INTERNAL: '1' };
  const cli: AgentCli = {
    name: 'pi',
    bin: settings.bin,
    installHint: 'install the pi coding agent (npm i -g @mariozechner/pi-coding-agent) or set SKILLOPT_PI_BIN to its path',
  };

  return async (request) => {
    // A private folder (mode 0700) for the system prompt: nobody else can read or swap it.
    const dir = await mkdtemp(join(tmpdir(), 'skillopt-pi-'));
    try {
      const systemPromptFile = join(dir, 'system-prompt.md');
      await writeFile(systemPromptFile, piSystemPromptText(request.system), { mode: 0o600 });
      if (options.cwd === undefined) {
        await mkdir(join(dir, '.pi'));
        await writeFile(join(dir, '.pi', 'settings.json'), `${JSON.stringify(PI_PROJECT_SETTINGS)}\n`, { mode: 0o600 });
      }
      const call = piCliCall(systemPromptFile, request.user, settings.models[request.role]);
      const result = await runAgentCli(cli, call.args, {
        input: call.input,
        env: childEnv,
        cwd: options.cwd ?? dir,
        timeoutMs: settings.timeoutMs,
        signal: request.signal,
      });
      if (result.exitCode !== 0) throw exitError('pi', result.exitCode, piErrorDetail(result.stderr, result.stdout));
      const text = result.stdout.trim();
      if (!text) throw emptyOutputError('pi');
      return text;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

/** Colour codes (pi colours its errors when stderr is a terminal, or with FORCE_COLOR). */
const ANSI = new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;?]*[ -/]*[@-~]`, 'g');

/**
 * What a failed `pi -p` said: its `Error:` lines (deduplicated, prefix
 * dropped), else its first stderr line that is not a `Warning:` (a model
 * error such as `server_error: the model is overloaded`, or `No API key found
 * for openai.`), else stdout.
 */
export function piErrorDetail(stderr: string, stdout = ''): string {
  const lines = stderr
    .replace(ANSI, '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .filter((line) => !/^warning\b/i.test(line));
  const errors = [...new Set(lines.filter((line) => /^error\b/i.test(line)).map((line) => line.replace(/^error:?\s*/i, '')))];
  if (errors.length > 0) return errors.join('; ');
  return lines[0] ?? (stdout.trim() || '(no output)');
}
