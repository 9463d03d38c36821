// GitHub Copilot CLI (npm @github/copilot) as the hooks see it
// (docs/copilot-cli.md). Its home is COPILOT_HOME, else ~/.copilot. Skills load
// from the project first (<cwd>/.github/skills, .agents/skills, .claude/skills,
// then the same at the git root), then <home>/skills, then ~/.agents/skills only
// while COPILOT_HOME is unset or literally ~/.copilot, then COPILOT_SKILLS_DIRS;
// the first skill of a name wins. Sessions log to
// <home>/session-state/<session id>/events.jsonl.
//
// skillopt's hooks are command hooks in <home>/hooks/skillopt.json
// (agents/copilot/setup.ts). Copilot sends them its own camelCase JSON, turned
// into the hooks' payload here: a skill use is a `skill` tool call `{skill:
// <name>}` (its postToolUse: the skill loaded); a skill the user types as
// `/<name>` in an interactive session arrives expanded in userPromptSubmitted.
// No payload carries a tool-call id, and the log that has it is written late
// (after postToolUse's hooks end), so an invocation is named by its postToolUse
// timestamp: the same in every run of the hook for that call, and the
// `input.timestamp` of its `hook.start` record in the log, which the judge's
// reader (agents/copilot/transcript.ts) maps to the call's id. Copilot waits for
// userPromptSubmitted before it logs the prompt, so a reaction's window ends at
// the log's size then. It runs sessionStart beside userPromptSubmitted, so on a
// resume the prompt's hook may run first: the prompt reopens the session's window
// itself (promptReopensSession).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { expandHome, nonBlank, userHome } from '../../local/home';
import type { Agent } from '../agent';
import type { HookPayload } from '../hook-payload';
import { fileSize } from '../prompt-offset';
import { pulledSkillNamed } from '../skills-in-context';

/** Copilot's home: COPILOT_HOME (`~` expanded, relative to `cwd`), else <home>/.copilot. */
export function copilotHome(env: NodeJS.ProcessEnv, home = userHome(env), cwd = process.cwd()): string {
  const given = nonBlank(env.COPILOT_HOME);
  return given ? resolve(cwd, expandHome(given, env)) : join(home, '.copilot');
}

/** The git root above `cwd` (the first folder with a .git), or undefined outside a repository. */
function gitRoot(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

const PROJECT_SKILL_DIRS = [['.github', 'skills'], ['.agents', 'skills'], ['.claude', 'skills']] as const;

/** The prefix Copilot puts before a skill the user typed as `/<name> [args]` (docs/copilot-cli.md §1). */
const EXPANDED_SKILL = /^The user explicitly invoked the "\/([^"\s]+)" skill\./;
const EXPANDED_ARGUMENTS = /\n\nARGUMENTS: ([\s\S]*?)\n<\/skill-context>\s*$/;

/** What the user typed for an expanded `/<name> [args]` prompt, or the prompt as it came. */
function typedPrompt(prompt: string): { prompt: string; skill?: string } {
  const skill = EXPANDED_SKILL.exec(prompt)?.[1];
  if (!skill) return { prompt };
  const args = EXPANDED_ARGUMENTS.exec(prompt)?.[1]?.trim();
  return { prompt: args ? `/${skill} ${args}` : `/${skill}`, skill };
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The hooks' payload from Copilot's camelCase hook JSON (userPromptSubmitted, postToolUse, sessionStart, sessionEnd). */
export function copilotHookPayload(data: unknown, env: NodeJS.ProcessEnv = process.env): HookPayload | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const raw = data as Record<string, unknown>;
  const sessionId = str(raw.sessionId);
  const cwd = str(raw.cwd);
  const stamp = typeof raw.timestamp === 'number' && Number.isFinite(raw.timestamp) ? String(raw.timestamp) : undefined;
  const payload: HookPayload = {};
  if (sessionId) {
    payload.session_id = sessionId;
    // The log is always there (docs/copilot-cli.md §2): only agentStop's payload names it.
    payload.transcript_path = join(copilotHome(env, userHome(env), cwd), 'session-state', sessionId, 'events.jsonl');
  }
  if (cwd) payload.cwd = cwd;
  // sessionStart: new | resume (startup, as Claude Code calls a new session).
  const source = str(raw.source);
  if (source) payload.source = source === 'new' ? 'startup' : source;
  const reason = str(raw.reason);
  if (reason) payload.reason = reason;
  const prompt = str(raw.prompt);
  if (prompt !== undefined) {
    const typed = typedPrompt(prompt);
    payload.prompt = typed.prompt;
    if (typed.skill) payload.command_name = typed.skill;
    if (stamp) payload.prompt_id = `userPromptSubmitted@${stamp}`;
  }
  const toolName = str(raw.toolName);
  if (toolName) {
    payload.tool_name = toolName;
    const args = raw.toolArgs;
    if (typeof args === 'object' && args !== null && !Array.isArray(args)) payload.tool_input = args as Record<string, unknown>;
    if (stamp) payload.tool_use_id = copilotInvocationId(stamp);
  }
  return payload;
}

/** The id an invocation is pinned by: its postToolUse hook's timestamp (see the top of this file). */
export function copilotInvocationId(timestamp: string | number): string {
  return `postToolUse@${timestamp}`;
}

export const copilotAgent: Agent = {
  id: 'copilot',
  label: 'Copilot CLI',
  installRoots: ({ home, cwd, env }) => ({ user: join(copilotHome(env, home), 'skills'), project: resolve(cwd, '.github', 'skills') }),
  skillRoots({ home, cwd, env }) {
    const folders = [resolve(cwd)];
    const root = gitRoot(cwd);
    if (root && root !== folders[0]) folders.push(root);
    const roots = folders.flatMap((dir) => PROJECT_SKILL_DIRS.map((parts) => join(dir, ...parts)));
    const copilot = copilotHome(env, home);
    roots.push(join(copilot, 'skills'));
    // ~/.agents/skills only while COPILOT_HOME is unset or names ~/.copilot as written (a link to it does not count).
    const userDir = nonBlank(env.HOME) ?? home;
    if (copilot === join(userDir, '.copilot')) roots.push(join(userDir, '.agents', 'skills'));
    for (const dir of (env.COPILOT_SKILLS_DIRS ?? '').split(',').map((d) => d.trim()).filter(Boolean)) roots.push(resolve(cwd, expandHome(dir, env)));
    return [...new Set(roots)];
  },
  transcriptFolder: (env, cwd) => join(copilotHome(env, userHome(env), cwd), 'session-state'),
  // The `skill` tool names the skill; only a call that loaded it reaches postToolUse (an unknown name is postToolUseFailure).
  skillCall(payload, skills) {
    const skill = payload.tool_input?.skill;
    if (payload.tool_name !== 'skill' || typeof skill !== 'string') return 'not-skill-tool';
    return pulledSkillNamed(copilotAgent, skill, skills);
  },
  // `/<name>--<author> [args]` typed in an interactive session: Copilot expands the skill into the prompt, no tool call.
  promptInvocation(payload, skills) {
    if (!payload.command_name || !payload.prompt_id) return undefined;
    const call = pulledSkillNamed(copilotAgent, payload.command_name, skills);
    return typeof call === 'string' ? undefined : { ...call, id: payload.prompt_id };
  },
  reactionOffset: (payload) => fileSize(payload.transcript_path),
  hookPayload: (data) => copilotHookPayload(data),
  // sessionStart and userPromptSubmitted run side by side (docs/copilot-cli.md §2): on a resume either may go first.
  promptReopensSession: true,
};
