// Choosing the model backend from the environment.
//   SKILLOPT_MODEL_BACKEND = claude (default): the user's Claude Code CLI, see claude/backend.ts
//                          = codex: the user's OpenAI Codex CLI, see codex/backend.ts
//                          = pi: the user's pi coding agent, see pi/backend.ts
//                          = gemini: the user's Gemini CLI, see gemini/backend.ts
//                          = copilot: the user's GitHub Copilot CLI, see copilot/backend.ts
//                          = opencode: the user's OpenCode, see opencode/backend.ts
//                          = openai: an OpenAI-compatible HTTP endpoint, see openai-http.ts
import { claudeCliModel, resolveClaudeCliSettings } from './claude/backend';
import { codexCliModel, resolveCodexCliSettings } from './codex/backend';
import { copilotCliModel, resolveCopilotCliSettings } from './copilot/backend';
import { envValue } from './config';
import { geminiCliModel, resolveGeminiCliSettings } from './gemini/backend';
import { openAiModelFromEnv } from './openai-http';
import { openCodeCliModel, resolveOpenCodeCliSettings } from './opencode/backend';
import { piCliModel, resolvePiCliSettings } from './pi/backend';
import { ModelConfigError, type ModelCall } from './types';

export const MODEL_BACKENDS = ['claude', 'codex', 'pi', 'gemini', 'copilot', 'opencode', 'openai'] as const;
export type ModelBackend = (typeof MODEL_BACKENDS)[number];

/** The configured backend's name; ModelConfigError (one line, naming the valid values) for anything else. */
export function modelBackendFromEnv(env: NodeJS.ProcessEnv = process.env): ModelBackend {
  const raw = envValue(env, 'SKILLOPT_MODEL_BACKEND');
  if (raw === undefined) return 'claude';
  const name = raw.toLowerCase();
  if ((MODEL_BACKENDS as readonly string[]).includes(name)) return name as ModelBackend;
  throw new ModelConfigError(
    `SKILLOPT_MODEL_BACKEND=${JSON.stringify(raw)} is not a model backend; valid values: ${MODEL_BACKENDS.join(', ')}`,
  );
}

/** The agent CLI a backend runs (`doctor` checks it answers `--version`); undefined for the HTTP backend. */
export interface BackendCli {
  bin: string;
  /** What to install: "Claude Code (`claude` on PATH)". */
  product: string;
  /** The variable that names another binary. */
  binVar: string;
}

export function backendCli(backend: ModelBackend, env: NodeJS.ProcessEnv = process.env): BackendCli | undefined {
  switch (backend) {
    case 'claude':
      return { bin: resolveClaudeCliSettings({ env }).bin, product: 'Claude Code (`claude` on PATH)', binVar: 'SKILLOPT_CLAUDE_BIN' };
    case 'codex':
      return { bin: resolveCodexCliSettings({ env }).bin, product: 'the Codex CLI (`codex` on PATH)', binVar: 'SKILLOPT_CODEX_BIN' };
    case 'pi':
      return { bin: resolvePiCliSettings({ env }).bin, product: 'the pi coding agent (`pi` on PATH)', binVar: 'SKILLOPT_PI_BIN' };
    case 'gemini':
      return { bin: resolveGeminiCliSettings({ env }).bin, product: 'Gemini CLI (`gemini` on PATH)', binVar: 'SKILLOPT_GEMINI_BIN' };
    case 'copilot':
      return { bin: resolveCopilotCliSettings({ env }).bin, product: 'GitHub Copilot CLI (`copilot` on PATH)', binVar: 'SKILLOPT_COPILOT_BIN' };
    case 'opencode':
      return { bin: resolveOpenCodeCliSettings({ env }).bin, product: 'OpenCode (`opencode` on PATH)', binVar: 'SKILLOPT_OPENCODE_BIN' };
    case 'openai':
      return undefined;
  }
}

/** The model backend the environment asks for. Configuration errors throw here, before any call is made. */
export function modelFromEnv(env: NodeJS.ProcessEnv = process.env): ModelCall {
  switch (modelBackendFromEnv(env)) {
    case 'claude':
      return claudeCliModel({ env });
    case 'codex':
      return codexCliModel({ env });
    case 'pi':
      return piCliModel({ env });
    case 'gemini':
      return geminiCliModel({ env });
    case 'copilot':
      return copilotCliModel({ env });
    case 'opencode':
      return openCodeCliModel({ env });
    case 'openai':
      return openAiModelFromEnv(env);
  }
}

export { claudeCliArgs, claudeCliModel, resolveClaudeCliSettings, type ClaudeCliOptions } from './claude/backend';
export { copilotCliArgs, copilotCliModel, resolveCopilotCliSettings, type CopilotCliOptions } from './copilot/backend';
export { codexCliCall, codexCliModel, resolveCodexCliSettings, type CodexCliOptions } from './codex/backend';
export { geminiCliArgs, geminiCliModel, resolveGeminiCliSettings, type GeminiCliOptions } from './gemini/backend';
export { openAiCompatibleModel, openAiModelFromEnv, type OpenAiCompatibleOptions } from './openai-http';
export { openCodeCliModel, resolveOpenCodeCliSettings, type OpenCodeCliOptions } from './opencode/backend';
export { piCliCall, piCliModel, resolvePiCliSettings, type PiCliOptions } from './pi/backend';
export { ModelCallError, ModelConfigError, type ModelCall, type ModelRequest, type ModelRole } from './types';
