// The gate in front of UserPromptSubmit and PreToolUse (agents/claude/hook-gate.ts): it
// starts the hook exactly when the hook has work, hands it the payload byte for
// byte at the background priority, and otherwise ends at once without Node.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GATE_SESSIONS_DIR } from '../../agents/claude/hook-gate';
import { SESSIONS_DIR } from '../../hooks/hint';
import { BACKGROUND_NICE } from '../../hooks/spawn';
import { Session, installOrgSkills, makeHookSandbox, outboxEvents, readHintFile, runGatedHook, runHook, type HookRun, type HookSandbox } from './helpers';

let sb: HookSandbox;
beforeEach(async () => {
  sb = await makeHookSandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

function expectQuiet(run: HookRun): void {
  expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: 0, stdout: '', stderr: '' });
}

/** Where the stand-in hook leaves what it got. */
const got = () => join(sb.dir, 'got');

/** A stand-in for the hook: records its stdin and its nice value. */
function standIn(): string[] {
  return ['/bin/sh', '-c', `cat > '${got()}.stdin'; nice > '${got()}.nice'`];
}

/** Runs the gate in front of the stand-in: what the hook would have been given, or undefined when it was not started. */
async function gate(event: string, input: unknown, env: NodeJS.ProcessEnv = {}): Promise<{ stdin: string; nice: number } | undefined> {
  const run = await runGatedHook(sb, event, input, env, standIn());
  expectQuiet(run);
  if (!existsSync(`${got()}.stdin`)) return undefined;
  return { stdin: await readFile(`${got()}.stdin`, 'utf8'), nice: Number((await readFile(`${got()}.nice`, 'utf8')).trim()) };
}

async function openWindow(s: Session): Promise<void> {
  await mkdir(join(sb.skilloptHome, SESSIONS_DIR), { recursive: true });
  await writeFile(join(sb.skilloptHome, SESSIONS_DIR, `${s.id}.json`), '{}');
}

const line = (payload: unknown) => `${JSON.stringify(payload)}\n`;
const hasNice = (() => {
  try {
    execFileSync('/bin/sh', ['-c', 'command -v nice'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('the gate (agents/claude/hook-gate.ts)', () => {
  it('looks for the hints where the hooks keep them', () => {
    expect(GATE_SESSIONS_DIR).toBe(SESSIONS_DIR);
  });

  it('UserPromptSubmit with no window open: the hook is not started', async () => {
    const s = new Session(sb);
    expect(await gate('UserPromptSubmit', s.userPromptSubmit('hello'))).toBeUndefined();
    // Another session's window is not this one's.
    await openWindow(new Session(sb));
    expect(await gate('UserPromptSubmit', s.userPromptSubmit('hello'))).toBeUndefined();
  });

  it("UserPromptSubmit in a session with a window: the hook gets the payload byte for byte, at the background priority", async () => {
    const s = new Session(sb);
    await openWindow(s);
    const payload = s.userPromptSubmit('that was wrong');
    const started = await gate('UserPromptSubmit', payload);
    expect(started?.stdin).toBe(line(payload));
    if (hasNice) expect(started?.nice).toBe(BACKGROUND_NICE);
  });

  it('without `nice` on PATH the hook still starts, at the priority it had', async () => {
    const s = new Session(sb);
    await openWindow(s);
    // Only what the gate itself needs: head and cat.
    const bin = join(sb.dir, 'bin');
    await mkdir(bin);
    for (const tool of ['head', 'cat']) await symlink(execFileSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
    const run = await runGatedHook(sb, 'UserPromptSubmit', s.userPromptSubmit('x'), { PATH: bin }, ['/bin/sh', '-c', `read -r line; echo "$line" > '${got()}.stdin'`]);
    expectQuiet(run);
    expect(await readFile(`${got()}.stdin`, 'utf8')).toContain('"prompt":"x"');
  });

  it('a payload far over the 4 KiB the gate reads reaches the hook whole; without a window it is read to its end', async () => {
    const s = new Session(sb);
    const payload = s.userPromptSubmit(`a pasted log ${'é日x'.repeat(60_000)}`);
    expect(await gate('UserPromptSubmit', payload)).toBeUndefined();
    await openWindow(s);
    expect((await gate('UserPromptSubmit', payload))?.stdin).toBe(line(payload));
  });

  it('UserPromptSubmit starts the hook when a flusher must be restarted: the outbox stalled, or judgments owed', async () => {
    const s = new Session(sb);
    await mkdir(join(sb.skilloptHome, 'outbox'), { recursive: true });
    await writeFile(join(sb.skilloptHome, 'outbox', 'stalled'), '');
    expect(await gate('UserPromptSubmit', s.userPromptSubmit('hello'))).toBeDefined();
    await sb.cleanup();
    sb = await makeHookSandbox();
    const t = new Session(sb);
    await mkdir(join(sb.skilloptHome, 'outbox'), { recursive: true });
    await writeFile(join(sb.skilloptHome, 'outbox', 'judgments-pending.json'), '{}');
    expect(await gate('UserPromptSubmit', t.userPromptSubmit('hello'))).toBeDefined();
  });

  it('starts the hook whenever it cannot tell: an unusual session id or home, a payload it does not know', async () => {
    const s = new Session(sb);
    const prompt = s.userPromptSubmit('hello');
    expect(await gate('UserPromptSubmit', { ...prompt, session_id: 'a/../b c' })).toBeDefined();
    expect(await gate('UserPromptSubmit', { ...prompt, session_id: 'x'.repeat(201) })).toBeDefined();
    expect(await gate('UserPromptSubmit', { prompt: 'no session id' })).toBeDefined();
    expect(await gate('UserPromptSubmit', 'not json\n')).toBeDefined();
    expect(await gate('UserPromptSubmit', `{"session_id": "${s.id}", "prompt": "spaced"}\n`)).toBeDefined();
    expect(await gate('UserPromptSubmit', prompt, { SKILLOPT_HOME: 'relative/home' })).toBeDefined();
    expect(await gate('UserPromptSubmit', prompt, { SKILLOPT_HOME: `${sb.skilloptHome} ` })).toBeDefined();
    expect(await gate('UserPromptSubmit', prompt, { SKILLOPT_HOME: '~/.skillopt' })).toBeDefined();
    expect(await gate('UserPromptSubmit', prompt, { SKILLOPT_HOME: '', HOME: '' })).toBeDefined();
  });

  it('reads the session id from its own field: a prompt that quotes another session id does not fool it', async () => {
    const s = new Session(sb);
    const other = new Session(sb);
    await openWindow(other);
    // The field order changed, the prompt first: inside a JSON string every quote is escaped.
    const { session_id: id, prompt, ...rest } = s.userPromptSubmit(`see {"session_id":"${other.id}"}`);
    const reordered = { prompt, session_id: id, ...rest };
    expect(JSON.stringify(reordered)).toContain(`"prompt":"see {\\"session_id\\":\\"${other.id}\\"}"`);
    expect(await gate('UserPromptSubmit', reordered)).toBeUndefined();
    await openWindow(s);
    expect(await gate('UserPromptSubmit', reordered)).toBeDefined();
  });

  it('SKILLOPT_DISABLED=1 and SKILLOPT_INTERNAL=1: the hook is never started', async () => {
    const s = new Session(sb);
    await openWindow(s);
    expect(await gate('UserPromptSubmit', s.userPromptSubmit('x'), { SKILLOPT_DISABLED: '1' })).toBeUndefined();
    expect(await gate('UserPromptSubmit', s.userPromptSubmit('x'), { SKILLOPT_INTERNAL: '1' })).toBeUndefined();
    expect(await gate('PreToolUse', s.preToolUseSkill('deploy-checklist--alice'), { SKILLOPT_INTERNAL: '1' })).toBeUndefined();
  });

  it('PreToolUse: a skill that is no <name>--<author> is not armed; a shared skill, or an input it does not know, starts the hook', async () => {
    const s = new Session(sb);
    expect(await gate('PreToolUse', s.preToolUseSkill('pdf'))).toBeUndefined();
    expect(await gate('PreToolUse', s.preToolUseSkill('deploy-checklist--alice'))).toBeDefined();
    await sb.cleanup();
    sb = await makeHookSandbox();
    const t = new Session(sb);
    const call = t.preToolUseSkill('pdf');
    expect(await gate('PreToolUse', { ...call, tool_input: { args: 'x', skill: 'pdf' } })).toBeDefined();
  });

  it('every other event starts the hook', async () => {
    const s = new Session(sb);
    expect((await gate('SessionStart', s.sessionStart()))?.stdin).toBe(line(s.sessionStart()));
  });
});

describe('the gated hook (the gate in front of dist/hook.cjs)', () => {
  it('arms, reacts and stays silent exactly as the hook alone; a prompt with no window starts no Node', async () => {
    await installOrgSkills(sb, [{ name: 'deploy-checklist', author: 'alice', version: 4 }]);
    const debug = { SKILLOPT_DEBUG: '1' };
    const log = async () => ((await readFile(join(sb.skilloptHome, 'hooks.log'), 'utf8').catch(() => '')).match(/UserPromptSubmit: [a-z-]+/g) ?? []);
    const s = new Session(sb);
    await s.writeTranscript('{"type":"user"}\n');
    // First prompt: no window. The hook alone says so in its log; the gate never starts it.
    expectQuiet(await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('hello'), debug));
    expect(await log()).toEqual(['UserPromptSubmit: no-window']);
    expectQuiet(await runGatedHook(sb, 'UserPromptSubmit', s.userPromptSubmit('hello again'), debug));
    expect(await log()).toEqual(['UserPromptSubmit: no-window']);
    // The model calls the skill: the gated PreToolUse arms.
    const toolUseId = 'toolu_01lfyrw5N8vmy7avHD8Pgdla';
    expectQuiet(await runGatedHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice', toolUseId), debug));
    expect(await readHintFile(sb, s.id)).toMatchObject({ toolUseId, remaining: 3 });
    // The pushback: a reaction, once, however often the gated hook runs for it.
    const pushback = s.userPromptSubmit('that was wrong');
    expectQuiet(await runGatedHook(sb, 'UserPromptSubmit', pushback, debug));
    expectQuiet(await runGatedHook(sb, 'UserPromptSubmit', pushback, debug));
    expect(await log()).toEqual(['UserPromptSubmit: no-window', 'UserPromptSubmit: sent', 'UserPromptSubmit: duplicate']);
    const events = await outboxEvents(sb);
    expect(events.map((e) => e.signal)).toEqual(['invoked', 'reaction']);
    expect(events[1]!.payload).toMatchObject({ sessionId: s.id, text: 'that was wrong' });
  });
});
