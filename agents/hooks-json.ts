// The hooks.json shape Claude Code's settings.json and Codex's hooks.json share
// (`{"hooks": {"<Event>": [{"matcher"?, "hooks": [<handler>]}]}}`): adding
// skillopt's hook groups, removing them, and reading what a file holds, keeping
// every other setting and hook. What each agent's groups look like, and where
// its file is, is the agent's (agents/claude/setup.ts, agents/codex/setup.ts).
// Installing twice changes nothing; uninstall removes exactly the entries
// skillopt added (recognised by their command line, `… skillopt.js" hook
// <Event> [--agent codex]` or `…/dist/hook.cjs hook <Event>`, in either form, so
// an install from another checkout path, or an older skillopt's shell-form
// hook, is replaced where it stands, not doubled). A file that is not a JSON
// object is refused, never overwritten.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeConfigFile } from '../local/fs';
import { projectRoot } from '../local/project-root';
import { HOOK_GATE_NAME } from './claude/hook-gate';
import { HookSettingsError, type HookScope, type HookInstallResult, type SetupCheck, type SetupWhere } from './setup';

export const HOOK_EVENTS = ['SessionStart', 'PreToolUse', 'UserPromptExpansion', 'UserPromptSubmit', 'SessionEnd'] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

/**
 * Claude Code's own timeout per hook, in seconds: a safety net only (each hook
 * stops itself far sooner). SessionEnd gets none: a timeout there would stretch
 * the 1.5 s budget Claude Code gives every SessionEnd hook.
 */
const HOOK_TIMEOUT_SECONDS: Partial<Record<HookEvent, number>> = { SessionStart: 30, PreToolUse: 10, UserPromptExpansion: 10, UserPromptSubmit: 10 };

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** One agent's hooks in this shape: its file, the events it gets, and skillopt's group for each. */
export interface HooksJsonFormat {
  /** The events skillopt hooks. */
  events: readonly HookEvent[];
  /** The hooks file for the scope. */
  settingsPath(where: Omit<SetupWhere, 'entry'>): string;
  /** skillopt's group for the event, running `entry hook <Event>`. */
  group(event: HookEvent, entry: readonly string[]): JsonObject;
}

/** Double-quoted for /bin/sh: `\`, `"`, `$` and backquote escaped. */
export function shellQuote(text: string): string {
  return `"${text.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
}

/** `node <checkout>/dist/hook.cjs`: the bundled hook entry itself (`skillopt hook` loads the same file). */
export function defaultHookEntry(): string[] {
  return ['node', join(projectRoot(), 'dist', 'hook.cjs')];
}

/** The entry as one shell command line: `node "<path>"` (the program name bare when it needs no quoting). */
export function shellCommandOf(entry: readonly string[]): string {
  return entry.map((word, i) => (i === 0 && /^[\w./-]+$/.test(word) ? word : shellQuote(word))).join(' ');
}

/** A command skillopt wrote: `<anything>skillopt[.js]["] hook <Event>` or `<anything>/dist/hook.cjs["] hook <Event>`, then maybe `--agent <name>`. */
const SKILLOPT_COMMAND = new RegExp(`(?:(?:^|[\\s"'/\\\\])skillopt(?:\\.js)?|[/\\\\]dist[/\\\\]hook\\.cjs)["']?\\s+hook\\s+(?:${HOOK_EVENTS.join('|')})(?:\\s+--agent\\s+[a-z]+)?\\s*$`);

export function isSkilloptHookCommand(command: unknown): boolean {
  return typeof command === 'string' && SKILLOPT_COMMAND.test(command);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The hook behind the gate (agents/claude/hook-gate.ts), `[program, ...args]`, of a gated exec-form hook
 * (`/bin/sh -c <gate> skillopt-gate <Event> <program> <args…>`, whatever the gate's text: an older
 * gate is still skillopt's); undefined for any other hook.
 */
function gatedCommand(hook: JsonObject): string[] | undefined {
  const args = hook.args;
  if (!Array.isArray(args) || args.length < 5 || args[0] !== '-c' || args[2] !== HOOK_GATE_NAME) return undefined;
  return args.every((a) => typeof a === 'string') ? (args.slice(4) as string[]) : undefined;
}

/** A hook's command line: `command` as written (shell form), or the exec form's `command` and `args` (behind the gate, the gated hook's), shell-quoted. */
function commandLine(hook: JsonObject): string | undefined {
  if (typeof hook.command !== 'string') return undefined;
  if (hook.args === undefined) return hook.command;
  if (!Array.isArray(hook.args) || !hook.args.every((a) => typeof a === 'string')) return undefined;
  const gated = gatedCommand(hook);
  if (gated) return commandLine({ command: gated[0]!, args: gated.slice(1) });
  // `node "<entry>" hook <Event>`: the words from `hook` on are plain.
  const args = hook.args as string[];
  const at = args.lastIndexOf('hook');
  return at < 0 ? shellCommandOf([hook.command, ...args]) : `${shellCommandOf([hook.command, ...args.slice(0, at)])} ${args.slice(at).join(' ')}`;
}

/** skillopt's hook, in either form: the exec form this version writes, or the shell form older ones wrote. */
export function isSkilloptHook(hook: Json): boolean {
  return isObject(hook) && isSkilloptHookCommand(commandLine(hook));
}

/**
 * A hooks settings file (`{"hooks": {<event>: [groups]}}`, Claude Code's, Codex's, Gemini CLI's) as JSON; an empty
 * or missing file is `{}`. One that is not a JSON object, or whose `events` are not lists of hook groups, is
 * refused (HookSettingsError): it is never overwritten.
 */
export async function readHooksSettings(path: string, events: readonly string[]): Promise<{ settings: JsonObject; existed: boolean }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { settings: {}, existed: false };
    throw err;
  }
  if (text.trim() === '') return { settings: {}, existed: true };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new HookSettingsError(`${path} is not valid JSON (${(err as Error).message}; comments are not kept); fix it first, skillopt will not overwrite it`);
  }
  if (!isObject(data)) throw new HookSettingsError(`${path} is not a JSON object; fix it first, skillopt will not overwrite it`);
  if (data.hooks !== undefined && !isObject(data.hooks)) {
    throw new HookSettingsError(`"hooks" in ${path} is not an object; fix it first, skillopt will not overwrite it`);
  }
  const hooks = (data.hooks ?? {}) as JsonObject;
  for (const event of events) {
    const groups = hooks[event];
    if (groups === undefined) continue;
    if (!Array.isArray(groups) || groups.some((g) => !isObject(g) || (g.hooks !== undefined && !Array.isArray(g.hooks)))) {
      throw new HookSettingsError(`"hooks.${event}" in ${path} is not a list of hook groups; fix it first, skillopt will not overwrite it`);
    }
  }
  return { settings: data, existed: true };
}

/** Atomic, through a symlink (dotfile managers link settings.json), keeping the file's mode. */
async function writeSettings(path: string, settings: JsonObject): Promise<void> {
  await writeConfigFile(path, `${JSON.stringify(settings, null, 2)}\n`);
}

/** The groups with skillopt's hooks taken out; groups left empty by that are dropped. */
function withoutSkillopt(groups: Json[]): Json[] {
  const kept: Json[] = [];
  for (const group of groups) {
    const hooks = isObject(group) && Array.isArray(group.hooks) ? group.hooks : undefined;
    if (!hooks || !hooks.some(isSkilloptHook)) {
      kept.push(group);
      continue;
    }
    const rest = hooks.filter((h) => !isSkilloptHook(h));
    if (rest.length > 0) kept.push({ ...(group as JsonObject), hooks: rest });
  }
  return kept;
}

/** A group of one handler, with Claude Code's timeout for the event and the agent's matcher, if any. */
export function hookGroup(event: HookEvent, hook: JsonObject, matcher: string | undefined): JsonObject {
  const timeout = HOOK_TIMEOUT_SECONDS[event];
  const handler = timeout === undefined ? hook : { ...hook, timeout };
  return matcher === undefined ? { hooks: [handler] } : { matcher, hooks: [handler] };
}

function sameJson(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Whether the settings file has a skillopt hook; a missing or unreadable file has none. */
async function hasSkilloptHooks(path: string): Promise<boolean> {
  try {
    const { settings } = await readHooksSettings(path, HOOK_EVENTS);
    const hooks = (settings.hooks ?? {}) as JsonObject;
    return HOOK_EVENTS.some((event) => ((hooks[event] ?? []) as Json[]).some(hasSkilloptGroup));
  } catch {
    return false;
  }
}

/** What one settings file holds of skillopt's hooks (`skillopt doctor`). */
export interface InstalledHooks {
  scope: HookScope;
  settingsPath: string;
  /** Events with a skillopt hook. */
  events: HookEvent[];
  /** The distinct commands before ` hook <Event>`. */
  commands: string[];
  /** Events whose skillopt hook is not as this version writes it (an older skillopt's): `hooks install` upgrades them. */
  outdated: HookEvent[];
  /** Set when the file cannot be read as settings (then `events` is empty). */
  error?: string;
}

/** skillopt's hooks in the agent's user and project settings file (one entry when both are the same file). */
export async function findInstalledHooks(format: HooksJsonFormat, options: Omit<SetupWhere, 'scope' | 'entry'>): Promise<InstalledHooks[]> {
  const found: InstalledHooks[] = [];
  for (const scope of ['user', 'project'] as const) {
    const settingsPath = format.settingsPath({ ...options, scope });
    if (found.some((f) => f.settingsPath === settingsPath)) continue;
    try {
      const { settings } = await readHooksSettings(settingsPath, HOOK_EVENTS);
      const hooks = (settings.hooks ?? {}) as JsonObject;
      const events: HookEvent[] = [];
      const commands = new Set<string>();
      const outdated: HookEvent[] = [];
      for (const event of HOOK_EVENTS) {
        const groups = (hooks[event] ?? []) as Json[];
        const ours = groups.flatMap((g) => (isObject(g) && Array.isArray(g.hooks) ? g.hooks : [])).filter(isSkilloptHook) as JsonObject[];
        if (ours.length > 0) events.push(event);
        for (const hook of ours) commands.add(commandLine(hook)!.replace(/\s+hook\s+\S+(?:\s+--agent\s+\S+)?\s*$/, ''));
        // Written by an older skillopt: not the hook this one writes (for any command), e.g. one Claude Code waits for.
        const group = groups.find(hasSkilloptGroup) as JsonObject | undefined;
        if (group && ours.length === 1 && !sameJson(group, format.group(event, entryOf(ours[0]!)))) outdated.push(event);
      }
      found.push({ scope, settingsPath, events, commands: [...commands], outdated });
    } catch (err) {
      found.push({ scope, settingsPath, events: [], commands: [], outdated: [], error: (err as Error).message });
    }
  }
  return found;
}

/** The program and arguments before `hook <Event>` of one of skillopt's hooks, in any form (behind the gate too). */
function entryOf(hook: JsonObject): string[] {
  const gated = gatedCommand(hook);
  if (gated) return entryOf({ command: gated[0]!, args: gated.slice(1) });
  if (Array.isArray(hook.args)) {
    const args = hook.args as string[];
    const at = args.lastIndexOf('hook');
    return [String(hook.command), ...args.slice(0, at < 0 ? args.length : at)];
  }
  const prefix = String(hook.command).replace(/\s+hook\s+\S+(?:\s+--agent\s+\S+)?\s*$/, '');
  const file = hookCommandFile(prefix);
  return file === undefined ? [prefix] : ['node', file];
}

/** The file a hook command runs (`node "<path>"` as `hooks install` writes it); undefined for any other shape. */
export function hookCommandFile(command: string): string | undefined {
  const match = /^node\s+"((?:[^"\\]|\\.)*)"$/.exec(command.trim());
  return match ? match[1]!.replace(/\\(.)/g, '$1') : undefined;
}

/** Installs the format's hooks (and says what the file's hooks are now); `alsoInstalledIn` names the other scope's file when it holds skillopt's hooks too. */
export async function installHooksJson(format: HooksJsonFormat, where: SetupWhere): Promise<{ result: HookInstallResult; hooks: JsonObject }> {
  const settingsPath = format.settingsPath(where);
  const entry = where.entry ?? defaultHookEntry();
  if (entry.length === 0 || entry.some((word) => /[\r\n]/.test(word))) throw new HookSettingsError('the hook command must be one line');
  const { settings } = await readHooksSettings(settingsPath, HOOK_EVENTS);
  const hooks: JsonObject = { ...((settings.hooks as JsonObject | undefined) ?? {}) };
  const changed: HookEvent[] = [];
  for (const event of HOOK_EVENTS) {
    const before = (hooks[event] as Json[] | undefined) ?? [];
    const wanted = format.events.includes(event);
    const group = format.group(event, entry);
    // Already there, exactly once and exactly so (or absent and not wanted): leave the user's order alone.
    const ours = before.filter(hasSkilloptGroup);
    if (wanted ? ours.length === 1 && sameJson(ours[0], group) : ours.length === 0) continue;
    const rest = withoutSkillopt(before);
    if (wanted) {
      // An older skillopt's hook is upgraded where it stands (among the user's hooks kept before it); a new one goes last.
      const at = before.findIndex(hasSkilloptGroup);
      const place = at < 0 ? rest.length : withoutSkillopt(before.slice(0, at)).length;
      hooks[event] = [...rest.slice(0, place), group, ...rest.slice(place)];
    } else if (rest.length > 0) hooks[event] = rest;
    else delete hooks[event];
    changed.push(event);
  }
  if (changed.length > 0) await writeSettings(settingsPath, { ...settings, hooks });
  const other = format.settingsPath({ ...where, scope: where.scope === 'user' ? 'project' : 'user' });
  // In the home folder both scopes are the same file.
  const alsoInstalledIn = other !== settingsPath && (await hasSkilloptHooks(other)) ? other : undefined;
  return { result: { settingsPath, changed, written: changed.length > 0, ...(alsoInstalledIn ? { alsoInstalledIn } : {}) }, hooks };
}

/** A group holding one of skillopt's hooks. */
export function hasSkilloptGroup(group: Json | undefined): boolean {
  return isObject(group) && Array.isArray(group.hooks) && group.hooks.some(isSkilloptHook);
}

/** The hooks of one file as they stand (for Codex's trust); the file must be readable as settings. */
export async function readHooks(path: string): Promise<JsonObject> {
  const { settings } = await readHooksSettings(path, HOOK_EVENTS);
  return (settings.hooks ?? {}) as JsonObject;
}

export async function uninstallHooksJson(format: HooksJsonFormat, where: Omit<SetupWhere, 'entry'>): Promise<HookInstallResult> {
  const settingsPath = format.settingsPath(where);
  const { settings, existed } = await readHooksSettings(settingsPath, HOOK_EVENTS);
  if (!existed || settings.hooks === undefined) return { settingsPath, changed: [], written: false };
  const hooks: JsonObject = { ...(settings.hooks as JsonObject) };
  const changed: HookEvent[] = [];
  for (const event of HOOK_EVENTS) {
    const before = hooks[event] as Json[] | undefined;
    if (!before) continue;
    const after = withoutSkillopt(before);
    if (after.length === before.length && sameJson(after, before)) continue;
    changed.push(event);
    // A list that only held skillopt's hook goes with it.
    if (after.length === 0) delete hooks[event];
    else hooks[event] = after;
  }
  if (changed.length === 0) return { settingsPath, changed, written: false };
  const next: JsonObject = { ...settings, hooks };
  // The "hooks" object goes too when skillopt's were its last entries.
  if (Object.keys(hooks).length === 0) delete next.hooks;
  await writeSettings(settingsPath, next);
  return { settingsPath, changed, written: true };
}

/**
 * `doctor`'s check of one agent's hooks in this shape: installed once, every
 * event there, as this version writes them, running a file that exists.
 * `label` names the agent, `flag` is its `--agent` option; `more` adds the
 * agent's own check of the file that holds them.
 */
export async function checkHooksJson(
  format: HooksJsonFormat,
  where: Omit<SetupWhere, 'scope' | 'entry'>,
  naming: { label: string; flag: string; waits?: boolean },
  more?: (installed: InstalledHooks) => Promise<SetupCheck | undefined>,
): Promise<SetupCheck | undefined> {
  const { label, flag } = naming;
  const found = await findInstalledHooks(format, where);
  const broken = found.find((f) => f.error);
  if (broken) return { ok: false, detail: broken.error!, fix: `fix ${broken.settingsPath}` };
  const withHooks = found.filter((f) => f.events.length > 0);
  if (withHooks.length === 0) return undefined;
  if (withHooks.length > 1) {
    return {
      ok: false,
      detail: `installed in ${withHooks.map((f) => f.settingsPath).join(' and ')}: ${label} runs each hook twice`,
      fix: `keep one: \`skillopt hooks uninstall${flag} --scope project\` (or --scope user)`,
    };
  }
  const [installed] = withHooks as [InstalledHooks];
  const rerun = `run \`skillopt hooks install${flag} --scope ${installed.scope}\``;
  const missing = format.events.filter((e) => !installed.events.includes(e));
  if (missing.length > 0) return { ok: false, detail: `${installed.settingsPath} lacks ${missing.join(', ')}`, fix: rerun };
  if (installed.outdated.length > 0) {
    return {
      ok: false,
      detail: `${installed.settingsPath} holds an older skillopt's ${installed.outdated.join(', ')} hook${installed.outdated.length > 1 ? 's' : ''}${naming.waits ? ` (${label} may wait for them before it answers)` : ''}`,
      fix: `${rerun} to upgrade them in place`,
    };
  }
  for (const command of installed.commands) {
    const file = hookCommandFile(command);
    if (file !== undefined && !existsSync(file)) {
      return { ok: false, detail: `${installed.settingsPath} runs ${file}, which is not there`, fix: `${rerun} again from this install` };
    }
  }
  const extra = await more?.(installed);
  if (extra && !extra.ok) return extra;
  return { ok: true, detail: `${label}: installed in ${installed.settingsPath} (${installed.scope}), running ${installed.commands.join(', ')}` };
}
