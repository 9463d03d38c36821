// `skillopt hooks install|uninstall`: Claude Code's settings.json keeps
// everything that is not skillopt's, installing is idempotent, uninstall takes
// out exactly what install put in, and a broken settings file is never touched.
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run-cli';
import { claudeHooks, claudeSetup } from '../../agents/claude/setup';
import { HOOK_EVENTS, findInstalledHooks, isSkilloptHookCommand, shellQuote } from '../../agents/hooks-json';
import type { SetupWhere } from '../../agents/setup';

const installHooks = (where: Omit<SetupWhere, 'env'>) => claudeSetup.install({ env: {}, ...where });
const uninstallHooks = (where: Omit<SetupWhere, 'env'>) => claudeSetup.uninstall({ env: {}, ...where });
import { HOOK_GATE, HOOK_GATE_NAME } from '../../agents/claude/hook-gate';
import { HOOK_ENTRY, makeHookSandbox, type HookSandbox } from './helpers';

let sb: HookSandbox;
beforeEach(async () => {
  sb = await makeHookSandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

const userSettings = () => join(sb.home, '.claude', 'settings.json');

/** What a user already has: other settings, other hooks (some on the same events), a Skill matcher of their own. */
const FOREIGN = {
  model: 'opus',
  permissions: { allow: ['Bash(npm test)'] },
  hooks: {
    SessionStart: [{ hooks: [{ type: 'command', command: '$HOME/.claude/hooks/log-hook.py SessionStart' }] }],
    PreToolUse: [
      { matcher: 'Skill', hooks: [{ type: 'command', command: 'echo skill-used' }] },
      { matcher: 'Bash', hooks: [{ type: 'command', command: 'check-bash.sh', timeout: 30 }] },
    ],
    Stop: [{ hooks: [{ type: 'command', command: 'notify.sh' }] }],
  },
  statusLine: { type: 'command', command: 'status.sh' },
};

async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8'));
}

/** Each hook's command line: the shell form as written, the exec form's words joined (behind the gate: the gated hook's). */
function hookCommands(settings: Record<string, unknown>, event: string): string[] {
  const groups = ((settings.hooks as Record<string, unknown> | undefined)?.[event] ?? []) as { hooks: { command: string; args?: string[] }[] }[];
  const words = (h: { command: string; args?: string[] }) => (h.args?.[2] === HOOK_GATE_NAME ? h.args.slice(4) : h.args ? [h.command, ...h.args] : [h.command]);
  return groups.flatMap((g) => g.hooks.map((h) => words(h).join(' ')));
}

/**
 * What this version writes for `event`: the exec form (no shell); async where a user waits on it, and
 * there behind the gate (agents/claude/hook-gate.ts), which starts the hook only when it has work.
 */
const execHook = (event: string, extra: Record<string, unknown> = {}) =>
  extra.asyncRewake
    ? { type: 'command', command: '/bin/sh', args: ['-c', HOOK_GATE, HOOK_GATE_NAME, event, 'node', HOOK_ENTRY, 'hook', event], ...extra }
    : { type: 'command', command: 'node', args: [HOOK_ENTRY, 'hook', event], ...extra };

describe('installHooks / uninstallHooks', () => {
  it('adds the five hooks in the exec form, in the background where the user waits for an answer, keeping every foreign setting and hook', async () => {
    await writeJson(userSettings(), FOREIGN);
    const result = await installHooks({ scope: 'user', home: sb.home, cwd: sb.project, entry: ['node', HOOK_ENTRY] });
    expect(result).toMatchObject({ settingsPath: userSettings(), changed: [...HOOK_EVENTS], written: true });
    const settings = await readJson(userSettings());
    expect(settings.model).toBe('opus');
    expect(settings.permissions).toEqual(FOREIGN.permissions);
    expect(settings.statusLine).toEqual(FOREIGN.statusLine);
    const hooks = settings.hooks as Record<string, unknown[]>;
    expect(hooks.Stop).toEqual(FOREIGN.hooks.Stop);
    // Waited for: a resumed session's window reopens before the prompt that follows.
    expect(hooks.SessionStart).toEqual([...FOREIGN.hooks.SessionStart, { hooks: [execHook('SessionStart', { timeout: 30 })] }]);
    // Not waited for: every skill call and every prompt.
    expect(hooks.PreToolUse).toEqual([...FOREIGN.hooks.PreToolUse, { matcher: 'Skill', hooks: [execHook('PreToolUse', { asyncRewake: true, timeout: 10 })] }]);
    expect(hooks.UserPromptSubmit).toEqual([{ hooks: [execHook('UserPromptSubmit', { asyncRewake: true, timeout: 10 })] }]);
    // A skill the user types as /<name>--<author>: only such command names start the hook, which arms before
    // the same prompt's UserPromptSubmit runs (waited for).
    expect(hooks.UserPromptExpansion).toEqual([{ matcher: '^[a-z0-9][a-z0-9-]*--.+$', hooks: [execHook('UserPromptExpansion', { timeout: 10 })] }]);
    // No timeout on SessionEnd: it would stretch Claude Code's 1.5 s budget for every SessionEnd hook.
    expect(hooks.SessionEnd).toEqual([{ hooks: [execHook('SessionEnd')] }]);
  });

  it('is idempotent: a second install adds nothing and does not rewrite the file', async () => {
    await writeJson(userSettings(), FOREIGN);
    await installHooks({ scope: 'user', home: sb.home, cwd: sb.project });
    const once = await readFile(userSettings(), 'utf8');
    const again = await installHooks({ scope: 'user', home: sb.home, cwd: sb.project });
    expect(again).toMatchObject({ changed: [], written: false });
    expect(await readFile(userSettings(), 'utf8')).toBe(once);
    for (const event of HOOK_EVENTS) expect(hookCommands(await readJson(userSettings()), event).filter(isSkilloptHookCommand)).toHaveLength(1);
  });

  it('a settings file from an older skillopt (shell form, waited for, no UserPromptExpansion) is upgraded in place, once', async () => {
    const command = `node ${shellQuote(HOOK_ENTRY)}`;
    const older = (event: string, extra: Record<string, unknown> = {}) => [{ ...extra, hooks: [{ type: 'command', command: `${command} hook ${event}`, ...(event === 'SessionEnd' ? {} : { timeout: event === 'SessionStart' ? 30 : 10 }) }] }];
    const mine = { hooks: [{ type: 'command', command: 'after-skillopt.sh' }] };
    await writeJson(userSettings(), {
      ...FOREIGN,
      hooks: {
        ...FOREIGN.hooks,
        // The user's own hooks before and after skillopt's keep their places.
        SessionStart: [...FOREIGN.hooks.SessionStart, ...older('SessionStart'), mine],
        PreToolUse: [FOREIGN.hooks.PreToolUse[0], ...older('PreToolUse', { matcher: 'Skill' }), FOREIGN.hooks.PreToolUse[1]],
        UserPromptSubmit: older('UserPromptSubmit'),
        SessionEnd: older('SessionEnd'),
      },
    });
    const entry = ['node', HOOK_ENTRY];
    expect(await installHooks({ scope: 'user', home: sb.home, cwd: sb.project, entry })).toMatchObject({ changed: [...HOOK_EVENTS], written: true });
    const after = await readJson(userSettings());
    const hooks = after.hooks as Record<string, unknown[]>;
    expect({ ...after, hooks: undefined }).toEqual({ ...FOREIGN, hooks: undefined });
    expect(hooks.Stop).toEqual(FOREIGN.hooks.Stop);
    expect(hooks.SessionStart).toEqual([...FOREIGN.hooks.SessionStart, { hooks: [execHook('SessionStart', { timeout: 30 })] }, mine]);
    expect(hooks.PreToolUse).toEqual([FOREIGN.hooks.PreToolUse[0], { matcher: 'Skill', hooks: [execHook('PreToolUse', { asyncRewake: true, timeout: 10 })] }, FOREIGN.hooks.PreToolUse[1]]);
    expect(hooks.UserPromptSubmit).toEqual([{ hooks: [execHook('UserPromptSubmit', { asyncRewake: true, timeout: 10 })] }]);
    expect(hookCommands(after, 'UserPromptExpansion')).toEqual([`node ${HOOK_ENTRY} hook UserPromptExpansion`]);
    expect(await installHooks({ scope: 'user', home: sb.home, cwd: sb.project, entry })).toMatchObject({ changed: [], written: false });
    // And uninstall takes out all five, leaving the user's own.
    await uninstallHooks({ scope: 'user', home: sb.home, cwd: sb.project });
    expect(await readJson(userSettings())).toEqual({ ...FOREIGN, hooks: { ...FOREIGN.hooks, SessionStart: [...FOREIGN.hooks.SessionStart, mine] } });
  });

  it('hooks from the version before the gate (exec form, asyncRewake, Node on every prompt) are older ones: upgraded in place, once', async () => {
    const entry = ['node', HOOK_ENTRY];
    await installHooks({ scope: 'user', home: sb.home, cwd: sb.project, entry });
    const gatedSettings = await readJson(userSettings());
    // What that version wrote: the hook itself where the gate now stands.
    const ungated = structuredClone(gatedSettings) as { hooks: Record<string, { hooks: { command: string; args: string[] }[] }[]> };
    for (const event of ['PreToolUse', 'UserPromptSubmit']) {
      const hook = ungated.hooks[event]![0]!.hooks[0]!;
      Object.assign(hook, { command: 'node', args: [HOOK_ENTRY, 'hook', event] });
    }
    await writeJson(userSettings(), ungated);
    const [found] = await findInstalledHooks(claudeHooks, { env: {}, home: sb.home, cwd: sb.home });
    expect(found).toMatchObject({ events: [...HOOK_EVENTS], outdated: ['PreToolUse', 'UserPromptSubmit'], commands: [`node "${HOOK_ENTRY}"`] });
    expect(await installHooks({ scope: 'user', home: sb.home, cwd: sb.project, entry })).toMatchObject({ changed: ['PreToolUse', 'UserPromptSubmit'], written: true });
    expect(await readJson(userSettings())).toEqual(gatedSettings);
    // The gated hooks are this version's: nothing outdated, one command (the hook behind the gate).
    expect((await findInstalledHooks(claudeHooks, { env: {}, home: sb.home, cwd: sb.home }))[0]).toMatchObject({ outdated: [], commands: [`node "${HOOK_ENTRY}"`] });
    expect(await installHooks({ scope: 'user', home: sb.home, cwd: sb.project, entry })).toMatchObject({ changed: [], written: false });
  });

  it('an install from another checkout path replaces the old hook instead of adding a second', async () => {
    await installHooks({ scope: 'user', home: sb.home, cwd: sb.project, entry: ['node', '/old/place/bin/skillopt.js'] });
    await installHooks({ scope: 'user', home: sb.home, cwd: sb.project, entry: ['node', '/new/place/bin/skillopt.js'] });
    expect(hookCommands(await readJson(userSettings()), 'PreToolUse')).toEqual(['node /new/place/bin/skillopt.js hook PreToolUse']);
  });

  it('uninstall removes exactly what install added', async () => {
    await writeJson(userSettings(), FOREIGN);
    const before = await readJson(userSettings());
    await installHooks({ scope: 'user', home: sb.home, cwd: sb.project });
    const result = await uninstallHooks({ scope: 'user', home: sb.home, cwd: sb.project });
    expect(result).toMatchObject({ changed: [...HOOK_EVENTS], written: true });
    expect(await readJson(userSettings())).toEqual(before);
    expect(await uninstallHooks({ scope: 'user', home: sb.home, cwd: sb.project })).toMatchObject({ changed: [], written: false });
  });

  it('install then uninstall on a fresh machine leaves an empty settings object', async () => {
    await installHooks({ scope: 'user', home: sb.home, cwd: sb.project });
    await uninstallHooks({ scope: 'user', home: sb.home, cwd: sb.project });
    expect(await readJson(userSettings())).toEqual({});
  });

  it('uninstall keeps a foreign hook that shares a group with skillopt’s', async () => {
    await writeJson(userSettings(), {
      hooks: { UserPromptSubmit: [{ hooks: [{ type: 'command', command: 'mine.sh' }, { type: 'command', command: 'node "/x/bin/skillopt.js" hook UserPromptSubmit' }] }] },
    });
    await uninstallHooks({ scope: 'user', home: sb.home, cwd: sb.project });
    expect(await readJson(userSettings())).toEqual({ hooks: { UserPromptSubmit: [{ hooks: [{ type: 'command', command: 'mine.sh' }] }] } });
  });

  it('refuses a settings file that is not valid JSON, and never overwrites it', async () => {
    const broken = '{ "model": "opus", // a comment\n}';
    await mkdir(join(sb.home, '.claude'), { recursive: true });
    await writeFile(userSettings(), broken);
    await expect(installHooks({ scope: 'user', home: sb.home, cwd: sb.project })).rejects.toThrow(/is not valid JSON.*will not overwrite it/);
    await expect(uninstallHooks({ scope: 'user', home: sb.home, cwd: sb.project })).rejects.toThrow(/is not valid JSON/);
    expect(await readFile(userSettings(), 'utf8')).toBe(broken);
    for (const odd of ['[]', '"text"', '{"hooks": []}', '{"hooks": {"PreToolUse": {"matcher": "Skill"}}}']) {
      await writeFile(userSettings(), odd);
      await expect(installHooks({ scope: 'user', home: sb.home, cwd: sb.project })).rejects.toThrow(/fix it first/);
      expect(await readFile(userSettings(), 'utf8')).toBe(odd);
    }
  });

  it('project scope writes <cwd>/.claude/settings.json and leaves the user settings alone', async () => {
    const result = await installHooks({ scope: 'project', home: sb.home, cwd: sb.project });
    expect(result.settingsPath).toBe(join(sb.project, '.claude', 'settings.json'));
    expect(hookCommands(await readJson(result.settingsPath), 'SessionEnd')).toHaveLength(1);
    await expect(readFile(userSettings(), 'utf8')).rejects.toThrow();
  });

  it('writes through a symlinked settings.json (dotfile managers) instead of replacing the link', async () => {
    const real = join(sb.dir, 'dotfiles', 'claude-settings.json');
    await writeJson(real, { model: 'opus' });
    await mkdir(join(sb.home, '.claude'), { recursive: true });
    await symlink(real, userSettings());
    await installHooks({ scope: 'user', home: sb.home, cwd: sb.project });
    expect(hookCommands(await readJson(real), 'PreToolUse')).toHaveLength(1);
    expect((await readJson(real)).model).toBe('opus');
  });

  it('quotes the path for /bin/sh and recognises only its own commands', () => {
    expect(shellQuote('/a b/$x/"q"/`c`\\')).toBe('"/a b/\\$x/\\"q\\"/\\`c\\`\\\\"');
    expect(isSkilloptHookCommand('node "/opt/my tools/skillopt/bin/skillopt.js" hook PreToolUse')).toBe(true);
    expect(isSkilloptHookCommand('skillopt hook SessionEnd')).toBe(true);
    expect(isSkilloptHookCommand('node "/opt/my tools/skillopt/dist/hook.cjs" hook UserPromptSubmit')).toBe(true);
    expect(isSkilloptHookCommand('node /x/dist/hook.cjs hook Stop')).toBe(false);
    expect(isSkilloptHookCommand('notskillopt hook SessionEnd')).toBe(false);
    expect(isSkilloptHookCommand('node skillopt.js hook Stop')).toBe(false);
    expect(isSkilloptHookCommand('echo skillopt')).toBe(false);
  });
});

describe('the commander commands', () => {
  async function cli(args: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env: sb.env,
      cwd: sb.project,
    });
    return { code, stdout, stderr };
  }

  it('hooks install / uninstall [--scope]', async () => {
    expect(await cli(['hooks', 'install'])).toMatchObject({ code: 0, stdout: `installed skillopt hooks (${HOOK_EVENTS.join(', ')}) in ${userSettings()}\n` });
    const settings = await readJson(userSettings());
    expect(hookCommands(settings, 'PreToolUse')).toEqual([`node ${HOOK_ENTRY} hook PreToolUse`]);
    expect(await cli(['hooks', 'install'])).toMatchObject({ code: 0, stdout: `skillopt hooks already installed in ${userSettings()}\n` });
    expect((await cli(['hooks', 'install', '--scope', 'project'])).code).toBe(0);
    expect(await cli(['hooks', 'uninstall', '--scope', 'project'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^removed skillopt hooks/) });
    expect(await cli(['hooks', 'uninstall'])).toMatchObject({ code: 0 });
    expect(await cli(['hooks', 'uninstall'])).toMatchObject({ code: 0, stdout: `no skillopt hooks in ${userSettings()}\n` });
  });

  it('warns, in one line on stderr, when the other scope has skillopt hooks too (Claude Code would run both)', async () => {
    const projectSettings = join(sb.project, '.claude', 'settings.json');
    expect(await cli(['hooks', 'install'])).toMatchObject({ code: 0, stderr: '' });
    // Another checkout's command: Claude Code de-duplicates identical commands only.
    await writeJson(projectSettings, { hooks: { PreToolUse: [{ matcher: 'Skill', hooks: [{ type: 'command', command: 'node "/other/checkout/dist/hook.cjs" hook PreToolUse' }] }] } });
    const run = await cli(['hooks', 'install']);
    expect(run).toMatchObject({ code: 0, stdout: `skillopt hooks already installed in ${userSettings()}\n` });
    expect(run.stderr).toMatch(new RegExp(`^skillopt: warning: ${projectSettings.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has skillopt hooks too.*--scope project\`\n$`));
    const fromProject = await cli(['hooks', 'install', '--scope', 'project']);
    expect(fromProject.code).toBe(0);
    expect(fromProject.stderr.split('\n')).toEqual([expect.stringContaining(`${userSettings()} has skillopt hooks too`), '']);
    await cli(['hooks', 'uninstall', '--scope', 'project']);
    expect(await cli(['hooks', 'install'])).toMatchObject({ code: 0, stderr: '' });
  });

  it('a bad --scope is a usage error; a broken settings file is one line on stderr', async () => {
    expect(await cli(['hooks', 'install', '--scope', 'global'])).toMatchObject({ code: 2, stderr: 'skillopt: --scope must be "user" or "project", not "global"\n' });
    await mkdir(join(sb.home, '.claude'), { recursive: true });
    await writeFile(userSettings(), '{oops');
    const run = await cli(['hooks', 'install']);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^skillopt: .*settings\.json is not valid JSON/);
  });
});
