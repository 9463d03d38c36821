// Codex's hooks in hooks.json, the same shape as Claude Code's settings (user:
// $CODEX_HOME/hooks.json, project: <cwd>/.codex/hooks.json), plus the trust
// Codex requires before it runs a hook (agents/codex/trust.ts). Codex has no
// SessionEnd (its windows close on the idle timer), no Skill tool (its shell
// reads SKILL.md) and no UserPromptExpansion (its UserPromptSubmit sees a
// `$skill` mention); it knows only a shell command line, and runs an `async`
// hook synchronously (docs/codex-cli.md).
import { join, resolve } from 'node:path';
import { checkHooksJson, hasSkilloptGroup, hookGroup, installHooksJson, isSkilloptHook, readHooks, shellCommandOf, uninstallHooksJson, type HooksJsonFormat, type Json, type JsonObject } from '../hooks-json';
import type { AgentSetup, HookInstallResult, SetupWhere } from '../setup';
import { codexHome } from './agent';
import { trustCodexHooks, untrustCodexHooks, untrustedHooks, type TrustedHook } from './trust';

export const codexHooks: HooksJsonFormat = {
  events: ['SessionStart', 'PreToolUse', 'UserPromptSubmit'],
  settingsPath: ({ scope, home, cwd, env }) => (scope === 'project' ? resolve(cwd, '.codex', 'hooks.json') : join(codexHome(env, home), 'hooks.json')),
  // Codex names its shell tool Bash (docs/codex-cli.md): only a shell command can read a SKILL.md.
  group: (event, entry) => hookGroup(event, { type: 'command', command: `${shellCommandOf(entry)} hook ${event} --agent codex` }, event === 'PreToolUse' ? 'Bash' : undefined),
};

/** skillopt's hooks in a Codex hooks.json, as Codex identifies them for trust: event, the group's place, matcher, handler. */
function skilloptCodexHooks(hooks: JsonObject): TrustedHook[] {
  return codexHooks.events.flatMap((event): TrustedHook[] => {
    const groups = (hooks[event] ?? []) as Json[];
    const groupIndex = groups.findIndex(hasSkilloptGroup);
    const group = groups[groupIndex] as JsonObject | undefined;
    const handler = (group?.hooks as Json[] | undefined)?.find(isSkilloptHook) as JsonObject | undefined;
    if (!group || !handler) return [];
    const matcher = typeof group.matcher === 'string' ? group.matcher : undefined;
    return [{ event, groupIndex, matcher, command: String(handler.command), timeout: typeof handler.timeout === 'number' ? handler.timeout : undefined }];
  });
}

/** Codex's user config.toml, where hook trust lives (for a project's hooks.json too). */
function codexConfigPath(where: Pick<SetupWhere, 'env' | 'home'>): string {
  return join(codexHome(where.env, where.home), 'config.toml');
}

/** Which of skillopt's Codex hooks config.toml does not trust as they stand (Codex skips those silently): `skillopt doctor`. */
export async function untrustedCodexHooks(where: Omit<SetupWhere, 'entry'>): Promise<{ configPath: string; untrusted: string[] }> {
  const settingsPath = codexHooks.settingsPath(where);
  const configPath = codexConfigPath(where);
  return { configPath, untrusted: await untrustedHooks(configPath, settingsPath, skilloptCodexHooks(await readHooks(settingsPath))) };
}

export const codexSetup: AgentSetup = {
  installs: "Codex's hooks.json (SessionStart, PreToolUse, UserPromptSubmit) with the trust Codex needs in its config.toml",
  setName: 'skillopt Codex hooks',
  async install(where) {
    const { result, hooks } = await installHooksJson(codexHooks, where);
    // Codex runs a hook only once its exact definition is trusted (docs/codex-cli.md, b): trust ours, here.
    const trust = await trustCodexHooks(codexConfigPath(where), result.settingsPath, skilloptCodexHooks(hooks));
    return trust.written ? { ...result, trustPath: trust.path, written: true } : result;
  },
  async uninstall(where) {
    const result: HookInstallResult = await uninstallHooksJson(codexHooks, where);
    const trust = await untrustCodexHooks(codexConfigPath(where), result.settingsPath);
    return trust.written ? { ...result, trustPath: trust.path, written: true } : result;
  },
  check: (where) =>
    checkHooksJson(codexHooks, where, { label: 'Codex', flag: ' --agent codex' }, async (installed) => {
      const { configPath, untrusted } = await untrustedCodexHooks({ ...where, scope: installed.scope });
      if (untrusted.length === 0) return undefined;
      return {
        ok: false,
        detail: `Codex skips ${untrusted.length} of skillopt's hooks: ${configPath} does not trust them as they stand in ${installed.settingsPath}`,
        fix: `run \`skillopt hooks install --agent codex --scope ${installed.scope}\``,
      };
    }),
  projectNote: (where, result) =>
    `Codex reads ${result.settingsPath} only in a trusted project: trust ${where.cwd} in Codex (it asks on first start) or add [projects."${where.cwd}"] trust_level = "trusted" to its config.toml`,
};
