// copilotCliModel against the real, pinned GitHub Copilot CLI
// (node_modules/.bin/copilot) and the scripted Responses API
// (test/fixtures/responses-server.ts), offline (BYOK on loopback): the user's
// Copilot home holds a skill, an AGENTS.md-reading project and skillopt's own
// hooks plus a hook of the user's, all of which a plain `copilot -p` would use,
// so the backend's own flags are what is tested. See docs/copilot-cli.md §4.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copilotAgentFile, copilotCliArgs, copilotCliModel, copilotErrorDetail, resolveCopilotCliSettings } from '../../agents/copilot/backend';
import { copilotSetup } from '../../agents/copilot/setup';
import { modelFromEnv } from '../../agents/model-backend';
import type { ModelRequest } from '../../agents/types';
import { startResponsesServer, type ResponsesServer } from '../fixtures/responses-server';
import { failure } from './helpers';

const COPILOT_BIN = resolve('node_modules/.bin/copilot');
/** One unpacked Copilot package for every run (it unpacks 235 MB on a first start). */
const COPILOT_CACHE = join(tmpdir(), 'skillopt-copilot-cache');
const SYSTEM = 'You are a strict grader.\nReply with JSON only: {"success":0|1} "quoted" \\ back\tslash ✓';
const JUDGE: ModelRequest = { role: 'judge', system: SYSTEM, user: 'TRANSCRIPT:\nUSER: deploy\nASSISTANT: Deployed.\n\nDid it work?' };
const VERDICT = '{"success":0,"confidence":0.9,"reason":"skipped the tests"}';
const SKILL = 'deploy-checklist--alice';

let dir: string;
let home: string;
let server: ResponsesServer;
let env: NodeJS.ProcessEnv;
/** Where the user's own hook writes what it saw (one line per run: SKILLOPT_INTERNAL). */
let userHookLog: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'copilot-backend-'));
  home = join(dir, 'home');
  server = await startResponsesServer();
  env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    COPILOT_CACHE_HOME: COPILOT_CACHE,
    COPILOT_OFFLINE: 'true',
    COPILOT_AUTO_UPDATE: 'false',
    COPILOT_PROVIDER_BASE_URL: server.url,
    COPILOT_PROVIDER_WIRE_API: 'responses',
    COPILOT_MODEL: 'scripted',
    // skillopt's hooks do only their local work here (no pull, attribution or flusher: no Temporal).
    SKILLOPT_AUTOPULL: '0',
    SKILLOPT_ATTRIBUTION: '0',
    SKILLOPT_FLUSHER: '0',
  };
  // What a plain run would use: a personal skill, skillopt's hooks and one of the user's own.
  mkdirSync(join(home, '.copilot', 'skills', SKILL), { recursive: true });
  writeFileSync(join(home, '.copilot', 'skills', SKILL, 'SKILL.md'), `---\nname: ${SKILL}\ndescription: SKILLMARKER\n---\n# Deploy\n`);
  await copilotSetup.install({ env, scope: 'user', home, cwd: dir, entry: ['node', resolve('dist/hook.cjs')] });
  userHookLog = join(dir, 'user-hook.log');
  writeFileSync(join(home, '.copilot', 'hooks', 'mine.json'), JSON.stringify({ version: 1, hooks: { sessionStart: [{ type: 'command', bash: `echo "internal=$SKILLOPT_INTERNAL" >> ${userHookLog}` }] } }));
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('copilotCliModel with the real Copilot CLI', () => {
  it('returns the reply; the system text rides in the instructions, the user text is the prompt (not argv); no tools, skills or MCP; skillopt’s hooks stay idle', async () => {
    server.addRule({ name: 'judge', match: (req) => req.lastUserText.includes('Did it work?'), reply: { text: VERDICT } });
    // A prompt that starts like a skill command: sent as typed.
    const user = `/${SKILL} go\n${JUDGE.user}`;
    await expect(copilotCliModel({ bin: COPILOT_BIN, env })({ ...JUDGE, user })).resolves.toBe(VERDICT);

    const [request, ...more] = server.responseRequests();
    expect(more).toEqual([]);
    const seen = request!.responses!;
    expect(seen.instructions).toContain(SYSTEM);
    expect(seen.lastUserText.endsWith(`\n\n${user}`)).toBe(true);
    expect(seen.tools).toEqual([]);
    expect(seen.instructions).not.toContain('SKILLMARKER');
    expect(seen.instructions).not.toContain('available_skills');
    // The user's hooks ran (Copilot runs them for every session) with the guard set; skillopt's did nothing.
    expect(readFileSync(userHookLog, 'utf8')).toBe('internal=1\n');
    expect(existsSync(join(home, '.skillopt', 'sessions'))).toBe(false);
    expect(existsSync(join(home, '.skillopt', 'hooks.log'))).toBe(false);
  }, 60_000);

  it('a plain copilot -p (the control): skills offered, tools offered, and skillopt’s SessionStart snapshots the session', async () => {
    server.addRule({ name: 'any', match: () => true, reply: { text: 'ok' } });
    const run = await execa(COPILOT_BIN, ['-p', 'hello', '-s'], { cwd: dir, env, extendEnv: false, stdin: 'ignore', timeout: 60_000, reject: false });
    expect({ code: run.exitCode, out: run.stdout.trim() }, run.stderr).toEqual({ code: 0, out: 'ok' });
    const seen = server.responseRequests()[0]!.responses!;
    expect(seen.tools).toContain('skill');
    expect(seen.instructions).toContain('SKILLMARKER');
    expect(readFileSync(userHookLog, 'utf8')).toBe('internal=\n');
    expect(readdirSync(join(home, '.skillopt', 'sessions')).some((f) => f.endsWith('.skills.json'))).toBe(true);
  }, 60_000);

  it('passes --model for SKILLOPT_JUDGE_MODEL and SKILLOPT_PROPOSER_MODEL, and is what SKILLOPT_MODEL_BACKEND=copilot selects', async () => {
    server.addRule({ name: 'any', match: () => true, reply: { text: '[]' } });
    const model = modelFromEnv({ ...env, SKILLOPT_COPILOT_BIN: COPILOT_BIN, SKILLOPT_MODEL_BACKEND: 'Copilot', SKILLOPT_JUDGE_MODEL: 'cp-judge', SKILLOPT_PROPOSER_MODEL: 'cp-proposer' });
    await expect(model(JUDGE)).resolves.toBe('[]');
    await expect(model({ role: 'proposer', system: 'Propose edits.', user: 'CURRENT SKILL:\n# Deploy\n' })).resolves.toBe('[]');
    expect(server.responseRequests().map((r) => r.responses!.model)).toEqual(['cp-judge', 'cp-proposer']);
  }, 60_000);

  it('carries a user prompt beyond the per-argument limit (128 KiB)', async () => {
    const user = `${'transcript line\n'.repeat(20_000)}Did it work?`; // 320 kB
    server.addRule({ name: 'judge', match: (req) => req.lastUserText.includes('Did it work?'), reply: { text: VERDICT } });
    await expect(copilotCliModel({ bin: COPILOT_BIN, env })({ role: 'judge', system: SYSTEM, user })).resolves.toBe(VERDICT);
    expect(server.responseRequests()[0]!.responses!.lastUserText.endsWith(user)).toBe(true);
  }, 60_000);

  describe('failures', () => {
    it('names a missing binary and how to point at it', async () => {
      expect(await failure(copilotCliModel({ env: { ...env, SKILLOPT_COPILOT_BIN: '/nonexistent/bin/copilot' } })(JUDGE))).toBe(
        'copilot binary not found: "/nonexistent/bin/copilot"; install GitHub Copilot CLI (npm i -g @github/copilot) or set SKILLOPT_COPILOT_BIN to its path',
      );
    });

    it("reports the model failing as one line with Copilot's error", async () => {
      server.addRule({ name: 'fail', match: () => true, reply: { httpError: { status: 400, message: 'unsupported parameter: top_k' } } });
      const message = await failure(copilotCliModel({ bin: COPILOT_BIN, env })(JUDGE));
      expect(message).toMatch(/^copilot exit 1: .*unsupported parameter: top_k/);
    }, 60_000);

    it('rejects an empty reply', async () => {
      server.addRule({ name: 'empty', match: () => true, reply: { text: '' } });
      expect(await failure(copilotCliModel({ bin: COPILOT_BIN, env })(JUDGE))).toMatch(/^copilot (returned empty output|exit)/);
    }, 60_000);
  });
});

describe('copilotCliArgs and settings', () => {
  it('builds the argv: silent, no tools, MCP, instructions, questions or update, the role’s agent, --model only when set', () => {
    expect(copilotCliArgs('judge', undefined)).toEqual(['-s', '--available-tools=none', '--disable-builtin-mcps', '--no-custom-instructions', '--no-ask-user', '--no-auto-update', '--agent', 'skillopt-judge']);
    expect(copilotCliArgs('proposer', 'gpt-5').slice(-4)).toEqual(['--agent', 'skillopt-proposer', '--model', 'gpt-5']);
    expect(copilotAgentFile('judge', 'Grade it.')).toBe('---\nname: skillopt-judge\ndescription: skillopt\'s judge\ntools: []\n---\n\nGrade it.\n');
  });

  it('reads settings from the environment; keeps the line that says what failed', () => {
    expect(resolveCopilotCliSettings({ env: { SKILLOPT_COPILOT_BIN: '/x/copilot', SKILLOPT_JUDGE_MODEL: 'm' } })).toMatchObject({ bin: '/x/copilot', models: { judge: 'm', proposer: undefined } });
    expect(resolveCopilotCliSettings({ env: {} }).bin).toBe('copilot');
    expect(copilotErrorDetail('\nError: 400 bad request\n')).toBe('Error: 400 bad request');
    expect(copilotErrorDetail('', 'out')).toBe('out');
  });
});
