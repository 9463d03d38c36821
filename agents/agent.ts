// One coding agent as the hooks see it: where it loads skills from, where its
// transcripts are, and how its hook events name a skill's use. Each agent's
// agents/<name>/agent.ts implements it; agents/registry.ts lists them. Node
// built-ins only: this is on every hook's path.
import type { Manifest, ManifestEntry } from '../core/manifest';
import type { SkillRef } from '../core/skill-ref';
import type { HookPayload } from './hook-payload';

/** Where the agent runs: the user's home, the session's working folder, the environment (CODEX_HOME, …). */
export interface AgentPlace {
  home: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface SkillRoots {
  /** The user's own skills folder. */
  user: string;
  /** The project's (the session's working folder). */
  project: string;
}

/** What a hook knows of the skills on this machine: pull's manifest, read only when needed, and where the session is. */
export interface PulledSkills {
  manifest(): Manifest | undefined;
  place: AgentPlace;
}

/** The org skill a call uses, with the install the session has it from; or why it is none. */
export type SkillCall = { ref: SkillRef; install: ManifestEntry } | 'not-skill-tool' | 'not-org-skill';

/** A prompt that invokes an org skill itself, named by `id` (the prompt's or its turn's). */
export interface PromptInvocation {
  ref: SkillRef;
  install: ManifestEntry;
  id: string;
}

export interface Agent {
  /** The `agent` recorded with invocations and attributions (the store's, the search attributes'). */
  id: string;
  /** How people call it: "Claude Code". */
  label: string;
  /** The folders `pull --agent <name>` installs into. */
  installRoots(place: AgentPlace): SkillRoots;
  /** Every folder it loads skills from, the one whose skill wins a name first. */
  skillRoots(place: AgentPlace): string[];
  /** The folder its transcripts are under, on the machine whose environment this is. */
  transcriptFolder(env: NodeJS.ProcessEnv, cwd: string): string;
  /** A tool call (or, for pi, a tool's result) that uses an org skill. */
  skillCall(payload: HookPayload, skills: PulledSkills): SkillCall;
  /** A prompt that invokes an org skill without a tool call (`/<skill>`, `$<skill>`, `/skill:<skill>`). */
  promptInvocation(payload: HookPayload, skills: PulledSkills): PromptInvocation | undefined;
  /** Where a reaction's window ends in the transcript: where the prompt starts, or the file's size. */
  reactionOffset(payload: HookPayload): number;
  /**
   * The hooks' payload from the JSON the agent's hook command got on stdin, for an agent whose hooks send
   * another shape than Claude Code's (field names, ids); undefined when it is not one. Without it, payloadFrom.
   */
  hookPayload?(data: unknown): HookPayload | undefined;
  /**
   * The agent runs SessionStart's hook side by side with the first prompt's (Copilot CLI), so on a resume the
   * prompt's hook may find the window still marked ended: a prompt in a session proves it was resumed, and
   * reopens the window as SessionStart would (within the same grace). Unset: a prompt after SessionEnd sends nothing.
   */
  promptReopensSession?: boolean;
}
