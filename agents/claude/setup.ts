// Claude Code's hooks in settings.json (user: $HOME/.claude/settings.json,
// project: <cwd>/.claude/settings.json): SessionStart, PreToolUse on the Skill
// tool, UserPromptExpansion on `/<name>--<author>`, UserPromptSubmit and
// SessionEnd, in the exec form (`command` node, `args` [<entry>, "hook",
// <Event>]: no shell parses them) and, on the hooks a user waits on,
// `asyncRewake` behind a gate that starts Node only when there is work
// (agents/claude/hook-gate.ts).
import { resolve } from 'node:path';
import { checkHooksJson, hookGroup, installHooksJson, uninstallHooksJson, HOOK_EVENTS, type HookEvent, type HooksJsonFormat, type JsonObject } from '../hooks-json';
import type { AgentSetup } from '../setup';
import { HOOK_GATE, HOOK_GATE_NAME } from './hook-gate';

/**
 * The hooks it does not wait for: those on every prompt and every skill call, where a user waits
 * for the answer. Marked `asyncRewake` rather than `async` (docs/claude-code.md §3): the interactive agent
 * starts them in the background and goes on, as with `async`, but a `claude -p` run waits for them instead
 * of killing those still running when it ends (which loses the event), and a run driven by an SDK waits
 * for them before it exits. "Rewake" (exit code 2 wakes the model) never happens: a hook always exits 0.
 * Not SessionStart (a resumed session's window must reopen before the prompt that follows is handled),
 * UserPromptExpansion (it arms before the UserPromptSubmit of the same prompt runs, so that prompt is never
 * counted as a reaction; it runs only for `/<name>--<author>` commands), nor SessionEnd (Claude Code exits
 * right after it, waiting for it up to 1.5 s).
 */
const CLAUDE_ASYNC: readonly HookEvent[] = ['PreToolUse', 'UserPromptSubmit'];

/** The gate needs a POSIX /bin/sh (Claude Code on Windows gets the hook itself). */
const GATE_PLATFORM = process.platform !== 'win32';

/**
 * A window opens on a Skill tool call, or on a skill the user typed as `/<name>--<author>`: Claude Code
 * matches UserPromptExpansion on the command's name, as a regular expression once the matcher has a
 * character other than letters, digits, `_`, `|`, `,`, space and `-` (docs/claude-code.md), so no other
 * slash command starts the hook.
 */
const MATCHERS: Partial<Record<HookEvent, string>> = { PreToolUse: 'Skill', UserPromptExpansion: '^[a-z0-9][a-z0-9-]*--.+$' };

export const claudeHooks: HooksJsonFormat = {
  events: HOOK_EVENTS,
  settingsPath: ({ scope, home, cwd }) => resolve(scope === 'project' ? cwd : home, '.claude', 'settings.json'),
  group(event, entry) {
    const waitedOn = CLAUDE_ASYNC.includes(event);
    const hook: JsonObject =
      waitedOn && GATE_PLATFORM
        ? { type: 'command', command: '/bin/sh', args: ['-c', HOOK_GATE, HOOK_GATE_NAME, event, ...entry, 'hook', event] }
        : { type: 'command', command: entry[0]!, args: [...entry.slice(1), 'hook', event] };
    if (waitedOn) hook.asyncRewake = true;
    return hookGroup(event, hook, MATCHERS[event]);
  },
};

export const claudeSetup: AgentSetup = {
  installs: `Claude Code's settings.json (${HOOK_EVENTS.join(', ')})`,
  setName: 'skillopt hooks',
  install: async (where) => (await installHooksJson(claudeHooks, where)).result,
  uninstall: (where) => uninstallHooksJson(claudeHooks, where),
  check: (where) => checkHooksJson(claudeHooks, where, { label: 'Claude Code', flag: '', waits: true }),
};
