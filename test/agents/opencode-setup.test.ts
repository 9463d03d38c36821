// `skillopt hooks install|uninstall --agent opencode` and doctor's look at it
// (agents/opencode/setup.ts): one file in OpenCode's plugins folder,
// skillopt's only, and an OpenCode that keeps working, silent, when the bundle
// it loads is gone or skillopt cannot write its files (the real pinned
// OpenCode, against the scripted Chat Completions server).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCodeSetup } from '../../agents/opencode/setup';
import { chatMatch, openCodeBin, startChatCompletionsServer, writeOpenCodeHome, type ChatCompletionsServer, type OpenCodeHome } from '../fixtures/chat-completions-server';

const OPENCODE_BIN = openCodeBin();
const HOOK_ENTRY = resolve('dist/hook.cjs');
let dir: string;
let oc: OpenCodeHome;
let server: ChatCompletionsServer;

const where = (scope: 'user' | 'project', entry?: string[]) => ({ env: oc.env, scope, home: oc.userHome, cwd: join(dir, 'project'), ...(entry ? { entry } : {}) });
const userFile = () => join(oc.configDir, 'plugins', 'skillopt.js');
const projectFile = () => join(dir, 'project', '.opencode', 'plugins', 'skillopt.js');

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skillopt-opencode-setup-'));
  mkdirSync(join(dir, 'project'));
  server = await startChatCompletionsServer({ rules: [{ name: 'hello', match: chatMatch.prompt('hello'), reply: { text: 'Hi there.' } }] });
  oc = writeOpenCodeHome(dir, { url: server.url });
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `opencode run` in the project; its output, and OpenCode's own log of the run. */
async function runOpenCode(extraEnv: Record<string, string> = {}) {
  const run = await execa(OPENCODE_BIN, ['run', '--title', 't'], { cwd: join(dir, 'project'), env: { PATH: process.env.PATH!, ...oc.env, ...extraEnv }, extendEnv: false, input: 'hello', timeout: 90_000, reject: false });
  const logDir = join(oc.dataDir, 'log');
  const log = existsSync(logDir) ? readdirSync(logDir).map((f) => readFileSync(join(logDir, f), 'utf8')).join('\n') : '';
  return { ...run, log };
}

describe('hooks install --agent opencode', () => {
  it('writes the plugin into OpenCode’s plugins folder, once; doctor sees it; uninstall removes it and nothing else', async () => {
    expect(await openCodeSetup.check(where('user'))).toBeUndefined();
    expect(await openCodeSetup.install(where('user', ['/usr/bin/node', HOOK_ENTRY]))).toMatchObject({ settingsPath: userFile(), changed: ['plugin'], written: true });
    const text = readFileSync(userFile(), 'utf8');
    expect(text).toContain(JSON.stringify(resolve('dist/opencode-plugin.mjs')));
    expect(text).toContain('"/usr/bin/node"');
    // OpenCode rejects a plugin file with any export that is not a plugin function.
    expect(text.match(/^export /gm)).toEqual(['export ']);
    expect(await openCodeSetup.install(where('user', ['/usr/bin/node', HOOK_ENTRY]))).toMatchObject({ changed: [], written: false });
    expect(await openCodeSetup.check(where('user'))).toEqual({ ok: true, detail: `OpenCode: plugin in ${userFile()} (user), loading ${resolve('dist/opencode-plugin.mjs')}` });
    writeFileSync(join(oc.configDir, 'plugins', 'mine.js'), 'export default async function () { return {}; }\n');
    const config = readFileSync(join(oc.configDir, 'opencode.json'), 'utf8');

    // Both scopes: OpenCode would load it twice.
    expect(await openCodeSetup.install(where('project', ['/usr/bin/node', HOOK_ENTRY]))).toMatchObject({ settingsPath: projectFile(), alsoInstalledIn: userFile() });
    expect(await openCodeSetup.check(where('user'))).toMatchObject({ ok: false, detail: expect.stringContaining('OpenCode loads both'), fix: expect.stringContaining('skillopt hooks uninstall --agent opencode --scope project') });
    expect(await openCodeSetup.uninstall(where('project'))).toMatchObject({ changed: ['plugin'], written: true });
    expect(await openCodeSetup.uninstall(where('user'))).toMatchObject({ changed: ['plugin'], written: true });
    expect(existsSync(userFile())).toBe(false);
    expect(existsSync(join(oc.configDir, 'plugins', 'mine.js'))).toBe(true);
    expect(readFileSync(join(oc.configDir, 'opencode.json'), 'utf8')).toBe(config);
    expect(await openCodeSetup.uninstall(where('user'))).toMatchObject({ changed: [], written: false });
  });

  it('refuses to overwrite or remove a skillopt.js that is not skillopt’s', async () => {
    mkdirSync(join(oc.configDir, 'plugins'), { recursive: true });
    writeFileSync(userFile(), 'export default async function () { return {}; }\n');
    await expect(openCodeSetup.install(where('user'))).rejects.toThrow(/is not skillopt's OpenCode plugin; move it away first/);
    await expect(openCodeSetup.uninstall(where('user'))).rejects.toThrow(/is not skillopt's OpenCode plugin/);
    expect(readFileSync(userFile(), 'utf8')).toBe('export default async function () { return {}; }\n');
  });

  it('OpenCode loads the plugin and answers as before, printing nothing of skillopt; a missing bundle leaves it working, and doctor says so', async () => {
    await openCodeSetup.install(where('user', [process.execPath, HOOK_ENTRY]));
    const run = await runOpenCode({ SKILLOPT_HOME: join(dir, 'skillopt') });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('Hi there.');
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/skillopt/i);
    expect(run.log).not.toContain('failed to load plugin');
    // Its session start ran: the session's skills were snapshotted in SKILLOPT_HOME.
    expect(existsSync(join(dir, 'skillopt'))).toBe(true);

    const gone = join(dir, 'moved', 'dist', 'hook.cjs');
    await openCodeSetup.install(where('user', [process.execPath, gone]));
    expect(await openCodeSetup.check(where('user'))).toMatchObject({ ok: false, detail: expect.stringContaining('which is not there'), fix: expect.stringContaining('skillopt hooks install --agent opencode --scope user') });
    const without = await runOpenCode();
    expect(without.exitCode, without.stderr).toBe(0);
    expect(without.stdout.trim()).toBe('Hi there.');
    expect(without.log).not.toContain('failed to load plugin');
  }, 120_000);

  it('spares OpenCode its npm install of @opencode-ai/plugin where it never installed (offline it would wait ~80 s at every start); leaves a folder it installed into alone', async () => {
    for (const f of ['node_modules', 'package.json', 'package-lock.json']) rmSync(join(oc.configDir, f), { recursive: true, force: true });
    expect(await openCodeSetup.install(where('user', [process.execPath, HOOK_ENTRY]))).toMatchObject({ changed: ['plugin', 'npm-install seed'], written: true });
    expect(readdirSync(join(oc.configDir, 'node_modules'))).toEqual([]);
    // The registry refuses: OpenCode would retry its install for over a minute before loading any plugin.
    const started = Date.now();
    const run = await runOpenCode({ SKILLOPT_HOME: join(dir, 'skillopt'), npm_config_registry: 'http://127.0.0.1:1/' });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('Hi there.');
    expect(Date.now() - started).toBeLessThan(40_000);
    expect(run.log).not.toContain('background dependency install failed');
    expect(existsSync(join(dir, 'skillopt'))).toBe(true);
    expect(await openCodeSetup.install(where('user', [process.execPath, HOOK_ENTRY]))).toMatchObject({ changed: [], written: false });
    // Uninstalled, the seed goes with the plugin; a folder with its own install keeps it.
    await openCodeSetup.uninstall(where('user'));
    expect(readdirSync(oc.configDir).filter((f) => f === 'node_modules' || f === 'package-lock.json')).toEqual([]);
    mkdirSync(join(oc.configDir, 'node_modules', '@opencode-ai', 'plugin'), { recursive: true });
    writeFileSync(join(oc.configDir, 'package-lock.json'), '{"lockfileVersion":3}\n');
    expect(await openCodeSetup.install(where('user', [process.execPath, HOOK_ENTRY]))).toMatchObject({ changed: ['plugin'] });
    await openCodeSetup.uninstall(where('user'));
    expect(readFileSync(join(oc.configDir, 'package-lock.json'), 'utf8')).toBe('{"lockfileVersion":3}\n');
    expect(existsSync(join(oc.configDir, 'node_modules', '@opencode-ai', 'plugin'))).toBe(true);
  }, 120_000);

  it('a SKILLOPT_HOME that cannot be written costs the user nothing: the prompt is answered, nothing is printed', async () => {
    await openCodeSetup.install(where('user', [process.execPath, HOOK_ENTRY]));
    // A file where the folder should be: every write of the plugin's fails.
    writeFileSync(join(dir, 'not-a-folder'), '');
    chmodSync(join(dir, 'not-a-folder'), 0o400);
    const run = await runOpenCode({ SKILLOPT_HOME: join(dir, 'not-a-folder'), SKILLOPT_DEBUG: '1' });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('Hi there.');
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/skillopt|unhandled|error/i);
  }, 120_000);
});
