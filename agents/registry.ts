// The coding agents skillopt works with, by the name commands use
// (`--agent claude|codex|pi`, `hook <Event> --agent <name>`). Each is one
// module, agents/<name>/: agent.ts (what the hooks need: skill roots,
// transcript folder, how its events name a skill's use), setup.ts (install,
// uninstall and check of its hooks or extension, listed in agents/setups.ts),
// backend.ts (the headless judge and proposer, in agents/model-backend.ts) and,
// where it has its own transcript format, transcript.ts (agents/transcripts.ts).
// Node built-ins only: on every hook's path.
import { claudeAgent } from './claude/agent';
import { codexAgent } from './codex/agent';
import { piAgent } from './pi/agent';
import type { Agent, AgentPlace, SkillRoots } from './agent';

export const AGENTS = { claude: claudeAgent, codex: codexAgent, pi: piAgent } satisfies Record<string, Agent>;
export type AgentName = keyof typeof AGENTS;
export const AGENT_NAMES = Object.keys(AGENTS) as AgentName[];

export type { Agent, AgentPlace, SkillRoots };

export function isAgentName(value: unknown): value is AgentName {
  return typeof value === 'string' && Object.hasOwn(AGENTS, value);
}

/** The `agent` recorded with invocations, by name. */
export function agentId(agent: AgentName): string {
  return AGENTS[agent].id;
}

/** The folders `pull --agent <agent>` installs into. */
export function agentInstallRoots(agent: AgentName, place: AgentPlace): SkillRoots {
  return AGENTS[agent].installRoots(place);
}

/**
 * The transcript folders of every agent, absolute, on the machine whose
 * environment this is: the only places the judge reads (DESIGN.md "Rules every
 * part keeps"). Anyone who can signal a workflow can name a path; the worker
 * reads it only when it resolves into one of these, and only *.jsonl files.
 */
export function agentTranscriptRoots(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string[] {
  return AGENT_NAMES.map((name) => AGENTS[name].transcriptFolder(env, cwd));
}
