// The real Claude Code CLI (node_modules/.bin/claude, 2.1.197) against the
// scripted Anthropic server: what the e2e test builds on. A plain prompt gets
// the scripted text back; a scripted Skill tool_use is executed by Claude Code
// (the skill body is injected into the next request).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anthropicEnv, match, startAnthropicServer, type AnthropicServer } from '../fixtures/anthropic-server';
import { baseEnv, describeRun, makeSandbox, runClaude, writeSkillDir, type Sandbox } from './helpers';

const TOOL_USE_ID = 'toolu_01SmokeSkillCall000000001';
const BODY = '# Deploy checklist\n\n1. Run the full test suite and make sure it passes.\n2. Build the release artifact.\n3. Deploy to staging, smoke-test, then deploy to production.\n';

let server: AnthropicServer;
let box: Sandbox;
let env: Record<string, string>;

beforeAll(async () => {
  server = await startAnthropicServer({
    rules: [
      { name: 'hello', match: match.prompt('hello'), reply: { text: 'Hello from the scripted model.' } },
      {
        name: 'call-skill',
        match: match.all(match.prompt('deploy the service'), match.noToolResult),
        reply: { text: "I'll use the deploy checklist skill.", toolUse: { id: TOOL_USE_ID, name: 'Skill', input: { skill: 'deploy-checklist--alice' } } },
      },
      { name: 'after-skill', match: match.toolResult, reply: { text: 'Deployed after following the deploy checklist.' } },
    ],
  });
  box = makeSandbox('skillopt-smoke-');
  env = baseEnv({ HOME: box.home, ...anthropicEnv(server.url) });
});

afterAll(async () => {
  await server?.close();
  if (box) rmSync(box.root, { recursive: true, force: true });
});

describe('claude -p against the scripted Anthropic server', () => {
  it('returns the scripted text', async () => {
    server.resetRequests();
    const run = await runClaude('hello', { env, cwd: box.cwd });
    expect(run.exitCode, describeRun(run)).toBe(0);
    expect(run.json?.result).toBe('Hello from the scripted model.');
    expect(run.json?.is_error).toBe(false);

    const [request, ...more] = server.messageRequests();
    expect(more).toEqual([]);
    expect(request?.rule).toBe('hello');
    expect(request?.path).toBe('/v1/messages');
    expect(request?.headers['x-api-key']).toBe('sk-ant-test-stub');
    expect(request?.messages?.stream).toBe(true);
    expect(request?.messages?.tools).toContain('Skill');
    expect(server.unmatched()).toEqual([]);
  });

  it('executes a scripted Skill tool_use: the next request carries the tool_result and the skill body', async () => {
    server.resetRequests();
    const skillDir = join(box.home, '.claude', 'skills', 'deploy-checklist--alice');
    writeSkillDir(skillDir, 'deploy-checklist--alice', 'Use when deploying services to production', BODY);

    const run = await runClaude('deploy the service', { env, cwd: box.cwd });
    expect(run.exitCode, describeRun(run)).toBe(0);
    expect(run.json?.result).toBe('Deployed after following the deploy checklist.');

    const requests = server.messageRequests();
    expect(requests.map((r) => r.rule)).toEqual(['call-skill', 'after-skill']);
    const [first, second] = requests.map((r) => r.messages!);
    // The skill is offered to the model as "- <name>: <description>".
    expect(first!.allText).toContain('- deploy-checklist--alice: Use when deploying services to production');

    // The tool ran: its result and the injected body (frontmatter removed) are the last user message.
    expect(second!.toolResults).toHaveLength(1);
    const [toolResult] = second!.toolResults;
    expect(toolResult).toMatchObject({ tool_use_id: TOOL_USE_ID });
    expect(JSON.stringify(toolResult!.content)).toContain('Launching skill: deploy-checklist--alice');
    expect(toolResult!.is_error ?? false).toBe(false);
    expect(second!.lastUserText).toContain(`Base directory for this skill: ${skillDir}\n\n${BODY}`);
    expect(second!.lastUserText).not.toContain('description: Use when deploying');
    // The assistant's tool_use is in the history it sends back.
    expect(JSON.stringify(second!.messages)).toContain(TOOL_USE_ID);

    // The transcript is where claude-code-hooks.md says it is, attributed to the skill.
    const transcript = join(box.home, '.claude', 'projects', box.cwd.replace(/[^A-Za-z0-9]/g, '-'), `${run.json?.session_id}.jsonl`);
    expect(existsSync(transcript)).toBe(true);
    expect(readFileSync(transcript, 'utf8')).toContain('"attributionSkill":"deploy-checklist--alice"');
  });

  it('answers non-streaming requests with JSON, and other endpoints harmlessly', async () => {
    server.resetRequests();
    const reply = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: 'hello' }] }),
    });
    expect(await reply.json()).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-x',
      content: [{ type: 'text', text: 'Hello from the scripted model.' }],
      stop_reason: 'end_turn',
    });
    const count = await fetch(`${server.url}/v1/messages/count_tokens`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }) });
    expect(await count.json()).toMatchObject({ input_tokens: expect.any(Number) as number });
    expect((await fetch(`${server.url}/v1/models`)).status).toBe(200);
    expect(server.otherRequests().map((r) => r.path)).toEqual(['/v1/messages/count_tokens', '/v1/models']);
  });
});
