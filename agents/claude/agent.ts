// Claude Code as the hooks see it (docs/claude-code.md): skills in
// ~/.claude/skills and <project>/.claude/skills (a personal skill wins a name);
// transcripts under <CLAUDE_CONFIG_DIR, else ~/.claude>/projects/<project>/<session id>.jsonl.
// A skill is used through the Skill tool (PreToolUse names it), or typed as
// `/<name>--<author>` (UserPromptExpansion, named by the prompt's id). Each
// prompt has an id (prompt_id, the transcript's promptId): the window of a
// reaction ends where that prompt starts, since Claude Code may have written
// it, and part of the answer, before the hook (which it does not wait for) runs.
import { join, resolve } from 'node:path';
import { expandHome, nonBlank, userHome } from '../../local/home';
import type { Agent } from '../agent';
import { promptStartOffset } from '../prompt-offset';
import { pulledSkillNamed } from '../skills-in-context';

export const claudeAgent: Agent = {
  id: 'claude_code',
  label: 'Claude Code',
  installRoots: ({ home, cwd }) => ({ user: resolve(home, '.claude', 'skills'), project: resolve(cwd, '.claude', 'skills') }),
  skillRoots(place) {
    const roots = claudeAgent.installRoots(place);
    return [roots.user, roots.project];
  },
  transcriptFolder: (env, cwd) => resolve(cwd, join(expandHome(nonBlank(env.CLAUDE_CONFIG_DIR) ?? join(userHome(env), '.claude'), env), 'projects')),
  // The Skill tool names the skill; it is an org skill when the folder Claude Code loads for it is one pull installed.
  skillCall(payload, skills) {
    const skill = payload.tool_input?.skill;
    if (payload.tool_name !== 'Skill' || typeof skill !== 'string') return 'not-skill-tool';
    return pulledSkillNamed(claudeAgent, skill, skills);
  },
  // UserPromptExpansion: the user typed `/<name>--<author>`, so Claude Code expands the skill into the prompt
  // without a Skill tool call (docs/claude-code.md); UserPromptSubmit, which runs after it for the same prompt,
  // then does not count that prompt as a reaction to it.
  promptInvocation(payload, skills) {
    if (payload.expansion_type !== 'slash_command' || !payload.command_name) return undefined;
    const call = pulledSkillNamed(claudeAgent, payload.command_name, skills);
    return typeof call === 'string' ? undefined : { ...call, id: payload.prompt_id ?? '' };
  },
  reactionOffset: (payload) => promptStartOffset(payload.transcript_path, payload.prompt_id),
};
