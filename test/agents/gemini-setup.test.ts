// `skillopt hooks install|uninstall --agent gemini` and doctor's look at it
// (agents/gemini/setup.ts): skillopt's four hooks in Gemini CLI's
// settings.json beside the user's own settings and hooks, the policy that lets
// headless Gemini use skills, and a Gemini that keeps answering, printing
// nothing of skillopt, with the hooks installed or their checkout gone (the
// real pinned CLI against the scripted Gemini server).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GEMINI_POLICY_FILE, geminiPolicy, geminiSetup } from '../../agents/gemini/setup';
import { match, SCRIPTED_MODEL, startGeminiServer, writeGeminiHome, type GeminiHome, type GeminiServer } from '../fixtures/gemini-server';

const GEMINI_BIN = resolve('node_modules/.bin/gemini');
const HOOK_ENTRY = resolve('dist/hook.cjs');
let dir: string;
let gemini: GeminiHome;
let server: GeminiServer;

const project = () => join(dir, 'project');
const where = (scope: 'user' | 'project', entry?: string[]) => ({ env: gemini.env, scope, home: gemini.userHome, cwd: project(), ...(entry ? { entry } : {}) });
const settings = (path = gemini.settingsPath) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> & { hooks?: Record<string, { matcher?: string; hooks: { command: string; timeout?: number }[] }[]> };
const policy = () => join(gemini.geminiDir, 'policies', GEMINI_POLICY_FILE);
const USERS_HOOK = { matcher: 'run_shell_command', hooks: [{ type: 'command', command: 'echo mine', timeout: 2000 }] };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skillopt-gemini-setup-'));
  mkdirSync(project());
  server = await startGeminiServer({ rules: [{ name: 'hello', match: match.prompt('hello'), reply: { text: 'Hi.' } }] });
  gemini = writeGeminiHome(join(dir, 'home'), { url: server.url, settings: { ui: { theme: 'mine' }, hooks: { AfterTool: [USERS_HOOK] } } });
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function runGemini(env: Record<string, string> = {}) {
  return execa(GEMINI_BIN, ['-m', SCRIPTED_MODEL, '-p', 'hello'], {
    cwd: project(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...gemini.env, SKILLOPT_HOME: join(dir, 'skillopt'), SKILLOPT_AUTOPULL: '0', ...env },
    extendEnv: false,
    stdin: 'ignore',
    timeout: 90_000,
    reject: false,
  });
}

describe('hooks install --agent gemini', () => {
  it('adds its four hooks and the policy beside the user’s settings, once; doctor sees them; uninstall takes out exactly them', async () => {
    const before = settings();
    expect(await geminiSetup.check(where('user'))).toBeUndefined();
    const installed = await geminiSetup.install(where('user', ['node', HOOK_ENTRY]));
    expect(installed).toMatchObject({ settingsPath: gemini.settingsPath, changed: ['SessionStart', 'BeforeAgent', 'AfterTool', 'SessionEnd', 'policy'], written: true, trustPath: policy() });
    const after = settings();
    // Every setting of the user's kept, their AfterTool hook first.
    expect({ ...after, hooks: undefined }).toEqual({ ...before, hooks: undefined });
    expect(after.hooks!.AfterTool![0]).toEqual(USERS_HOOK);
    expect(after.hooks!.AfterTool![1]).toEqual({ matcher: 'activate_skill', hooks: [{ type: 'command', name: 'skillopt', command: `node "${HOOK_ENTRY}" hook PreToolUse --agent gemini`, timeout: 10_000 }] });
    expect(after.hooks!.BeforeAgent![0]!.hooks[0]!.command).toBe(`node "${HOOK_ENTRY}" hook UserPromptSubmit --agent gemini`);
    expect(after.hooks!.SessionStart![0]!.hooks[0]!.command).toMatch(/ hook SessionStart --agent gemini$/);
    expect(after.hooks!.SessionEnd![0]!.hooks[0]!.command).toMatch(/ hook SessionEnd --agent gemini$/);
    expect(readFileSync(policy(), 'utf8')).toBe(geminiPolicy());

    expect(await geminiSetup.install(where('user', ['node', HOOK_ENTRY]))).toMatchObject({ changed: [], written: false });
    expect(await geminiSetup.check(where('user'))).toMatchObject({ ok: true, detail: expect.stringContaining(`installed in ${gemini.settingsPath} (user)`) });

    // Both scopes: Gemini concatenates them and runs each hook twice.
    expect(await geminiSetup.install(where('project', ['node', HOOK_ENTRY]))).toMatchObject({ settingsPath: join(project(), '.gemini', 'settings.json'), alsoInstalledIn: gemini.settingsPath });
    expect(await geminiSetup.check(where('user'))).toMatchObject({ ok: false, detail: expect.stringContaining('runs each hook twice'), fix: expect.stringContaining('--agent gemini --scope project') });
    // The policy stays while a scope still has the hooks.
    expect(await geminiSetup.uninstall(where('project'))).toMatchObject({ changed: ['SessionStart', 'BeforeAgent', 'AfterTool', 'SessionEnd'] });
    expect(existsSync(policy())).toBe(true);
    expect(await geminiSetup.uninstall(where('user'))).toMatchObject({ changed: ['SessionStart', 'BeforeAgent', 'AfterTool', 'SessionEnd', 'policy'], written: true });
    expect(settings()).toEqual(before);
    expect(existsSync(policy())).toBe(false);
    expect(await geminiSetup.uninstall(where('user'))).toMatchObject({ changed: [], written: false });
  });

  it('doctor names what is wrong: a hook missing, the policy gone', async () => {
    await geminiSetup.install(where('user', ['node', HOOK_ENTRY]));
    rmSync(policy());
    expect(await geminiSetup.check(where('user'))).toMatchObject({ ok: false, detail: expect.stringContaining('denies activate_skill'), fix: expect.stringContaining('hooks install --agent gemini --scope user') });
    const edited = settings();
    delete edited.hooks!.SessionEnd;
    writeFileSync(gemini.settingsPath, JSON.stringify(edited));
    expect(await geminiSetup.check(where('user'))).toMatchObject({ ok: false, detail: `${gemini.settingsPath} lacks SessionEnd` });
  });

  it('refuses a settings.json that is not valid JSON and a policy file that is not skillopt’s, changing neither', async () => {
    writeFileSync(gemini.settingsPath, '{ // mine\n}');
    await expect(geminiSetup.install(where('user'))).rejects.toThrow(/is not valid JSON .*skillopt will not overwrite it/);
    expect(readFileSync(gemini.settingsPath, 'utf8')).toBe('{ // mine\n}');
    writeFileSync(gemini.settingsPath, '{}');
    mkdirSync(join(gemini.geminiDir, 'policies'), { recursive: true });
    writeFileSync(policy(), '[[rule]]\ntoolName = "x"\ndecision = "deny"\n');
    await expect(geminiSetup.install(where('user'))).rejects.toThrow(/is not skillopt's Gemini policy/);
    expect(readFileSync(policy(), 'utf8')).toContain('toolName = "x"');
  });

  it('with the hooks installed Gemini answers as before and shows nothing of skillopt; with the checkout gone it still answers', async () => {
    await geminiSetup.install(where('user', ['node', HOOK_ENTRY]));
    const run = await runGemini({ SKILLOPT_DEBUG: '1' });
    expect({ code: run.exitCode, stdout: run.stdout.trim() }, run.stderr).toEqual({ code: 0, stdout: 'Hi.' });
    expect(run.stderr).not.toMatch(/skillopt|hook/i);
    // The hooks ran: SessionStart and BeforeAgent logged in skillopt's home.
    expect(readFileSync(join(dir, 'skillopt', 'hooks.log'), 'utf8')).toMatch(/UserPromptSubmit: no-window/);

    await geminiSetup.install(where('user', ['node', join(dir, 'old-checkout', 'dist', 'hook.cjs')]));
    expect(await geminiSetup.check(where('user'))).toMatchObject({ ok: false, detail: expect.stringContaining('which is not there') });
    const gone = await runGemini();
    expect({ code: gone.exitCode, stdout: gone.stdout.trim() }, gone.stderr).toEqual({ code: 0, stdout: 'Hi.' });
  }, 180_000);
});
