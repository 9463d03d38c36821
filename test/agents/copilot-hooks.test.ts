// skillopt's hooks for Copilot CLI as the real hook process runs them
// (`node dist/hook.cjs hook <Event> --agent copilot`, the commands
// `hooks install --agent copilot` writes), fed Copilot's own camelCase JSON as
// captured from the pinned CLI (docs/copilot-cli.md §2): a skill call arms,
// pinned by its postToolUse timestamp; prompts react; a typed `/<skill>` that
// Copilot expanded arms; the session's end and resume; skillopt's own runs and
// bad input do nothing. Every run exits 0 and prints nothing.
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installOrgSkills, makeHookSandbox, outboxEvents, readHintFile, runHook, type HookRun, type HookSandbox } from '../hooks/helpers';

const SKILL = 'deploy--alice';
let sb: HookSandbox;
let sessionId: string;
let clock: number;

beforeEach(async () => {
  sb = await makeHookSandbox();
  sessionId = randomUUID();
  clock = 1796682619000;
  await installOrgSkills(sb, [{ name: 'deploy', author: 'alice', version: 3, root: join(sb.home, '.copilot', 'skills') }]);
});
afterEach(async () => {
  await sb.cleanup();
});

/** One hook run with Copilot's payload for the event; the same `timestamp` replays the same event. */
async function copilot(event: 'PreToolUse' | 'UserPromptSubmit' | 'SessionStart' | 'SessionEnd', fields: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<HookRun> {
  const run = await runHook(sb, `${event} --agent copilot`, { sessionId, timestamp: clock, cwd: sb.project, ...fields }, env);
  expect(run).toMatchObject({ code: 0, stdout: '', stderr: '' });
  return run;
}
const skillCall = (skill = SKILL) => ({ toolName: 'skill', toolArgs: { skill }, toolResult: { resultType: 'success', textResultForLlm: `Skill "${skill}" loaded successfully.` } });
const signals = async () => (await outboxEvents(sb)).map((e) => e.signal);

describe('the Copilot CLI hooks', () => {
  it('a skill call on a pulled skill arms, pinned by its postToolUse timestamp; its second run is the same event', async () => {
    await copilot('PreToolUse', skillCall());
    const [invoked, ...rest] = await outboxEvents(sb);
    expect(rest).toEqual([]);
    expect(invoked).toMatchObject({
      signal: 'invoked',
      ref: { name: 'deploy', author: 'alice' },
      payload: { sessionId, toolUseId: `postToolUse@${clock}`, agent: 'copilot', skillVersion: 3, transcriptPath: join(sb.home, '.copilot', 'session-state', sessionId, 'events.jsonl') },
    });
    await copilot('PreToolUse', skillCall());
    expect(await signals()).toEqual(['invoked']);
  });

  it('the next prompts are reactions, once each; a local skill or another tool never arms', async () => {
    await copilot('UserPromptSubmit', { prompt: 'hello' });
    await copilot('PreToolUse', skillCall('notes--bob'));
    await copilot('PreToolUse', { toolName: 'view', toolArgs: { path: join(sb.home, '.copilot', 'skills', SKILL, 'SKILL.md') } });
    expect(await signals()).toEqual([]);
    await copilot('PreToolUse', skillCall());
    clock += 5_000;
    await copilot('UserPromptSubmit', { prompt: 'that was wrong, you skipped the tests' });
    await copilot('UserPromptSubmit', { prompt: 'that was wrong, you skipped the tests' });
    const events = await outboxEvents(sb);
    expect(events.map((e) => e.signal)).toEqual(['invoked', 'reaction']);
    expect(events[1]!.payload).toMatchObject({ sessionId, text: 'that was wrong, you skipped the tests', transcriptPath: join(sb.home, '.copilot', 'session-state', sessionId, 'events.jsonl'), transcriptBytes: 0 });
  });

  it('a /<skill> the user typed, expanded by Copilot, arms on that prompt, which is not its own reaction', async () => {
    const prompt = `The user explicitly invoked the "/${SKILL}" skill. Follow its instructions now.\n\n<skill-context name="${SKILL}">\nBase directory for this skill: ${join(sb.home, '.copilot', 'skills', SKILL)}\n\n# deploy\n\nARGUMENTS: to staging\n</skill-context>`;
    await copilot('UserPromptSubmit', { prompt });
    expect(await outboxEvents(sb)).toMatchObject([{ signal: 'invoked', payload: { toolUseId: `userPromptSubmitted@${clock}`, agent: 'copilot' } }]);
    await copilot('UserPromptSubmit', { prompt });
    clock += 1;
    await copilot('UserPromptSubmit', { prompt: 'no, production' });
    expect(await outboxEvents(sb)).toMatchObject([{ signal: 'invoked' }, { signal: 'reaction', payload: { text: 'no, production' } }]);
  });

  it("the session's end closes the window; a resume (the next copilot -p of the session) reopens it", async () => {
    await copilot('PreToolUse', skillCall());
    clock += 1;
    await copilot('SessionEnd', { reason: 'complete' });
    expect((await readHintFile(sb, sessionId))?.endedAt).toBeDefined();
    clock += 1;
    await copilot('SessionStart', { source: 'resume', initialPrompt: 'that was wrong' }, { SKILLOPT_AUTOPULL: '0', SKILLOPT_ATTRIBUTION: '0' });
    expect((await readHintFile(sb, sessionId))?.endedAt).toBeUndefined();
    await copilot('UserPromptSubmit', { prompt: 'that was wrong' });
    expect(await signals()).toEqual(['invoked', 'sessionEnded', 'reaction']);
  });

  it('on a resume the prompt may run before sessionStart (Copilot runs them side by side): the prompt reopens the window itself, within the grace', async () => {
    await copilot('PreToolUse', skillCall());
    clock += 1;
    await copilot('SessionEnd', { reason: 'complete' });
    clock += 1;
    await copilot('UserPromptSubmit', { prompt: 'that was wrong' });
    await copilot('SessionStart', { source: 'resume', initialPrompt: 'that was wrong' }, { SKILLOPT_AUTOPULL: '0', SKILLOPT_ATTRIBUTION: '0' });
    expect(await signals()).toEqual(['invoked', 'sessionEnded', 'reaction']);
    expect((await readHintFile(sb, sessionId))?.endedAt).toBeUndefined();

    // Ended longer ago than the grace the workflow waits for a resume: the window is gone, the prompt sends nothing.
    clock += 1;
    await copilot('SessionEnd', { reason: 'complete' });
    const hint = (await readHintFile(sb, sessionId))!;
    await writeFile(join(sb.skilloptHome, 'sessions', `${sessionId}.json`), JSON.stringify({ ...hint, endedAt: Date.now() - 11 * 60_000 }));
    clock += 1;
    await copilot('UserPromptSubmit', { prompt: 'still wrong' });
    expect(await signals()).toEqual(['invoked', 'sessionEnded', 'reaction', 'sessionEnded']);
    expect(await readHintFile(sb, sessionId)).toBeUndefined();
  });

  it("does nothing for skillopt's own runs (SKILLOPT_INTERNAL=1) or for input that is not Copilot's JSON", async () => {
    await copilot('PreToolUse', skillCall(), { SKILLOPT_INTERNAL: '1' });
    const garbage = await runHook(sb, 'PreToolUse --agent copilot', 'not json');
    expect(garbage).toMatchObject({ code: 0, stdout: '', stderr: '' });
    await copilot('PreToolUse', { toolName: 'skill', toolArgs: 'deploy--alice' });
    expect(await signals()).toEqual([]);
  });
});
