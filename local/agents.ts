// The coding agents skillopt works with, and where each keeps what skillopt
// touches: the skills folders it loads, its hook configuration. One table, read
// by the hooks, pull and `hooks install`. Only Node built-ins: on every hook's path.
//
//   claude  Claude Code: ~/.claude/skills and <project>/.claude/skills;
//           hooks in ~/.claude/settings.json (or the project's)
//   codex   Codex CLI: $CODEX_HOME/skills (default ~/.codex/skills) and
//           <cwd>/.codex/skills; hooks in $CODEX_HOME/hooks.json (or
//           <cwd>/.codex/hooks.json, loaded only in a trusted project)
import { join, resolve } from 'node:path';
import { expandHome, userHome } from './home';

export const AGENT_NAMES = ['claude', 'codex'] as const;
export type AgentName = (typeof AGENT_NAMES)[number];

/** The `agent` recorded with invocations and attributions (the store's, the search attributes'). */
export const AGENT_IDS: Record<AgentName, string> = { claude: 'claude_code', codex: 'codex' };

export function isAgentName(value: unknown): value is AgentName {
  return typeof value === 'string' && (AGENT_NAMES as readonly string[]).includes(value);
}

/** Codex's home: CODEX_HOME (relative to `cwd`), else <home>/.codex (home: the user's, from the environment unless given). */
export function codexHome(env: NodeJS.ProcessEnv = process.env, home = userHome(env), cwd = process.cwd()): string {
  const given = env.CODEX_HOME?.trim();
  return given ? resolve(cwd, expandHome(given, env)) : join(home, '.codex');
}

export interface SkillRoots {
  /** The user's own skills folder. */
  user: string;
  /** The project's (the session's working folder). */
  project: string;
}

/** Where `agent` loads skills from. `home`: the user's home (Claude Code); Codex's user root follows CODEX_HOME. */
export function agentSkillRoots(agent: AgentName, where: { home: string; cwd: string; env?: NodeJS.ProcessEnv }): SkillRoots {
  if (agent === 'codex') {
    return { user: join(codexHome(where.env, where.home), 'skills'), project: resolve(where.cwd, '.codex', 'skills') };
  }
  return { user: resolve(where.home, '.claude', 'skills'), project: resolve(where.cwd, '.claude', 'skills') };
}
