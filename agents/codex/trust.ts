// Codex runs a user or project hook only once config.toml trusts its exact
// definition (docs/codex-cli.md, b): a `[hooks.state."<hooks.json>:<event>:<group>:<handler>"]`
// table whose `trusted_hash` is the sha256 of the hook's normalized JSON.
// Untrusted hooks are skipped silently, so `hooks install --agent codex`
// writes that trust for skillopt's own hooks, and nothing else, in one marked
// block per hooks.json; uninstall removes the block. The rest of the file is
// kept byte for byte. smol-toml checks that the file parses before and after
// (a config Codex cannot read would stop every session), so a file that is not
// valid TOML is refused, never rewritten.
import { createHash } from 'node:crypto';
import { parse } from 'smol-toml';
import { readTextIfExists, writeConfigFile } from '../../local/fs';
import type { HookEvent } from '../hooks-json';
import { HookSettingsError } from '../setup';


/** A command hook as it stands in hooks.json: its event, where its group and handler are, and the handler. */
export interface TrustedHook {
  /** skillopt's own are HookEvents; Codex has more (PostToolUse, Stop, …). */
  event: HookEvent | (string & {});
  /** The group's index in the event's list. */
  groupIndex: number;
  /** The handler's index in its group (skillopt's group holds one: 0). */
  handlerIndex?: number;
  matcher?: string | undefined;
  command: string;
  timeout?: number | undefined;
}

/** PreToolUse → pre_tool_use: the event's name in Codex's trust keys. */
export function codexEventLabel(event: string): string {
  return event.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

export function codexHookKey(hooksPath: string, hook: TrustedHook): string {
  return `${hooksPath}:${codexEventLabel(hook.event)}:${hook.groupIndex}:${hook.handlerIndex ?? 0}`;
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortedKeys((value as Record<string, unknown>)[k])]));
}

/**
 * The hash Codex compares: sha256 of the key-sorted compact JSON of
 * {event_name, matcher?, hooks: [{type, command, timeout (default 600), async}]}
 * (checked against the hash `codex app-server` reports for a hook).
 */
export function codexHookHash(hook: TrustedHook): string {
  const handler = { type: 'command', command: hook.command, timeout: Math.max(1, hook.timeout ?? 600), async: false };
  const identity: Record<string, unknown> = { event_name: codexEventLabel(hook.event), hooks: [handler] };
  if (hook.matcher !== undefined) identity.matcher = hook.matcher;
  return `sha256:${createHash('sha256').update(JSON.stringify(sortedKeys(identity))).digest('hex')}`;
}

const beginLine = (hooksPath: string) => `# >>> skillopt: trust for skillopt's own hooks in ${hooksPath} (\`skillopt hooks uninstall --agent codex\` removes it)`;
const END_LINE = '# <<< skillopt';

/** The text without skillopt's block for this hooks.json (if any), and without the blank line install put before it. */
function withoutBlock(text: string, hooksPath: string): string {
  const lines = text.split('\n');
  const begin = lines.indexOf(beginLine(hooksPath));
  if (begin < 0) return text;
  const end = lines.indexOf(END_LINE, begin);
  const before = lines.slice(0, begin).join('\n');
  const after = end < 0 ? '' : lines.slice(end + 1).join('\n');
  if (after.trim() === '') return before.trim() === '' ? '' : `${before.replace(/\n+$/, '')}\n`;
  return `${before}\n${after}`;
}

type Toml = Record<string, unknown>;

function parseToml(text: string, path: string, what: string): Toml {
  try {
    return parse(text) as Toml;
  } catch (err) {
    throw new HookSettingsError(`${path} ${what} (${(err as Error).message.split('\n')[0]}); fix it first, skillopt will not overwrite it`);
  }
}

function trustedHashIn(config: Toml, key: string): unknown {
  const hooks = config.hooks as Toml | undefined;
  const state = hooks?.state as Toml | undefined;
  return (state?.[key] as Toml | undefined)?.trusted_hash;
}

export interface TrustResult {
  path: string;
  written: boolean;
}

/** Trusts exactly `hooks` (skillopt's, in `hooksPath`) in Codex's config.toml. */
export async function trustCodexHooks(configPath: string, hooksPath: string, hooks: readonly TrustedHook[]): Promise<TrustResult> {
  const original = (await readTextIfExists(configPath)) ?? '';
  parseToml(original, configPath, 'is not valid TOML');
  const rest = withoutBlock(original, hooksPath);
  const others = parseToml(rest, configPath, 'is not valid TOML');
  const tables: string[] = [];
  for (const hook of hooks) {
    const key = codexHookKey(hooksPath, hook);
    const hash = codexHookHash(hook);
    const already = trustedHashIn(others, key);
    // Trusted already outside the block (through Codex itself): nothing to add.
    if (already === hash) continue;
    if (already !== undefined) {
      throw new HookSettingsError(`${configPath} trusts another definition of ${key}: remove that [hooks.state] entry and run this again`);
    }
    tables.push(`[hooks.state.${JSON.stringify(key)}]`, `trusted_hash = ${JSON.stringify(hash)}`);
  }
  const block = tables.length > 0 ? `${beginLine(hooksPath)}\n${tables.join('\n')}\n${END_LINE}\n` : '';
  const base = rest.replace(/\s*$/, '');
  const next = block ? `${base}${base ? '\n\n' : ''}${block}` : rest;
  if (next === original) return { path: configPath, written: false };
  const result = parseToml(next, configPath, 'would not be valid TOML with skillopt\'s [hooks.state] entries (is `hooks.state` an inline table?)');
  for (const hook of hooks) {
    if (trustedHashIn(result, codexHookKey(hooksPath, hook)) !== codexHookHash(hook)) {
      throw new HookSettingsError(`${configPath}: could not add the trust for ${codexHookKey(hooksPath, hook)}; add it by hand: see \`skillopt hooks install --help\``);
    }
  }
  // config.toml can hold provider keys: 0600 when new.
  await writeConfigFile(configPath, next, 0o600);
  return { path: configPath, written: true };
}

/** The keys of `hooks` that config.toml does not trust with their current hash (all of them when it cannot be read). */
export async function untrustedHooks(configPath: string, hooksPath: string, hooks: readonly TrustedHook[]): Promise<string[]> {
  let config: Toml = {};
  try {
    config = parse((await readTextIfExists(configPath)) ?? '') as Toml;
  } catch {
    // Codex cannot read it either: nothing is trusted.
  }
  return hooks.map((hook) => codexHookKey(hooksPath, hook)).filter((key, i) => trustedHashIn(config, key) !== codexHookHash(hooks[i]!));
}

/** Removes skillopt's block for `hooksPath`; the rest of config.toml stays as it is. */
export async function untrustCodexHooks(configPath: string, hooksPath: string): Promise<TrustResult> {
  const original = await readTextIfExists(configPath);
  if (original === undefined) return { path: configPath, written: false };
  const next = withoutBlock(original, hooksPath);
  if (next === original) return { path: configPath, written: false };
  // config.toml can hold provider keys: 0600 when new.
  await writeConfigFile(configPath, next, 0o600);
  return { path: configPath, written: true };
}
