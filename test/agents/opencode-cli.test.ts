// The OpenCode model backend (agents/opencode/backend.ts) with the real
// pinned OpenCode against the scripted Chat Completions server: the model is
// offered no tool, gets skillopt's system prompt and the user prompt exactly,
// skillopt's own plugin never loads, and a failed call is one ModelCallError line.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCodeAnswer, openCodeCliModel } from '../../agents/opencode/backend';
import { openCodeSetup } from '../../agents/opencode/setup';
import { ModelCallError } from '../../agents/types';
import { openCodeBin, startChatCompletionsServer, writeOpenCodeHome, type ChatCompletionsServer, type OpenCodeHome } from '../fixtures/chat-completions-server';

let dir: string;
let oc: OpenCodeHome;
let server: ChatCompletionsServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skillopt-opencode-cli-'));
  server = await startChatCompletionsServer({
    rules: [{ name: 'verdict', match: (req) => req.system.includes('You are the judge.'), reply: { text: '{"success": 1, "confidence": 0.9, "reason": "fine"}' } }],
  });
  oc = writeOpenCodeHome(dir, { url: server.url });
  // skillopt's plugin, installed for the user: a model call never loads it.
  await openCodeSetup.install({ env: oc.env, scope: 'user', home: oc.userHome, cwd: dir, entry: [process.execPath, resolve('dist/hook.cjs')] });
}, 60_000);
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the OpenCode backend', () => {
  it('answers with no tool offered, skillopt’s system prompt and the prompt as given; no plugin runs', async () => {
    const skilloptHome = join(dir, 'skillopt-home');
    const model = openCodeCliModel({ bin: openCodeBin(), env: { PATH: process.env.PATH!, ...oc.env, SKILLOPT_HOME: skilloptHome } });
    const user = '/deploy-checklist--alice "quoted" and {env:HOME}\nsecond line\n';
    expect(await model({ role: 'judge', system: 'You are the judge.', user })).toBe('{"success": 1, "confidence": 0.9, "reason": "fine"}');
    const [req] = server.requests().filter((r) => r.rule === 'verdict');
    expect(req!.chat.body.tools).toBeUndefined();
    expect(req!.chat.system.startsWith('You are the judge.')).toBe(true);
    expect(req!.chat.system).not.toContain('<available_skills>');
    expect(req!.chat.messages.filter((m) => m.role === 'user').map((m) => m.content)).toEqual([user]);
    // Only a title-less single request: no title generation, nothing else asked.
    expect(server.requests().filter((r) => r.chat.isTitle)).toEqual([]);
    // --pure: skillopt's plugin (which would create SKILLOPT_HOME at session start) never loaded.
    expect(existsSync(skilloptHome)).toBe(false);
  }, 90_000);

  it('a model error is one ModelCallError line', async () => {
    const model = openCodeCliModel({ bin: openCodeBin(), env: { PATH: process.env.PATH!, ...oc.env }, judgeModel: 'stub/nope', timeoutMs: 60_000 });
    const err = await model({ role: 'judge', system: 'x', user: 'y' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelCallError);
    expect((err as Error).message).toMatch(/^opencode/);
    expect((err as Error).message).not.toContain('\n');
  }, 90_000);

  it('a missing binary says what to install', async () => {
    const model = openCodeCliModel({ bin: join(dir, 'no-such-opencode'), env: { PATH: '/usr/bin:/bin' } });
    await expect(model({ role: 'judge', system: 'x', user: 'y' })).rejects.toThrow(/npm i -g opencode-ai|SKILLOPT_OPENCODE_BIN/);
  });

  it('reads the answer from the text events and the failure from an error event', () => {
    const lines = [
      { type: 'step_start', part: {} },
      { type: 'text', part: { text: 'first' } },
      { type: 'text', part: { text: 'second' } },
    ].map((l) => JSON.stringify(l));
    expect(openCodeAnswer([...lines, 'not json'].join('\n'))).toBe('first\nsecond');
    expect(() => openCodeAnswer(JSON.stringify({ type: 'error', error: { name: 'UnknownError', data: { message: 'Model not found: stub/nope' } } }))).toThrow('opencode: Model not found: stub/nope');
  });
});

