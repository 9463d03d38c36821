// codexCliModel against the real, pinned Codex CLI (node_modules/.bin/codex)
// and the scripted Responses API (test/fixtures/responses-server.ts), offline:
// a throwaway CODEX_HOME whose config.toml names the stub as model_provider,
// so the backend's own flags are what is tested. A wrapper script in front of
// the binary records the argv and the recursion guard the child got.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codexCliCall, codexCliModel, codexErrorDetail, resolveCodexCliSettings, tomlString } from '../../agents/codex/backend';
import { modelFromEnv } from '../../agents/model-backend';
import { ModelConfigError, type ModelRequest } from '../../agents/types';
import { match, startResponsesServer, writeCodexHome, type CodexHome, type ResponsesServer } from '../fixtures/responses-server';
import { failure } from './helpers';

const CODEX_BIN = resolve('node_modules/.bin/codex');
const SYSTEM = 'You are a strict grader.\nReply with JSON only: {"success":0|1,"confidence":0..1,"reason":"…"} "quoted" \\ back\tslash ✓';
const JUDGE: ModelRequest = { role: 'judge', system: SYSTEM, user: 'TRANSCRIPT:\nUSER: deploy\nASSISTANT: Deployed.\n\nDid it work?' };
const VERDICT = '{"success":0,"confidence":0.9,"reason":"skipped the tests"}';
/** Tools that could run or read anything: none may be offered to the judge. */
const ACTING_TOOLS = ['exec_command', 'write_stdin', 'shell', 'shell_command', 'local_shell', 'apply_patch', 'view_image', 'web_search'];

let dir: string;
let server: ResponsesServer;
let codex: CodexHome;
let env: NodeJS.ProcessEnv;
let hookLog: string;
/** A script that records its argv and SKILLOPT_INTERNAL, then runs the real codex. */
let wrapper: string;
let wrapperLog: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'codex-backend-'));
  server = await startResponsesServer();
  hookLog = join(dir, 'hooks.log');
  const record = { type: 'command' as const, command: `cat >> '${hookLog}'; echo >> '${hookLog}'`, timeout: 30 };
  codex = writeCodexHome(dir, {
    url: server.url,
    // Trusted, so they would fire if hooks were on.
    hooks: { SessionStart: [{ hooks: [record] }], UserPromptSubmit: [{ hooks: [record] }], PreToolUse: [{ hooks: [record] }], Stop: [{ hooks: [record] }] },
  });
  wrapperLog = join(dir, 'wrapper.log');
  wrapper = join(dir, 'codex-wrapper');
  writeFileSync(wrapper, `#!/bin/sh\n{ printf 'internal=%s\\n' "$SKILLOPT_INTERNAL"; for a in "$@"; do printf 'arg=%s\\n' "$a" | tr '\\n' ' '; echo; done; } >> '${wrapperLog}'\nexec '${CODEX_BIN}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  env = { ...process.env, ...codex.env, SKILLOPT_CODEX_BIN: wrapper };
  for (const name of ['SKILLOPT_JUDGE_MODEL', 'SKILLOPT_PROPOSER_MODEL', 'SKILLOPT_MODEL_TIMEOUT_MS', 'SKILLOPT_INTERNAL', 'SKILLOPT_MODEL_BACKEND']) delete env[name];
});

afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function wrapperArgs(): string[] {
  return readFileSync(wrapperLog, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('arg='))
    .map((line) => line.slice('arg='.length).replace(/ $/, ''));
}

describe('codexCliModel with the real codex CLI', () => {
  it('returns the final message, sends the system text as developer instructions and the user text as the prompt, offers no tool that acts', async () => {
    server.addRule({ name: 'judge', match: match.lastUserIncludes('Did it work?'), reply: { text: VERDICT } });
    await expect(codexCliModel({ env })(JUDGE)).resolves.toBe(VERDICT);

    const [request, ...more] = server.responseRequests();
    expect(more).toEqual([]);
    const seen = request!.responses!;
    expect(seen.developer).toContain(SYSTEM);
    expect(seen.lastUserBlocks).toContain(JUDGE.user);
    // The system text is not folded into the user message.
    expect(seen.lastUserText).not.toContain('strict grader');
    for (const tool of ACTING_TOOLS) expect(seen.tools).not.toContain(tool);
    // No -m: the model config.toml names.
    expect(seen.model).toBe('scripted');
    expect(wrapperArgs()).not.toContain('-m');
  });

  it('runs read-only and ephemeral with hooks off and the recursion guard set, and removes its output file', async () => {
    server.addRule({ name: 'any', match: match.always, reply: { text: VERDICT } });
    await codexCliModel({ env })(JUDGE);
    const args = wrapperArgs();
    expect(args.slice(0, 2)).toEqual(['exec', '--skip-git-repo-check']);
    expect(args.join(' ')).toContain('-s read-only --ephemeral --disable hooks --disable shell_tool --disable unified_exec --disable view_image --color never');
    expect(args.at(-1)).toBe('-');
    // The user prompt is not in argv: untrusted text never becomes an argument.
    expect(args.some((arg) => arg.includes('Did it work?'))).toBe(false);
    expect(readFileSync(wrapperLog, 'utf8')).toContain('internal=1\n');
    const outputFile = args[args.indexOf('-o') + 1]!;
    expect(existsSync(outputFile)).toBe(false);
    // No hook ran, no session was written.
    expect(existsSync(hookLog) ? readFileSync(hookLog, 'utf8') : '').toBe('');
    expect(existsSync(join(codex.home, 'sessions'))).toBe(false);
  });

  it('fires those same hooks in a plain codex exec (the control for the test above)', async () => {
    server.addRule({ name: 'any', match: match.always, reply: { text: 'ok' } });
    const { execa } = await import('execa');
    const run = await execa(CODEX_BIN, [...codex.execArgs, 'hello'], { cwd: dir, env: { ...process.env, ...codex.env }, stdin: 'ignore', timeout: 60_000, reject: false });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(readFileSync(hookLog, 'utf8')).toContain('"hook_event_name":"UserPromptSubmit"');
  });

  it('passes -m for SKILLOPT_JUDGE_MODEL and SKILLOPT_PROPOSER_MODEL', async () => {
    server.addRule({ name: 'any', match: match.always, reply: { text: '[]' } });
    const model = codexCliModel({ env: { ...env, SKILLOPT_JUDGE_MODEL: 'gpt-judge', SKILLOPT_PROPOSER_MODEL: 'gpt-proposer' } });
    await model(JUDGE);
    await model({ role: 'proposer', system: 'Propose edits.', user: 'CURRENT SKILL:\n# Deploy\n' });
    expect(server.responseRequests().map((r) => r.responses!.model)).toEqual(['gpt-judge', 'gpt-proposer']);
  });

  it('is what SKILLOPT_MODEL_BACKEND=codex selects', async () => {
    server.addRule({ name: 'any', match: match.always, reply: { text: 'from codex' } });
    await expect(modelFromEnv({ ...env, SKILLOPT_MODEL_BACKEND: 'Codex' })(JUDGE)).resolves.toBe('from codex');
  });

  it('carries a prompt beyond the per-argument limit (128 KiB) on stdin', async () => {
    const user = `${'transcript line\n'.repeat(20_000)}Did it work?`; // 320 kB
    server.addRule({ name: 'judge', match: match.lastUserIncludes('Did it work?'), reply: { text: VERDICT } });
    await expect(codexCliModel({ env })({ ...JUDGE, user })).resolves.toBe(VERDICT);
    expect(server.responseRequests()[0]!.responses!.lastUserBlocks).toContain(user);
  });

  describe('failures', () => {
    it('names a missing binary and how to point at it', async () => {
      const message = await failure(codexCliModel({ env: { ...env, SKILLOPT_CODEX_BIN: '/nonexistent/bin/codex' } })(JUDGE));
      expect(message).toBe(
        'codex binary not found: "/nonexistent/bin/codex"; install the Codex CLI (npm i -g @openai/codex) or set SKILLOPT_CODEX_BIN to its path',
      );
    });

    it('times out (SKILLOPT_MODEL_TIMEOUT_MS)', async () => {
      server.addRule({ name: 'slow', match: match.always, reply: { text: 'late', delayMs: 20_000 } });
      const started = Date.now();
      const message = await failure(codexCliModel({ env: { ...env, SKILLOPT_MODEL_TIMEOUT_MS: '4000' } })(JUDGE));
      expect(message).toBe('codex timed out after 4s');
      expect(Date.now() - started).toBeLessThan(15_000);
    });

    it('reports the model failing as one line with codex\'s error', async () => {
      server.addRule({ name: 'fail', match: match.always, reply: { fail: { message: 'the model is overloaded' } } });
      const message = await failure(codexCliModel({ env })(JUDGE));
      expect(message).toMatch(/^codex exit 1: .*the model is overloaded/);
      expect(message).not.toMatch(/WARNING|OpenAI Codex v/);
    });

    it('rejects an empty final message', async () => {
      server.addRule({ name: 'empty', match: match.always, reply: { text: '' } });
      expect(await failure(codexCliModel({ env })(JUDGE))).toBe('codex returned empty output (exit 0): misconfigured model?');
    });
  });
});

describe('codexCliCall and settings', () => {
  it('builds the argv: the system text as a TOML string, -m only when set, the prompt on stdin', () => {
    const call = codexCliCall('be "strict"', 'the transcript', 'gpt-x', '/tmp/o.txt');
    expect(call).toEqual({
      args: [
        'exec', '--skip-git-repo-check', '-s', 'read-only', '--ephemeral',
        '--disable', 'hooks', '--disable', 'shell_tool', '--disable', 'unified_exec', '--disable', 'view_image',
        '--color', 'never', '-c', 'project_doc_max_bytes=0', '-c', 'web_search="disabled"',
        '-c', 'developer_instructions="be \\"strict\\""', '-m', 'gpt-x', '-o', '/tmp/o.txt', '-',
      ],
      input: 'the transcript',
    });
    expect(codexCliCall('s', 'u', undefined, '/o').args).not.toContain('-m');
  });

  it('folds a system text too long for one argument into stdin, ahead of the user text', () => {
    const system = 'x'.repeat(100_000);
    const call = codexCliCall(system, 'user text', undefined, '/o');
    expect(call.args.some((arg) => arg.startsWith('developer_instructions='))).toBe(false);
    expect(call.input).toBe(`${system}\n\nuser text`);
  });

  it('writes TOML strings Codex accepts (DEL and lone surrogates escaped or replaced)', () => {
    expect(tomlString('a\nb\t"c"\\')).toBe('"a\\nb\\t\\"c\\"\\\\"');
    expect(tomlString('del\x7f')).toBe('"del\\u007f"');
    expect(tomlString('lone \ud800 pair \ud83d\ude00')).toBe('"lone \ufffd pair \ud83d\ude00"');
  });

  it('keeps codex\'s ERROR lines, without the banner and warnings', () => {
    const stderr = 'WARNING: proceeding, even though…\nOpenAI Codex v0.171.0\n--------\nworkdir: /tmp\nwarning: Model metadata for `x` not found.\nERROR: stream disconnected: overloaded\nERROR: stream disconnected: overloaded\n';
    expect(codexErrorDetail(stderr)).toBe('stream disconnected: overloaded');
    expect(codexErrorDetail('OpenAI Codex v0.171.0\nError loading config.toml: unknown field `x`\n')).toBe('loading config.toml: unknown field `x`');
    expect(codexErrorDetail('warning: a\n', 'from stdout')).toBe('from stdout');
  });

  it('reads settings from the environment, with no default model', () => {
    expect(resolveCodexCliSettings({ env: {} })).toEqual({ bin: 'codex', models: { judge: undefined, proposer: undefined }, timeoutMs: 120_000 });
    expect(resolveCodexCliSettings({ env: { SKILLOPT_CODEX_BIN: '/opt/codex', SKILLOPT_JUDGE_MODEL: ' ', SKILLOPT_PROPOSER_MODEL: 'gpt-5', SKILLOPT_MODEL_TIMEOUT_MS: '5000' } })).toEqual({
      bin: '/opt/codex',
      models: { judge: undefined, proposer: 'gpt-5' },
      timeoutMs: 5000,
    });
    expect(resolveCodexCliSettings({ env: { SKILLOPT_JUDGE_MODEL: 'from-env' }, judgeModel: 'from-option', bin: 'x' }).models.judge).toBe('from-option');
    expect(() => codexCliModel({ env: { SKILLOPT_MODEL_TIMEOUT_MS: '2m' } })).toThrow(ModelConfigError);
  });
});
