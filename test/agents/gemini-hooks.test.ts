// skillopt's hooks for Gemini CLI as the real hook process runs them (the
// built dist/hook.cjs, `hook <Event> --agent gemini`, as `hooks install --agent
// gemini` writes them), with payloads shaped as the pinned Gemini CLI sent them
// (docs/gemini-cli.md 2) and the transcript as it stood at AfterTool
// (captured by a hook of the real CLI): arming pinned by the model message's
// id, each prompt's reaction once however many copies of the hook run, and
// silence on stdout and stderr.
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installOrgSkills, makeHookSandbox, outboxEvents, runHook, type HookSandbox } from '../hooks/helpers';

const AT_AFTER_TOOL = resolve('test/fixtures/transcripts/gemini-session-at-aftertool.jsonl');
const CALLING_MESSAGE = 'a1bbd5d9-fab5-4364-9c24-284e7c172dae';
const SKILL = 'deploy-checklist--alice';

let sb: HookSandbox;
let transcript: string;
let sessionId: string;
const geminiSkills = () => join(sb.home, '.gemini', 'skills');

beforeEach(async () => {
  sb = await makeHookSandbox();
  sessionId = randomUUID();
  const chats = join(sb.home, '.gemini', 'tmp', 'project', 'chats');
  mkdirSync(chats, { recursive: true });
  transcript = join(chats, `session-2026-12-07T22-31-${sessionId.slice(0, 8)}.jsonl`);
  copyFileSync(AT_AFTER_TOOL, transcript);
  await installOrgSkills(sb, [{ name: 'deploy-checklist', author: 'alice', version: 3, root: geminiSkills() }]);
});
afterEach(() => sb.cleanup());

const base = (event: string) => ({ session_id: sessionId, transcript_path: transcript, cwd: sb.project, hook_event_name: event, timestamp: new Date().toISOString() });
const afterTool = (name: string, response: Record<string, unknown> = { llmContent: `<activated_skill name="${name}">…`, returnDisplay: `Skill **${name}** activated.` }) => ({
  ...base('AfterTool'),
  tool_name: 'activate_skill',
  tool_input: { name },
  tool_response: response,
});

describe('the Gemini CLI hooks', () => {
  it('AfterTool of a pulled skill arms, pinned by the calling model message, agent gemini; a second copy of the hook changes nothing', async () => {
    const run = await runHook(sb, 'PreToolUse --agent gemini', afterTool(SKILL));
    expect(run).toMatchObject({ code: 0, stdout: '', stderr: '' });
    await runHook(sb, 'PreToolUse --agent gemini', afterTool(SKILL));
    const events = await outboxEvents(sb);
    expect(events.map((e) => e.signal)).toEqual(['invoked']);
    expect(events[0]).toMatchObject({
      ref: { name: 'deploy-checklist', author: 'alice' },
      payload: { sessionId, toolUseId: `${CALLING_MESSAGE}:${SKILL}`, agent: 'gemini', skillVersion: 3, transcriptPath: transcript, transcriptBytes: statSync(transcript).size },
    });
  });

  it('a skill that failed to load, a local skill and another tool arm nothing', async () => {
    mkdirSync(join(geminiSkills(), 'notes--bob'), { recursive: true });
    writeFileSync(join(geminiSkills(), 'notes--bob', 'SKILL.md'), '---\nname: notes--bob\ndescription: mine\n---\n');
    for (const payload of [
      afterTool(SKILL, { llmContent: 'Skill "deploy-checklist--alice" not found.', error: 'Skill "deploy-checklist--alice" not found.' }),
      afterTool('notes--bob'),
      { ...base('AfterTool'), tool_name: 'read_file', tool_input: { file_path: join(geminiSkills(), SKILL, 'SKILL.md') }, tool_response: { llmContent: '…' } },
    ]) {
      expect(await runHook(sb, 'PreToolUse --agent gemini', payload)).toMatchObject({ code: 0, stdout: '', stderr: '' });
    }
    expect(await outboxEvents(sb)).toEqual([]);
  });

  it('BeforeAgent in an armed session is a reaction ending where the prompt starts, spooled once for two copies of the hook', async () => {
    await runHook(sb, 'PreToolUse --agent gemini', afterTool(SKILL));
    const prompt = { ...base('BeforeAgent'), prompt: 'that was wrong, you skipped the tests' };
    expect(await runHook(sb, 'UserPromptSubmit --agent gemini', prompt)).toMatchObject({ code: 0, stdout: '', stderr: '' });
    await runHook(sb, 'UserPromptSubmit --agent gemini', prompt);
    const reactions = (await outboxEvents(sb)).filter((e) => e.signal === 'reaction');
    expect(reactions).toHaveLength(1);
    expect(reactions[0]!.payload).toMatchObject({ sessionId, text: 'that was wrong, you skipped the tests', transcriptPath: transcript, transcriptBytes: statSync(transcript).size });
    // Gemini writes the prompt, then the next one is a reaction of its own.
    writeFileSync(transcript, '{"id":"u2","type":"user","content":[{"text":"that was wrong, you skipped the tests"}]}\n', { flag: 'a' });
    await runHook(sb, 'UserPromptSubmit --agent gemini', { ...prompt, prompt: 'and the smoke test' });
    expect((await outboxEvents(sb)).filter((e) => e.signal === 'reaction')).toHaveLength(2);
  });

  it('SessionEnd closes the window: the workflow is told, a later prompt is no reaction', async () => {
    await runHook(sb, 'PreToolUse --agent gemini', afterTool(SKILL));
    expect(await runHook(sb, 'SessionEnd --agent gemini', { ...base('SessionEnd'), reason: 'exit' })).toMatchObject({ code: 0, stdout: '', stderr: '' });
    await runHook(sb, 'UserPromptSubmit --agent gemini', { ...base('BeforeAgent'), prompt: 'thanks' });
    expect((await outboxEvents(sb)).map((e) => e.signal)).toEqual(['invoked', 'sessionEnded']);
  });
});
