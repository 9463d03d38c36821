// `skillopt hooks install|uninstall`: adds skillopt's hooks to an agent's hook
// configuration or removes them, keeping every other setting and hook. Claude
// Code: settings.json (user: $HOME/.claude/settings.json, project:
// <cwd>/.claude/settings.json). Codex: hooks.json, the same shape (user:
// $CODEX_HOME/hooks.json, project: <cwd>/.codex/hooks.json), plus the trust
// Codex requires before it runs a hook (cli/codex-trust.ts). Claude Code gets
// the exec form (`command` node, `args` [<entry>, "hook", <Event>]: no shell
// parses them) and, on the hooks a user waits on, `asyncRewake` (CLAUDE_ASYNC)
// behind a gate that starts Node only when there is work (cli/hook-gate.ts). Installing twice
// changes nothing; uninstall removes exactly the entries skillopt added
// (recognised by their command line, `… skillopt.js" hook <Event> [--agent codex]`
// or `…/dist/hook.cjs hook <Event>`, in either form, so an install from another
// checkout path, or an older skillopt's shell-form hook, is replaced where it
// stands, not doubled). A file that is not a JSON object is refused, never overwritten.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { codexHome, type AgentName } from '../local/agents';
import { writeConfigFile } from '../local/fs';
import { projectRoot } from '../local/project-root';
import { HookSettingsError, trustCodexHooks, untrustCodexHooks, untrustedHooks, type TrustedHook } from './codex-trust';
import { HOOK_GATE, HOOK_GATE_NAME } from './hook-gate';

export type HookScope = 'user' | 'project';

export const HOOK_EVENTS = ['SessionStart', 'PreToolUse', 'UserPromptExpansion', 'UserPromptSubmit', 'SessionEnd'] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

/**
 * What each agent gets: Codex has no SessionEnd (its windows close on the idle
 * timer), no Skill tool (its shell reads SKILL.md) and no UserPromptExpansion
 * (its UserPromptSubmit sees a `$skill` mention).
 */
const AGENT_HOOKS: Record<AgentName, { events: readonly HookEvent[]; matcher: Partial<Record<HookEvent, string>>; flag: string }> = {
  // A window opens on a Skill tool call, or on a skill the user typed as `/<name>--<author>`: Claude Code
  // matches UserPromptExpansion on the command's name, as a regular expression once the matcher has a
  // character other than letters, digits, `_`, `|`, `,`, space and `-` (docs/claude-code.md), so no other
  // slash command starts the hook.
  claude: { events: HOOK_EVENTS, matcher: { PreToolUse: 'Skill', UserPromptExpansion: '^[a-z0-9][a-z0-9-]*--.+$' }, flag: '' },
  // Codex names its shell tool Bash (docs/codex-cli.md): only a shell command can read a SKILL.md.
  codex: { events: ['SessionStart', 'PreToolUse', 'UserPromptSubmit'], matcher: { PreToolUse: 'Bash' }, flag: ' --agent codex' },
};

/**
 * The Claude Code hooks it does not wait for: those on every prompt and every skill call, where a user waits
 * for the answer. Marked `asyncRewake` rather than `async` (docs/claude-code.md §3): the interactive agent
 * starts them in the background and goes on, as with `async`, but a `claude -p` run waits for them instead
 * of killing those still running when it ends (which loses the event), and a run driven by an SDK waits
 * for them before it exits. "Rewake" (exit code 2 wakes the model) never happens: a hook always exits 0.
 * Not SessionStart (a resumed session's window must reopen before the prompt that follows is handled),
 * UserPromptExpansion (it arms before the UserPromptSubmit of the same prompt runs, so that prompt is never
 * counted as a reaction; it runs only for `/<name>--<author>` commands), nor SessionEnd (Claude Code exits
 * right after it, waiting for it up to 1.5 s). Codex has no such mode (it runs an `async` hook
 * synchronously, docs/codex-cli.md).
 */
const CLAUDE_ASYNC: readonly HookEvent[] = ['PreToolUse', 'UserPromptSubmit'];

/** The gate needs a POSIX /bin/sh (Claude Code on Windows gets the hook itself). */
const GATE_PLATFORM = process.platform !== 'win32';

/**
 * Claude Code's own timeout per hook, in seconds: a safety net only (each hook
 * stops itself far sooner). SessionEnd gets none: a timeout there would stretch
 * the 1.5 s budget Claude Code gives every SessionEnd hook.
 */
const HOOK_TIMEOUT_SECONDS: Partial<Record<HookEvent, number>> = { SessionStart: 30, PreToolUse: 10, UserPromptExpansion: 10, UserPromptSubmit: 10 };

export { HookSettingsError };

export interface HookInstallOptions {
  /** Default claude. */
  agent?: AgentName;
  /** CODEX_HOME is read from here (default process.env). */
  env?: NodeJS.ProcessEnv;
  scope: HookScope;
  /** The user's home (scope user). */
  home: string;
  /** The project folder (scope project). */
  cwd: string;
  /** The program and arguments before `hook <Event>`; default: node <this checkout>/dist/hook.cjs. */
  entry?: readonly string[];
}

export interface HookInstallResult {
  agent: AgentName;
  settingsPath: string;
  /** Codex: the config.toml that holds the hooks' trust, when it was changed. */
  trustPath?: string;
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

/** `node <checkout>/dist/hook.cjs`: the bundled hook entry itself (`skillopt hook` loads the same file). */
export function defaultHookEntry(): string[] {
  return ['node', join(projectRoot(), 'dist', 'hook.cjs')];
}

/** The entry as one shell command line: `node "<path>"` (the program name bare when it needs no quoting). */
export function shellCommandOf(entry: readonly string[]): string {
  return entry.map((word, i) => (i === 0 && /^[\w./-]+$/.test(word) ? word : shellQuote(word))).join(' ');
}

export function settingsPathFor(options: Pick<HookInstallOptions, 'agent' | 'env' | 'scope' | 'home' | 'cwd'>): string {
  if (options.agent === 'codex') {
    return options.scope === 'project' ? resolve(options.cwd, '.codex', 'hooks.json') : join(codexHome(options.env, options.home), 'hooks.json');
  }
  return resolve(options.scope === 'project' ? options.cwd : options.home, '.claude', 'settings.json');
}

/** A command skillopt wrote: `<anything>skillopt[.js]["] hook <Event>` or `<anything>/dist/hook.cjs["] hook <Event>`, then maybe `--agent <name>`. */
const SKILLOPT_COMMAND = new RegExp(`(?:(?:^|[\\s"'/\\\\])skillopt(?:\\.js)?|[/\\\\]dist[/\\\\]hook\\.cjs)["']?\\s+hook\\s+(?:${HOOK_EVENTS.join('|')})(?:\\s+--agent\\s+[a-z]+)?\\s*$`);

export function isSkilloptHookCommand(command: unknown): boolean {
  return typeof command === 'string' && SKILLOPT_COMMAND.test(command);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The hook behind the gate (cli/hook-gate.ts), `[program, ...args]`, of a gated exec-form hook
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
function isSkilloptHook(hook: Json): boolean {
  return isObject(hook) && isSkilloptHookCommand(commandLine(hook));
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

function ourGroup(agent: AgentName, event: HookEvent, entry: readonly string[]): JsonObject {
  // Claude Code: the exec form (a program and its arguments: no shell is started, no path is re-parsed).
  // Codex knows only a shell command line.
  // The hooks on every prompt and skill call: behind the gate (cli/hook-gate.ts), which starts Node only when there is work.
  const gated = agent === 'claude' && CLAUDE_ASYNC.includes(event) && GATE_PLATFORM;
  const hook: JsonObject =
    agent !== 'claude'
      ? { type: 'command', command: `${shellCommandOf(entry)} hook ${event}${AGENT_HOOKS[agent].flag}` }
      : gated
        ? { type: 'command', command: '/bin/sh', args: ['-c', HOOK_GATE, HOOK_GATE_NAME, event, ...entry, 'hook', event] }
        : { type: 'command', command: entry[0]!, args: [...entry.slice(1), 'hook', event] };
  if (agent === 'claude' && CLAUDE_ASYNC.includes(event)) hook.asyncRewake = true;
  const timeout = HOOK_TIMEOUT_SECONDS[event];
  if (timeout !== undefined) hook.timeout = timeout;
  const matcher = AGENT_HOOKS[agent].matcher[event];
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
  /** Events whose skillopt hook is not as this version writes it (an older skillopt's): `hooks install` upgrades them. */
  outdated: HookEvent[];
  /** Set when the file cannot be read as settings (then `events` is empty). */
  error?: string;
}

/** The events skillopt hooks for `agent`. */
export function agentHookEvents(agent: AgentName): readonly HookEvent[] {
  return AGENT_HOOKS[agent].events;
}

/** skillopt's hooks in the agent's user and project settings file (one entry when both are the same file). */
export async function findInstalledHooks(options: Pick<HookInstallOptions, 'agent' | 'env' | 'home' | 'cwd'>): Promise<InstalledHooks[]> {
  const found: InstalledHooks[] = [];
  for (const scope of ['user', 'project'] as const) {
    const settingsPath = settingsPathFor({ ...options, scope });
    if (found.some((f) => f.settingsPath === settingsPath)) continue;
    try {
      const { settings } = await readSettings(settingsPath);
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
        const group = groups.find((g) => isObject(g) && Array.isArray(g.hooks) && g.hooks.some(isSkilloptHook)) as JsonObject | undefined;
        if (group && ours.length === 1 && !sameJson(group, ourGroup(options.agent ?? 'claude', event, entryOf(ours[0]!)))) outdated.push(event);
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

export async function installHooks(options: HookInstallOptions): Promise<HookInstallReport> {
  const result = await installInto(options);
  const other = settingsPathFor({ ...options, scope: options.scope === 'user' ? 'project' : 'user' });
  // Two sets of Codex hooks are two trusted sets: each event would be spooled twice (the hooks count it once).
  // In the home folder both scopes are the same file.
  if (other !== result.settingsPath && (await hasSkilloptHooks(other))) return { ...result, alsoInstalledIn: other };
  return result;
}

async function installInto(options: HookInstallOptions): Promise<HookInstallResult> {
  const agent = options.agent ?? 'claude';
  const settingsPath = settingsPathFor(options);
  const entry = options.entry ?? defaultHookEntry();
  if (entry.length === 0 || entry.some((word) => /[\r\n]/.test(word))) throw new HookSettingsError('the hook command must be one line');
  const { settings } = await readSettings(settingsPath);
  const hooks: JsonObject = { ...((settings.hooks as JsonObject | undefined) ?? {}) };
  const changed: HookEvent[] = [];
  for (const event of HOOK_EVENTS) {
    const before = (hooks[event] as Json[] | undefined) ?? [];
    const wanted = AGENT_HOOKS[agent].events.includes(event);
    const group = ourGroup(agent, event, entry);
    // Already there, exactly once and exactly so (or absent and not wanted): leave the user's order alone.
    const hasOurs = (g: Json) => isObject(g) && Array.isArray(g.hooks) && g.hooks.some(isSkilloptHook);
    const ours = before.filter(hasOurs);
    if (wanted ? ours.length === 1 && sameJson(ours[0], group) : ours.length === 0) continue;
    const rest = withoutSkillopt(before);
    if (wanted) {
      // An older skillopt's hook is upgraded where it stands (among the user's hooks kept before it); a new one goes last.
      const at = before.findIndex(hasOurs);
      const place = at < 0 ? rest.length : withoutSkillopt(before.slice(0, at)).length;
      hooks[event] = [...rest.slice(0, place), group, ...rest.slice(place)];
    } else if (rest.length > 0) hooks[event] = rest;
    else delete hooks[event];
    changed.push(event);
  }
  if (changed.length > 0) await writeSettings(settingsPath, { ...settings, hooks });
  const result: HookInstallResult = { agent, settingsPath, changed, written: changed.length > 0 };
  if (agent !== 'codex') return result;
  // Codex runs a hook only once its exact definition is trusted (docs/codex-cli.md, b): trust ours, here.
  const trusted = skilloptCodexHooks(hooks);
  const trust = await trustCodexHooks(codexConfigPath(options), settingsPath, trusted);
  return trust.written ? { ...result, trustPath: trust.path, written: true } : result;
}

/** skillopt's hooks in a Codex hooks.json, as Codex identifies them for trust: event, the group's place, matcher, handler. */
function skilloptCodexHooks(hooks: JsonObject): TrustedHook[] {
  return AGENT_HOOKS.codex.events.flatMap((event): TrustedHook[] => {
    const groups = (hooks[event] ?? []) as Json[];
    const groupIndex = groups.findIndex((g) => isObject(g) && Array.isArray(g.hooks) && g.hooks.some(isSkilloptHook));
    const group = groups[groupIndex] as JsonObject | undefined;
    const handler = (group?.hooks as Json[] | undefined)?.find(isSkilloptHook) as JsonObject | undefined;
    if (!group || !handler) return [];
    const matcher = typeof group.matcher === 'string' ? group.matcher : undefined;
    return [{ event, groupIndex, matcher, command: String(handler.command), timeout: typeof handler.timeout === 'number' ? handler.timeout : undefined }];
  });
}

/** Which of skillopt's Codex hooks config.toml does not trust as they stand (Codex skips those silently): `skillopt doctor`. */
export async function untrustedCodexHooks(options: Pick<HookInstallOptions, 'env' | 'scope' | 'home' | 'cwd'>): Promise<{ configPath: string; untrusted: string[] }> {
  const settingsPath = settingsPathFor({ ...options, agent: 'codex' });
  const { settings } = await readSettings(settingsPath);
  const configPath = codexConfigPath(options);
  return { configPath, untrusted: await untrustedHooks(configPath, settingsPath, skilloptCodexHooks((settings.hooks ?? {}) as JsonObject)) };
}

/** Codex's user config.toml, where hook trust lives (for a project's hooks.json too). */
function codexConfigPath(options: Pick<HookInstallOptions, 'env' | 'home'>): string {
  return join(codexHome(options.env, options.home), 'config.toml');
}

export async function uninstallHooks(options: Omit<HookInstallOptions, 'command'>): Promise<HookInstallResult> {
  const agent = options.agent ?? 'claude';
  const settingsPath = settingsPathFor(options);
  const untrust = async (result: HookInstallResult): Promise<HookInstallResult> => {
    if (agent !== 'codex') return result;
    const trust = await untrustCodexHooks(codexConfigPath(options), settingsPath);
    return trust.written ? { ...result, trustPath: trust.path, written: true } : result;
  };
  const { settings, existed } = await readSettings(settingsPath);
  if (!existed || settings.hooks === undefined) return untrust({ agent, settingsPath, changed: [], written: false });
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
  if (changed.length === 0) return untrust({ agent, settingsPath, changed, written: false });
  const next: JsonObject = { ...settings, hooks };
  // The "hooks" object goes too when skillopt's were its last entries.
  if (Object.keys(hooks).length === 0) delete next.hooks;
  await writeSettings(settingsPath, next);
  return untrust({ agent, settingsPath, changed, written: true });
}
