// The default model backend: the user's own Claude Code CLI in print mode
// (`claude -p`), used as a plain text-in/text-out model.
//
// The call runs with every tool, MCP server and hook disabled and no session
// saved: prompts carry untrusted transcript text, and the judge must not fire
// our own hooks (recursion). It is spawned through execa, never a shell, and
// the user prompt goes on stdin, so its size is not bounded by argv limits
// (agent-cli.ts runs it and words the failures).
//
// Settings, explicit options first, then the environment, then defaults:
//   bin        SKILLOPT_CLAUDE_BIN        `claude` (looked up on PATH)
//   judge      SKILLOPT_JUDGE_MODEL       `haiku`
//   proposer   SKILLOPT_PROPOSER_MODEL    `sonnet`
//   timeout    SKILLOPT_MODEL_TIMEOUT_MS  120000
//
// The child's environment is the given one (default process.env) plus
// SKILLOPT_INTERNAL=1, which skillopt's hooks treat as "an internal call: do
// nothing" (a second guard beside disableAllHooks). Nothing else is removed.
import { tmpdir } from 'node:os';
import { emptyOutputError, exitError, runAgentCli, type AgentCli } from '../agent-cli';
import { DEFAULT_MODEL_TIMEOUT_MS, envValue, oneLine, resolveTimeoutMs } from '../config';
import { ModelCallError, type ModelCall, type ModelRole } from '../types';

export const DEFAULT_CLAUDE_BIN = 'claude';
export const DEFAULT_CLAUDE_JUDGE_MODEL = 'haiku';
export const DEFAULT_CLAUDE_PROPOSER_MODEL = 'sonnet';
export { DEFAULT_MODEL_TIMEOUT_MS };

export interface ClaudeCliOptions {
  /** The executable (a name looked up on PATH, or a path). */
  bin?: string;
  judgeModel?: string;
  proposerModel?: string;
  timeoutMs?: number;
  /** Where settings are read from and what the child inherits (replaces process.env, it is not merged with it). */
  env?: NodeJS.ProcessEnv;
  /** The child's working directory. Default: the OS temp dir, so no project's CLAUDE.md or settings leak into the prompt. */
  cwd?: string;
}

export interface ClaudeCliSettings {
  bin: string;
  models: Record<ModelRole, string>;
  timeoutMs: number;
}

/** The effective settings (explicit options, then env, then defaults). Throws ModelConfigError on a bad timeout. */
export function resolveClaudeCliSettings(options: ClaudeCliOptions = {}): ClaudeCliSettings {
  const env = options.env ?? process.env;
  return {
    bin: options.bin ?? envValue(env, 'SKILLOPT_CLAUDE_BIN') ?? DEFAULT_CLAUDE_BIN,
    models: {
      judge: options.judgeModel ?? envValue(env, 'SKILLOPT_JUDGE_MODEL') ?? DEFAULT_CLAUDE_JUDGE_MODEL,
      proposer: options.proposerModel ?? envValue(env, 'SKILLOPT_PROPOSER_MODEL') ?? DEFAULT_CLAUDE_PROPOSER_MODEL,
    },
    timeoutMs: resolveTimeoutMs(options.timeoutMs, env),
  };
}

/** The argv after the binary: print mode, JSON envelope, no tools, no MCP, no hooks, no saved session. */
export function claudeCliArgs(system: string, model: string): string[] {
  return [
    '-p',
    '--output-format', 'json',
    '--tools', '',
    '--strict-mcp-config',
    '--no-session-persistence',
    '--settings', JSON.stringify({ disableAllHooks: true }),
    '--system-prompt', system,
    '--model', model,
  ];
}

export function claudeCliModel(options: ClaudeCliOptions = {}): ModelCall {
  const settings = resolveClaudeCliSettings(options);
  const childEnv: NodeJS.ProcessEnv = { ...(options.env ?? process.env), SKILLOPT_INTERNAL: '1' };
  const cwd = options.cwd ?? tmpdir();
  const cli: AgentCli = { name: 'claude', bin: settings.bin, installHint: 'install Claude Code or set SKILLOPT_CLAUDE_BIN to its path' };

  return async (request) => {
    const result = await runAgentCli(cli, claudeCliArgs(request.system, settings.models[request.role]), {
      input: request.user,
      env: childEnv,
      cwd,
      timeoutMs: settings.timeoutMs,
      signal: request.signal,
    });
    const envelope = parseEnvelope(result.stdout);
    if (result.exitCode !== 0) {
      // With --output-format json, claude reports some failures in stdout and leaves stderr empty.
      const detail = result.stderr.trim() ? result.stderr : (envelope?.result ?? result.stdout);
      throw exitError('claude', result.exitCode, detail);
    }
    if (envelope?.isError) {
      throw new ModelCallError(`claude reported an error (${envelope.subtype}): ${oneLine(envelope.result)}`);
    }
    const text = (envelope ? envelope.result : result.stdout).trim();
    if (!text) throw emptyOutputError('claude');
    return text;
  };
}

interface Envelope {
  result: string;
  isError: boolean;
  subtype: string;
}

/**
 * The `--output-format json` envelope, or undefined when stdout is something
 * else (plain text, or a reply that happens to be JSON, such as an edit array),
 * which is then used as is.
 */
function parseEnvelope(stdout: string): Envelope | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const record = parsed as Record<string, unknown>;
  if (record.type !== 'result' && !('result' in record) && !('is_error' in record)) return undefined;
  return {
    result: typeof record.result === 'string' ? record.result : '',
    isError: record.is_error === true,
    subtype: typeof record.subtype === 'string' ? record.subtype : 'error',
  };
}
