// `skillopt hooks install|uninstall --agent copilot` and doctor's look at it
// (agents/copilot/setup.ts): one hooks file of skillopt's own in Copilot's hooks
// folder, the user's other hooks files untouched, and a Copilot that keeps
// working, silently, when the hook entry it runs is gone (the real pinned
// Copilot CLI against the scripted Responses server).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copilotSetup } from '../../agents/copilot/setup';
import { SKILLOPT_BIN } from '../e2e/helpers';
import { startResponsesServer, type ResponsesServer } from '../fixtures/responses-server';

const COPILOT_BIN = resolve('node_modules/.bin/copilot');
/** One unpacked Copilot package for every run (it unpacks 235 MB on a first start). */
const COPILOT_CACHE = join(tmpdir(), 'skillopt-copilot-cache');
const HOOK_ENTRY = resolve('dist/hook.cjs');
let dir: string;
let home: string;
let server: ResponsesServer;

const where = (scope: 'user' | 'project', entry?: string[]) => ({ env: { HOME: home }, scope, home, cwd: join(dir, 'project'), ...(entry ? { entry } : {}) });
const userFile = () => join(home, '.copilot', 'hooks', 'skillopt.json');
const projectFile = () => join(dir, 'project', '.github', 'hooks', 'skillopt.json');

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skillopt-copilot-setup-'));
  home = join(dir, 'home');
  mkdirSync(join(dir, 'project'), { recursive: true });
  server = await startResponsesServer({ rules: [{ name: 'hello', match: (req) => req.lastUserText.endsWith('hello'), reply: { text: 'Hi.' } }] });
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hooks install --agent copilot', () => {
  it("writes skillopt.json into Copilot's hooks folder, once; doctor sees it; uninstall removes it and nothing else", async () => {
    expect(await copilotSetup.check(where('user'))).toBeUndefined();
    expect(await copilotSetup.install(where('user', ['node', HOOK_ENTRY]))).toMatchObject({ settingsPath: userFile(), written: true });
    const file = JSON.parse(readFileSync(userFile(), 'utf8')) as { version: number; hooks: Record<string, { bash: string; matcher?: string; timeoutSec: number }[]> };
    expect(file.version).toBe(1);
    expect(Object.keys(file.hooks)).toEqual(['sessionStart', 'userPromptSubmitted', 'postToolUse', 'sessionEnd']);
    expect(file.hooks.postToolUse).toEqual([{ type: 'command', bash: `node "${HOOK_ENTRY}" hook PreToolUse --agent copilot`, timeoutSec: 10, matcher: 'skill' }]);
    expect(file.hooks.userPromptSubmitted![0]!.bash).toBe(`node "${HOOK_ENTRY}" hook UserPromptSubmit --agent copilot`);
    expect(await copilotSetup.install(where('user', ['node', HOOK_ENTRY]))).toMatchObject({ changed: [], written: false });
    expect(await copilotSetup.check(where('user'))).toEqual({ ok: true, detail: `Copilot CLI: installed in ${userFile()} (user), running node "${HOOK_ENTRY}"` });
    // A settings file that turns every hook off.
    writeFileSync(join(home, '.copilot', 'settings.json'), '{"disableAllHooks": true}\n');
    expect(await copilotSetup.check(where('user'))).toMatchObject({ ok: false, detail: expect.stringContaining('runs no hooks'), fix: `remove "disableAllHooks" from ${join(home, '.copilot', 'settings.json')}` });
    writeFileSync(join(home, '.copilot', 'settings.json'), '{"disableAllHooks": false}\n');
    expect(await copilotSetup.check(where('user'))).toMatchObject({ ok: true });
    const mine = join(home, '.copilot', 'hooks', 'mine.json');
    writeFileSync(mine, '{"version":1,"hooks":{"sessionStart":[{"type":"command","bash":"true"}]}}\n');

    // Both scopes: in a trusted project Copilot would run both.
    expect(await copilotSetup.install(where('project', ['node', HOOK_ENTRY]))).toMatchObject({ settingsPath: projectFile(), alsoInstalledIn: userFile() });
    expect(copilotSetup.projectNote?.(where('project'), { settingsPath: projectFile(), changed: [], written: true })).toContain('trusted folder');
    expect(await copilotSetup.check(where('user'))).toMatchObject({ ok: false, detail: expect.stringContaining('runs each hook twice'), fix: expect.stringContaining('skillopt hooks uninstall --agent copilot --scope project') });
    expect(await copilotSetup.uninstall(where('project'))).toMatchObject({ written: true });
    expect(await copilotSetup.uninstall(where('user'))).toMatchObject({ written: true });
    expect(existsSync(userFile())).toBe(false);
    expect(readFileSync(mine, 'utf8')).toContain('"bash":"true"');
    expect(await copilotSetup.uninstall(where('user'))).toMatchObject({ changed: [], written: false });
  });

  it('an install from another checkout is rewritten in place; a changed file is flagged by doctor', async () => {
    await copilotSetup.install(where('user', ['node', join(dir, 'old', 'dist', 'hook.cjs')]));
    expect(await copilotSetup.install(where('user', ['node', HOOK_ENTRY]))).toMatchObject({ written: true });
    expect(readFileSync(userFile(), 'utf8')).not.toContain(join(dir, 'old'));
    const file = JSON.parse(readFileSync(userFile(), 'utf8')) as { hooks: Record<string, unknown[]> };
    delete file.hooks.sessionEnd;
    writeFileSync(userFile(), JSON.stringify(file));
    expect(await copilotSetup.check(where('user'))).toMatchObject({ ok: false, detail: expect.stringContaining('not as this version writes it'), fix: expect.stringContaining('hooks install --agent copilot --scope user') });
  });

  it("refuses to overwrite or remove a skillopt.json that is not skillopt's", async () => {
    mkdirSync(join(home, '.copilot', 'hooks'), { recursive: true });
    const theirs = '{"version":1,"hooks":{"sessionStart":[{"type":"command","bash":"echo mine"}]}}\n';
    writeFileSync(userFile(), theirs);
    await expect(copilotSetup.install(where('user'))).rejects.toThrow(/is not skillopt's Copilot hooks file; move it away first/);
    await expect(copilotSetup.uninstall(where('user'))).rejects.toThrow(/is not skillopt's Copilot hooks file/);
    expect(await copilotSetup.check(where('user'))).toMatchObject({ ok: false, fix: expect.stringContaining(`move ${userFile()} away`) });
    expect(readFileSync(userFile(), 'utf8')).toBe(theirs);
    writeFileSync(userFile(), 'not json');
    await expect(copilotSetup.install(where('user'))).rejects.toThrow(/not skillopt's/);
  });

  it('the CLI installs it under COPILOT_HOME; a checkout moved away leaves Copilot working and silent, and doctor says how to fix it', async () => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, COPILOT_HOME: join(home, 'cp') };
    const install = await execa(process.execPath, [SKILLOPT_BIN, 'hooks', 'install', '--agent', 'copilot'], { env, extendEnv: false, reject: false });
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stdout).toContain(join(home, 'cp', 'hooks', 'skillopt.json'));

    const gone = join(dir, 'old-checkout', 'dist', 'hook.cjs');
    await copilotSetup.install({ ...where('user', ['node', gone]), env });
    expect(await copilotSetup.check({ ...where('user'), env })).toMatchObject({ ok: false, detail: expect.stringContaining('which is not there'), fix: expect.stringContaining('hooks install --agent copilot') });
    const run = await execa(COPILOT_BIN, ['-p', 'hello', '-s'], {
      cwd: join(dir, 'project'),
      env: { ...env, COPILOT_CACHE_HOME: COPILOT_CACHE, COPILOT_OFFLINE: 'true', COPILOT_AUTO_UPDATE: 'false', COPILOT_PROVIDER_BASE_URL: server.url, COPILOT_PROVIDER_WIRE_API: 'responses', COPILOT_MODEL: 'scripted' },
      extendEnv: false,
      stdin: 'ignore',
      timeout: 90_000,
      reject: false,
    });
    expect({ code: run.exitCode, stdout: run.stdout.trim(), stderr: run.stderr }).toEqual({ code: 0, stdout: 'Hi.', stderr: '' });
  }, 120_000);
});
