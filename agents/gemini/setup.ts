// skillopt's hooks in Gemini CLI's settings.json (user: <Gemini home>/.gemini/settings.json,
// project: <cwd>/.gemini/settings.json), under Gemini's own event names
// (docs/gemini-cli.md, 2):
//
//   SessionStart  → hook SessionStart        (startup, resume, clear)
//   BeforeAgent   → hook UserPromptSubmit    (the prompt as typed, before Gemini writes it)
//   AfterTool     → hook PreToolUse          (matcher activate_skill: a skill that loaded)
//   SessionEnd    → hook SessionEnd
//
// AfterTool rather than BeforeTool: only then is it known the skill loaded,
// and both see the same transcript (the call's id is written after either).
// Gemini waits for every hook, SessionEnd included, and gives each a timeout
// in milliseconds; skillopt's return in milliseconds (the pull and the flusher
// run detached, with no stdio Gemini would wait on).
//
// Headless Gemini denies `activate_skill` (its built-in policy), so a skill
// could never be used by `gemini -p`: install also writes a user policy,
// <Gemini home>/.gemini/policies/skillopt.toml, allowing that one tool in
// non-interactive mode only (interactive sessions keep Gemini's consent
// prompt). Workspace policies do not work in this version, so the policy is
// the user's whatever the scope; uninstall removes it once neither scope has
// skillopt's hooks. Every other setting and hook is kept; installing twice
// changes nothing; a file that is not a JSON object, or a policy file of that
// name that is not skillopt's, is refused, never overwritten.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { atomicWriteFile, readTextIfExists, writeConfigFile } from '../../local/fs';
import { defaultHookEntry, hookCommandFile, isObject, isSkilloptHook, readHooksSettings, shellCommandOf, type Json, type JsonObject } from '../hooks-json';
import { HookSettingsError, type AgentSetup, type HookInstallResult, type HookScope, type SetupCheck, type SetupWhere } from '../setup';
import { ACTIVATE_SKILL, geminiDir } from './agent';

/** Gemini's event → skillopt's hook event, with the group's matcher and Gemini's timeout (ms: a safety net, the hooks stop far sooner). */
export const GEMINI_HOOKS = {
  SessionStart: { hook: 'SessionStart', timeoutMs: 30_000 },
  BeforeAgent: { hook: 'UserPromptSubmit', timeoutMs: 10_000 },
  AfterTool: { hook: 'PreToolUse', timeoutMs: 10_000, matcher: ACTIVATE_SKILL },
  SessionEnd: { hook: 'SessionEnd', timeoutMs: 10_000 },
} as const satisfies Record<string, { hook: string; timeoutMs: number; matcher?: string }>;
export type GeminiEvent = keyof typeof GEMINI_HOOKS;
export const GEMINI_EVENTS = Object.keys(GEMINI_HOOKS) as GeminiEvent[];

export const GEMINI_POLICY_FILE = 'skillopt.toml';
const POLICY_MARK = '# skillopt:';

export function geminiPolicy(): string {
  return [
    `${POLICY_MARK} lets headless Gemini CLI (gemini -p) use Agent Skills, which its built-in policy denies there.`,
    '# `skillopt hooks install --agent gemini` wrote it; `skillopt hooks uninstall --agent gemini` removes it.',
    '[[rule]]',
    `toolName = "${ACTIVATE_SKILL}"`,
    'decision = "allow"',
    'priority = 100',
    'interactive = false',
    '',
  ].join('\n');
}

export function geminiSettingsPath({ scope, home, cwd, env }: Omit<SetupWhere, 'entry'>): string {
  return scope === 'project' ? resolve(cwd, '.gemini', 'settings.json') : join(geminiDir(env, home), 'settings.json');
}

function policyPath(where: Omit<SetupWhere, 'entry' | 'scope'>): string {
  return join(geminiDir(where.env, where.home), 'policies', GEMINI_POLICY_FILE);
}

/** skillopt's group for a Gemini event. */
export function geminiGroup(event: GeminiEvent, entry: readonly string[]): JsonObject {
  return groupRunning(event, shellCommandOf(entry));
}

/** The group for `event` running `<prefix> hook <Event> --agent gemini`. */
function groupRunning(event: GeminiEvent, prefix: string): JsonObject {
  const spec: { hook: string; timeoutMs: number; matcher?: string } = GEMINI_HOOKS[event];
  const handler: JsonObject = { type: 'command', name: 'skillopt', command: `${prefix} hook ${spec.hook} --agent gemini`, timeout: spec.timeoutMs };
  return spec.matcher === undefined ? { hooks: [handler] } : { matcher: spec.matcher, hooks: [handler] };
}

const hasOurs = (group: Json): boolean => isObject(group) && Array.isArray(group.hooks) && group.hooks.some(isSkilloptHook);

/** The groups with skillopt's hooks taken out; groups left empty by that are dropped. */
function withoutOurs(groups: Json[]): Json[] {
  return groups.flatMap((group): Json[] => {
    if (!hasOurs(group)) return [group];
    const rest = ((group as JsonObject).hooks as Json[]).filter((h) => !isSkilloptHook(h));
    return rest.length > 0 ? [{ ...(group as JsonObject), hooks: rest }] : [];
  });
}

const sameJson = (a: Json | undefined, b: Json | undefined): boolean => JSON.stringify(a) === JSON.stringify(b);

/** What one settings file holds of skillopt's hooks. */
interface Installed {
  scope: HookScope;
  settingsPath: string;
  events: GeminiEvent[];
  /** Events whose group is not as this version writes it. */
  outdated: GeminiEvent[];
  /** The distinct commands before ` hook <Event>`. */
  commands: string[];
  error?: string;
}

async function installedIn(where: Omit<SetupWhere, 'entry'>): Promise<Installed> {
  const settingsPath = geminiSettingsPath(where);
  try {
    const hooks = ((await readHooksSettings(settingsPath, GEMINI_EVENTS)).settings.hooks ?? {}) as JsonObject;
    const events: GeminiEvent[] = [];
    const outdated: GeminiEvent[] = [];
    const commands = new Set<string>();
    for (const event of GEMINI_EVENTS) {
      const groups = ((hooks[event] ?? []) as Json[]).filter(hasOurs) as JsonObject[];
      if (groups.length === 0) continue;
      events.push(event);
      const handlers = groups.flatMap((g) => (g.hooks as Json[]).filter(isSkilloptHook)) as JsonObject[];
      const prefixes = handlers.map((h) => String(h.command).replace(/\s+hook\s+\S+(?:\s+--agent\s+\S+)?\s*$/, ''));
      for (const prefix of prefixes) commands.add(prefix);
      if (groups.length !== 1 || handlers.length !== 1 || !sameJson(groups[0], groupRunning(event, prefixes[0]!))) outdated.push(event);
    }
    return { scope: where.scope, settingsPath, events, outdated, commands: [...commands] };
  } catch (err) {
    return { scope: where.scope, settingsPath, events: [], outdated: [], commands: [], error: (err as Error).message };
  }
}

async function installPolicy(where: Omit<SetupWhere, 'entry' | 'scope'>): Promise<boolean> {
  const path = policyPath(where);
  const text = await readTextIfExists(path);
  if (text !== undefined && !text.startsWith(POLICY_MARK)) throw new HookSettingsError(`${path} is not skillopt's Gemini policy; move it away first, skillopt will not overwrite it`);
  if (text === geminiPolicy()) return false;
  await mkdir(dirname(path), { recursive: true });
  await atomicWriteFile(path, geminiPolicy());
  return true;
}

const otherScope = (scope: HookScope): HookScope => (scope === 'user' ? 'project' : 'user');

export const geminiSetup: AgentSetup = {
  installs: "Gemini CLI's settings.json (SessionStart, BeforeAgent, AfterTool activate_skill, SessionEnd) and a user policy letting headless Gemini use skills",
  setName: 'skillopt Gemini CLI hooks',
  async install(where) {
    const settingsPath = geminiSettingsPath(where);
    const entry = where.entry ?? defaultHookEntry();
    if (entry.length === 0 || entry.some((word) => /[\r\n]/.test(word))) throw new HookSettingsError('the hook command must be one line');
    const { settings } = await readHooksSettings(settingsPath, GEMINI_EVENTS);
    const hooks: JsonObject = { ...((settings.hooks as JsonObject | undefined) ?? {}) };
    const changed: string[] = [];
    for (const event of GEMINI_EVENTS) {
      const before = (hooks[event] as Json[] | undefined) ?? [];
      const group = geminiGroup(event, entry);
      const ours = before.filter(hasOurs);
      if (ours.length === 1 && sameJson(ours[0], group)) continue;
      // An older or other install's group is replaced where it stands; a new one goes last.
      const at = before.findIndex(hasOurs);
      const rest = withoutOurs(before);
      const place = at < 0 ? rest.length : withoutOurs(before.slice(0, at)).length;
      hooks[event] = [...rest.slice(0, place), group, ...rest.slice(place)];
      changed.push(event);
    }
    if (changed.length > 0) {
      await mkdir(dirname(settingsPath), { recursive: true });
      await writeConfigFile(settingsPath, `${JSON.stringify({ ...settings, hooks }, null, 2)}\n`);
    }
    const policyWritten = await installPolicy(where);
    const other = geminiSettingsPath({ ...where, scope: otherScope(where.scope) });
    const alsoInstalledIn = other !== settingsPath && (await installedIn({ ...where, scope: otherScope(where.scope) })).events.length > 0 ? other : undefined;
    const result: HookInstallResult = { settingsPath, changed: policyWritten ? [...changed, 'policy'] : changed, written: changed.length > 0 || policyWritten };
    return { ...result, ...(policyWritten ? { trustPath: policyPath(where) } : {}), ...(alsoInstalledIn ? { alsoInstalledIn } : {}) };
  },
  async uninstall(where) {
    const settingsPath = geminiSettingsPath(where);
    const { settings, existed } = await readHooksSettings(settingsPath, GEMINI_EVENTS);
    const changed: string[] = [];
    if (existed && isObject(settings.hooks)) {
      const hooks: JsonObject = { ...settings.hooks };
      for (const event of GEMINI_EVENTS) {
        const before = hooks[event] as Json[] | undefined;
        if (!before) continue;
        const after = withoutOurs(before);
        if (sameJson(after, before)) continue;
        changed.push(event);
        if (after.length === 0) delete hooks[event];
        else hooks[event] = after;
      }
      if (changed.length > 0) {
        const next: JsonObject = { ...settings, hooks };
        if (Object.keys(hooks).length === 0) delete next.hooks;
        await writeConfigFile(settingsPath, `${JSON.stringify(next, null, 2)}\n`);
      }
    }
    // The policy goes with the last of skillopt's hooks (the other scope may still use skills through it).
    const policy = policyPath(where);
    const otherHas = (await installedIn({ ...where, scope: otherScope(where.scope) })).events.length > 0;
    const text = await readTextIfExists(policy);
    let trustPath: string | undefined;
    if (!otherHas && text?.startsWith(POLICY_MARK)) {
      await rm(policy, { force: true });
      changed.push('policy');
      trustPath = policy;
    }
    return { settingsPath, changed, written: changed.length > 0, ...(trustPath ? { trustPath } : {}) };
  },
  async check(where): Promise<SetupCheck | undefined> {
    const found: Installed[] = [];
    for (const scope of ['user', 'project'] as const) {
      const one = await installedIn({ ...where, scope });
      if (!found.some((f) => f.settingsPath === one.settingsPath)) found.push(one);
    }
    const broken = found.find((f) => f.error);
    if (broken) return { ok: false, detail: broken.error!, fix: `fix ${broken.settingsPath}` };
    const withHooks = found.filter((f) => f.events.length > 0);
    if (withHooks.length === 0) return undefined;
    if (withHooks.length > 1) {
      return {
        ok: false,
        detail: `installed in ${withHooks.map((f) => f.settingsPath).join(' and ')}: Gemini CLI runs each hook twice`,
        fix: 'keep one: `skillopt hooks uninstall --agent gemini --scope project` (or --scope user)',
      };
    }
    const [installed] = withHooks as [Installed];
    const rerun = `run \`skillopt hooks install --agent gemini --scope ${installed.scope}\``;
    const missing = GEMINI_EVENTS.filter((e) => !installed.events.includes(e));
    if (missing.length > 0) return { ok: false, detail: `${installed.settingsPath} lacks ${missing.join(', ')}`, fix: rerun };
    if (installed.outdated.length > 0) {
      return { ok: false, detail: `${installed.settingsPath} holds ${installed.outdated.join(', ')} hooks not as this skillopt writes them (Gemini CLI waits for each)`, fix: `${rerun} to rewrite them in place` };
    }
    for (const command of installed.commands) {
      const file = hookCommandFile(command);
      if (file !== undefined && !existsSync(file)) return { ok: false, detail: `${installed.settingsPath} runs ${file}, which is not there`, fix: `${rerun} again from this install` };
    }
    const policy = policyPath(where);
    if ((await readTextIfExists(policy)) !== geminiPolicy()) {
      return { ok: false, detail: `${policy} is missing or changed: headless Gemini CLI (gemini -p) denies activate_skill, so no skill is used there`, fix: rerun };
    }
    return { ok: true, detail: `Gemini CLI: installed in ${installed.settingsPath} (${installed.scope}), running ${installed.commands.join(', ')}; skills allowed headless by ${policy}` };
  },
  projectNote: (where, result) =>
    `Gemini CLI runs ${result.settingsPath}'s hooks (and the user's) only in a trusted folder: trust ${where.cwd} when Gemini asks (gemini -p needs it trusted anyway)`,
};
