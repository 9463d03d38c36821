// `skillopt hooks install|uninstall --agent pi` and doctor's look at it
// (agents/pi/setup.ts): one file in pi's extensions folder, skillopt's only,
// and a pi that keeps working when the bundle it loads is gone (the real
// pinned pi, against the scripted Responses server).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { piSetup } from '../../agents/pi/setup';
import { match, startResponsesServer, writePiHome, type PiHome, type ResponsesServer } from '../fixtures/responses-server';

const PI_BIN = resolve('node_modules/.bin/pi');
const HOOK_ENTRY = resolve('dist/hook.cjs');
let dir: string;
let pi: PiHome;
let server: ResponsesServer;

const where = (scope: 'user' | 'project', entry?: string[]) => ({ env: pi.env, scope, home: pi.userHome, cwd: join(dir, 'project'), ...(entry ? { entry } : {}) });
const userFile = () => join(pi.agentDir, 'extensions', 'skillopt.ts');
const projectFile = () => join(dir, 'project', '.pi', 'extensions', 'skillopt.ts');

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skillopt-pi-setup-'));
  mkdirSync(join(dir, 'project'));
  server = await startResponsesServer({ rules: [{ name: 'hello', match: match.prompt('hello'), reply: { text: 'Hi.' } }] });
  pi = writePiHome(dir, { url: server.url });
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hooks install --agent pi', () => {
  it('writes the extension into pi’s extensions folder, once; doctor sees it; uninstall removes it and nothing else', async () => {
    expect(await piSetup.check(where('user'))).toBeUndefined();
    expect(await piSetup.install(where('user', ['node', HOOK_ENTRY]))).toMatchObject({ settingsPath: userFile(), changed: ['extension'], written: true });
    expect(readFileSync(userFile(), 'utf8')).toContain(JSON.stringify(resolve('dist/pi-extension.mjs')));
    expect(await piSetup.install(where('user', ['node', HOOK_ENTRY]))).toMatchObject({ changed: [], written: false });
    expect(await piSetup.check(where('user'))).toEqual({ ok: true, detail: `pi: extension in ${userFile()} (user), loading ${resolve('dist/pi-extension.mjs')}` });
    writeFileSync(join(pi.agentDir, 'extensions', 'mine.ts'), 'export default function () {}\n');

    // Both scopes: pi would load it twice.
    expect(await piSetup.install(where('project', ['node', HOOK_ENTRY]))).toMatchObject({ settingsPath: projectFile(), alsoInstalledIn: userFile() });
    expect(await piSetup.check(where('user'))).toMatchObject({ ok: false, detail: expect.stringContaining('pi loads both'), fix: expect.stringContaining('skillopt hooks uninstall --agent pi --scope project') });
    expect(await piSetup.uninstall(where('project'))).toMatchObject({ changed: ['extension'], written: true });
    expect(await piSetup.uninstall(where('user'))).toMatchObject({ changed: ['extension'], written: true });
    expect(existsSync(userFile())).toBe(false);
    expect(existsSync(join(pi.agentDir, 'extensions', 'mine.ts'))).toBe(true);
    expect(await piSetup.uninstall(where('user'))).toMatchObject({ changed: [], written: false });
  });

  it('refuses to overwrite or remove a skillopt.ts that is not skillopt’s', async () => {
    mkdirSync(join(pi.agentDir, 'extensions'), { recursive: true });
    writeFileSync(userFile(), 'export default function () {}\n');
    await expect(piSetup.install(where('user'))).rejects.toThrow(/is not skillopt's pi extension; move it away first/);
    await expect(piSetup.uninstall(where('user'))).rejects.toThrow(/is not skillopt's pi extension/);
    expect(readFileSync(userFile(), 'utf8')).toBe('export default function () {}\n');
  });

  it('a checkout moved away leaves pi working, and doctor says how to fix it', async () => {
    const gone = join(dir, 'old-checkout', 'dist', 'hook.cjs');
    await piSetup.install(where('user', ['node', gone]));
    expect(await piSetup.check(where('user'))).toMatchObject({ ok: false, detail: expect.stringContaining('which is not there'), fix: expect.stringContaining('hooks install --agent pi') });
    const run = await execa(PI_BIN, ['-p', 'hello'], { cwd: join(dir, 'project'), env: { ...process.env, ...pi.env }, stdin: 'ignore', timeout: 60_000, reject: false });
    expect({ code: run.exitCode, stdout: run.stdout.trim() }, run.stderr).toEqual({ code: 0, stdout: 'Hi.' });
  }, 90_000);
});
