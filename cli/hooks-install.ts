// `skillopt hooks install|uninstall`: adds skillopt's hooks to Claude Code's
// settings.json (user: $HOME/.claude/settings.json, project:
// <cwd>/.claude/settings.json) or removes them, keeping every other setting
// and hook. Installing twice changes nothing; uninstall removes exactly the
// entries skillopt added (recognised by their command, `… skillopt.js" hook
// <Event>`, so an install from an older checkout path is replaced, not doubled).
// A settings file that is not a JSON object is refused, never overwritten.
import { mkdir, readFile, realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { projectRoot } from '../local/project-root';

export type HookScope = 'user' | 'project';

export const HOOK_EVENTS = ['SessionStart', 'PreToolUse', 'UserPromptSubmit', 'SessionEnd'] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

/**
 * Claude Code's own timeout per hook, in seconds: a safety net only (each hook
 * stops itself far sooner). SessionEnd gets none: a timeout there would stretch
 * the 1.5 s budget Claude Code gives every SessionEnd hook.
 */
const HOOK_TIMEOUT_SECONDS: Partial<Record<HookEvent, number>> = { SessionStart: 30, PreToolUse: 10, UserPromptSubmit: 10 };
/** Only the Skill tool arms a window. */
const HOOK_MATCHER: Partial<Record<HookEvent, string>> = { PreToolUse: 'Skill' };

export class HookSettingsError extends Error {
  override name = 'HookSettingsError';
}

export interface HookInstallOptions {
  scope: HookScope;
  /** The user's home (scope user). */
  home: string;
  /** The project folder (scope project). */
  cwd: string;
  /** The command before ` hook <Event>`; default: node "<this checkout>/bin/skillopt.js". */
  command?: string;
}

export interface HookInstallResult {
  settingsPath: string;
  /** Events whose hook was added or rewritten. */
  changed: HookEvent[];
  /** False when the file already said exactly this (nothing written). */
  written: boolean;
}

export interface HookInstallReport extends HookInstallResult {
  /** The other scope's settings file when it holds skillopt hooks too (Claude Code then runs both sets). */
  alsoInstalledIn?: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Double-quoted for /bin/sh: `\`, `"`, `$` and backquote escaped. */
export function shellQuote(text: string): string {
  return `"${text.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
}

/** `node "<checkout>/dist/hook.cjs"`: the bundled hook entry itself (`skillopt hook` loads the same file). */
export function defaultHookCommand(): string {
  return `node ${shellQuote(join(projectRoot(), 'dist', 'hook.cjs'))}`;
}

export function settingsPathFor(options: Pick<HookInstallOptions, 'scope' | 'home' | 'cwd'>): string {
  return resolve(options.scope === 'project' ? options.cwd : options.home, '.claude', 'settings.json');
}

/** A command skillopt wrote: `<anything>skillopt[.js]["] hook <Event>` or `<anything>/dist/hook.cjs["] hook <Event>`. */
const SKILLOPT_COMMAND = new RegExp(`(?:(?:^|[\\s"'/\\\\])skillopt(?:\\.js)?|[/\\\\]dist[/\\\\]hook\\.cjs)["']?\\s+hook\\s+(?:${HOOK_EVENTS.join('|')})\\s*$`);

export function isSkilloptHookCommand(command: unknown): boolean {
  return typeof command === 'string' && SKILLOPT_COMMAND.test(command);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSkilloptHook(hook: Json): boolean {
  return isObject(hook) && isSkilloptHookCommand(hook.command);
}

async function readSettings(path: string): Promise<{ settings: JsonObject; existed: boolean }> {
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
    throw new HookSettingsError(`${path} is not valid JSON (${(err as Error).message}); fix it first, skillopt will not overwrite it`);
  }
  if (!isObject(data)) throw new HookSettingsError(`${path} is not a JSON object; fix it first, skillopt will not overwrite it`);
  if (data.hooks !== undefined && !isObject(data.hooks)) {
    throw new HookSettingsError(`"hooks" in ${path} is not an object; fix it first, skillopt will not overwrite it`);
  }
  const hooks = (data.hooks ?? {}) as JsonObject;
  for (const event of HOOK_EVENTS) {
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
  let target = path;
  try {
    target = await realpath(path);
  } catch {
    await mkdir(dirname(path), { recursive: true });
  }
  const mode = await stat(target).then((s) => s.mode & 0o777, () => 0o644);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, `${JSON.stringify(settings, null, 2)}\n`, { mode, flag: 'wx' });
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
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

function ourGroup(event: HookEvent, command: string): JsonObject {
  const hook: JsonObject = { type: 'command', command: `${command} hook ${event}` };
  const timeout = HOOK_TIMEOUT_SECONDS[event];
  if (timeout !== undefined) hook.timeout = timeout;
  const matcher = HOOK_MATCHER[event];
  return matcher === undefined ? { hooks: [hook] } : { matcher, hooks: [hook] };
}

function sameJson(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Whether the settings file has a skillopt hook; a missing or unreadable file has none. */
async function hasSkilloptHooks(path: string): Promise<boolean> {
  try {
    const { settings } = await readSettings(path);
    const hooks = (settings.hooks ?? {}) as JsonObject;
    return HOOK_EVENTS.some((event) =>
      ((hooks[event] ?? []) as Json[]).some((g) => isObject(g) && Array.isArray(g.hooks) && g.hooks.some(isSkilloptHook)),
    );
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
  /** Set when the file cannot be read as settings (then `events` is empty). */
  error?: string;
}

/** skillopt's hooks in the user's and the project's settings file (one entry when both are the same file). */
export async function findInstalledHooks(options: Pick<HookInstallOptions, 'home' | 'cwd'>): Promise<InstalledHooks[]> {
  const found: InstalledHooks[] = [];
  for (const scope of ['user', 'project'] as const) {
    const settingsPath = settingsPathFor({ ...options, scope });
    if (found.some((f) => f.settingsPath === settingsPath)) continue;
    try {
      const { settings } = await readSettings(settingsPath);
      const hooks = (settings.hooks ?? {}) as JsonObject;
      const events: HookEvent[] = [];
      const commands = new Set<string>();
      for (const event of HOOK_EVENTS) {
        const ours = ((hooks[event] ?? []) as Json[])
          .flatMap((g) => (isObject(g) && Array.isArray(g.hooks) ? g.hooks : []))
          .filter(isSkilloptHook) as JsonObject[];
        if (ours.length > 0) events.push(event);
        for (const hook of ours) commands.add(String(hook.command).replace(/\s+hook\s+\S+\s*$/, ''));
      }
      found.push({ scope, settingsPath, events, commands: [...commands] });
    } catch (err) {
      found.push({ scope, settingsPath, events: [], commands: [], error: (err as Error).message });
    }
  }
  return found;
}

/** The file a hook command runs (`node "<path>"` as `hooks install` writes it); undefined for any other shape. */
export function hookCommandFile(command: string): string | undefined {
  const match = /^node\s+"((?:[^"\\]|\\.)*)"$/.exec(command.trim());
  return match ? match[1]!.replace(/\\(.)/g, '$1') : undefined;
}

export async function installHooks(options: HookInstallOptions): Promise<HookInstallReport> {
  const result = await installInto(options);
  const other = settingsPathFor({ ...options, scope: options.scope === 'user' ? 'project' : 'user' });
  // In the home folder both scopes are the same file.
  if (other !== result.settingsPath && (await hasSkilloptHooks(other))) return { ...result, alsoInstalledIn: other };
  return result;
}

async function installInto(options: HookInstallOptions): Promise<HookInstallResult> {
  const settingsPath = settingsPathFor(options);
  const command = options.command ?? defaultHookCommand();
  if (/[\r\n]/.test(command)) throw new HookSettingsError('the hook command must be one line');
  const { settings } = await readSettings(settingsPath);
  const hooks: JsonObject = { ...((settings.hooks as JsonObject | undefined) ?? {}) };
  const changed: HookEvent[] = [];
  for (const event of HOOK_EVENTS) {
    const before = hooks[event] as Json[] | undefined;
    const group = ourGroup(event, command);
    // Already there, exactly once and exactly so: leave the user's order alone.
    const ours = (before ?? []).filter((g) => isObject(g) && Array.isArray(g.hooks) && g.hooks.some(isSkilloptHook));
    if (ours.length === 1 && sameJson(ours[0], group)) continue;
    hooks[event] = [...withoutSkillopt(before ?? []), group];
    changed.push(event);
  }
  if (changed.length === 0) return { settingsPath, changed, written: false };
  await writeSettings(settingsPath, { ...settings, hooks });
  return { settingsPath, changed, written: true };
}

export async function uninstallHooks(options: Omit<HookInstallOptions, 'command'>): Promise<HookInstallResult> {
  const settingsPath = settingsPathFor(options);
  const { settings, existed } = await readSettings(settingsPath);
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
