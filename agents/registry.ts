// The coding agents skillopt works with, by the name commands use
// (`--agent claude|codex|pi|gemini|copilot|opencode`, `hook <Event> --agent <name>`). Each is one
// module, agents/<name>/: agent.ts (what the hooks need: skill roots,
// transcript folder, how its events name a skill's use), setup.ts (install,
// uninstall and check of its hooks or extension, listed in agents/setups.ts),
// backend.ts (the headless judge and proposer, in agents/model-backend.ts) and,
// where it has its own transcript format, transcript.ts (agents/transcripts.ts).
// Node built-ins only: on every hook's path.
import { claudeAgent } from './claude/agent';
import { codexAgent } from './codex/agent';
import { geminiAgent } from './gemini/agent';
import { copilotAgent } from './copilot/agent';
import { openCodeAgent } from './opencode/agent';
import { piAgent } from './pi/agent';
import type { Agent, AgentPlace, SkillRoots } from './agent';
import { SHARED_SKILLS, sharedSkillRoots } from './shared-skills';

export { SHARED_SKILLS, sharedSkillRoots };

export const AGENTS = { claude: claudeAgent, codex: codexAgent, pi: piAgent, gemini: geminiAgent, copilot: copilotAgent, opencode: openCodeAgent } satisfies Record<string, Agent>;
export type AgentName = keyof typeof AGENTS;
export const AGENT_NAMES = Object.keys(AGENTS) as AgentName[];

export type { Agent, AgentPlace, SkillRoots };

export function isAgentName(value: unknown): value is AgentName {
  return typeof value === 'string' && Object.hasOwn(AGENTS, value);
}

/** Where `pull --agent` installs: one agent's own folder, or the shared one. */
export type PullTarget = AgentName | typeof SHARED_SKILLS;
export const PULL_TARGETS: readonly PullTarget[] = [...AGENT_NAMES, SHARED_SKILLS];

export function isPullTarget(value: unknown): value is PullTarget {
  return value === SHARED_SKILLS || isAgentName(value);
}

/** The folders `pull --agent <target>` installs into. */
export function agentInstallRoots(target: PullTarget, place: AgentPlace): SkillRoots {
  return target === SHARED_SKILLS ? sharedSkillRoots(place) : AGENTS[target].installRoots(place);
}

/** The agents that load skills from `root` (absolute) in a session at `place`. */
export function agentsReading(root: string, place: AgentPlace): AgentName[] {
  return AGENT_NAMES.filter((name) => AGENTS[name].skillRoots(place).includes(root));
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
