// The hooks as Claude Code runs them: real processes of the built bundle, real
// payload shapes, a sandboxed HOME and SKILLOPT_HOME. No Temporal here: events
// stay in the outbox (SKILLOPT_FLUSHER=0); delivery is tested in test/worker/flusher.test.ts.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_REACTION_BYTES } from '../../core/limits';
import {
  BIN,
  ROOT,
  Session,
  installOrgSkills,
  makeHookSandbox,
  outboxEvents,
  outboxFiles,
  readHintFile,
  runHook,
  type HookRun,
  type HookSandbox,
} from './helpers';

/** Every hook run, whatever happened: exit 0, nothing on stdout, done quickly. */
function expectQuiet(run: HookRun, maxMs = 3_000): void {
  expect(run.code).toBe(0);
  expect(run.stdout).toBe('');
  expect(run.ms).toBeLessThan(maxMs);
}

let sb: HookSandbox;
beforeEach(async () => {
  sb = await makeHookSandbox();
  await installOrgSkills(sb, [{ name: 'deploy-checklist', author: 'alice', version: 4 }]);
});
afterEach(async () => {
  await sb.cleanup();
});

it('the built hook exists', () => {
  expect(existsSync(join(ROOT, 'dist', 'hook.cjs'))).toBe(true);
});

it('dist/hook.cjs loads Node built-ins only (no npm package on the hot path)', async () => {
  const code = await readFile(join(ROOT, 'dist', 'hook.cjs'), 'utf8');
  const specifiers = [
    ...code.matchAll(/(?:^|\n)\s*import\s[^;]*?from\s*["']([^"']+)["']/g),
    ...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
    ...code.matchAll(/\b(?:__require|require)\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1]!);
  expect(specifiers).toContain('node:fs');
  expect(specifiers.filter((s) => !s.startsWith('node:'))).toEqual([]);
  // SessionStart's store and pull live in their own bundle, loaded on demand.
  expect(code).toContain('hook-session-start.mjs');
  expect(code).not.toMatch(/kysely|better-sqlite3|@temporalio/);
});

it('node:child_process (net, stream, dgram: ms per run) loads only in a run that starts a process', async () => {
  // Preloaded into the hook process: the built-in modules it loaded, written at exit.
  const preload = join(sb.dir, 'record-builtins.cjs');
  await writeFile(
    preload,
    `if (/hook\\.cjs$/.test(process.argv[1] || '')) process.on('exit', () => require('fs').writeFileSync(process.env.BUILTINS_OUT, process.moduleLoadList.join('\\n')));`,
  );
  const builtinsOf = async (event: string, payload: unknown, env: NodeJS.ProcessEnv = {}): Promise<string[]> => {
    const out = join(sb.dir, `builtins-${event}.txt`);
    expectQuiet(await runHook(sb, event, payload, { NODE_OPTIONS: `--require ${JSON.stringify(preload)}`, BUILTINS_OUT: out, ...env }));
    return (await readFile(out, 'utf8')).split('\n');
  };
  const s = new Session(sb);
  // Every prompt of every session: no window open.
  expect(await builtinsOf('UserPromptSubmit', s.userPromptSubmit('deploy the service'))).not.toContain('NativeModule child_process');
  // Arming and reacting with the flusher off (the sandbox default): nothing to start.
  expect(await builtinsOf('PreToolUse', s.preToolUseSkill('deploy-checklist--alice'))).not.toContain('NativeModule child_process');
  expect(await builtinsOf('UserPromptSubmit', s.userPromptSubmit('that was wrong'))).not.toContain('NativeModule child_process');
  // The recorder works: SessionStart starts its detached job.
  expect(await builtinsOf('SessionStart', s.sessionStart(), { SKILLOPT_AUTOPULL: '0' })).toContain('NativeModule child_process');
});


/** Two pulled skills: a second invocation in a session can take the first one's window over. */
const TWO_SKILLS = [
  { name: 'deploy-checklist', author: 'alice', version: 4 },
  { name: 'release-notes', author: 'bob', version: 1 },
];
describe('PreToolUse (arming)', () => {
  it('an org skill arms: an invoked event in the outbox and the session hint', async () => {
    const s = new Session(sb);
    const transcript = '{"type":"user"}\n{"type":"assistant"}\n';
    await s.writeTranscript(transcript);
    const payload = s.preToolUseSkill('deploy-checklist--alice', 'toolu_01lfyrw5N8vmy7avHD8Pgdla');
    const run = await runHook(sb, 'PreToolUse', payload, { SKILLOPT_ACTIVITY_QUEUE: 'alice-laptop' });
    expectQuiet(run);
    const [event, ...rest] = await outboxEvents(sb);
    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      signal: 'invoked',
      ref: { name: 'deploy-checklist', author: 'alice' },
      workflowId: `invocation:deploy-checklist--alice:${s.id}:toolu_01lfyrw5N8vmy7avHD8Pgdla`,
      config: { judgeWindow: 3 },
      payload: {
        sessionId: s.id,
        toolUseId: 'toolu_01lfyrw5N8vmy7avHD8Pgdla',
        user: 'alice',
        agent: 'claude_code',
        skillVersion: 4,
        transcriptPath: s.transcriptPath,
        transcriptBytes: Buffer.byteLength(transcript),
        activityQueue: 'alice-laptop',
      },
    });
    expect(event!.payload.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await readHintFile(sb, s.id)).toMatchObject({
      sessionId: s.id,
      ref: 'deploy-checklist--alice',
      toolUseId: 'toolu_01lfyrw5N8vmy7avHD8Pgdla',
      workflowId: event!.workflowId,
      remaining: 3,
    });
  });

  it("a teammate machine's arming carries its own queue (and the offline bound when set); embedded carries none; SKILLOPT_ACTIVITY_QUEUE wins", async () => {
    const arm = async (env: NodeJS.ProcessEnv) => {
      const s = new Session(sb);
      expectQuiet(await runHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice'), env));
      const events = await outboxEvents(sb);
      return events.filter((e) => e.signal === 'invoked' && e.payload.sessionId === s.id)[0]!;
    };
    // Teammate: Temporal settings and no database URL (local/mode.ts).
    const teammate = await arm({ TEMPORAL_ADDRESS: '127.0.0.1:1', SKILLOPT_OFFLINE_JUDGE_HOURS: '48' });
    const id = (await readFile(join(sb.skilloptHome, 'machine-id'), 'utf8')).trim();
    expect(teammate.payload.activityQueue).toBe(`skillopt-machine-alice-${id}`);
    expect(teammate.config).toEqual({ judgeWindow: 3, routedScheduleToStartMs: 48 * 3_600_000 });
    // The same machine, the same queue next time.
    expect((await arm({ TEMPORAL_ADDRESS: '127.0.0.1:1' })).payload.activityQueue).toBe(teammate.payload.activityQueue);
    // Embedded (no Temporal settings) and central (a database URL): the shared worker judges.
    expect((await arm({})).payload).not.toHaveProperty('activityQueue');
    expect((await arm({ TEMPORAL_ADDRESS: '127.0.0.1:1', SKILLOPT_DATABASE_URL: 'postgres://x' })).payload).not.toHaveProperty('activityQueue');
    expect((await arm({ TEMPORAL_ADDRESS: '127.0.0.1:1', SKILLOPT_ACTIVITY_QUEUE: 'elsewhere' })).payload.activityQueue).toBe('elsewhere');
  });

  it('a local skill, even one with "--" in its name, never arms; nor does another tool', async () => {
    const s = new Session(sb);
    await mkdir(join(sb.userSkills, 'deploy--blue-green'), { recursive: true });
    for (const skill of ['deploy--blue-green', 'my-local-skill', 'plugin:thing', 'deploy-checklist--bob', '../x--y']) {
      expectQuiet(await runHook(sb, 'PreToolUse', s.preToolUseSkill(skill)));
    }
    expectQuiet(await runHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice', 'toolu_x', 'Bash')));
    expect(await outboxFiles(sb)).toEqual([]);
    expect(await readHintFile(sb, s.id)).toBeUndefined();
  });

  it('takes the installed version of the copy in context (user root before the project root)', async () => {
    await installOrgSkills(sb, [
      { name: 'deploy-checklist', author: 'alice', version: 2, root: join(sb.project, '.claude', 'skills'), scope: 'project' },
      { name: 'deploy-checklist', author: 'alice', version: 5 },
    ]);
    const s = new Session(sb);
    expectQuiet(await runHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice')));
    expect((await outboxEvents(sb))[0]!.payload.skillVersion).toBe(5);
  });

  it("a never-pulled folder in this project is not the org skill pull installed in another project's root", async () => {
    const otherProject = join(sb.dir, 'other-project');
    await installOrgSkills(sb, [{ name: 'release-notes', author: 'bob', version: 7, root: join(otherProject, '.claude', 'skills'), scope: 'project' }]);
    // This project's own release-notes--bob, made by hand.
    await mkdir(join(sb.project, '.claude', 'skills', 'release-notes--bob'), { recursive: true });
    const s = new Session(sb);
    expectQuiet(await runHook(sb, 'PreToolUse', s.preToolUseSkill('release-notes--bob')));
    expect(await outboxFiles(sb)).toEqual([]);
    // In the project pull installed it into, the same name is the org skill.
    const there = new Session(sb);
    expectQuiet(await runHook(sb, 'PreToolUse', { ...there.preToolUseSkill('release-notes--bob'), cwd: otherProject }, {}, otherProject));
    expect(await outboxEvents(sb)).toEqual([expect.objectContaining({ signal: 'invoked', payload: expect.objectContaining({ sessionId: there.id, skillVersion: 7 }) })]);
  });

  it('arms only when the folder Claude Code loads is the pulled one: not when it was deleted, nor when a local user skill shadows it', async () => {
    const projectSkills = join(sb.project, '.claude', 'skills');
    await installOrgSkills(sb, [{ name: 'release-notes', author: 'bob', version: 2, root: projectSkills, scope: 'project' }]);
    const s = new Session(sb);
    expectQuiet(await runHook(sb, 'PreToolUse', s.preToolUseSkill('release-notes--bob')));
    expect((await outboxEvents(sb)).map((e) => e.payload.skillVersion)).toEqual([2]);
    // A personal skill of the same name wins over the project's: that is what the model ran.
    await mkdir(join(sb.userSkills, 'release-notes--bob'), { recursive: true });
    expectQuiet(await runHook(sb, 'PreToolUse', new Session(sb).preToolUseSkill('release-notes--bob')));
    // Removed by hand after the pull: the manifest still lists it, Claude Code has nothing to load.
    await rm(join(sb.userSkills, 'release-notes--bob'), { recursive: true });
    await rm(join(projectSkills, 'release-notes--bob'), { recursive: true });
    expectQuiet(await runHook(sb, 'PreToolUse', new Session(sb).preToolUseSkill('release-notes--bob')));
    expect(await outboxFiles(sb)).toHaveLength(1);
  });

  it('a second invocation replaces the window, resets its budget, and tells the first one it was superseded', async () => {
    await installOrgSkills(sb, TWO_SKILLS);
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice', 'toolu_a'));
    await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('ok'));
    expect(await readHintFile(sb, s.id)).toMatchObject({ remaining: 2 });
    await runHook(sb, 'PreToolUse', s.preToolUseSkill('release-notes--bob', 'toolu_b'));
    expect(await readHintFile(sb, s.id)).toMatchObject({ ref: 'release-notes--bob', toolUseId: 'toolu_b', remaining: 3 });
    const events = await outboxEvents(sb);
    expect(events.map((e) => [e.signal, e.workflowId])).toEqual([
      ['invoked', `invocation:deploy-checklist--alice:${s.id}:toolu_a`],
      ['reaction', `invocation:deploy-checklist--alice:${s.id}:toolu_a`],
      ['superseded', `invocation:deploy-checklist--alice:${s.id}:toolu_a`],
      ['invoked', `invocation:release-notes--bob:${s.id}:toolu_b`],
    ]);
    expect(events[2]!.payload).toMatchObject({ byToolUseId: 'toolu_b' });
  });

  it('SKILLOPT_JUDGE_WINDOW and SKILLOPT_IDLE_TIMEOUT_MS reach the hint and the workflow config', async () => {
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice'), { SKILLOPT_JUDGE_WINDOW: '2.7', SKILLOPT_IDLE_TIMEOUT_MS: '600000' });
    expect((await outboxEvents(sb))[0]!.config).toEqual({ judgeWindow: 2, idleTimeoutMs: 600_000 });
    expect(await readHintFile(sb, s.id)).toMatchObject({ remaining: 2 });
  });
});

describe('UserPromptExpansion (the user invokes a skill by name: /<name>--<author>)', () => {
  it('arms as a Skill call does, named by the prompt id; that prompt is not a reaction to it, the next one is', async () => {
    const s = new Session(sb);
    const transcript = '{"type":"user"}\n';
    await s.writeTranscript(transcript);
    const { expansion, submit } = s.slashCommand('deploy-checklist--alice');
    expectQuiet(await runHook(sb, 'UserPromptExpansion', expansion));
    // Claude Code runs UserPromptSubmit for the same prompt right after (docs/claude-code.md).
    expectQuiet(await runHook(sb, 'UserPromptSubmit', submit));
    const [event, ...rest] = await outboxEvents(sb);
    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      signal: 'invoked',
      ref: { name: 'deploy-checklist', author: 'alice' },
      workflowId: `invocation:deploy-checklist--alice:${s.id}:${expansion.prompt_id}`,
      config: { judgeWindow: 3 },
      payload: { sessionId: s.id, toolUseId: expansion.prompt_id, user: 'alice', agent: 'claude_code', skillVersion: 4, transcriptPath: s.transcriptPath, transcriptBytes: Buffer.byteLength(transcript) },
    });
    expect(await readHintFile(sb, s.id)).toMatchObject({ ref: 'deploy-checklist--alice', toolUseId: expansion.prompt_id, workflowId: event!.workflowId, remaining: 3 });

    expectQuiet(await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('that was wrong, you skipped the tests')));
    expect((await outboxEvents(sb)).map((e) => [e.signal, e.workflowId, e.payload.text])).toEqual([
      ['invoked', event!.workflowId, undefined],
      ['reaction', event!.workflowId, 'that was wrong, you skipped the tests'],
    ]);
  });

  it('installed twice (two settings files), at once or one after the other: one invocation, and still no reaction to itself', async () => {
    const s = new Session(sb);
    const { expansion, submit } = s.slashCommand('deploy-checklist--alice', 'to staging');
    for (const run of await Promise.all([runHook(sb, 'UserPromptExpansion', expansion), runHook(sb, 'UserPromptExpansion', expansion)])) expectQuiet(run);
    expectQuiet(await runHook(sb, 'UserPromptExpansion', expansion));
    for (const run of await Promise.all([runHook(sb, 'UserPromptSubmit', submit), runHook(sb, 'UserPromptSubmit', submit)])) expectQuiet(run);
    const events = await outboxEvents(sb);
    expect(events.every((e) => e.signal === 'invoked')).toBe(true);
    // The workflow ignores an event id it has seen: however many copies were spooled, they are one.
    expect(new Set(events.map((e) => e.payload.eventId)).size).toBe(1);
    expect(new Set(events.map((e) => e.workflowId))).toEqual(new Set([`invocation:deploy-checklist--alice:${s.id}:${expansion.prompt_id}`]));
    expect(await readHintFile(sb, s.id)).toMatchObject({ remaining: 3 });
  });

  it('a skill typed while another window is open takes it over, as a second Skill call does', async () => {
    await installOrgSkills(sb, TWO_SKILLS);
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice', 'toolu_a'));
    const { expansion, submit } = s.slashCommand('release-notes--bob');
    await runHook(sb, 'UserPromptExpansion', expansion);
    await runHook(sb, 'UserPromptSubmit', submit);
    expect((await outboxEvents(sb)).map((e) => [e.signal, e.workflowId])).toEqual([
      ['invoked', `invocation:deploy-checklist--alice:${s.id}:toolu_a`],
      ['superseded', `invocation:deploy-checklist--alice:${s.id}:toolu_a`],
      ['invoked', `invocation:release-notes--bob:${s.id}:${expansion.prompt_id}`],
    ]);
  });

  it('arms only on a pulled skill Claude Code loads: never a local or shadowed one, an MCP prompt, or under Codex', async () => {
    await mkdir(join(sb.userSkills, 'deploy--blue-green'), { recursive: true });
    const s = new Session(sb);
    for (const skill of ['deploy--blue-green', 'review', 'deploy-checklist--bob', '../x--y']) {
      expectQuiet(await runHook(sb, 'UserPromptExpansion', s.slashCommand(skill).expansion));
    }
    expectQuiet(await runHook(sb, 'UserPromptExpansion', { ...s.slashCommand('deploy-checklist--alice').expansion, expansion_type: 'mcp_prompt' }));
    expectQuiet(await runHook(sb, 'UserPromptExpansion --agent codex', s.slashCommand('deploy-checklist--alice').expansion));
    // A pulled project skill shadowed by a personal one of the same name (what Claude Code loads).
    const projectSkills = join(sb.project, '.claude', 'skills');
    await installOrgSkills(sb, [{ name: 'release-notes', author: 'bob', version: 2, root: projectSkills, scope: 'project' }]);
    await mkdir(join(sb.userSkills, 'release-notes--bob'), { recursive: true });
    expectQuiet(await runHook(sb, 'UserPromptExpansion', s.slashCommand('release-notes--bob').expansion));
    expect(await outboxFiles(sb)).toEqual([]);
    expect(await readHintFile(sb, s.id)).toBeUndefined();
  });
});

describe('installed in both user and project settings (Claude Code runs each hook twice)', () => {
  it('two runs for one payload, at once or one after the other, are one event and spend the budget once', async () => {
    const s = new Session(sb);
    const arm = s.preToolUseSkill('deploy-checklist--alice', 'toolu_twice');
    for (const run of await Promise.all([runHook(sb, 'PreToolUse', arm), runHook(sb, 'PreToolUse', arm)])) expectQuiet(run);
    expectQuiet(await runHook(sb, 'PreToolUse', arm));
    const first = s.userPromptSubmit('that was wrong');
    for (const run of await Promise.all([runHook(sb, 'UserPromptSubmit', first), runHook(sb, 'UserPromptSubmit', first)])) expectQuiet(run);
    expectQuiet(await runHook(sb, 'UserPromptSubmit', first));
    const second = s.userPromptSubmit('still wrong');
    expectQuiet(await runHook(sb, 'UserPromptSubmit', second));
    expectQuiet(await runHook(sb, 'UserPromptSubmit', second));

    const events = await outboxEvents(sb);
    const ids = (signal: string) => new Set(events.filter((e) => e.signal === signal).map((e) => e.payload.eventId));
    expect(ids('invoked').size).toBe(1);
    // One id per prompt: the workflow ignores an id it has seen, so each prompt is judged once.
    expect(ids('reaction').size).toBe(2);
    expect(await readHintFile(sb, s.id)).toMatchObject({ toolUseId: 'toolu_twice', remaining: 1 });
  });

  it('a payload without prompt_id (older Claude Code) still sends each prompt, with a random id', async () => {
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice'));
    const { prompt_id: _none, ...noPromptId } = s.userPromptSubmit('that was wrong');
    await runHook(sb, 'UserPromptSubmit', noPromptId);
    await runHook(sb, 'UserPromptSubmit', { ...noPromptId, prompt: 'still wrong' });
    const reactions = (await outboxEvents(sb)).filter((e) => e.signal === 'reaction');
    expect(new Set(reactions.map((e) => e.payload.eventId)).size).toBe(2);
  });
});

describe('UserPromptSubmit (reactions)', () => {
  it('with no window open: nothing written, nothing else happens', async () => {
    const s = new Session(sb);
    expectQuiet(await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('deploy the service')));
    expect(await outboxFiles(sb)).toEqual([]);
    expect(existsSync(join(sb.skilloptHome, 'sessions'))).toBe(false);
  });

  it('spends the budget: K reactions are sent, then the window is closed', async () => {
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice', 'toolu_1'));
    await s.writeTranscript('x'.repeat(100));
    for (const [i, text] of ['that was wrong, you skipped the tests', 'still wrong', 'ok now', 'unrelated'].entries()) {
      expectQuiet(await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit(text)));
      const hint = await readHintFile(sb, s.id);
      if (i < 2) expect(hint).toMatchObject({ remaining: 2 - i });
      else expect(hint).toBeUndefined();
    }
    const events = await outboxEvents(sb);
    expect(events.map((e) => e.signal)).toEqual(['invoked', 'reaction', 'reaction', 'reaction']);
    expect(events.slice(1).map((e) => e.payload.text)).toEqual(['that was wrong, you skipped the tests', 'still wrong', 'ok now']);
    expect(events[1]).toMatchObject({
      ref: { name: 'deploy-checklist', author: 'alice' },
      payload: { sessionId: s.id, transcriptPath: s.transcriptPath, transcriptBytes: 100 },
    });
    // Event ids are unique and the file names keep creation order.
    expect(new Set(events.map((e) => e.payload.eventId)).size).toBe(4);
  });

  it('a hook that runs after Claude Code wrote the prompt and the answer (async) still cuts the judgment before the prompt', async () => {
    // The pinned CLI's transcript of a skill call, its answer, the pushback and the answer to the pushback.
    const recorded = await readFile(join(ROOT, 'test', 'fixtures', 'transcripts', 'skill-invocation-then-resumed-correction.jsonl'), 'utf8');
    const lines = recorded.split(/(?<=\n)/);
    const at = lines.findIndex((l) => l.includes('"promptId":"36d459f1-a74e-4699-b26f-82bff520bbd2"'));
    const seen = lines.slice(0, at).join('');
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice', 'toolu_1'));
    // Late: the whole exchange is in the file when the hook runs.
    await s.writeTranscript(recorded);
    const pushback = { ...s.userPromptSubmit('that was wrong, you skipped the tests'), prompt_id: '36d459f1-a74e-4699-b26f-82bff520bbd2' };
    expectQuiet(await runHook(sb, 'UserPromptSubmit', pushback));
    const reaction = (await outboxEvents(sb)).find((e) => e.signal === 'reaction')!;
    expect(reaction.payload.transcriptBytes).toBe(Buffer.byteLength(seen));
    // The judge reads up to that offset: the answer to the pushback, which the user had not seen, is not in it.
    expect(seen).toContain('Deployed after following the deploy checklist.');
    expect(seen).not.toContain("You're right, I skipped the tests");
    // On time (the prompt not written yet), the same cut.
    const t = new Session(sb);
    await runHook(sb, 'PreToolUse', t.preToolUseSkill('deploy-checklist--alice', 'toolu_2'));
    await t.writeTranscript(seen);
    expectQuiet(await runHook(sb, 'UserPromptSubmit', { ...t.userPromptSubmit('that was wrong, you skipped the tests'), prompt_id: '36d459f1-a74e-4699-b26f-82bff520bbd2' }));
    const onTime = (await outboxEvents(sb)).filter((e) => e.signal === 'reaction').map((e) => e.payload.transcriptBytes);
    expect(onTime).toEqual([Buffer.byteLength(seen), Buffer.byteLength(seen)]);
  });

  it('a blank prompt sends nothing and spends nothing', async () => {
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice'));
    for (const blank of ['', '   ', '\n\t ']) expectQuiet(await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit(blank)));
    expect((await outboxEvents(sb)).map((e) => e.signal)).toEqual(['invoked']);
    expect(await readHintFile(sb, s.id)).toMatchObject({ remaining: 3 });
  });

  it('a missing transcript counts as 0 bytes (UserPromptSubmit on a new session comes before the file)', async () => {
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice'));
    expectQuiet(await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('wrong')));
    expect((await outboxEvents(sb)).map((e) => e.payload.transcriptBytes)).toEqual([0, 0]);
  });

  it('a 5 MB prompt: exit 0, quickly, the reaction cut to MAX_REACTION_BYTES without splitting a character', async () => {
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice'));
    const prompt = `a${'é€😀'.repeat(Math.ceil((5 * 1024 * 1024) / 9))}`;
    const run = await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit(prompt));
    expectQuiet(run);
    const text = (await outboxEvents(sb))[1]!.payload.text as string;
    const bytes = Buffer.byteLength(text, 'utf8');
    expect(bytes).toBeLessThanOrEqual(MAX_REACTION_BYTES);
    expect(bytes).toBeGreaterThan(MAX_REACTION_BYTES - 4);
    expect(prompt.startsWith(text)).toBe(true);
    expect(text).not.toContain('\uFFFD');
  });

  it('redacts secrets in the reaction before it is spooled', async () => {
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice'));
    await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('wrong key, use sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAA instead'));
    const text = (await outboxEvents(sb))[1]!.payload.text as string;
    expect(text).not.toContain('AAAAAAAAAAAA');
    expect(text).toContain('[REDACTED:anthropic-key]');
  });

  it('a window idle longer than SKILLOPT_IDLE_TIMEOUT_MS is ignored and its hint removed', async () => {
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice'));
    const hintFile = join(sb.skilloptHome, 'sessions', `${s.id}.json`);
    const hint = JSON.parse(await readFile(hintFile, 'utf8'));
    await writeFile(hintFile, JSON.stringify({ ...hint, armedAt: Date.now() - 2 * 3600_000, lastActivityAt: Date.now() - 2 * 3600_000 }));
    expectQuiet(await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('that was wrong')));
    expect((await outboxEvents(sb)).map((e) => e.signal)).toEqual(['invoked']);
    expect(existsSync(hintFile)).toBe(false);
  });

  it("another session's prompts are not reactions", async () => {
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice'));
    const other = new Session(sb);
    await runHook(sb, 'UserPromptSubmit', other.userPromptSubmit('that was wrong'));
    expect((await outboxEvents(sb)).map((e) => e.signal)).toEqual(['invoked']);
  });
});

describe('opt-outs', () => {
  it('SKILLOPT_DISABLED=1 makes every hook a no-op', async () => {
    const s = new Session(sb);
    const env = { SKILLOPT_DISABLED: '1' };
    for (const [event, payload] of [
      ['SessionStart', s.sessionStart()],
      ['PreToolUse', s.preToolUseSkill('deploy-checklist--alice')],
      ['UserPromptSubmit', s.userPromptSubmit('that was wrong')],
      ['SessionEnd', s.sessionEnd()],
    ] as const) {
      expectQuiet(await runHook(sb, event, payload, env));
    }
    expect(await outboxFiles(sb)).toEqual([]);
    expect(await readdir(sb.skilloptHome)).toEqual(['manifest.json']);
  });

  it('SKILLOPT_INTERNAL=1 (skillopt’s own claude -p) makes every hook a no-op: no pull, no attribution, no window', async () => {
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice'));
    const before = await readdir(sb.skilloptHome, { recursive: true });
    const internal = { SKILLOPT_INTERNAL: '1', SKILLOPT_SESSION_START_WAIT: '1' };
    const judge = new Session(sb);
    for (const [event, payload] of [
      ['SessionStart', judge.sessionStart()],
      ['PreToolUse', judge.preToolUseSkill('deploy-checklist--alice')],
      ['SessionStart', s.sessionStart('resume')],
      ['UserPromptSubmit', s.userPromptSubmit('grade this')],
      ['SessionEnd', s.sessionEnd()],
    ] as const) {
      expectQuiet(await runHook(sb, event, payload, internal));
    }
    // Nothing written: no skills snapshot, no store (attribution, pull), no event; the open window untouched.
    expect(await readdir(sb.skilloptHome, { recursive: true })).toEqual(before);
    expect((await outboxEvents(sb)).map((e) => e.signal)).toEqual(['invoked']);
    expect(await readHintFile(sb, s.id)).toMatchObject({ remaining: 3 });
    expect((await readHintFile(sb, s.id))?.endedAt).toBeUndefined();
  });
});

describe('SessionStart housekeeping', () => {
  it('removes hints idle longer than the window expiry (crashed sessions), keeps live ones', async () => {
    const stale = new Session(sb);
    const live = new Session(sb);
    await runHook(sb, 'PreToolUse', stale.preToolUseSkill('deploy-checklist--alice'));
    await runHook(sb, 'PreToolUse', live.preToolUseSkill('deploy-checklist--alice'));
    const old = new Date(Date.now() - 2 * 3600_000);
    await utimes(join(sb.skilloptHome, 'sessions', `${stale.id}.json`), old, old);
    const run = await runHook(sb, 'SessionStart', new Session(sb).sessionStart(), { SKILLOPT_AUTOPULL: '0', SKILLOPT_ATTRIBUTION: '0' });
    expectQuiet(run);
    expect(await readHintFile(sb, stale.id)).toBeUndefined();
    expect(await readHintFile(sb, live.id)).toBeDefined();
  });
});

describe('SessionEnd', () => {
  it('closes the window, well within Claude Code\'s 1.5 s budget: a later prompt of that session is not a reaction', async () => {
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice'));
    expect(await readHintFile(sb, s.id)).toBeDefined();
    const run = await runHook(sb, 'SessionEnd', s.sessionEnd('prompt_input_exit'));
    expectQuiet(run, 1_500);
    expect(await readHintFile(sb, s.id)).toMatchObject({ endedAt: expect.any(Number) });
    await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('that was wrong'));
    // The arming and the end, for the invocation's workflow; the prompt after the end sent nothing.
    const events = await outboxEvents(sb);
    expect(events.map((e) => e.signal)).toEqual(['invoked', 'sessionEnded']);
    expect(events[1]).toMatchObject({ workflowId: events[0]!.workflowId, payload: { reason: 'prompt_input_exit' } });
  });

  it('a resume after the grace the workflow waits for one does not reopen the window', async () => {
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice'));
    await runHook(sb, 'SessionEnd', s.sessionEnd('other'));
    const hintFile = join(sb.skilloptHome, 'sessions', `${s.id}.json`);
    const hint = JSON.parse(await readFile(hintFile, 'utf8'));
    await writeFile(hintFile, JSON.stringify({ ...hint, endedAt: Date.now() - 11 * 60_000 }));
    await runHook(sb, 'SessionStart', s.sessionStart('resume'), { SKILLOPT_AUTOPULL: '0', SKILLOPT_ATTRIBUTION: '0' });
    expect(await readHintFile(sb, s.id)).toBeUndefined();
    await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('that was wrong'));
    expect((await outboxEvents(sb)).map((e) => e.signal)).toEqual(['invoked', 'sessionEnded']);
  });

  it('a resumed session (claude --resume: SessionStart "resume", same id) reopens its window', async () => {
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice'));
    await runHook(sb, 'SessionEnd', s.sessionEnd('other')); // `claude -p` ends the session after each prompt
    await runHook(sb, 'SessionStart', s.sessionStart('resume'), { SKILLOPT_AUTOPULL: '0', SKILLOPT_ATTRIBUTION: '0' });
    expect((await readHintFile(sb, s.id))?.endedAt).toBeUndefined();
    await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('that was wrong, you skipped the tests'));
    expect((await outboxEvents(sb)).map((e) => e.signal)).toEqual(['invoked', 'sessionEnded', 'reaction']);
  });

  it('/clear ends the session for good: its hint is removed', async () => {
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill('deploy-checklist--alice'));
    expectQuiet(await runHook(sb, 'SessionEnd', s.sessionEnd('clear')), 1_500);
    expect(await readHintFile(sb, s.id)).toBeUndefined();
    // The workflow is told, so it closes the window now rather than at its idle timer.
    expect((await outboxEvents(sb)).map((e) => [e.signal, e.payload])).toEqual([
      ['invoked', expect.anything()],
      ['sessionEnded', expect.objectContaining({ reason: 'clear' })],
    ]);
  });
});

describe('never breaks the agent', () => {
  const s = () => new Session(sb);
  it.each([
    ['malformed JSON', '{"session_id": "abc", "prompt": '],
    ['truncated JSON', '{"session_id":"abc","transcript_path":"/x","cwd":"/","hook_event_name":"UserPromptSubmit","prom'],
    ['empty stdin', ''],
    ['not an object', '[1,2,3]\n'],
    ['wrong field types', '{"session_id":42,"prompt":{"a":1},"tool_input":"Skill"}\n'],
    ['binary garbage', '\u0000\u0001\u00ff\ufffe'],
  ])('%s: every event exits 0 silently', async (_name, input) => {
    for (const event of ['SessionStart', 'PreToolUse', 'UserPromptSubmit', 'SessionEnd', 'NoSuchEvent']) {
      expectQuiet(await runHook(sb, event, input, { SKILLOPT_AUTOPULL: '0', SKILLOPT_ATTRIBUTION: '0' }));
    }
    expect(await outboxFiles(sb)).toEqual([]);
  });

  it('a transcript path that does not exist and an unwritable SKILLOPT_HOME: exit 0, error logged nowhere fatal', async () => {
    const session = s();
    const blocked = join(sb.dir, 'file-not-dir');
    await writeFile(blocked, 'x');
    await installOrgSkills(sb, [{ name: 'deploy-checklist', author: 'alice', version: 1 }]);
    const payload = { ...session.preToolUseSkill('deploy-checklist--alice'), transcript_path: '/no/such/dir/t.jsonl' };
    expectQuiet(await runHook(sb, 'PreToolUse', payload));
    expect((await outboxEvents(sb))[0]!.payload.transcriptBytes).toBe(0);
    // SKILLOPT_HOME under a file: nothing can be written, the hook still succeeds.
    expectQuiet(await runHook(sb, 'PreToolUse', payload, { SKILLOPT_HOME: join(blocked, 'home') }));
    expectQuiet(await runHook(sb, 'UserPromptSubmit', session.userPromptSubmit('wrong'), { SKILLOPT_HOME: join(blocked, 'home') }));
  });

  it('stdin that never closes, from a pipe (FIFO): exit 0 in bounded time', async () => {
    const fifo = join(sb.dir, 'stdin.fifo');
    // The writer keeps the pipe open for 6 s after half a payload; the hook must not wait for it.
    const script = `mkfifo "${fifo}" && { (printf '{"session_id":"abc",'; exec sleep 6) > "${fifo}" 2>/dev/null & } && "${process.execPath}" "${join(ROOT, 'bin', 'skillopt.js')}" hook UserPromptSubmit < "${fifo}"; echo "rc=$?"; kill $! 2>/dev/null`;
    const { execFile } = await import('node:child_process');
    const started = performance.now();
    const stdout = await new Promise<string>((r) => execFile('/bin/sh', ['-c', script], { cwd: sb.project, env: sb.env }, (_err, out) => r(out)));
    expect(performance.now() - started).toBeLessThan(4_000);
    expect(stdout).toBe('rc=0\n');
  });

  it('stdin that never closes, from a socket (Node-style stdio): bounded time, nothing printed', async () => {
    const { spawn } = await import('node:child_process');
    const started = performance.now();
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'skillopt.js'), 'hook', 'UserPromptSubmit'], { cwd: sb.project, env: sb.env });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stdin.write('{"session_id":"abc",');
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('close', (c, s) => r([c, s])));
    child.stdin.destroy();
    // A read blocked on the thread pool would keep exit() waiting forever: the hook kills itself instead.
    expect(code === 0 || signal === 'SIGKILL').toBe(true);
    expect(stdout).toBe('');
    expect(performance.now() - started).toBeLessThan(4_000);
  });

  it('SKILLOPT_DEBUG=1 adds lines to hooks.log, never to stderr (Claude Code would put them in the transcript)', async () => {
    const s = new Session(sb);
    for (const [event, payload] of [
      ['PreToolUse', s.preToolUseSkill('deploy-checklist--alice')],
      ['UserPromptSubmit', s.userPromptSubmit('that was wrong')],
    ] as const) {
      const run = await runHook(sb, event, payload, { SKILLOPT_DEBUG: '1' });
      expectQuiet(run);
      expect(run.stderr).toBe('');
    }
    expect(await readFile(join(sb.skilloptHome, 'hooks.log'), 'utf8')).toMatch(/DEBUG .*PreToolUse: armed[\s\S]*DEBUG .*UserPromptSubmit: sent/);
  });

  it('errors go to <SKILLOPT_HOME>/hooks.log, not to stdout or stderr', async () => {
    const run = await runHook(sb, 'UserPromptSubmit', 'not json');
    expectQuiet(run);
    expect(run.stderr).toBe('');
    expect(await readFile(join(sb.skilloptHome, 'hooks.log'), 'utf8')).toMatch(/UserPromptSubmit.*no JSON object on stdin/);
  });
});

it('`skillopt hook <Event>` runs the same hook entry', async () => {
  const s = new Session(sb);
  const run = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, 'hook', 'PreToolUse'], { cwd: sb.project, env: sb.env });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('close', (code) => resolve({ code, stdout }));
    child.stdin.end(JSON.stringify(s.preToolUseSkill('deploy-checklist--alice')) + '\n');
  });
  expect(run).toEqual({ code: 0, stdout: '' });
  expect(await outboxFiles(sb)).toHaveLength(1);
});
