import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAX_TOOL_INPUT_CHARS } from '../../core/limits';
import { TRANSCRIPT_FORMATS } from '../../agents/transcripts';
import { buildJudgeWindow as buildWindow, elide, parseTranscript, type JudgeWindowInput, type JudgeWindowOptions } from '../../core/transcript';

/** The window as the judge builds it: every agent's transcript format. */
const buildJudgeWindow = (input: JudgeWindowInput, options?: JudgeWindowOptions) => buildWindow(input, TRANSCRIPT_FORMATS, options);

const REF = 'deploy-checklist--alice';
const REACTION = 'that was wrong, you skipped the tests';

function fixture(name: string): string {
  return readFileSync(fileURLToPath(new URL(`../fixtures/transcripts/${name}.jsonl`, import.meta.url)), 'utf8');
}

/** The transcript as the hook saw it: every line before the first one matching `stop`. */
function cutBefore(text: string, stop: (entry: Record<string, unknown>) => boolean): string {
  const lines = text.split('\n');
  const at = lines.findIndex((line) => line.trim() !== '' && stop(JSON.parse(line) as Record<string, unknown>));
  return lines.slice(0, at).map((line) => `${line}\n`).join('');
}

const isPrompt = (text: string) => (e: Record<string, unknown>) => e.type === 'queue-operation' && e.content === text;

// A small synthetic transcript: entries chained by parentUuid, as Claude Code writes them.
type Line = Record<string, unknown>;
class Session {
  readonly lines: Line[] = [];
  private n = 0;
  private last: string | null = null;

  private add(entry: Line, parent: string | null = this.last): string {
    const uuid = `u${++this.n}`;
    this.lines.push({ parentUuid: parent, isSidechain: false, uuid, sessionId: 'S1', ...entry });
    this.last = uuid;
    return uuid;
  }

  user(content: unknown, extra: Line = {}, parent?: string | null): string {
    return this.add({ type: 'user', message: { role: 'user', content }, ...extra }, parent);
  }
  say(text: string, parent?: string | null): string {
    return this.add({ type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text }] } }, parent);
  }
  tool(id: string, name: string, input: unknown, extra: Line = {}): string {
    return this.add({ type: 'assistant', message: { role: 'assistant', content: [{ type: 'tool_use', id, name, input }] }, ...extra });
  }
  skill(id: string, skill = REF): string {
    return this.tool(id, 'Skill', { skill });
  }
  result(id: string, content: unknown, isError = false): string {
    return this.user([{ type: 'tool_result', tool_use_id: id, content, ...(isError ? { is_error: true } : {}) }]);
  }
  raw(entry: Line): void {
    this.lines.push(entry);
  }
  text(): string {
    return this.lines.map((l) => `${JSON.stringify(l)}\n`).join('');
  }
}

/** hi / ack / Skill(id) / no that's wrong / fixing / later / more */
function seedSession(id = 't1'): Session {
  const s = new Session();
  s.user('hi');
  s.say('ack');
  s.skill(id);
  s.result(id, `Launching skill: ${REF}`);
  s.user([{ type: 'text', text: 'Base directory for this skill: /x\n\n# Skill body' }], { isMeta: true });
  s.user("no that's wrong");
  s.say('fixing');
  s.user('later');
  s.say('more');
  return s;
}

describe('buildJudgeWindow on real Claude Code transcripts', () => {
  it('shows the turns around the pinned invocation, without the injected skill body, then the reaction', () => {
    const transcript = cutBefore(fixture('skill-invocation-then-resumed-correction'), isPrompt(REACTION));
    const result = buildJudgeWindow({ transcriptText: transcript, toolUseId: 'toolu_01lfyrw5N8vmy7avHD8Pgdla', skillRef: REF, reaction: `  ${REACTION}\n` });
    expect(result).toEqual({
      window: [
        'USER: deploy the service',
        "ASSISTANT: I'll use the deploy checklist skill.",
        `ASSISTANT [tool Skill]: ${REF}`,
        'ASSISTANT: Deployed after following the deploy checklist.',
        `USER: ${REACTION}`,
      ].join('\n\n'),
      invocationFound: true,
      turns: 4,
    });
  });

  it('ignores a last line cut mid-write', () => {
    const full = cutBefore(fixture('skill-invocation-then-resumed-correction'), isPrompt(REACTION));
    const truncated = full.slice(0, full.indexOf('Deployed after following') + 10);
    const result = buildJudgeWindow({ transcriptText: truncated, toolUseId: 'toolu_01lfyrw5N8vmy7avHD8Pgdla', skillRef: REF, reaction: REACTION });
    expect(result.invocationFound).toBe(true);
    expect(result.window).not.toContain('Deployed');
    expect(result.window.endsWith(`ASSISTANT [tool Skill]: ${REF}\n\nUSER: ${REACTION}`)).toBe(true);
  });

  it('does not repeat the reaction when the transcript already ends with it', () => {
    const text = fixture('skill-invocation-then-resumed-correction');
    const withPrompt = cutBefore(text, (e) => e.type === 'assistant' && JSON.stringify(e).includes("You're right"));
    const result = buildJudgeWindow({ transcriptText: withPrompt, toolUseId: 'toolu_01lfyrw5N8vmy7avHD8Pgdla', skillRef: REF, reaction: REACTION });
    expect(result.window.split(REACTION)).toHaveLength(2);
    expect(result.window.endsWith(`\n\nUSER: ${REACTION}`)).toBe(true);
  });

  it('shows a later reply on resume, as a second reaction would see it', () => {
    const result = buildJudgeWindow({
      transcriptText: fixture('skill-invocation-then-resumed-correction'),
      toolUseId: 'toolu_01lfyrw5N8vmy7avHD8Pgdla',
      skillRef: REF,
      reaction: 'you still have not run them',
    });
    expect(result.window).toContain(`USER: ${REACTION}\n\nASSISTANT: You're right, I skipped the tests. I will run them next time.\n\nUSER: you still have not run them`);
  });

  it('skips Stop-hook feedback and hook attachments', () => {
    const result = buildJudgeWindow({ transcriptText: fixture('skill-with-hook-context-posttooluse-exit2-stop-block'), toolUseId: 'toolu_013yD2C0ThYzI60O0Iyxq9Pl', skillRef: REF, reaction: REACTION });
    expect(result.invocationFound).toBe(true);
    expect(result.window).not.toContain('Stop hook feedback');
    expect(result.window).not.toContain('Base directory for this skill');
    expect(result.window).toContain('ASSISTANT: Deployed after following the deploy checklist.\n\nASSISTANT: Understood: the tests have not been run yet.');
  });

  it('shows a blocked call, so "Deployed" after it reads as the false claim it is', () => {
    const result = buildJudgeWindow({ transcriptText: fixture('pretooluse-exit2-blocks-skill'), toolUseId: 'toolu_01JlcmfRIxU7pB1yAKgFYj8k', skillRef: REF, reaction: REACTION });
    expect(result.window).toContain(
      `ASSISTANT [tool Skill]: ${REF}\n\nTOOL ERROR [Skill]: PreToolUse:Skill hook error: [$HOME/.claude/hooks/log-hook.py PreToolUse]: Blocked: deploys are frozen until Monday.\n\nASSISTANT: Deployed`,
    );
  });
});

// The user typed the skill as a slash command: a real session of the pinned Claude Code CLI
// (test/fixtures/transcripts/record-claude-slash-command.ts), and the hook payloads it sent.
describe('buildJudgeWindow on a skill the user invoked by name (/<skill>, no Skill tool call)', () => {
  const hooks = () =>
    fixture('slash-command-then-resumed-correction-hooks')
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as Record<string, string>);
  /** What the UserPromptExpansion hook pinned: the prompt's id. */
  const promptId = () => hooks().find((h) => h.hook_event_name === 'UserPromptExpansion')!.prompt_id!;

  it('finds the invocation by its command entry, pinned by the prompt id the hook saw, without the injected body', () => {
    const transcript = cutBefore(fixture('slash-command-then-resumed-correction'), isPrompt(REACTION));
    const result = buildJudgeWindow({ transcriptText: transcript, toolUseId: promptId(), skillRef: REF, reaction: REACTION });
    expect(result).toEqual({
      window: [`USER [tool Skill]: ${REF}`, 'ASSISTANT: Deployed.', `USER: ${REACTION}`].join('\n\n'),
      invocationFound: true,
      turns: 2,
    });
    // Without the id (an older event), the last command for the ref is the invocation.
    expect(buildJudgeWindow({ transcriptText: transcript, skillRef: REF, reaction: REACTION }).invocationFound).toBe(true);
    expect(buildJudgeWindow({ transcriptText: transcript, skillRef: 'notes--bob', reaction: REACTION }).invocationFound).toBe(false);
  });

  it('the command entry carries the same prompt id as the hook payloads of that prompt', () => {
    const command = parseTranscript(fixture('slash-command-then-resumed-correction')).find((e) => JSON.stringify(e.message ?? '').includes(`<command-name>/${REF}</command-name>`));
    expect(command?.promptId).toBe(promptId());
    expect(hooks().filter((h) => h.prompt_id === promptId()).map((h) => h.hook_event_name)).toEqual(['UserPromptExpansion', 'UserPromptSubmit', 'SessionEnd']);
  });

  it('shows the arguments typed after the skill, and a slash command that is not a skill as what was typed', () => {
    const s = new Session();
    s.user(`<command-message>${REF}</command-message>\n<command-name>/${REF}</command-name>\n<command-args>to staging</command-args>`, { promptId: 'p1' });
    s.user([{ type: 'text', text: `Base directory for this skill: /h/.claude/skills/${REF}\n\n# Deploy` }], { isMeta: true, promptId: 'p1' });
    s.say('On it.');
    // A custom command: its body is injected too, but it is not a skill.
    s.user('<command-message>review</command-message>\n<command-name>/review</command-name>', { promptId: 'p2' });
    s.user([{ type: 'text', text: 'Review the diff.' }], { isMeta: true, promptId: 'p2' });
    s.say('Looks fine.');
    // Typed text that merely contains the tag is what the user said.
    s.user(`why <command-name>/${REF}</command-name>?`, { promptId: 'p3' });
    const result = buildJudgeWindow({ transcriptText: s.text(), toolUseId: 'p1', skillRef: REF, reaction: '' }, { after: 10 });
    expect(result.window).toBe(
      [`USER [tool Skill]: ${REF} to staging`, 'ASSISTANT: On it.', 'USER: /review', 'ASSISTANT: Looks fine.', `USER: why <command-name>/${REF}</command-name>?`].join('\n\n'),
    );
    expect(buildJudgeWindow({ transcriptText: s.text(), toolUseId: 'p2', skillRef: 'review--x', reaction: '' }).invocationFound).toBe(false);
  });
});

// Real rollouts of the pinned Codex CLI (test/fixtures/transcripts/record-codex-rollout.ts).
describe('buildJudgeWindow on real Codex rollouts', () => {
  const SKILL_READ = 'call_43e1890d53bf0bba1c7cc032';
  const SKILL_FILE = '/home/u/.codex/skills/deploy-checklist--alice/SKILL.md';
  /** The rollout when UserPromptSubmit fires for the reaction: the typed message is not in the file yet. */
  const atReaction = (): string => cutBefore(fixture('codex-rollout'), (e) => JSON.stringify(e).includes(`"text":"${REACTION}"`) && e.type === 'response_item');
  const FIRST_TURN = [
    'USER: deploy the service',
    `ASSISTANT [tool exec_command]: sed -n '1,200p' ${SKILL_FILE}`,
    "ASSISTANT [tool exec_command]: printf 'FAIL src/deploy.test.ts\\n expected 200, got 500\\n' >&2; exit 1",
    'TOOL ERROR [exec_command]: exit 1: FAIL src/deploy.test.ts⏎expected 200, got 500',
    'ASSISTANT: Deployed after following the deploy checklist.',
  ];

  it('shows the prompt, the SKILL.md read, the failed command, the claim and the reaction; nothing Codex injected', () => {
    const result = buildJudgeWindow({ transcriptText: atReaction(), toolUseId: SKILL_READ, skillRef: REF, reaction: REACTION });
    expect(result).toEqual({ window: [...FIRST_TURN, `USER: ${REACTION}`].join('\n\n'), invocationFound: true, turns: 5 });
    for (const injected of ['environment_context', 'skills_instructions', '# Deploy checklist', 'Chunk ID', 'permissions']) expect(result.window).not.toContain(injected);
  });

  it.each([['an unknown id', 'call_elsewhere'], ['no id', null]])('finds the invocation by the command reading <ref>/SKILL.md with %s', (_label, id) => {
    const result = buildJudgeWindow({ transcriptText: atReaction(), toolUseId: id, skillRef: REF, reaction: REACTION });
    expect(result.invocationFound).toBe(true);
    expect(result.window).toBe([...FIRST_TURN, `USER: ${REACTION}`].join('\n\n'));
  });

  it('does not take another skill’s SKILL.md, even one whose ref ends the same', () => {
    for (const skillRef of ['checklist--alice', 'deploy-checklist--bob', 'deploy']) {
      expect(buildJudgeWindow({ transcriptText: atReaction(), toolUseId: null, skillRef, reaction: REACTION }).invocationFound).toBe(false);
    }
  });

  it('ignores a last line cut mid-write', () => {
    const full = atReaction();
    const truncated = full.slice(0, full.indexOf('Deployed after following') + 10);
    const result = buildJudgeWindow({ transcriptText: truncated, toolUseId: SKILL_READ, skillRef: REF, reaction: REACTION });
    expect(result.invocationFound).toBe(true);
    expect(result.window).not.toContain('ASSISTANT: Deployed');
    expect(result.window.endsWith(`TOOL ERROR [exec_command]: exit 1: FAIL src/deploy.test.ts⏎expected 200, got 500\n\nUSER: ${REACTION}`)).toBe(true);
  });

  it('shows the reply after a resume, and does not repeat a reaction already in the file', () => {
    const full = fixture('codex-rollout');
    const second = buildJudgeWindow({ transcriptText: full, toolUseId: SKILL_READ, skillRef: REF, reaction: 'you still have not run them' });
    expect(second.window).toContain(`USER: ${REACTION}\n\nASSISTANT: You're right, the tests failed. I will not deploy until they pass.\n\nUSER: you still have not run them`);
    const echoed = cutBefore(full, (e) => e.type === 'response_item' && JSON.stringify(e).includes("You're right"));
    const result = buildJudgeWindow({ transcriptText: echoed, toolUseId: SKILL_READ, skillRef: REF, reaction: REACTION });
    expect(result.window.split(REACTION)).toHaveLength(2);
    expect(result.window.endsWith(`ASSISTANT: Deployed after following the deploy checklist.\n\nUSER: ${REACTION}`)).toBe(true);
  });

  it('shows the <skill> Codex injects for a $mention as the invocation (not its text), pinned by its turn id', () => {
    const turnId = /"turn_id":"([^"]+)"/.exec(fixture('codex-rollout-skill-mention'))![1]!;
    const result = buildJudgeWindow({ transcriptText: fixture('codex-rollout-skill-mention'), toolUseId: turnId, skillRef: REF, reaction: REACTION }, { before: 0 });
    expect(result).toEqual({
      window: [
        `USER [tool Skill]: ${REF}`,
        `ASSISTANT [tool exec_command]: cat ${SKILL_FILE}`,
        'ASSISTANT: Following the checklist: running the tests first.',
        `USER: ${REACTION}`,
      ].join('\n\n'),
      invocationFound: true,
      turns: 3,
    });
    expect(result.window).not.toContain('# Deploy checklist');
  });

  it('skips injected user messages by their opening when the rollout has no content_item_kinds (older Codex)', () => {
    const withoutKinds = (name: string) =>
      fixture(name)
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => {
          const entry = JSON.parse(line) as { payload?: { internal_chat_message_metadata_passthrough?: unknown } };
          if (entry.payload) delete entry.payload.internal_chat_message_metadata_passthrough;
          return `${JSON.stringify(entry)}\n`;
        })
        .join('');
    expect(withoutKinds('codex-rollout')).not.toContain('content_item_kinds');
    const mention = buildJudgeWindow({ transcriptText: withoutKinds('codex-rollout-skill-mention'), skillRef: REF, reaction: '' });
    expect(mention.window).toBe(
      ['USER: please deploy using $deploy-checklist--alice', `USER [tool Skill]: ${REF}`, `ASSISTANT [tool exec_command]: cat ${SKILL_FILE}`, 'ASSISTANT: Following the checklist: running the tests first.'].join('\n\n'),
    );
    const session = buildJudgeWindow({ transcriptText: withoutKinds('codex-rollout'), toolUseId: SKILL_READ, skillRef: REF, reaction: '' }, { after: 10 });
    expect(session.window.startsWith(`USER: deploy the service\n\nASSISTANT [tool exec_command]: sed -n`)).toBe(true);
    expect(session.window).not.toContain('environment_context');
    const older = `${JSON.stringify({ timestamp: 't', type: 'response_item', payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: '# AGENTS.md instructions for /w\n\nbe terse' }, { type: 'input_text', text: '<user_instructions>x</user_instructions>' }] } })}\n`;
    expect(buildJudgeWindow({ transcriptText: older + withoutKinds('codex-rollout'), skillRef: REF, reaction: '' }, { before: 10 }).window.startsWith('USER: deploy the service')).toBe(true);
  });

  describe('tool calls and their failures (synthetic lines in the captured shape)', () => {
    let n = 0;
    const item = (payload: Record<string, unknown>): string => `${JSON.stringify({ timestamp: '2026-12-02T04:04:23.604Z', ordinal: n++, type: 'response_item', payload })}\n`;
    const user = (text: string, kinds?: string[]) =>
      item({ type: 'message', role: 'user', content: [{ type: 'input_text', text }], ...(kinds ? { internal_chat_message_metadata_passthrough: { content_item_kinds: kinds } } : {}) });
    const call = (callId: string, name: string, args: unknown) => item({ type: 'function_call', name, arguments: JSON.stringify(args), call_id: callId });
    const output = (callId: string, out: unknown) => item({ type: 'function_call_output', call_id: callId, output: out });

    it('describes exec_command, shell_command and shell by their command and finds the skill read in each', () => {
      for (const [name, args] of [
        ['exec_command', { cmd: `cat ~/.codex/skills/${REF}/SKILL.md`, yield_time_ms: 1000 }],
        ['shell_command', { command: `cat ~/.codex/skills/${REF}/SKILL.md` }],
        ['shell', { command: ['bash', '-lc', `cat ~/.codex/skills/${REF}/SKILL.md`] }],
      ] as const) {
        const text = user('go', ['user.text']) + call('c1', name, args) + item({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'done' }] });
        const result = buildJudgeWindow({ transcriptText: text, skillRef: REF, reaction: '' });
        expect(result.invocationFound, name).toBe(true);
        const shown = name === 'shell' ? `bash -lc cat ~/.codex/skills/${REF}/SKILL.md` : `cat ~/.codex/skills/${REF}/SKILL.md`;
        expect(result.window).toBe(`USER: go\n\nASSISTANT [tool ${name}]: ${shown}\n\nASSISTANT: done`);
      }
    });

    it('shows an output as a TOOL ERROR only when the command failed or a hook blocked it', () => {
      const text = [
        call('c1', 'exec_command', { cmd: `sed -n '1,200p' skills/${REF}/SKILL.md` }),
        output('c1', 'Chunk ID: 1\nWall time: 0.0000 seconds\nProcess exited with code 0\nOriginal token count: 3\nOutput:\n# Deploy\n'),
        call('c2', 'exec_command', { cmd: 'npm test' }),
        output('c2', 'Chunk ID: 2\nWall time: 1.2 seconds\nProcess exited with code 2\nOriginal token count: 5\nOutput:\nFAIL a.test.ts\n'),
        call('c3', 'exec_command', { cmd: './deploy.sh' }),
        output('c3', 'Command blocked by PreToolUse hook: deploys are frozen. Command: ./deploy.sh'),
        call('c4', 'shell', { command: ['make'] }),
        output('c4', JSON.stringify({ output: 'make: *** No rule to make target', metadata: { exit_code: 2, duration_seconds: 0.1 } })),
        call('c5', 'shell', { command: ['ls'] }),
        output('c5', JSON.stringify({ output: 'a b', metadata: { exit_code: 0 } })),
        call('c6', 'exec_command', { cmd: 'sleep 100' }),
        output('c6', 'Chunk ID: 3\nWall time: 10 seconds\nProcess running with session ID 7\nOutput:\n'),
      ].join('');
      const result = buildJudgeWindow({ transcriptText: text, toolUseId: 'c1', skillRef: REF, reaction: '' });
      expect(result.window.split('\n\n')).toEqual([
        `ASSISTANT [tool exec_command]: sed -n '1,200p' skills/${REF}/SKILL.md`,
        'ASSISTANT [tool exec_command]: npm test',
        'TOOL ERROR [exec_command]: exit 2: FAIL a.test.ts',
        'ASSISTANT [tool exec_command]: ./deploy.sh',
        'TOOL ERROR [exec_command]: Command blocked by PreToolUse hook: deploys are frozen. Command: ./deploy.sh',
        'ASSISTANT [tool shell]: make',
        'TOOL ERROR [shell]: exit 2: make: *** No rule to make target',
        'ASSISTANT [tool shell]: ls',
        'ASSISTANT [tool exec_command]: sleep 100',
      ]);
    });

    it('reads typed text only, skips developer messages, and redacts', () => {
      const text = [
        item({ type: 'message', role: 'developer', content: [{ type: 'input_text', text: '<skills_instructions>…' }] }),
        user('<environment_context><cwd>/w</cwd></environment_context>', ['environments.environment_context']),
        user('my key is DB_PASSWORD=hunter22 ok', ['user.text']),
        user(`<skill>\n<name>${REF}</name>\n<path>/s/SKILL.md</path>\n# body\n</skill>`, ['skills.selected_skill_instructions']),
        item({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'thinking' }] }),
        item({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'ok' }] }),
      ].join('');
      expect(buildJudgeWindow({ transcriptText: text, skillRef: REF, reaction: '' }, { before: 10 }).window).toBe(`USER: my key is DB_PASSWORD=[REDACTED:password] ok\n\nUSER [tool Skill]: ${REF}\n\nASSISTANT: ok`);
    });

    it('reads Codex lines whatever other lines surround them (a Claude-shaped line is still read as Claude)', () => {
      const text = `${user('hi', ['user.text'])}{"type":"user","message":{"content":"from claude"}}\n{"timestamp":"x","type":"user","payload":{}}\n`;
      expect(buildJudgeWindow({ transcriptText: text, skillRef: REF, reaction: '' }, { before: 10 }).window).toBe('USER: hi\n\nUSER: from claude');
    });
  });
});

// Real sessions of the pinned pi CLI (test/fixtures/transcripts/record-pi-session.ts).
describe('buildJudgeWindow on real pi sessions', () => {
  const SKILL_READ = 'call_a3b2da61f104d5209e3ccc28|fc_a55a619abf299cbdc1b89faf';
  const SKILL_FILE = '/home/u/.pi/agent/skills/deploy-checklist--alice/SKILL.md';
  /** The session file when pi's `input` event fires for the reaction: the prompt is not written yet. */
  const atReaction = (): string => cutBefore(fixture('pi-session'), (e) => JSON.stringify(e).includes(`"text":"${REACTION}"`));
  const FIRST_TURN = [
    'USER: deploy the service',
    `ASSISTANT [tool read]: ${SKILL_FILE}`,
    "ASSISTANT [tool bash]: printf 'FAIL src/deploy.test.ts\\n expected 200, got 500\\n' >&2; exit 1",
  ];

  it('shows the prompt, the SKILL.md read, the failed command, the claim and the reaction; not the skill body pi returned', () => {
    const result = buildJudgeWindow({ transcriptText: atReaction(), toolUseId: SKILL_READ, skillRef: REF, reaction: REACTION });
    expect(result.invocationFound).toBe(true);
    const turns = result.window.split('\n\n');
    expect(turns.slice(0, 3)).toEqual(FIRST_TURN);
    expect(turns[3]).toMatch(/^TOOL ERROR \[bash\]: FAIL src\/deploy\.test\.ts.*expected 200, got 500.*Command exited with code 1$/);
    expect(turns.slice(4)).toEqual(['ASSISTANT: Deployed after following the deploy checklist.', `USER: ${REACTION}`]);
    expect(result.window).not.toContain('# Deploy checklist');
  });

  it('finds the invocation by the read of <ref>/SKILL.md without the id, and not for another skill', () => {
    expect(buildJudgeWindow({ transcriptText: atReaction(), toolUseId: null, skillRef: REF, reaction: REACTION }).invocationFound).toBe(true);
    expect(buildJudgeWindow({ transcriptText: atReaction(), toolUseId: null, skillRef: 'checklist--alice', reaction: REACTION }).invocationFound).toBe(false);
  });

  it('a prompt typed as /skill:<ref> is the invocation; the body pi expanded into it is not shown', () => {
    const text = fixture('pi-session-skill-command');
    const result = buildJudgeWindow({ transcriptText: text, toolUseId: 'a derived prompt id', skillRef: REF, reaction: '' }, { before: 0 });
    expect(result.invocationFound).toBe(true);
    expect(result.window.split('\n\n')[0]).toBe(`USER [tool Skill]: ${REF} deploy it`);
    expect(result.window).not.toContain('Run the tests (npm test)');
  });

  it('reads only the branch the session is on: a turn left by /tree is not in the window', () => {
    const lines = atReaction().trimEnd().split('\n');
    const [, , , prompt] = lines.map((line) => JSON.parse(line) as { id: string; parentId: string | null });
    // An abandoned answer to the first prompt, left beside the one the session went on with.
    const abandoned = JSON.stringify({ type: 'message', id: 'deadbeef', parentId: prompt!.id, timestamp: '2026-12-07T16:30:58.000Z', message: { role: 'assistant', content: [{ type: 'text', text: 'an abandoned answer' }] } });
    const text = [...lines.slice(0, 4), abandoned, ...lines.slice(4)].join('\n');
    const result = buildJudgeWindow({ transcriptText: text, toolUseId: SKILL_READ, skillRef: REF, reaction: REACTION });
    expect(result.window).not.toContain('an abandoned answer');
    expect(result.window).toContain('Deployed after following the deploy checklist.');
  });
});

describe('buildJudgeWindow: locating the invocation', () => {
  it('slices `before` text turns ahead and `after` from the invocation on (seed: before=1, after=2)', () => {
    const result = buildJudgeWindow({ transcriptText: seedSession().text(), toolUseId: 't1', skillRef: REF, reaction: '' }, { before: 1, after: 2 });
    expect(result).toEqual({ window: `ASSISTANT: ack\n\nASSISTANT [tool Skill]: ${REF}\n\nUSER: no that's wrong\n\nASSISTANT: fixing`, invocationFound: true, turns: 4 });
  });

  it('prefers the pinned tool_use id over a later invocation of the same skill (seed: t1)', () => {
    const s = seedSession('t1');
    s.skill('t2');
    s.say('second run');
    const pinned = buildJudgeWindow({ transcriptText: s.text(), toolUseId: 't1', skillRef: REF, reaction: '' }, { before: 1, after: 1 });
    expect(pinned.window).toBe(`ASSISTANT: ack\n\nASSISTANT [tool Skill]: ${REF}\n\nUSER: no that's wrong`);
  });

  it.each([['an unknown id', 'nope'], ['no id', null]])('falls back to the latest invocation of the ref with %s (seed: t2)', (_label, id) => {
    const s = seedSession('t1');
    s.skill('t2');
    s.say('second run');
    const result = buildJudgeWindow({ transcriptText: s.text(), toolUseId: id, skillRef: REF, reaction: '' }, { before: 1, after: 1 });
    expect(result).toEqual({ window: `ASSISTANT: more\n\nASSISTANT [tool Skill]: ${REF}\n\nASSISTANT: second run`, invocationFound: true, turns: 3 });
  });

  it('does not fall back to another skill', () => {
    const result = buildJudgeWindow({ transcriptText: seedSession().text(), toolUseId: 'nope', skillRef: 'other--bob', reaction: 'hm' }, { before: 2 });
    expect(result).toEqual({ window: 'USER: later\n\nASSISTANT: more\n\nUSER: hm', invocationFound: false, turns: 2 });
  });

  it('finds a Skill call whose input was recorded as a JSON string', () => {
    const s = new Session();
    s.user('go');
    s.tool('t9', 'Skill', JSON.stringify({ skill: REF }));
    s.say('done');
    const result = buildJudgeWindow({ transcriptText: s.text(), skillRef: REF, reaction: '' });
    expect(result.invocationFound).toBe(true);
    expect(result.window).toBe(`USER: go\n\nASSISTANT [tool Skill]: ${REF}\n\nASSISTANT: done`);
  });

  it('lets tool calls ride along without using the turn count', () => {
    const s = new Session();
    s.user('deploy');
    s.skill('t1');
    s.tool('b1', 'Bash', { command: 'npm test' });
    s.result('b1', 'ok');
    s.tool('b2', 'Read', { file_path: '/repo/deploy.md' });
    s.tool('b3', 'Grep', { pattern: 'TODO', path: '.' });
    s.say('Deployed.');
    s.tool('b4', 'Bash', { command: 'echo after the window' });
    const result = buildJudgeWindow({ transcriptText: s.text(), toolUseId: 't1', skillRef: REF, reaction: '' }, { before: 1, after: 1 });
    expect(result.window).toBe(
      [
        'USER: deploy',
        `ASSISTANT [tool Skill]: ${REF}`,
        'ASSISTANT [tool Bash]: npm test',
        'ASSISTANT [tool Read]: /repo/deploy.md',
        'ASSISTANT [tool Grep]: TODO',
        'ASSISTANT: Deployed.',
      ].join('\n\n'),
    );
    expect(result.turns).toBe(6);
  });

  it('shows a tool input on one line, shortened, and unknown tools as JSON', () => {
    const s = new Session();
    s.skill('t1');
    s.tool('b1', 'Bash', { command: `cat <<'EOF'\n${'x'.repeat(400)}\nEOF` });
    s.tool('m1', 'mcp__db__query', { sql: 'select 1' });
    const lines = buildJudgeWindow({ transcriptText: s.text(), toolUseId: 't1', skillRef: REF, reaction: '' }).window.split('\n\n');
    const bash = lines[1] ?? '';
    expect(bash.startsWith("ASSISTANT [tool Bash]: cat <<'EOF'⏎xxx")).toBe(true);
    expect(bash.length).toBe('ASSISTANT [tool Bash]: '.length + MAX_TOOL_INPUT_CHARS);
    expect(bash.endsWith('…')).toBe(true);
    expect(lines[2]).toBe('ASSISTANT [tool mcp__db__query]: {"sql":"select 1"}');
  });

  it('names a failed call and ignores successful results', () => {
    const s = new Session();
    s.skill('t1');
    s.tool('b1', 'Bash', { command: 'npm test' });
    s.result('b1', [{ type: 'text', text: 'FAIL src/a.test.ts\n  expected 1 to be 2' }], true);
    s.tool('b2', 'Bash', { command: 'ls' });
    s.result('b2', 'a.ts b.ts');
    const result = buildJudgeWindow({ transcriptText: s.text(), toolUseId: 't1', skillRef: REF, reaction: '' });
    expect(result.window).toBe(
      [`ASSISTANT [tool Skill]: ${REF}`, 'ASSISTANT [tool Bash]: npm test', 'TOOL ERROR [Bash]: FAIL src/a.test.ts⏎expected 1 to be 2', 'ASSISTANT [tool Bash]: ls'].join('\n\n'),
    );
  });
});

describe('buildJudgeWindow: what is and is not a turn', () => {
  it('reads user text blocks and skips isMeta, compaction summaries and sidechains', () => {
    const s = new Session();
    s.user([{ type: 'text', text: 'part one' }, { type: 'image', source: {} }, { type: 'text', text: 'part two' }]);
    s.user('Stop hook feedback:\nrun the tests', { isMeta: true });
    s.user('This session is being continued from a previous conversation…', { isCompactSummary: true });
    s.say('   ');
    s.raw({ type: 'assistant', isSidechain: true, uuid: 'side', parentUuid: 'u1', message: { content: [{ type: 'text', text: 'subagent chatter' }] } });
    s.raw({ type: 'attachment', uuid: 'att', parentUuid: 'u4', attachment: { type: 'hook_success' } });
    s.raw({ type: 'assistant', uuid: 'th', parentUuid: 'att', message: { content: [{ type: 'thinking', thinking: 'hmm' }, { type: 'text', text: 'visible' }] } });
    const result = buildJudgeWindow({ transcriptText: s.text(), skillRef: REF, reaction: '' }, { before: 10 });
    expect(result.window).toBe('USER: part one\npart two\n\nASSISTANT: visible');
  });

  it('reads only the active branch after a rewind', () => {
    const s = new Session();
    const first = s.user('deploy');
    s.say('old attempt');
    s.user('old follow-up');
    s.say('new attempt', first);
    s.skill('t1');
    s.say('done');
    const result = buildJudgeWindow({ transcriptText: s.text(), toolUseId: 't1', skillRef: REF, reaction: '' });
    expect(result.window).toBe(`USER: deploy\n\nASSISTANT: new attempt\n\nASSISTANT [tool Skill]: ${REF}\n\nASSISTANT: done`);
  });

  it('follows logicalParentUuid across a compaction', () => {
    const s = new Session();
    s.user('before compaction');
    s.raw({ type: 'system', subtype: 'compact_boundary', uuid: 'cb', parentUuid: null, logicalParentUuid: 'u1' });
    s.user('after compaction', {}, 'cb');
    expect(buildJudgeWindow({ transcriptText: s.text(), skillRef: REF, reaction: '' }, { before: 5 }).window).toBe('USER: before compaction\n\nUSER: after compaction');
  });

  it('keeps every entry before a break in the chain (a read that starts mid-file)', () => {
    const s = new Session();
    s.user('orphaned start', {}, 'not-in-file');
    s.say('reply');
    s.user('next');
    expect(buildJudgeWindow({ transcriptText: s.text(), skillRef: REF, reaction: '' }, { before: 5 }).window).toBe('USER: orphaned start\n\nASSISTANT: reply\n\nUSER: next');
  });

  it('reads entries without uuids in file order', () => {
    const text = ['{"type":"user","message":{"content":"a"}}', '{"type":"assistant","message":{"content":"b"}}', 'not json', '[1,2]'].join('\n');
    expect(buildJudgeWindow({ transcriptText: text, skillRef: REF, reaction: 'c' }).window).toBe('USER: a\n\nASSISTANT: b\n\nUSER: c');
  });

  it('is empty for an empty transcript and a blank reaction', () => {
    expect(buildJudgeWindow({ transcriptText: '', skillRef: REF, reaction: ' \n ' })).toEqual({ window: '', invocationFound: false, turns: 0 });
    expect(buildJudgeWindow({ transcriptText: '', skillRef: REF, reaction: 'wrong' }).window).toBe('USER: wrong');
  });

  it('redacts secrets in turns, tool inputs and the reaction', () => {
    const s = new Session();
    s.user('my key is DB_PASSWORD=hunter22 ok');
    s.skill('t1');
    s.tool('b1', 'Bash', { command: `curl -H "Authorization: Bearer abcdef0123456789" ${'x'.repeat(300)}` });
    const result = buildJudgeWindow({ transcriptText: s.text(), toolUseId: 't1', skillRef: REF, reaction: 'use postgres://u:pa55word@db/x' });
    expect(result.window).not.toMatch(/hunter22|abcdef0123|pa55word/);
    expect(result.window).toContain('DB_PASSWORD=[REDACTED:password]');
    expect(result.window).toContain('Bearer [REDACTED:bearer-token]');
    expect(result.window).toContain('USER: use postgres://u:[REDACTED:url-password]@db/x');
  });
});

describe('buildJudgeWindow: eliding', () => {
  it('keeps the head and tail of a long window and appends the reaction after the cut (seed: 150 chars)', () => {
    const s = seedSession();
    for (let i = 0; i < 5; i += 1) s.say(`reply ${i} ${'z'.repeat(80)}`);
    const result = buildJudgeWindow({ transcriptText: s.text(), toolUseId: 't1', skillRef: REF, reaction: REACTION }, { maxChars: 150 });
    expect(result.window).toContain('chars elided');
    expect(result.window.length).toBeLessThan(300);
    expect(result.window.startsWith('USER: hi\n\nASSISTANT: ack')).toBe(true);
    expect(result.window.endsWith(`\n\nUSER: ${REACTION}`)).toBe(true);
  });
});

describe('elide', () => {
  it('keeps the first 55% and the last 45% and says how much was cut', () => {
    const text = `${'a'.repeat(100)}${'b'.repeat(100)}`;
    expect(elide(text, 100)).toBe(`${'a'.repeat(55)}\n\n…[100 chars elided]…\n\n${'b'.repeat(45)}`);
  });

  it('leaves text that fits', () => {
    expect(elide('short', 5)).toBe('short');
  });
});

describe('parseTranscript', () => {
  it('keeps objects from lines that parse', () => {
    expect(parseTranscript('{"a":1}\n\n{"b":\n"str"\n{"c":2}')).toEqual([{ a: 1 }, { c: 2 }]);
  });
});
