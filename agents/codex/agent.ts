// Codex CLI as the hooks see it (docs/codex-cli.md): skills in
// $CODEX_HOME/skills (default ~/.codex/skills) and <cwd>/.codex/skills, and the
// agents' shared folder (~/.agents/skills, <cwd>/.agents/skills);
// transcripts are rollouts under $CODEX_HOME/sessions/YYYY/MM/DD/. Codex has no
// Skill tool: the model reads SKILL.md through its shell (PreToolUse, tool
// Bash), or the prompt names the skill as `$<name>--<author>` and Codex injects
// it (UserPromptSubmit, named by its turn). Codex waits for its hooks, so a
// reaction's window ends at the transcript's size when the hook runs.
import { join, resolve } from 'node:path';
import { skillFilesInCommand } from '../../core/skill-path';
import { tryParseSkillRef, type SkillRef } from '../../core/skill-ref';
import { expandHome, userHome } from '../../local/home';
import type { Agent } from '../agent';
import { sharedSkillRoots } from '../shared-skills';
import { fileSize } from '../prompt-offset';
import { pulledSkillAt, pulledSkillNamed } from '../skills-in-context';

/** Codex's home: CODEX_HOME (relative to `cwd`), else <home>/.codex (home: the user's, from the environment unless given). */
export function codexHome(env: NodeJS.ProcessEnv = process.env, home = userHome(env), cwd = process.cwd()): string {
  const given = env.CODEX_HOME?.trim();
  return given ? resolve(cwd, expandHome(given, env)) : join(home, '.codex');
}

export const codexAgent: Agent = {
  id: 'codex',
  label: 'Codex',
  installRoots: ({ home, cwd, env }) => ({ user: join(codexHome(env, home), 'skills'), project: resolve(cwd, '.codex', 'skills') }),
  // Also the agents' shared folder, user and project (docs/codex-cli.md d).
  skillRoots(place) {
    const own = codexAgent.installRoots(place);
    const shared = sharedSkillRoots(place);
    return [own.user, own.project, shared.user, shared.project];
  },
  transcriptFolder: (env, cwd) => join(codexHome(env, userHome(env), cwd), 'sessions'),
  // The call uses an org skill when its command names `<root>/<name>--<author>/SKILL.md` and pull installed that very folder.
  skillCall(payload, skills) {
    const command = payload.tool_input?.command;
    if (payload.tool_name !== 'Bash' || typeof command !== 'string') return 'not-skill-tool';
    const files = skillFilesInCommand(command);
    if (files.length === 0) return 'not-skill-tool';
    return pulledSkillAt(files, skills) ?? 'not-org-skill';
  },
  // `$<name>--<author>` in the prompt: the last one named that is a pulled install in a root Codex loads wins,
  // as a later Skill call takes over the window.
  promptInvocation(payload, skills) {
    if (!payload.turn_id) return undefined;
    const mentioned = [...(payload.prompt ?? '').matchAll(/(?<![\w$])\$([a-z0-9][a-z0-9-]*--[A-Za-z0-9_.@-]+)/g)]
      .map((m) => tryParseSkillRef(m[1]!.replace(/[.]+$/, '')))
      .filter((r): r is SkillRef => r !== undefined);
    for (const ref of mentioned.reverse()) {
      const call = pulledSkillNamed(codexAgent, `${ref.name}--${ref.author}`, skills);
      if (typeof call !== 'string') return { ...call, id: payload.turn_id };
    }
    return undefined;
  },
  reactionOffset: (payload) => fileSize(payload.transcript_path),
};
