// pi (npm @mariozechner/pi-coding-agent) as the hooks see it (docs/pi.md).
// Its agent folder is PI_CODING_AGENT_DIR, else ~/.pi/agent. Skills load from
// the project first, <cwd>/.pi/skills then <dir>/.agents/skills for the
// working folder and each parent up to the git root, then the user's
// <agent dir>/skills and ~/.agents/skills; the first skill of a name wins.
// Sessions are JSONL under PI_CODING_AGENT_SESSION_DIR, else <agent dir>/sessions.
// skillopt's pi extension (hooks/pi-extension.ts) turns pi's events into the
// hooks' payloads: a `read` tool's result, named by its tool-call id, uses a
// skill when it read `<root>/<name>--<author>/SKILL.md` of a folder pull
// installed; a prompt typed as `/skill:<name>--<author>` invokes it too. pi has
// not written a prompt when its `input` event runs, so a reaction's window ends
// at the session file's size then.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { skillFilesInCommand } from '../../core/skill-path';
import { expandHome, nonBlank, userHome } from '../../local/home';
import type { Agent } from '../agent';
import { sharedSkillRoots } from '../shared-skills';
import { fileSize } from '../prompt-offset';
import { pulledSkillAt, pulledSkillNamed } from '../skills-in-context';

/** pi's agent folder: PI_CODING_AGENT_DIR (`~` expanded), else <home>/.pi/agent. */
export function piAgentDir(env: NodeJS.ProcessEnv, home = userHome(env), cwd = process.cwd()): string {
  const dir = nonBlank(env.PI_CODING_AGENT_DIR);
  return dir ? resolve(cwd, expandHome(dir, env)) : join(home, '.pi', 'agent');
}

/** `<dir>/.agents/skills` for the working folder and each parent, up to the git root (or the file system's root outside a repo). */
function ancestorAgentsSkills(cwd: string): string[] {
  const dirs: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    dirs.push(join(dir, '.agents', 'skills'));
    if (existsSync(join(dir, '.git')) || dirname(dir) === dir) break;
  }
  // Outside a repository pi walks to the root; inside one it stops at the repository's root (the first .git met).
  return dirs;
}

export const piAgent: Agent = {
  id: 'pi',
  label: 'pi',
  installRoots: ({ home, cwd, env }) => ({ user: join(piAgentDir(env, home), 'skills'), project: resolve(cwd, '.pi', 'skills') }),
  skillRoots(place) {
    const own = piAgent.installRoots(place);
    const shared = sharedSkillRoots(place).user;
    return [own.project, ...ancestorAgentsSkills(place.cwd).filter((dir) => dir !== shared), own.user, shared];
  },
  transcriptFolder: (env, cwd) => resolve(cwd, expandHome(nonBlank(env.PI_CODING_AGENT_SESSION_DIR) ?? join(piAgentDir(env, userHome(env), cwd), 'sessions'), env)),
  // pi's skills prompt has the model `read` SKILL.md; a model may `cat` it through `bash` instead.
  skillCall(payload, skills) {
    const input = payload.tool_input;
    const files =
      payload.tool_name === 'read' && typeof input?.path === 'string'
        ? // pi's read drops one leading `@` (a model may copy pi's `@file` syntax), then expands `~`.
          [input.path.replace(/^@/, '')].filter((path) => /(?:^|[/\\])SKILL\.md$/.test(path))
        : payload.tool_name === 'bash' && typeof input?.command === 'string'
          ? skillFilesInCommand(input.command)
          : undefined;
    if (!files?.length) return 'not-skill-tool';
    return pulledSkillAt(files, skills) ?? 'not-org-skill';
  },
  // `/skill:<name>--<author> [args]`: pi puts the skill's body into the prompt, no tool call.
  promptInvocation(payload, skills) {
    const named = /^\/skill:(\S+)/.exec(payload.prompt ?? '')?.[1];
    if (!named || !payload.prompt_id) return undefined;
    const call = pulledSkillNamed(piAgent, named, skills);
    return typeof call === 'string' ? undefined : { ...call, id: payload.prompt_id };
  },
  reactionOffset: (payload) => fileSize(payload.transcript_path),
};
