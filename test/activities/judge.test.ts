// judgeReaction and readTranscriptWindow against real transcript files, with a
// model that records what it was asked: what the judge sees decides every edit;
// the transcript folders it may read, and the machine's daily cap on model calls.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { createActivities, readTranscriptWindow } from '../../activities/create-activities';
import { FailureTypes, type JudgeInput, type JudgeResult, type Proposal, type ProposeInput } from '../../activities/types';
import type { ModelRequest } from '../../agents/types';
import { dailyModelCalls, modelCallsToday } from '../../local/model-calls';
import { agentTranscriptRoots } from '../../agents/registry';
import { openStore, type Store } from '../../store/open-store';
import { until } from '../helpers/wait';
import { testKey } from '../helpers/keys';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'transcripts', 'skill-invocation-then-resumed-correction.jsonl');
const TOOL_USE_ID = 'toolu_01lfyrw5N8vmy7avHD8Pgdla';
const LINES = readFileSync(FIXTURE, 'utf8').split('\n').filter((l) => l !== '').map((l) => `${l}\n`);
/** Line 7 is the Skill call; line 12 ends the turn the user reacts to; line 16 is the reply to the reaction. */
const THROUGH_INVOCATION = LINES.slice(0, 7).join('');
const AT_REACTION = LINES.slice(0, 12).join('');
const AFTER_REACTION = LINES.slice(12).join('');
const REPLY_AFTER_REACTION = 'I will run them next time';

let dir: string;
/** A Claude Code config folder laid out as on a machine: transcripts in projects/<project>/. */
let roots: string[];
let project: string;
let store: Store;
let calls: ModelRequest[];

/** The machine's parts the activities take besides the model: its transcript folders and its daily cap. */
function machine() {
  return { store, client: unusedClient(), transcriptRoots: roots, modelCalls: dailyModelCalls({ home: dir, cap: 100 }), serviceKey: testKey() };
}

/** The activities with a model that records each call and answers `reply`, under a daily cap of `cap`. */
function scriptedActivities(reply: string, cap = 100) {
  calls = [];
  return createActivities({
    ...machine(),
    modelCalls: dailyModelCalls({ home: dir, cap }),
    model: async (request) => {
      calls.push(request);
      return reply;
    },
  });
}

function judgeActivities() {
  return scriptedActivities(JSON.stringify({ success: 0, confidence: 0.9, reason: 'deployed without running the tests' }));
}

/** The judge never reports failures (the workflow does, after recording): a client that never connects. */
function unusedClient(): Client {
  return new Client({ connection: Connection.lazy({ address: '127.0.0.1:9' }) });
}

function judgeInput(transcriptPath: string, overrides: { toolUseId?: string; name?: string; reactionBytes?: number } = {}): JudgeInput {
  return {
    ref: { name: overrides.name ?? 'deploy-checklist', author: 'alice' },
    invocation: {
      sessionId: 's1',
      toolUseId: overrides.toolUseId ?? TOOL_USE_ID,
      user: 'bob',
      agent: 'claude_code',
      skillVersion: 1,
      transcriptPath,
      transcriptBytes: Buffer.byteLength(THROUGH_INVOCATION),
    },
    reaction: {
      eventId: 'react-1',
      text: 'that was wrong, you skipped the tests',
      transcriptPath,
      transcriptBytes: overrides.reactionBytes ?? Buffer.byteLength(AT_REACTION),
    },
  };
}

/** The transcript as it was on disk when the user reacted. */
function transcriptAtReaction(): string {
  const path = join(project, `${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(path, AT_REACTION);
  return path;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skillopt-judge-'));
  roots = agentTranscriptRoots({ CLAUDE_CONFIG_DIR: join(dir, 'claude'), CODEX_HOME: join(dir, 'codex') });
  project = join(roots[0]!, '-work-app');
  mkdirSync(project, { recursive: true });
  store = await openStore({ home: dir });
  return () => store.close();
});

describe('judgeReaction', () => {
  it('does not ask the model when the invocation is not in the transcript, and reports why', async () => {
    const activities = judgeActivities();
    const input = judgeInput(transcriptAtReaction(), { toolUseId: 'toolu_elsewhere', name: 'release-notes' });
    const verdict = await new MockActivityEnvironment().run(activities.judgeReaction, input);
    expect(calls).toEqual([]);
    expect(verdict).toEqual({ outcome: 'not-judged', confidence: 0, reason: 'invocation toolu_elsewhere not found in transcript' });
  });

  it('asks the model with a window holding the invocation and the reaction', async () => {
    const activities = judgeActivities();
    const verdict = await new MockActivityEnvironment().run(activities.judgeReaction, judgeInput(transcriptAtReaction()));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.role).toBe('judge');
    expect(calls[0]!.user).toContain('[tool Skill]: deploy-checklist--alice');
    expect(calls[0]!.user).toContain('USER: that was wrong, you skipped the tests');
    expect(verdict).toEqual({ outcome: 'failed', confidence: 0.9, reason: 'deployed without running the tests' });
  });

  it('judges the same text on a retry after the transcript grew past the reaction', async () => {
    const activities = judgeActivities();
    const path = transcriptAtReaction();
    const input = judgeInput(path);
    await new MockActivityEnvironment().run(activities.judgeReaction, input);
    appendFileSync(path, AFTER_REACTION);
    await new MockActivityEnvironment().run(activities.judgeReaction, input);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.user).toBe(calls[0]!.user);
    expect(calls[1]!.user).not.toContain(REPLY_AFTER_REACTION);
    // The appended turns are judgeable text: a window ending later does show them.
    const later = await readTranscriptWindow(judgeInput(path, { reactionBytes: Buffer.byteLength(AT_REACTION + AFTER_REACTION) }), roots);
    expect(later).toContain(REPLY_AFTER_REACTION);
  });

  it('reports the recorded verdict of an event judged before (a redelivery after its run ended) without asking the model again', async () => {
    const activities = judgeActivities();
    const input = judgeInput(transcriptAtReaction());
    await store.recordVerdict({
      ...input.ref,
      skillVersion: 1,
      sessionId: 's1',
      toolUseId: TOOL_USE_ID,
      eventId: input.reaction.eventId,
      outcome: 'failed',
      confidence: 0.8,
      reason: 'skipped the tests',
      agent: 'claude_code',
      user: 'bob',
    });
    const verdict = await new MockActivityEnvironment().run(activities.judgeReaction, input);
    expect(calls).toEqual([]);
    // Not judged now: the workflow neither reports it to the lane nor resolves an edit with it.
    expect(verdict).toEqual({ outcome: 'not-judged', confidence: 0, reason: 'already judged: skipped the tests' });
  });

  it('gives an unparseable judge reply as not judged, never as a pass', async () => {
    const activities = createActivities({ ...machine(), model: async () => 'I think it went fine overall' });
    const verdict = await new MockActivityEnvironment().run(activities.judgeReaction, judgeInput(transcriptAtReaction()));
    expect(verdict).toEqual({ outcome: 'not-judged', confidence: 0, reason: 'unparseable judge output' });
  });

  it('heartbeats while the model runs and kills the call when the activity is cancelled', async () => {
    let aborted: AbortSignal | undefined;
    const activities = createActivities({
      ...machine(),
      // A model that answers only when its call is aborted, as a killed CLI process does.
      model: (request) =>
        new Promise((_resolve, reject) => {
          aborted = request.signal;
          request.signal?.addEventListener('abort', () => reject(new Error('claude call cancelled')));
        }),
    });
    const env = new MockActivityEnvironment();
    let heartbeats = 0;
    env.on('heartbeat', () => heartbeats++);
    const judged = env.run(activities.judgeReaction, judgeInput(transcriptAtReaction())).catch((e: unknown) => e);
    await until(async () => aborted, (signal) => signal !== undefined);
    expect(heartbeats).toBeGreaterThanOrEqual(1);
    env.cancel();
    expect(String(await judged)).toMatch(/cancelled/);
    expect(aborted!.aborted).toBe(true);
  });
});

describe('checkEdit (the pre-publish check of one invocation)', () => {
  const DIFF = '-1. Run the full test suite.\n+1. Run `npm test` and paste its summary; never deploy on red. token=sk-ant-api03-abcdefghijklmnopqrstuvwx';

  const checkActivities = scriptedActivities;

  it('asks the model, once, with the invocation’s window, the reaction and the edit as a diff, secrets redacted', async () => {
    const activities = checkActivities('{"addressed":1,"reason":"the new first step runs the tests"}');
    const answer = await new MockActivityEnvironment().run(activities.checkEdit, { ...judgeInput(transcriptAtReaction()), kind: 'failure' as const, diff: DIFF });
    expect(answer).toEqual({ kind: 'failure', answer: 'yes', reason: 'the new first step runs the tests' });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.user).toContain('[tool Skill]: deploy-checklist--alice');
    expect(calls[0]!.user).toContain('USER: that was wrong, you skipped the tests');
    expect(calls[0]!.user).toContain('+1. Run `npm test` and paste its summary');
    expect(calls[0]!.user).not.toContain('sk-ant-api03');
    expect(calls[0]!.user).toContain('{"addressed":0|1');
  });

  it('a held-out pass is asked whether the edit makes it worse', async () => {
    const activities = checkActivities('{"worse":1,"reason":"drops the staging deploy"}');
    const answer = await new MockActivityEnvironment().run(activities.checkEdit, { ...judgeInput(transcriptAtReaction()), kind: 'pass' as const, diff: DIFF });
    expect(answer).toEqual({ kind: 'pass', answer: 'yes', reason: 'drops the staging deploy' });
    expect(calls[0]!.user).toContain('{"worse":0|1');
  });

  it('no answer, never a yes: a reply that does not parse, an invocation not in the transcript, the daily cap reached', async () => {
    const rambling = checkActivities('It would probably help.');
    expect(await new MockActivityEnvironment().run(rambling.checkEdit, { ...judgeInput(transcriptAtReaction()), kind: 'failure' as const, diff: DIFF })).toEqual({
      kind: 'failure',
      answer: 'none',
      reason: 'unparseable check output',
    });
    const elsewhere = checkActivities('{"addressed":1}');
    expect(await new MockActivityEnvironment().run(elsewhere.checkEdit, { ...judgeInput(transcriptAtReaction(), { toolUseId: 'toolu_elsewhere', name: 'release-notes' }), kind: 'failure' as const, diff: DIFF })).toEqual({
      kind: 'failure',
      answer: 'none',
      reason: 'invocation toolu_elsewhere not found in transcript',
    });
    expect(calls).toEqual([]);
    const capped = checkActivities('{"worse":0}', 0);
    expect(await new MockActivityEnvironment().run(capped.checkEdit, { ...judgeInput(transcriptAtReaction()), kind: 'pass' as const, diff: DIFF })).toMatchObject({ answer: 'none', reason: expect.stringContaining('daily cap') });
    expect(calls).toEqual([]);
  });
});

describe('recordVerdict', () => {
  it('keeps where a passing window is (the pre-publish check’s held-out evidence); a failure’s goes with its report instead', async () => {
    const activities = judgeActivities();
    const input = judgeInput(transcriptAtReaction());
    const record = (eventId: string, outcome: 'passed' | 'failed', invocation = input.invocation) =>
      new MockActivityEnvironment().run(activities.recordVerdict, { ref: input.ref, invocation, eventId, verdict: { outcome, confidence: 0.9, reason: 'r' }, reaction: { ...input.reaction, eventId } });
    await record('passed-1', 'passed');
    await record('failed-1', 'failed', { ...input.invocation, toolUseId: 'toolu_other' });
    expect((await store.verdictForEvent('passed-1'))?.evidence).toEqual({ invocation: input.invocation, reaction: { ...input.reaction, eventId: 'passed-1' } });
    expect((await store.verdictForEvent('failed-1'))?.evidence).toBeUndefined();
    expect((await store.heldOutPasses(input.ref, 1, 3)).map((v) => v.eventId)).toEqual(['passed-1']);
    // A later reaction of the same invocation that failed: it did not pass after all, and is not held out.
    await record('failed-2', 'failed');
    expect(await store.heldOutPasses(input.ref, 1, 3)).toEqual([]);
  });
});

describe('readTranscriptWindow', () => {
  it('ends at the byte length recorded with the reaction', async () => {
    const path = transcriptAtReaction();
    const before = await readTranscriptWindow(judgeInput(path), roots);
    appendFileSync(path, AFTER_REACTION);
    expect(await readTranscriptWindow(judgeInput(path), roots)).toBe(before);
  });

  it('raises a non-retryable TranscriptMissing failure for a missing transcript', async () => {
    const missing = join(project, 'gone.jsonl');
    const err = await readTranscriptWindow(judgeInput(missing), roots).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: FailureTypes.TranscriptMissing, nonRetryable: true });
    expect((err as Error).message).toContain(missing);
  });
});

describe('the transcript folders', () => {
  /** judgeReaction on a path, with a model that records any call: the refusal and the calls made. */
  async function judgeAt(path: string) {
    const activities = judgeActivities();
    const err = await new MockActivityEnvironment().run(activities.judgeReaction, judgeInput(path)).catch((e: unknown) => e);
    return { err: err as ApplicationFailure, calls };
  }

  function expectRefused(err: ApplicationFailure, path: string, why: RegExp): void {
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: FailureTypes.TranscriptOutsideRoots, nonRetryable: true });
    expect(err.message).toContain(`not reading ${path}`);
    expect(err.message).toMatch(why);
    // One line naming what is allowed.
    expect(err.message).toContain(`the judge reads only .jsonl files under ${roots[0]}`);
    expect(err.message).not.toContain('\n');
  }

  /** A file outside the projects folder holding a real transcript, as an attacker would point at. */
  function outsideTranscript(): string {
    const outside = join(dir, 'outside');
    mkdirSync(outside, { recursive: true });
    const path = join(outside, 'secret.jsonl');
    writeFileSync(path, AT_REACTION);
    return path;
  }

  it("are Claude Code's projects folder (CLAUDE_CONFIG_DIR, else ~/.claude), Codex's sessions folder (CODEX_HOME, else ~/.codex), pi's (PI_CODING_AGENT_SESSION_DIR, else the agent folder's), Gemini CLI's (<GEMINI_CLI_HOME, else ~>/.gemini/tmp) Copilot CLI's (COPILOT_HOME, else ~/.copilot: session-state) and OpenCode's database folder (OPENCODE_DB's, else XDG_DATA_HOME/opencode)", () => {
    expect(agentTranscriptRoots({ HOME: '/home/bob', CLAUDE_CONFIG_DIR: '/opt/claude', CODEX_HOME: '/opt/codex', PI_CODING_AGENT_DIR: '/opt/pi', GEMINI_CLI_HOME: '/opt/gemini', XDG_DATA_HOME: '/opt/data' })).toEqual(['/opt/claude/projects', '/opt/codex/sessions', '/opt/pi/sessions', '/opt/gemini/.gemini/tmp', '/home/bob/.copilot/session-state', '/opt/data/opencode']);
    expect(agentTranscriptRoots({ HOME: '/home/bob' })).toEqual(['/home/bob/.claude/projects', '/home/bob/.codex/sessions', '/home/bob/.pi/agent/sessions', '/home/bob/.gemini/tmp', '/home/bob/.copilot/session-state', '/home/bob/.local/share/opencode']);
    expect(agentTranscriptRoots({ HOME: '/home/bob', CLAUDE_CONFIG_DIR: '~/cfg', CODEX_HOME: '~/cx ', PI_CODING_AGENT_SESSION_DIR: '~/pi-sessions', OPENCODE_DB: '/srv/oc/sessions.db' })).toEqual(['/home/bob/cfg/projects', '/home/bob/cx/sessions', '/home/bob/pi-sessions', '/home/bob/.gemini/tmp', '/home/bob/.copilot/session-state', '/srv/oc']);
    expect(agentTranscriptRoots({ HOME: '/home/bob', CODEX_HOME: 'rel/codex' }, '/work')).toEqual(['/home/bob/.claude/projects', '/work/rel/codex/sessions', '/home/bob/.pi/agent/sessions', '/home/bob/.gemini/tmp', '/home/bob/.copilot/session-state', '/home/bob/.local/share/opencode']);
  });

  it('judge a Codex rollout in its dated folder under the sessions folder', async () => {
    const rollout = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'transcripts', 'codex-rollout.jsonl'), 'utf8');
    // Where the file ended when the user's reaction was submitted: just before its line.
    const reactionAt = rollout.lastIndexOf('\n', rollout.indexOf('"text":"that was wrong, you skipped the tests"')) + 1;
    const folder = join(roots[1]!, '2026', '12', '02');
    mkdirSync(folder, { recursive: true });
    const path = join(folder, 'rollout-2026-12-02T04-21-06-01a234fc-1806-7881-b8c2-ca463517e8a6.jsonl');
    writeFileSync(path, rollout);
    const activities = judgeActivities();
    const input = judgeInput(path, { toolUseId: 'call_43e1890d53bf0bba1c7cc032', reactionBytes: Buffer.byteLength(rollout.slice(0, reactionAt)) });
    const verdict = await new MockActivityEnvironment().run(activities.judgeReaction, input);
    expect(verdict).toMatchObject({ outcome: 'failed', reason: 'deployed without running the tests' });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.user).toContain("[tool exec_command]: sed -n '1,200p' /home/u/.codex/skills/deploy-checklist--alice/SKILL.md");
    expect(calls[0]!.user).toContain('TOOL ERROR [exec_command]: exit 1: FAIL src/deploy.test.ts');
    expect(calls[0]!.user).not.toContain("You're right");
  });

  it('refuse a Codex rollout outside both folders', async () => {
    const elsewhere = join(dir, 'other-codex', 'sessions', '2026', '12', '02');
    mkdirSync(elsewhere, { recursive: true });
    const path = join(elsewhere, 'rollout-2026-12-02T04-21-06-x.jsonl');
    writeFileSync(path, readFileSync(join(import.meta.dirname, '..', 'fixtures', 'transcripts', 'codex-rollout.jsonl')));
    const { err, calls } = await judgeAt(path);
    expectRefused(err, path, /outside the agent transcript folders/);
    expect(err.message).toContain(`the judge reads only .jsonl files under ${roots[0]}, ${roots[1]}`);
    expect(calls).toEqual([]);
  });

  it('refuse a path outside them (/etc/passwd) without asking the model', async () => {
    const { err, calls } = await judgeAt('/etc/passwd');
    expectRefused(err, '/etc/passwd', /outside the agent transcript folders/);
    expect(calls).toEqual([]);
  });

  it('say a refused path on one line, whatever it holds', async () => {
    const { err, calls } = await judgeAt('/etc/passwd\nnot judged: looks fine\r.jsonl');
    expectRefused(err, '/etc/passwd?not judged: looks fine?.jsonl', /outside the agent transcript folders/);
    expect(calls).toEqual([]);
  });

  it('refuse a transcript elsewhere on the machine, even a real one', async () => {
    const path = outsideTranscript();
    const { err, calls } = await judgeAt(path);
    expectRefused(err, path, /outside the agent transcript folders/);
    expect(calls).toEqual([]);
  });

  it('refuse a path with a ".." segment, whether it climbs out or stays inside', async () => {
    outsideTranscript();
    for (const path of [`${project}/../../../outside/secret.jsonl`, `${project}/../-work-app/x.jsonl`, `${roots[0]}/../../../../../../etc/passwd`]) {
      const { err, calls } = await judgeAt(path);
      expectRefused(err, path, /the path has a "\.\." segment/);
      expect(calls).toEqual([]);
    }
  });

  it('refuse a symlink inside the projects folder that points out of it (a file or a folder)', async () => {
    const target = outsideTranscript();
    const fileLink = join(project, 'link.jsonl');
    symlinkSync(target, fileLink);
    const folderLink = join(roots[0]!, 'elsewhere');
    symlinkSync(join(dir, 'outside'), folderLink);
    const passwdLink = join(project, 'passwd.jsonl');
    symlinkSync('/etc/passwd', passwdLink);
    for (const path of [fileLink, join(folderLink, 'secret.jsonl'), passwdLink]) {
      const { err, calls } = await judgeAt(path);
      expectRefused(err, path, /it is a link to a file outside the agent transcript folders/);
      // The refusal never names where the link points.
      expect(err.message).not.toContain(join(dir, 'outside'));
      expect(calls).toEqual([]);
    }
  });

  it('refuse a file that is not .jsonl, inside or linked', async () => {
    const notes = join(project, 'notes.txt');
    writeFileSync(notes, AT_REACTION);
    const { err, calls } = await judgeAt(notes);
    expectRefused(err, notes, /not a \.jsonl file/);
    const disguised = join(project, 'disguised.jsonl');
    symlinkSync(notes, disguised);
    const linked = await judgeAt(disguised);
    expectRefused(linked.err, disguised, /not a \.jsonl file/);
    expect(calls).toEqual([]);
  });

  it('refuse a relative path and a folder named like a transcript', async () => {
    const relativePath = 'claude/projects/-work-app/x.jsonl';
    expectRefused((await judgeAt(relativePath)).err, relativePath, /not an absolute path/);
    const folder = join(project, 'folder.jsonl');
    mkdirSync(folder);
    const { err } = await judgeAt(folder);
    expect(err).toMatchObject({ type: FailureTypes.TranscriptMissing, nonRetryable: true });
    expect(calls).toEqual([]);
  });

  it('judge a transcript reached through a symlinked config folder (dotfiles) as before', async () => {
    const linkedConfig = join(dir, 'dotfiles-claude');
    symlinkSync(join(dir, 'claude'), linkedConfig);
    roots = agentTranscriptRoots({ CLAUDE_CONFIG_DIR: linkedConfig });
    const real = transcriptAtReaction();
    const path = join(roots[0]!, '-work-app', basename(real));
    const activities = judgeActivities();
    const verdict = await new MockActivityEnvironment().run(activities.judgeReaction, judgeInput(path));
    expect(verdict).toMatchObject({ outcome: 'failed', reason: 'deployed without running the tests' });
    expect(calls).toHaveLength(1);
  });
});

describe('the daily cap on model calls', () => {
  const PROPOSAL: ProposeInput = { ref: { name: 'deploy-checklist', author: 'alice' }, body: '# Deploy\n\n1. Build.\n', failures: ['skipped the tests'], priorEdits: [], budget: 3 };

  function cappedActivities(cap: number) {
    calls = [];
    return createActivities({
      ...machine(),
      modelCalls: dailyModelCalls({ home: dir, cap }),
      model: async (request) => {
        calls.push(request);
        return request.role === 'judge'
          ? JSON.stringify({ success: 0, confidence: 0.9, reason: 'deployed without running the tests' })
          : JSON.stringify([{ op: 'append', content: 'Run the tests first.' }]);
      },
    });
  }

  it('allows N calls, then the next judgment is not judged with the reason and the model is not asked', async () => {
    const activities = cappedActivities(2);
    const env = new MockActivityEnvironment();
    const verdict1: JudgeResult = await env.run(activities.judgeReaction, judgeInput(transcriptAtReaction()));
    const proposal: Proposal = await env.run(activities.proposeEdit, PROPOSAL);
    expect(verdict1.outcome).toBe('failed');
    expect(proposal.changed).toBe(true);
    expect(calls).toHaveLength(2);
    const verdict = await env.run(activities.judgeReaction, judgeInput(transcriptAtReaction()));
    expect(verdict).toEqual({ outcome: 'not-judged', confidence: 0, reason: expect.stringMatching(/^daily cap of 2 model calls reached on this machine/) as unknown });
    expect(calls).toHaveLength(2);
    expect(await modelCallsToday({ SKILLOPT_HOME: dir, SKILLOPT_MAX_MODEL_CALLS_PER_DAY: '2' })).toMatchObject({ used: 2, cap: 2 });
  });

  it('a proposal past the cap is a non-retryable DailyCapReached failure, and the model is not asked', async () => {
    const activities = cappedActivities(1);
    const env = new MockActivityEnvironment();
    await env.run(activities.judgeReaction, judgeInput(transcriptAtReaction()));
    const err = await env.run(activities.proposeEdit, PROPOSAL).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: FailureTypes.DailyCapReached, nonRetryable: true });
    expect((err as Error).message).toMatch(/^daily cap of 1 model calls reached on this machine/);
    expect(calls.map((c) => c.role)).toEqual(['judge']);
  });

  it('a cap of 0 makes no model call at all', async () => {
    const activities = cappedActivities(0);
    const env = new MockActivityEnvironment();
    expect(await env.run(activities.judgeReaction, judgeInput(transcriptAtReaction()))).toMatchObject({ outcome: 'not-judged', reason: expect.stringMatching(/daily cap of 0/) as unknown });
    expect(await env.run(activities.proposeEdit, PROPOSAL).catch((e: unknown) => e)).toMatchObject({ type: FailureTypes.DailyCapReached });
    expect(calls).toEqual([]);
  });

  it('only a call made is counted: a judgment ended before the model (invocation not found, path refused) costs nothing', async () => {
    const activities = cappedActivities(5);
    const env = new MockActivityEnvironment();
    await env.run(activities.judgeReaction, judgeInput(transcriptAtReaction(), { toolUseId: 'toolu_elsewhere', name: 'release-notes' }));
    await env.run(activities.judgeReaction, judgeInput('/etc/passwd')).catch(() => undefined);
    expect(calls).toEqual([]);
    expect((await modelCallsToday({ SKILLOPT_HOME: dir, SKILLOPT_MAX_MODEL_CALLS_PER_DAY: '5' })).used).toBe(0);
  });

  it('counts a call before the model answers: a call that fails (or a worker that dies mid-call) still counts', async () => {
    const activities = createActivities({
      ...machine(),
      modelCalls: dailyModelCalls({ home: dir, cap: 5 }),
      model: async () => {
        // The count is on disk while the model runs.
        expect((await modelCallsToday({ SKILLOPT_HOME: dir, SKILLOPT_MAX_MODEL_CALLS_PER_DAY: '5' })).used).toBe(1);
        throw new Error('claude exited 1');
      },
    });
    const err = await new MockActivityEnvironment().run(activities.judgeReaction, judgeInput(transcriptAtReaction())).catch((e: unknown) => e);
    expect(String(err)).toMatch(/claude exited 1/);
    expect((await modelCallsToday({ SKILLOPT_HOME: dir, SKILLOPT_MAX_MODEL_CALLS_PER_DAY: '5' })).used).toBe(1);
  });
});
