// A model backend on the user's own GitHub Copilot CLI (npm @github/copilot),
// used as a plain text-in/text-out model, with whatever login or BYOK provider
// (COPILOT_PROVIDER_BASE_URL…) the user's Copilot is set up with. See
// docs/copilot-cli.md §4.
//
// Prompts carry untrusted transcript text, so the call can do nothing but
// answer: `--available-tools=none` (an allowlist naming no real tool: the
// request offers no tools, and no skills are listed), no built-in MCP servers,
// no AGENTS.md or other custom instructions, no questions to the user, no
// update check. Copilot's own system prompt cannot be replaced: skillopt's
// system text is a custom agent (`--agent skillopt-<role>`,
// <cwd>/.github/agents/skillopt-<role>.agent.md in a private temp folder, with
// no tools), which Copilot appends to its prompt. The user prompt goes on stdin
// (without -p, Copilot reads a piped stdin as the prompt), so neither its size
// nor its text meets argv. `-s`: stdout is the reply alone; a model error is
// exit 1 with the error on stderr.
//
// Copilot runs the user's hooks for these calls too (docs/copilot-cli.md §4):
// the child gets SKILLOPT_INTERNAL=1, which skillopt's hook entry reads as "an
// internal call: do nothing". Copilot writes a session for each call under the
// user's COPILOT_HOME; there is no flag to stop that.
//
// Settings, explicit options first, then the environment, then defaults:
//   bin        SKILLOPT_COPILOT_BIN       `copilot` (looked up on PATH)
//   judge      SKILLOPT_JUDGE_MODEL       none: Copilot's default (COPILOT_MODEL, its config)
//   proposer   SKILLOPT_PROPOSER_MODEL    none
//   timeout    SKILLOPT_MODEL_TIMEOUT_MS  120000
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyOutputError, exitError, runAgentCli, type AgentCli } from '../agent-cli';
import { envValue, resolveTimeoutMs } from '../config';
import type { ModelCall, ModelRole } from '../types';

export const DEFAULT_COPILOT_BIN = 'copilot';

export interface CopilotCliOptions {
  /** The executable (a name looked up on PATH, or a path). */
  bin?: string;
  judgeModel?: string;
  proposerModel?: string;
  timeoutMs?: number;
  /** Where settings are read from and what the child inherits (replaces process.env, it is not merged with it). */
  env?: NodeJS.ProcessEnv;
}

export interface CopilotCliSettings {
  bin: string;
  /** Undefined: no `--model`, Copilot picks its configured one. */
  models: Record<ModelRole, string | undefined>;
  timeoutMs: number;
}

export function resolveCopilotCliSettings(options: CopilotCliOptions = {}): CopilotCliSettings {
  const env = options.env ?? process.env;
  return {
    bin: options.bin ?? envValue(env, 'SKILLOPT_COPILOT_BIN') ?? DEFAULT_COPILOT_BIN,
    models: {
      judge: options.judgeModel ?? envValue(env, 'SKILLOPT_JUDGE_MODEL'),
      proposer: options.proposerModel ?? envValue(env, 'SKILLOPT_PROPOSER_MODEL'),
    },
    timeoutMs: resolveTimeoutMs(options.timeoutMs, env),
  };
}

/** The custom agent that carries the system text for `role`. */
export const copilotAgentName = (role: ModelRole): string => `skillopt-${role}`;

/** The argv after the binary: silent, no tools, MCP servers, instructions, questions or updates, the role's agent. */
export function copilotCliArgs(role: ModelRole, model: string | undefined): string[] {
  return [
    '-s',
    '--available-tools=none',
    '--disable-builtin-mcps',
    '--no-custom-instructions',
    '--no-ask-user',
    '--no-auto-update',
    '--agent', copilotAgentName(role),
    ...(model ? ['--model', model] : []),
  ];
}

/** The agent file: frontmatter (no tools), then the system text as its instructions. */
export function copilotAgentFile(role: ModelRole, system: string): string {
  return [
    '---',
    `name: ${copilotAgentName(role)}`,
    `description: skillopt's ${role}`,
    'tools: []',
    '---',
    '',
    system,
    '',
  ].join('\n');
}

export function copilotCliModel(options: CopilotCliOptions = {}): ModelCall {
  const settings = resolveCopilotCliSettings(options);
  const childEnv: NodeJS.ProcessEnv = { ...(options.env ?? process.env), SKILLOPT_INTERNAL: '1' };
  const cli: AgentCli = {
    name: 'copilot',
    bin: settings.bin,
    installHint: 'install GitHub Copilot CLI (npm i -g @github/copilot) or set SKILLOPT_COPILOT_BIN to its path',
  };
  return async (request) => {
    // A private folder (mode 0700) for the agent file, and the call's working folder: no project is read.
    const dir = await mkdtemp(join(tmpdir(), 'skillopt-copilot-'));
    try {
      await mkdir(join(dir, '.github', 'agents'), { recursive: true });
      await writeFile(join(dir, '.github', 'agents', `${copilotAgentName(request.role)}.agent.md`), copilotAgentFile(request.role, request.system), { mode: 0o600 });
      const result = await runAgentCli(cli, copilotCliArgs(request.role, settings.models[request.role]), {
        input: request.user,
        env: childEnv,
        cwd: dir,
        timeoutMs: settings.timeoutMs,
        signal: request.signal,
      });
      if (result.exitCode !== 0) throw exitError('copilot', result.exitCode, copilotErrorDetail(result.stderr, result.stdout));
      const text = result.stdout.trim();
      if (!text) throw emptyOutputError('copilot');
      return text;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

/** What a failed run said: its first stderr line that says something (`400 <message>`, `Could not connect…`), else stdout. */
export function copilotErrorDetail(stderr: string, stdout = ''): string {
  const lines = stderr.split('\n').map((line) => line.trim()).filter(Boolean);
  return lines.find((line) => /error|\b\d{3}\b|could not|requires?/i.test(line)) ?? lines[0] ?? (stdout.trim() || '(no output)');
}
