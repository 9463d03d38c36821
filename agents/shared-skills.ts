// The agents' shared skills folder (`pull --agent agents`): ~/.agents/skills
// (project: ./.agents/skills), which Codex, pi and most other agents read
// besides their own, so one pull serves them all. Not an agent: it has no hooks.
import { join, resolve } from 'node:path';
import type { AgentPlace, SkillRoots } from './agent';

export const SHARED_SKILLS = 'agents';

export function sharedSkillRoots({ home, cwd, env }: AgentPlace): SkillRoots {
  // As the agents resolve it: $HOME, else the account's home.
  return { user: join(env.HOME?.trim() || home, '.agents', 'skills'), project: resolve(cwd, '.agents', 'skills') };
}
