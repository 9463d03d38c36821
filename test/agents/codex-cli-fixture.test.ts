// The Responses API stand-in (test/fixtures/responses-server.ts) against the
// real, pinned Codex CLI: `codex exec` in a throwaway CODEX_HOME, offline, the
// scripted model runs `cat` through the shell tool and then answers; a trusted
// user hook records what Codex hands it. See docs/codex-cli.md.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { match, outputText, shellCall, startResponsesServer, writeCodexHome, type ResponsesServer } from '../fixtures/responses-server';

const CODEX_BIN = resolve('node_modules/.bin/codex');

let dir: string;
let server: ResponsesServer;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'codex-fixture-'));
  server = await startResponsesServer();
});

afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

interface HookPayload {
  hook_event_name: string;
  session_id: string;
  transcript_path: string;
  tool_name?: string;
  tool_input?: { command?: string };
  tool_use_id?: string;
  tool_response?: string;
  prompt?: string;
}

describe('codex exec against the scripted Responses server', () => {
  it('runs the shell tool, sends its output back, and fires trusted hooks with the command', async () => {
    const work = join(dir, 'work');
    const notes = join(work, 'notes.txt');
    await execa('mkdir', ['-p', work]);
    writeFileSync(notes, 'the secret word is pineapple\n');

    const hookLog = join(dir, 'hooks.jsonl');
    const record = { type: 'command' as const, command: `cat >> '${hookLog}'; echo >> '${hookLog}'`, timeout: 30 };
    const codex = writeCodexHome(dir, {
      url: server.url,
      hooks: {
        UserPromptSubmit: [{ hooks: [record] }],
        PreToolUse: [{ matcher: 'Bash', hooks: [record] }],
        PostToolUse: [{ matcher: 'Bash', hooks: [record] }],
        Stop: [{ hooks: [record] }],
      },
    });

    server.addRule(
      {
        name: 'read the notes',
        match: match.all(match.noToolResult, match.prompt('what do my notes say?')),
        reply: (req) => ({ functionCall: shellCall(req, `cat ${notes}`) }),
        times: 1,
      },
      { name: 'answer', match: match.toolResultIncludes('pineapple'), reply: { text: 'Your notes say: pineapple.' } },
    );

    const run = await execa(CODEX_BIN, [...codex.execArgs, 'what do my notes say?'], {
      cwd: work,
      env: { ...process.env, ...codex.env },
      stdin: 'ignore',
      timeout: 60_000,
      reject: false,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('Your notes say: pineapple.');
    expect(server.unmatched()).toEqual([]);

    const [first, second] = server.responseRequests();
    expect(first?.responses?.tools).toContain('exec_command');
    const call = first?.reply?.functionCall;
    expect(call?.name).toBe('exec_command');
    // The second request carries the call and its output, tied by call_id.
    const output = second?.responses?.toolResults.find((item) => item.call_id === call?.callId);
    expect(output?.type).toBe('function_call_output');
    expect(outputText(output?.output)).toContain('the secret word is pineapple');

    const payloads = readFileSync(hookLog, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as HookPayload);
    expect(payloads.map((p) => p.hook_event_name)).toEqual(['UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop']);
    const pre = payloads[1]!;
    expect(pre).toMatchObject({ tool_name: 'Bash', tool_input: { command: `cat ${notes}` }, tool_use_id: call?.callId });
    expect(payloads[0]).toMatchObject({ prompt: 'what do my notes say?', session_id: pre.session_id });
    expect(payloads[2]?.tool_response).toContain('the secret word is pineapple');
    // The session id is the `session-id` header of the model requests, and the
    // transcript the hooks point at holds the shell call.
    expect(server.sessionRequests(pre.session_id)).toHaveLength(2);
    expect(pre.transcript_path.startsWith(join(codex.home, 'sessions'))).toBe(true);
    expect(readFileSync(pre.transcript_path, 'utf8')).toContain(`"call_id":"${call?.callId}"`);
  });
});
