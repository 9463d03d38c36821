// skillopt's Copilot CLI hooks: one hooks file of its own, skillopt.json, in
// the folder Copilot reads hooks files from (user: <COPILOT_HOME>/hooks, which
// Copilot runs with no trust step; project: <cwd>/.github/hooks, which it runs
// only in a trusted folder). The user's own hooks files and settings are never
// opened. Copilot's events map onto skillopt's: sessionStart → SessionStart,
// userPromptSubmitted → UserPromptSubmit, postToolUse of the `skill` tool →
// PreToolUse (a skill use), sessionEnd → SessionEnd. Copilot waits for every
// hook (docs/copilot-cli.md §2), so each is the small hook entry and whatever it
// starts detaches with its streams redirected (hooks/spawn.ts).
// Install writes the file or rewrites it; uninstall removes it when it is
// skillopt's (every hook in it is skillopt's); a file of that name that is not is
// refused, never overwritten.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { atomicWriteFile, readTextIfExists } from '../../local/fs';
import { defaultHookEntry, hookCommandFile, isObject, isSkilloptHookCommand, shellCommandOf, type HookEvent, type JsonObject } from '../hooks-json';
import { HookSettingsError, type AgentSetup, type HookScope, type SetupWhere } from '../setup';
import { copilotHome } from './agent';

/** Copilot's event for each of skillopt's. */
export const COPILOT_EVENTS: Partial<Record<HookEvent, string>> = {
  SessionStart: 'sessionStart',
  UserPromptSubmit: 'userPromptSubmitted',
  PreToolUse: 'postToolUse',
  SessionEnd: 'sessionEnd',
};

/**
 * Copilot's own timeout per hook, in seconds: a safety net (each hook stops itself far sooner). SessionStart's
 * covers the hook's own watchdog; the others only touch local files.
 */
const TIMEOUT_SECONDS: Partial<Record<HookEvent, number>> = { SessionStart: 30, UserPromptSubmit: 10, PreToolUse: 10, SessionEnd: 10 };

/** Only the `skill` tool uses a skill: other tools never start the hook (Copilot waits for each one it runs). */
const MATCHERS: Partial<Record<HookEvent, string>> = { PreToolUse: 'skill' };

export function copilotHooksPath({ scope, home, cwd, env }: Omit<SetupWhere, 'entry'>): string {
  return scope === 'project' ? resolve(cwd, '.github', 'hooks', 'skillopt.json') : join(copilotHome(env, home), 'hooks', 'skillopt.json');
}

/** The hooks file skillopt writes for `entry` (the program and arguments before `hook <Event>`). */
export function copilotHooksFile(entry: readonly string[]): JsonObject {
  return hooksFileRunning(shellCommandOf(entry));
}

/** The hooks file whose commands are `<command> hook <Event> --agent copilot`. */
function hooksFileRunning(command: string): JsonObject {
  const hooks: JsonObject = {};
  for (const [event, copilotEvent] of Object.entries(COPILOT_EVENTS) as [HookEvent, string][]) {
    const matcher = MATCHERS[event];
    hooks[copilotEvent] = [
      {
        type: 'command',
        bash: `${command} hook ${event} --agent copilot`,
        timeoutSec: TIMEOUT_SECONDS[event] ?? 10,
        ...(matcher ? { matcher } : {}),
      },
    ];
  }
  return { version: 1, hooks };
}

const fileText = (file: JsonObject): string => `${JSON.stringify(file, null, 2)}\n`;

/** The commands of every hook in a hooks file's text; undefined when it is not a hooks file. */
function commandsOf(text: string): string[] | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(data) || !isObject(data.hooks)) return undefined;
  const commands: string[] = [];
  for (const handlers of Object.values(data.hooks)) {
    if (!Array.isArray(handlers)) return undefined;
    for (const handler of handlers) {
      const command = isObject(handler) ? (handler.bash ?? handler.command) : undefined;
      if (typeof command !== 'string') return undefined;
      commands.push(command);
    }
  }
  return commands;
}

/** The file's hook commands when it is skillopt's (every hook in it is); throws when a file of that name is not. */
async function readOurs(path: string): Promise<{ text: string | undefined; commands: string[] }> {
  const text = await readTextIfExists(path);
  if (text === undefined) return { text, commands: [] };
  const commands = commandsOf(text);
  if (!commands || !commands.every(isSkilloptHookCommand)) {
    throw new HookSettingsError(`${path} is not skillopt's Copilot hooks file; move it away first, skillopt will not overwrite it`);
  }
  return { text, commands };
}

/** The entry before ` hook <Event> --agent copilot`. */
const entryOf = (command: string): string => command.replace(/\s+hook\s+\S+(?:\s+--agent\s+\S+)?\s*$/, '');

const otherScope = (scope: HookScope): HookScope => (scope === 'user' ? 'project' : 'user');

async function holdsOurs(path: string): Promise<boolean> {
  try {
    return (await readOurs(path)).commands.length > 0;
  } catch {
    return false;
  }
}

/** The settings file that turns every hook off (the user's, or the project's, which counts in a trusted folder); undefined when none does. */
async function hooksTurnedOff({ env, home, cwd }: Omit<SetupWhere, 'scope' | 'entry'>): Promise<string | undefined> {
  for (const path of [join(copilotHome(env, home), 'settings.json'), resolve(cwd, '.github', 'copilot', 'settings.json')]) {
    const text = await readTextIfExists(path).catch(() => undefined);
    try {
      const settings: unknown = text === undefined ? undefined : JSON.parse(text);
      if (isObject(settings) && settings.disableAllHooks === true) return path;
    } catch {
      // Not JSON: Copilot ignores it too.
    }
  }
  return undefined;
}

export const copilotSetup: AgentSetup = {
  installs: "Copilot CLI's hooks folder (skillopt.json: sessionStart, userPromptSubmitted, postToolUse of the skill tool, sessionEnd)",
  setName: 'skillopt Copilot hooks',
  async install(where) {
    const path = copilotHooksPath(where);
    const entry = where.entry ?? defaultHookEntry();
    if (entry.length === 0 || entry.some((word) => /[\r\n]/.test(word))) throw new HookSettingsError('the hook command must be one line');
    const wanted = fileText(copilotHooksFile(entry));
    const { text } = await readOurs(path);
    const written = text !== wanted;
    if (written) {
      await mkdir(dirname(path), { recursive: true });
      await atomicWriteFile(path, wanted);
    }
    const other = copilotHooksPath({ ...where, scope: otherScope(where.scope) });
    const alsoInstalledIn = other !== path && (await holdsOurs(other)) ? other : undefined;
    const changed = written ? (Object.keys(COPILOT_EVENTS) as HookEvent[]) : [];
    return { settingsPath: path, changed, written, ...(alsoInstalledIn ? { alsoInstalledIn } : {}) };
  },
  async uninstall(where) {
    const path = copilotHooksPath(where);
    const { text } = await readOurs(path);
    if (text === undefined) return { settingsPath: path, changed: [], written: false };
    await rm(path, { force: true });
    return { settingsPath: path, changed: Object.keys(COPILOT_EVENTS), written: true };
  },
  async check(where) {
    const found: { scope: HookScope; path: string; text: string; commands: string[] }[] = [];
    for (const scope of ['user', 'project'] as const) {
      const path = copilotHooksPath({ ...where, scope });
      if (found.some((f) => f.path === path)) continue;
      let ours: { text: string | undefined; commands: string[] };
      try {
        ours = await readOurs(path);
      } catch (err) {
        return { ok: false, detail: (err as Error).message, fix: `move ${path} away, then run \`skillopt hooks install --agent copilot --scope ${scope}\`` };
      }
      if (ours.text !== undefined) found.push({ scope, path, text: ours.text, commands: ours.commands });
    }
    if (found.length === 0) return undefined;
    if (found.length > 1) {
      return { ok: false, detail: `installed in ${found.map((f) => f.path).join(' and ')}: Copilot CLI runs each hook twice in a trusted project`, fix: 'keep one: `skillopt hooks uninstall --agent copilot --scope project` (or --scope user)' };
    }
    const [one] = found as [(typeof found)[number]];
    const rerun = `run \`skillopt hooks install --agent copilot --scope ${one.scope}\``;
    const entries = [...new Set(one.commands.map(entryOf))];
    if (entries.length !== 1 || one.text !== fileText(hooksFileRunning(entries[0]!))) {
      return { ok: false, detail: `${one.path} is not as this version writes it`, fix: `${rerun} to rewrite it` };
    }
    const file = hookCommandFile(entries[0]!);
    if (file !== undefined && !existsSync(file)) return { ok: false, detail: `${one.path} runs ${file}, which is not there`, fix: `${rerun} again from this install` };
    const off = await hooksTurnedOff(where);
    if (off) return { ok: false, detail: `Copilot CLI runs no hooks: "disableAllHooks": true in ${off}`, fix: `remove "disableAllHooks" from ${off}` };
    return { ok: true, detail: `Copilot CLI: installed in ${one.path} (${one.scope}), running ${entries[0]}` };
  },
  projectNote: (where, result) =>
    `Copilot CLI runs ${result.settingsPath} only in a trusted folder: trust ${where.cwd} when Copilot asks (or start it with --trust-folder); \`--scope user\` needs no trust`,
};
