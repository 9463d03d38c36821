// claudeCliModel against test/fixtures/bin/fake-claude: a real child process
// with the real CLI's argv and output envelope, never a stubbed execa.
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claudeCliArgs, claudeCliModel, resolveClaudeCliSettings } from '../../agents/claude/backend';
import { ModelConfigError, type ModelRequest } from '../../agents/types';
import { createFakeClaude, FAKE_CLAUDE_BIN, type FakeClaude } from '../fixtures/fake-claude';
import { failure } from './helpers';

const JUDGE: ModelRequest = { role: 'judge', system: 'You are a strict grader. Reply with JSON only.', user: 'Did it work?' };
const PROPOSER: ModelRequest = {
  role: 'proposer',
  system: 'Propose bounded edits. Output only a JSON array of {op,target,content}.',
  user: 'CURRENT SKILL:\n# Deploy\n',
};

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let fake: FakeClaude;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  fake = createFakeClaude();
  // Settings come from this env only: drop any the developer's shell may have set.
  env = { ...process.env, ...fake.env };
  for (const name of ['SKILLOPT_JUDGE_MODEL', 'SKILLOPT_PROPOSER_MODEL', 'SKILLOPT_MODEL_TIMEOUT_MS', 'SKILLOPT_INTERNAL']) {
    delete env[name];
  }
});

afterEach(() => fake.cleanup());

describe('claudeCliModel', () => {
  it('returns .result of the JSON envelope, with the judge on haiku and the proposer on sonnet by default', async () => {
    fake.setScript({ judge: ['{"success":0,"confidence":0.9,"reason":"skipped tests"}'], proposer: ['[{"op":"append","content":"Run the tests."}]'] });
    const model = claudeCliModel({ env });

    await expect(model(JUDGE)).resolves.toBe('{"success":0,"confidence":0.9,"reason":"skipped tests"}');
    await expect(model(PROPOSER)).resolves.toBe('[{"op":"append","content":"Run the tests."}]');

    const [judgeCall, proposerCall] = fake.calls();
    expect(judgeCall).toMatchObject({ role: 'judge', model: 'haiku', systemPrompt: JUDGE.system });
    expect(proposerCall).toMatchObject({ role: 'proposer', model: 'sonnet', systemPrompt: PROPOSER.system });
  });

  it('runs with tools, MCP, hooks and session persistence off, the prompt on stdin and the recursion guard set', async () => {
    await claudeCliModel({ env })(JUDGE);
    const [call] = fake.calls();

    expect(call.argv[0]).toBe('-p');
    expect(call.argv).toEqual(claudeCliArgs(JUDGE.system, 'haiku'));
    const tools = call.argv.indexOf('--tools');
    expect(tools).toBeGreaterThan(0);
    expect(call.argv[tools + 1]).toBe('');
    expect(call.argv).toContain('--strict-mcp-config');
    expect(call.argv).toContain('--no-session-persistence');
    expect(call.outputFormat).toBe('json');
    expect(JSON.parse(call.settings ?? '{}')).toEqual({ disableAllHooks: true });
    // The user prompt is not in argv: untrusted text never becomes an argument.
    expect(call.argv).not.toContain(JUDGE.user);
    expect(call.stdin).toBe(JUDGE.user);
    expect(call.skilloptInternal).toBe('1');
    // A neutral working directory: no project's CLAUDE.md or settings are picked up.
    expect(realpathSync(call.cwd)).toBe(realpathSync(tmpdir()));
  });

  it('carries prompts far beyond the per-argument limit (128 KiB) on stdin', async () => {
    const user = 'transcript line\n'.repeat(200_000); // 3.2 MB
    await claudeCliModel({ env })({ ...JUDGE, user });
    expect(fake.calls()[0].stdin).toBe(user);
  });

  it('uses each role’s responses in order and repeats the last one', async () => {
    fake.setScript({ judge: ['first', 'second'], proposer: ['[]'] });
    const model = claudeCliModel({ env });
    const replies = [];
    for (let i = 0; i < 3; i++) replies.push(await model(JUDGE));
    expect(replies).toEqual(['first', 'second', 'second']);
    await expect(model(PROPOSER)).resolves.toBe('[]');
  });

  it('gives concurrent calls distinct scripted responses', async () => {
    fake.setScript({ judge: ['a', 'b', 'c', 'd'] });
    const model = claudeCliModel({ env });
    const replies = await Promise.all([model(JUDGE), model(JUDGE), model(JUDGE), model(JUDGE)]);
    expect([...replies].sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  describe('settings', () => {
    it('reads models, binary and timeout from the environment', async () => {
      const model = claudeCliModel({ env: { ...env, SKILLOPT_JUDGE_MODEL: 'claude-haiku-4-5', SKILLOPT_PROPOSER_MODEL: 'claude-opus-4-1' } });
      await model(JUDGE);
      await model(PROPOSER);
      expect(fake.calls().map((c) => c.model)).toEqual(['claude-haiku-4-5', 'claude-opus-4-1']);
      expect(resolveClaudeCliSettings({ env: { SKILLOPT_CLAUDE_BIN: '/opt/claude/bin/claude', SKILLOPT_MODEL_TIMEOUT_MS: '5000' } })).toEqual({
        bin: '/opt/claude/bin/claude',
        models: { judge: 'haiku', proposer: 'sonnet' },
        timeoutMs: 5000,
      });
    });

    it('lets explicit options win over the environment', async () => {
      const model = claudeCliModel({
        env: { ...env, SKILLOPT_CLAUDE_BIN: '/nonexistent/claude', SKILLOPT_JUDGE_MODEL: 'from-env', SKILLOPT_MODEL_TIMEOUT_MS: '1' },
        bin: FAKE_CLAUDE_BIN,
        judgeModel: 'from-option',
        timeoutMs: 30_000,
      });
      await expect(model(JUDGE)).resolves.toBeTruthy();
      expect(fake.calls()[0].model).toBe('from-option');
    });

    it('treats blank variables as unset', () => {
      expect(resolveClaudeCliSettings({ env: { SKILLOPT_CLAUDE_BIN: '', SKILLOPT_JUDGE_MODEL: '  ', SKILLOPT_MODEL_TIMEOUT_MS: '' } })).toEqual({
        bin: 'claude',
        models: { judge: 'haiku', proposer: 'sonnet' },
        timeoutMs: 120_000,
      });
    });

    it('rejects a malformed timeout before any call', () => {
      expect(() => claudeCliModel({ env: { ...env, SKILLOPT_MODEL_TIMEOUT_MS: '2m' } })).toThrow(ModelConfigError);
      expect(() => claudeCliModel({ env, timeoutMs: 0 })).toThrow(/positive/);
    });
  });

  describe('failures', () => {
    it('times out (SKILLOPT_MODEL_TIMEOUT_MS) and kills the process', async () => {
      fake.setScript({ judge: [{ text: 'late', sleepMs: 30_000 }] });
      const started = Date.now();
      // Long enough for a loaded machine to start node and log the call before the deadline.
      const message = await failure(claudeCliModel({ env: { ...env, SKILLOPT_MODEL_TIMEOUT_MS: '1500' } })(JUDGE));
      expect(message).toBe('claude timed out after 1.5s');
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(isAlive(fake.calls()[0].pid)).toBe(false);
    });

    it('force-kills a process that ignores SIGTERM', async () => {
      fake.setScript({ judge: [{ text: 'late', sleepMs: 30_000, ignoreSigterm: true }] });
      const started = Date.now();
      const message = await failure(claudeCliModel({ env, timeoutMs: 2_500 })(JUDGE));
      expect(message).toBe('claude timed out after 2.5s');
      // SIGTERM at 2.5 s was ignored; SIGKILL followed about 2 s later.
      expect(Date.now() - started).toBeGreaterThanOrEqual(4_000);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(isAlive(fake.calls()[0].pid)).toBe(false);
    });

    it('reports a non-zero exit with the first 200 characters of stderr', async () => {
      fake.setScript({ judge: [{ exitCode: 2, stderr: `Error: invalid model\n${'x'.repeat(500)}` }] });
      const message = await failure(claudeCliModel({ env })(JUDGE));
      expect(message).toMatch(/^claude exit 2: Error: invalid model x+…$/);
      expect(message.length).toBeLessThanOrEqual('claude exit 2: '.length + 201);
    });

    it('falls back to the envelope’s text when a failing claude leaves stderr empty', async () => {
      fake.setScript({ judge: [{ exitCode: 1, isError: true, text: 'Invalid API key · Please run /login' }] });
      expect(await failure(claudeCliModel({ env })(JUDGE))).toBe('claude exit 1: Invalid API key · Please run /login');
    });

    it('rejects an envelope with is_error even on exit 0', async () => {
      fake.setScript({ judge: [{ isError: true, text: 'overloaded' }] });
      expect(await failure(claudeCliModel({ env })(JUDGE))).toBe('claude reported an error (error_during_execution): overloaded');
    });

    it('rejects blank output on exit 0', async () => {
      fake.setScript({ judge: [{ text: '  \n ' }], proposer: [{ raw: '' }] });
      const model = claudeCliModel({ env });
      expect(await failure(model(JUDGE))).toBe('claude returned empty output (exit 0): misconfigured model?');
      expect(await failure(model(PROPOSER))).toBe('claude returned empty output (exit 0): misconfigured model?');
    });

    it('names the missing binary and how to point at it', async () => {
      const message = await failure(claudeCliModel({ env: { ...env, SKILLOPT_CLAUDE_BIN: '/nonexistent/bin/claude' } })(JUDGE));
      expect(message).toContain('claude binary not found: "/nonexistent/bin/claude"');
      expect(message).toContain('SKILLOPT_CLAUDE_BIN');
    });

    it('reports a binary that cannot be started', async () => {
      const message = await failure(claudeCliModel({ env, bin: fake.scriptPath })(JUDGE)); // a JSON file, not executable
      expect(message).toMatch(/^could not start claude .*EACCES/);
    });

    it('stops when the caller cancels', async () => {
      fake.setScript({ judge: [{ text: 'late', sleepMs: 30_000 }] });
      const controller = new AbortController();
      const call = claudeCliModel({ env })({ ...JUDGE, signal: controller.signal });
      setTimeout(() => controller.abort(), 500);
      expect(await failure(call)).toBe('claude call cancelled');
    });
  });

  describe('output without the JSON envelope', () => {
    it('uses plain stdout as the reply', async () => {
      fake.setScript({ judge: [{ raw: 'plain text reply\n' }] });
      await expect(claudeCliModel({ env })(JUDGE)).resolves.toBe('plain text reply');
    });

    it('does not mistake a JSON reply for the envelope', async () => {
      fake.setScript({ judge: [{ raw: '{"success":1,"confidence":1,"reason":"ok"}' }], proposer: [{ raw: '[{"op":"delete","target":"x"}]' }] });
      const model = claudeCliModel({ env });
      await expect(model(JUDGE)).resolves.toBe('{"success":1,"confidence":1,"reason":"ok"}');
      await expect(model(PROPOSER)).resolves.toBe('[{"op":"delete","target":"x"}]');
    });
  });
});
