// The worker is a real process, killed with SIGKILL: inside publishSkill after
// the new version row is committed and before the activity completes (after a
// restart the retried activity finds that row by its idempotency key: exactly
// one new version, and the retry returns it); and in the middle of a judgment
// (the model activity's heartbeats stop, so its retry starts on the restarted
// worker within a minute, not at the 5-minute start-to-close timeout).
import { execa, type ResultPromise } from 'execa';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PublishResult } from '../../activities/types';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { workflowIdForInvocation, workflowIdForSkill, type SkillRef } from '../../core/skill-ref';
import { openStore, type Store } from '../../store/open-store';
import { invokedSignal, laneStateQuery, reactionSignal, type InvokedSignal } from '../../workflows/definitions';
import { invocationWorkflow } from '../../workflows/invocation-workflow';
import { createFakeClaude, type FakeClaude, type FakeClaudeScript } from '../fixtures/fake-claude';
import { startTestServer, uniqueName } from '../helpers/temporal';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURE_TRANSCRIPT = join(ROOT, 'test', 'fixtures', 'transcripts', 'skill-invocation-then-resumed-correction.jsonl');
const TOOL_USE_ID = 'toolu_01lfyrw5N8vmy7avHD8Pgdla';

let env: TestWorkflowEnvironment;
let home: string;
let store: Store;
let fake: FakeClaude;
/** The session's transcript, in the worker machine's Claude Code projects folder (CLAUDE_CONFIG_DIR=<home>/claude): the judge reads nowhere else. */
let transcript: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'skillopt-crash-'));
  mkdirSync(join(home, 'claude', 'projects', '-work-app'), { recursive: true });
  transcript = join(home, 'claude', 'projects', '-work-app', 'session.jsonl');
  copyFileSync(FIXTURE_TRANSCRIPT, transcript);
  [env, store] = await Promise.all([startTestServer(), openStore({ home })]);
});

afterAll(async () => {
  fake?.cleanup();
  await store?.close();
  await env?.teardown();
});

const FAILED = { text: { success: 0, confidence: 0.9, reason: 'deployed without running the tests' } };
const NEVER_DEPLOY = { text: [{ op: 'append', content: 'Never deploy without a green `npm test`.' }] };

function useFakeClaude(script: FakeClaudeScript): void {
  fake?.cleanup();
  fake = createFakeClaude(script);
}

/** The first worker pauses after publishVersion commits (test/integration/crash-worker.ts); the restart is the production bundle. */
function startWorkerProcess(taskQueue: string, pauseFile?: string): ResultPromise {
  const args = pauseFile ? ['--import', 'tsx', join(ROOT, 'test', 'integration', 'crash-worker.ts')] : [join(ROOT, 'dist', 'worker.mjs')];
  return execa(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      ...fake.env,
      SKILLOPT_TEST_PAUSE_AFTER_PUBLISH: pauseFile ?? '',
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: 'default',
      SKILLOPT_HOME: home,
      CLAUDE_CONFIG_DIR: join(home, 'claude'),
      SKILLOPT_MAX_MODEL_CALLS_PER_DAY: '',
      SKILLOPT_DATABASE_URL: '',
      SKILLOPT_TASK_QUEUE: taskQueue,
    },
    reject: false,
    stdio: 'pipe',
  });
}

async function until(ok: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A skill in the store, and its invocation armed and reacted to as the flusher would send them. */
async function pushbackOnNewSkill(taskQueue: string): Promise<{ ref: SkillRef; invocationId: string; reactionId: string }> {
  const ref = { name: uniqueName('deploy'), author: 'alice' };
  await store.publishVersion({ ...ref, body: '# Deploy\n\n1. Build.\n', description: 'deploys', contributors: ['alice'], createdBy: 'alice', baseVersion: 0 });
  const bytes = Buffer.byteLength(readFileSync(transcript, 'utf8'));
  // Event ids are unique across tests: the store remembers every judged one.
  const reactionId = uniqueName('react');
  const invoked: InvokedSignal = { eventId: uniqueName('inv'), sessionId: 's1', toolUseId: TOOL_USE_ID, user: 'bob', agent: 'claude_code', skillVersion: 1, transcriptPath: transcript, transcriptBytes: bytes };
  const { eventId: _eventId, ...invocation } = invoked;
  const invocationId = workflowIdForInvocation(ref, 's1', TOOL_USE_ID);
  const handle = await env.client.workflow.signalWithStart(invocationWorkflow, {
    workflowId: invocationId,
    taskQueue,
    args: [{ ref, invocation }],
    signal: invokedSignal,
    signalArgs: [invoked],
  });
  await handle.signal(reactionSignal, { eventId: reactionId, sessionId: 's1', text: 'you skipped the tests', transcriptPath: transcript, transcriptBytes: bytes });
  return { ref, invocationId, reactionId };
}

it('SIGKILL after publishSkill committed its version: the retry returns that version, and no second one exists', async () => {
  useFakeClaude({ judge: [FAILED], proposer: [NEVER_DEPLOY] });
  const taskQueue = uniqueName('crash');
  const committed = join(home, `${taskQueue}.committed`);
  const first = startWorkerProcess(taskQueue, committed);
  const { ref } = await pushbackOnNewSkill(taskQueue);
  const handle = env.client.workflow.getHandle(workflowIdForSkill(ref));
  await until(() => existsSync(committed), 'the first publishVersion to commit', 90_000);
  first.kill('SIGKILL');
  await first;
  expect(JSON.parse(readFileSync(committed, 'utf8'))).toEqual({ version: 2, created: true });
  // The row is in; the activity never completed (its retry is attempt 2, below).
  expect((await store.history(ref)).map((v) => v.version)).toEqual([1, 2]);

  const second = startWorkerProcess(taskQueue);
  try {
    // The lost activity is retried after its start-to-close timeout, on the new worker.
    await until(async () => (await handle.query(laneStateQuery)).counters.improvementsPublished === 1, 'the improvement after restart', 90_000);
    const state = await handle.query(laneStateQuery);
    expect(state.improving).toBe(false);
    const history = await store.history(ref);
    expect(history.map((v) => v.version)).toEqual([1, 2]);
    expect(history[1]!.body).toContain('Never deploy without a green `npm test`.');
    expect(await store.recentEdits(ref, 10)).toHaveLength(1);

    // publishSkill completed once, on its second attempt, with the version the first attempt wrote.
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'publishSkill');
    expect(scheduled).toHaveLength(1);
    const scheduledId = scheduled[0]!.eventId!.toString();
    const started = events.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduledId);
    expect(started!.activityTaskStartedEventAttributes!.attempt).toBe(2);
    const completed = events.find((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === scheduledId);
    const result = defaultPayloadConverter.fromPayload<PublishResult>(completed!.activityTaskCompletedEventAttributes!.result!.payloads![0]!);
    // Under the default policy (canary) the version is a candidate on trial.
    expect(result).toMatchObject({ status: 'published', version: 2, candidate: { version: 2, stableVersion: 1, policy: 'canary' } });
    expect(history[1]!.idempotencyKey).toMatch(/@1:/);
  } finally {
    second.kill('SIGTERM');
    await second;
  }
}, 150_000);

it('SIGKILL during a judgment: the judge runs again on the restarted worker within a minute', async () => {
  // The first judge call hangs (the model is slow); the retry answers.
  useFakeClaude({ judge: [{ text: FAILED.text, sleepMs: 600_000 }, FAILED], proposer: [NEVER_DEPLOY] });
  const taskQueue = uniqueName('crash-judge');
  const first = startWorkerProcess(taskQueue);
  const { ref, invocationId, reactionId } = await pushbackOnNewSkill(taskQueue);
  const judgeCalls = () => fake.calls().filter((c) => c.role === 'judge');
  await until(() => judgeCalls().length === 1, 'the first judgment to start', 90_000);
  first.kill('SIGKILL');
  await first;
  // The orphaned CLI of the dead worker would sleep on; it is not what this test is about.
  process.kill(judgeCalls()[0]!.pid, 'SIGKILL');
  const restartedAt = Date.now();
  const second = startWorkerProcess(taskQueue);
  try {
    await until(() => judgeCalls().length === 2, 'the retried judgment', 90_000);
    const waited = Date.now() - restartedAt;
    expect(waited).toBeLessThan(60_000);
    const invocation = env.client.workflow.getHandle(invocationId);
    expect(await invocation.result()).toMatchObject({ verdict: 'failed', failureReported: true });
    const [verdict] = await store.verdicts(ref);
    expect(verdict).toMatchObject({ outcome: 'failed', eventId: reactionId });
  } finally {
    second.kill('SIGTERM');
    await second;
  }
}, 180_000);

it('SIGKILL while a candidate is on trial: its timer and the verdicts that came meanwhile survive, and the restarted worker decides', async () => {
  useFakeClaude({ judge: [FAILED], proposer: [NEVER_DEPLOY] });
  const taskQueue = uniqueName('crash-canary');
  const first = startWorkerProcess(taskQueue);
  const { ref } = await pushbackOnNewSkill(taskQueue);
  // One judged invocation each decides; a period of 3.6 s.
  await store.setRolloutSettings(ref, { canary: { minJudged: 2, maxHours: 0.001 }, updatedBy: 'alice' });
  const lane = env.client.workflow.getHandle(workflowIdForSkill(ref));
  await until(async () => (await lane.query(laneStateQuery).catch(() => undefined))?.rollout?.version === 2, 'the candidate v2 on trial', 90_000);
  first.kill('SIGKILL');
  await first;

  // While no worker runs: verdicts are recorded (as judged by the sessions' machines) and each tells the lane.
  const verdict = (version: number, outcome: 'passed' | 'failed', session: string) =>
    store.recordVerdict({ ...ref, skillVersion: version, sessionId: session, toolUseId: 'toolu_x', eventId: uniqueName('ev'), outcome, confidence: 0.9, reason: 'r', agent: 'claude_code', user: 'carol' });
  await verdict(1, 'passed', 'stable-1');
  await verdict(2, 'passed', 'cand-1');
  await verdict(2, 'passed', 'cand-2');
  for (let i = 0; i < 3; i++) await lane.signal('verdictRecorded', { version: 2, outcome: 'passed' });
  // The period's timer fires on the server meanwhile.
  await new Promise((r) => setTimeout(r, 4_000));
  expect((await store.getVersion(ref, 2))?.state).toBe('candidate');

  const second = startWorkerProcess(taskQueue);
  try {
    await until(async () => (await store.getVersion(ref, 2))?.state === 'stable', 'the promotion after restart', 60_000);
    const promoted = (await store.transitions(ref)).find((t) => t.version === 2 && t.to === 'stable');
    // Stable v1: the pushback (failed) and one pass, over the period and topped up before it.
    expect(promoted?.reason).toBe('candidate v2 2/2 passed vs stable v1 1/2: P(candidate ≥ stable) = 0.80 ≥ 0.8: promote');
    // The store holds the promotion as soon as the activity wrote it; the lane counts it when the activity's result is back.
    await until(async () => (await lane.query(laneStateQuery)).counters.promotions === 1, 'the lane to count the promotion', 30_000);
  } finally {
    second.kill('SIGTERM');
    await second;
  }
}, 150_000);
