// OpenCode (npm opencode-ai) as the hooks see it (docs/opencode.md). Its
// config folder is $XDG_CONFIG_HOME/opencode (default ~/.config/opencode), its
// data folder $XDG_DATA_HOME/opencode (default ~/.local/share/opencode), where
// sessions are rows of the SQLite database opencode.db (OPENCODE_DB, absolute
// or relative to the data folder, overrides it). Skills load from the config
// folder's skills/ and skill/, every .opencode/skill(s) from the working
// folder up to the git root, ~/.opencode/skill(s), ~/.claude/skills,
// ~/.agents/skills and the project's .claude/skills and .agents/skills; when a
// name is in several, which copy loads is a race (docs/opencode.md §1), so the
// order below is only the one doctor reports. skillopt's plugin
// (hooks/opencode-plugin.ts) turns OpenCode's hooks into the hooks' payloads: a
// use is the native `skill` tool's result, named by the model's tool-call id,
// with the folder OpenCode loaded it from; OpenCode has no prompt that invokes a
// skill itself. A reaction's window ends at the time of the prompt (the
// session is rows, not a file: the judge reads the rows written before it).
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { expandHome, nonBlank, userHome } from '../../local/home';
import type { Agent, AgentPlace } from '../agent';
import { sharedSkillRoots } from '../shared-skills';
import { pulledSkillAt, pulledSkillNamed } from '../skills-in-context';

/** OpenCode's boolean flags take `1` or `true`. */
const flag = (env: NodeJS.ProcessEnv, name: string): boolean => env[name] === '1' || env[name]?.toLowerCase() === 'true';

/** <XDG_CONFIG_HOME or ~/.config>/opencode: the global config, plugins/ and skills/. */
export function openCodeConfigDir(env: NodeJS.ProcessEnv, home = userHome(env)): string {
  return join(nonBlank(env.XDG_CONFIG_HOME) ?? join(home, '.config'), 'opencode');
}

/** <XDG_DATA_HOME or ~/.local/share>/opencode: the session database and logs. */
export function openCodeDataDir(env: NodeJS.ProcessEnv, home = userHome(env)): string {
  return join(nonBlank(env.XDG_DATA_HOME) ?? join(home, '.local', 'share'), 'opencode');
}

/** The session database: OPENCODE_DB (absolute, or relative to the data folder), else <data>/opencode.db (the npm release's channel). */
export function openCodeDatabasePath(env: NodeJS.ProcessEnv, home = userHome(env)): string {
  const named = nonBlank(env.OPENCODE_DB);
  const data = openCodeDataDir(env, home);
  if (named === undefined || named === ':memory:') return join(data, 'opencode.db');
  const path = expandHome(named, env);
  return isAbsolute(path) ? path : join(data, path);
}

/** `<dir>/<name>` for the working folder and each parent, up to the git root (outside a repository: the file system's root). */
function upToWorktree(cwd: string, ...names: string[][]): string[] {
  const dirs: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of names) dirs.push(join(dir, ...name));
    if (existsSync(join(dir, '.git')) || dirname(dir) === dir) break;
  }
  return dirs;
}

export const openCodeAgent: Agent = {
  id: 'opencode',
  label: 'OpenCode',
  installRoots: ({ home, cwd, env }) => ({ user: join(openCodeConfigDir(env, home), 'skills'), project: resolve(cwd, '.opencode', 'skills') }),
  skillRoots(place: AgentPlace) {
    const { home, cwd, env } = place;
    const config = openCodeConfigDir(env, home);
    const shared = sharedSkillRoots(place).user;
    const external = !flag(env, 'OPENCODE_DISABLE_EXTERNAL_SKILLS');
    const claude = external && !flag(env, 'OPENCODE_DISABLE_CLAUDE_CODE_SKILLS') && !flag(env, 'OPENCODE_DISABLE_CLAUDE_CODE');
    const configDir = nonBlank(env.OPENCODE_CONFIG_DIR);
    const roots = [
      ...(flag(env, 'OPENCODE_DISABLE_PROJECT_CONFIG') ? [] : upToWorktree(cwd, ['.opencode', 'skills'], ['.opencode', 'skill'])),
      ...(external ? upToWorktree(cwd, ...(claude ? [['.claude', 'skills']] : []), ['.agents', 'skills']) : []),
      join(config, 'skills'),
      join(config, 'skill'),
      ...(configDir ? [join(resolve(cwd, expandHome(configDir, env)), 'skills'), join(resolve(cwd, expandHome(configDir, env)), 'skill')] : []),
      join(home, '.opencode', 'skills'),
      join(home, '.opencode', 'skill'),
      ...(claude ? [join(home, '.claude', 'skills')] : []),
      ...(external ? [shared] : []),
    ];
    return [...new Set(roots)];
  },
  transcriptFolder: (env) => dirname(openCodeDatabasePath(env)),
  // The `skill` tool's result: `{name}` as the model called it, and the folder OpenCode loaded (its metadata.dir).
  skillCall(payload, skills) {
    if (payload.tool_name !== 'skill') return 'not-skill-tool';
    const { name, dir } = payload.tool_input ?? {};
    if (typeof dir === 'string' && dir !== '') return pulledSkillAt([join(dir, 'SKILL.md')], skills) ?? 'not-org-skill';
    return typeof name === 'string' ? pulledSkillNamed(openCodeAgent, name, skills) : 'not-org-skill';
  },
  // `opencode run` and the TUI send a prompt as typed: a skill reaches the model only through the `skill` tool.
  promptInvocation: () => undefined,
  // The session's rows written before now: the prompt's own row, if written already, is the reaction the judge drops.
  reactionOffset: () => Date.now(),
};
