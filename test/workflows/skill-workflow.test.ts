// The skill workflow's logic on a real Temporal dev server, with in-memory
// activities: the point here is what the workflow decides, not the I/O.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  JudgeInput,
  ProposeInput,
  PublishInput,
  RecordEditInput,
  RecordVerdictInput,
  SkillActivities,
} from '../../activities/types';
import { workflowIdForSkill, type SkillRef } from '../../core/skill-ref';
import {
  SearchAttributes,
  invokedSignal,
  reactionSignal,
  stateQuery,
  type InvokedSignal,
  type SkillWorkflowConfig,
  type SkillWorkflowInput,
  type SkillWorkflowState,
} from '../../workflows/definitions';
import { skillWorkflow } from '../../workflows/skill-workflow';
import { recordHistories } from '../helpers/histories';
import { startTestServer, uniqueName, workflowBundle } from '../helpers/temporal';
import { until } from '../helpers/wait';

/** In-memory activities: reactions starting with "FAIL" are judged failures, "THROW" make the judge fail. */
class FakeSkillWorld {
  versions: { version: number; body: string }[] = [{ version: 1, body: '# Deploy\n\n1. Build.\n' }];
  edits: (RecordEditInput & { status: string })[] = [];
  verdicts: RecordVerdictInput[] = [];
  judgeCalls: JudgeInput[] = [];
  proposals: ProposeInput[] = [];
  publishes: PublishInput[] = [];
  judgeDelayMs = 0;
  proposalCounter = 0;
  /** Called inside judgeInvocation (after judgeDelayMs): a test can hold one judgment until something else happened. */
  beforeVerdict: (input: JudgeInput) => Promise<void> = async () => undefined;
  /** Proposals (1-based) that change nothing. */
  unchangedProposals = new Set<number>();
  /** Publishes (1-based) that someone else's push beats: their version lands first, as with an outside `skillopt push`. */
  outsidePushBeforePublish = new Set<number>();
  /** Called inside recordEdit before it records: a test can hold the workflow between publish and record. */
  beforeRecordEdit: (input: RecordEditInput) => Promise<void> = async () => undefined;

  activities(): SkillActivities {
    return {
      judgeInvocation: async (input) => {
        this.judgeCalls.push(input);
        if (this.judgeDelayMs) await new Promise((r) => setTimeout(r, this.judgeDelayMs));
        await this.beforeVerdict(input);
        if (input.reaction.text.startsWith('THROW')) {
          throw ApplicationFailure.create({ message: 'model down', nextRetryDelay: '10ms' });
        }
        const failed = input.reaction.text.startsWith('FAIL');
        return { success: !failed, confidence: 0.9, reason: failed ? `failed: ${input.reaction.text}` : 'ok', judged: true, invocationFound: true };
      },
      describeSkill: async () => ({
        version: this.latest().version,
        improvementsPublished: this.edits.length,
        awaitingOutcome: this.edits.filter((e) => e.status === 'proposed').map((e) => e.publishedVersion),
      }),
      readSkill: async () => ({ ...this.latest(), description: 'Use when deploying', priorEdits: [] }),
      proposeEdit: async (input) => {
        this.proposals.push(input);
        const n = ++this.proposalCounter;
        if (this.unchangedProposals.has(n)) return { changed: false, editedBody: input.body, edits: [], report: [], summaries: [], fingerprint: '' };
        const line = `${n + 1}. Run the tests (fix ${n}).`;
        return {
          changed: true,
          editedBody: `${input.body.trimEnd()}\n${line}\n`,
          edits: [{ op: 'append', content: line }],
          report: ['OK append'],
          summaries: [`append "${line}"`],
          fingerprint: `fp-${n}`,
        };
      },
      publishSkill: async (input) => {
        this.publishes.push(input);
        if (this.outsidePushBeforePublish.has(this.publishes.length)) this.pushOutside();
        if (input.baseVersion !== this.latest().version) return { status: 'conflict', latestVersion: this.latest().version };
        const version = input.baseVersion + 1;
        this.versions.push({ version, body: input.body });
        return { status: 'published', version };
      },
      recordEdit: async (input) => {
        await this.beforeRecordEdit(input);
        this.edits.push({ ...input, status: 'proposed' });
      },
      recordVerdict: async (input) => {
        this.verdicts.push(input);
      },
      resolveEdit: async ({ publishedVersion, success }) => {
        const edit = this.edits.find((e) => e.publishedVersion === publishedVersion && e.status === 'proposed');
        if (edit) edit.status = success ? 'applied' : 'reverted';
      },
    };
  }

  latest() {
    return this.versions[this.versions.length - 1]!;
  }

  /** A version published by someone else (not through the workflow). */
  pushOutside(): void {
    const version = this.latest().version + 1;
    this.versions.push({ version, body: `${this.latest().body}${version}. Outside edit.\n` });
  }
}

/** Nothing queued, judging, batched or being improved: the workflow has done all it will with what it was sent. */
function settled(s: SkillWorkflowState): boolean {
  return s.queued === 0 && s.judging === 0 && s.batchedFailures === 0 && !s.improving;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startTestServer();
});

afterAll(async () => {
  await env?.teardown();
});

let counter = 0;
function invoked(sessionId: string, overrides: Partial<InvokedSignal> = {}): InvokedSignal {
  return {
    eventId: `inv-${++counter}`,
    sessionId,
    toolUseId: `toolu_${counter}`,
    user: 'alice',
    agent: 'claude_code',
    skillVersion: 1,
    transcriptPath: `/tmp/${sessionId}.jsonl`,
    transcriptBytes: 100,
    ...overrides,
  };
}

function reaction(sessionId: string, text: string, eventId = `react-${++counter}`) {
  return { eventId, sessionId, text, transcriptPath: `/tmp/${sessionId}.jsonl`, transcriptBytes: 200 };
}

/** Runs a scenario with a worker; its workflow's histories are recorded for the replay tests when asked. */
async function withWorker(world: FakeSkillWorld, scenario: string, fn: (taskQueue: string) => Promise<string>): Promise<void> {
  const taskQueue = uniqueName('tq');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: world.activities(),
  });
  const workflowId = await worker.runUntil(fn(taskQueue));
  await recordHistories(env.client, workflowId, scenario);
}

async function startSkill(taskQueue: string, config: Partial<SkillWorkflowConfig> = {}, ref?: SkillRef) {
  const skill = ref ?? { name: uniqueName('deploy'), author: 'alice' };
  return env.client.workflow.start(skillWorkflow, {
    workflowId: workflowIdForSkill(skill),
    taskQueue,
    args: [{ ref: skill, config: { idleTimeoutMs: 60_000, ...config } }],
  });
}


describe('skill workflow', () => {
  it('publishes v2 from a confirmed failure, and a pass publishes nothing', async () => {
    const world = new FakeSkillWorld();
    await withWorker(world, 'improve-and-pass', async (tq) => {
      const handle = await startSkill(tq);
      await handle.signal(invokedSignal, invoked('s-pass'));
      await handle.signal(reactionSignal, reaction('s-pass', 'thanks, works'));
      await until(() => handle.query(stateQuery), (s) => s.counters.judged === 1 && s.judging === 0);
      expect(world.versions).toHaveLength(1);

      await handle.signal(invokedSignal, invoked('s-fail'));
      await handle.signal(reactionSignal, reaction('s-fail', 'FAIL you skipped the tests'));
      const state = await until(() => handle.query(stateQuery), (s) => s.counters.improvementsPublished === 1 && !s.improving);
      expect(world.versions.map((v) => v.version)).toEqual([1, 2]);
      expect(world.proposals[0]!.failures).toEqual(['failed: FAIL you skipped the tests']);
      expect(world.edits[0]).toMatchObject({ baseVersion: 1, publishedVersion: 2, fingerprint: 'fp-1' });
      expect(state.currentVersion).toBe(2);
      expect(state.awaitingOutcome).toEqual([2]);
      expect(world.verdicts.map((v) => v.verdict.success)).toEqual([true, false]);

      const description = await handle.describe();
      expect(description.typedSearchAttributes.get(SearchAttributes.skillVersion)).toBe(2);
      expect(description.typedSearchAttributes.get(SearchAttributes.improvementsPublished)).toBe(1);
      expect(description.typedSearchAttributes.get(SearchAttributes.lastVerdict)).toBe('failed');
      return handle.workflowId;
    });
  });

  it('spends the window budget: only K reactions per invocation are judged', async () => {
    const world = new FakeSkillWorld();
    await withWorker(world, 'window-budget', async (tq) => {
      const handle = await startSkill(tq, { judgeWindow: 2 });
      await handle.signal(invokedSignal, invoked('s1'));
      for (const text of ['ok 1', 'ok 2', 'ok 3', 'ok 4']) await handle.signal(reactionSignal, reaction('s1', text));
      const state = await until(() => handle.query(stateQuery), (s) => s.counters.judged === 2 && s.judging === 0);
      expect(state.counters.ignoredReactions).toBe(2);
      expect(state.openWindows).toEqual([]);
      expect(world.judgeCalls.map((c) => c.reaction.text).sort()).toEqual(['ok 1', 'ok 2']);
      return handle.workflowId;
    });
  });

  it('ignores a replayed event id, a blank reaction and a reaction with no window', async () => {
    const world = new FakeSkillWorld();
    await withWorker(world, 'dedup-and-ignored', async (tq) => {
      const handle = await startSkill(tq);
      await handle.signal(reactionSignal, reaction('nobody', 'FAIL no window here'));
      const inv = invoked('s1');
      await handle.signal(invokedSignal, inv);
      await handle.signal(invokedSignal, inv);
      await handle.signal(reactionSignal, reaction('s1', '   \n'));
      await handle.signal(reactionSignal, reaction('s1', 'looks right', 'same-id'));
      await handle.signal(reactionSignal, reaction('s1', 'looks right', 'same-id'));
      const state = await until(() => handle.query(stateQuery), (s) => s.counters.judged === 1 && s.judging === 0);
      expect(state.counters.duplicateEvents).toBe(2);
      expect(state.counters.invocations).toBe(1);
      expect(state.counters.ignoredReactions).toBe(2);
      expect(state.openWindows).toEqual([expect.objectContaining({ sessionId: 's1', remaining: 2 })]);
      expect(world.judgeCalls).toHaveLength(1);
      return handle.workflowId;
    });
  });

  it('publishes at most one improvement per invocation and does not judge it again', async () => {
    const world = new FakeSkillWorld();
    await withWorker(world, 'one-improvement-per-invocation', async (tq) => {
      const handle = await startSkill(tq, { judgeWindow: 3 });
      await handle.signal(invokedSignal, invoked('s1'));
      await handle.signal(reactionSignal, reaction('s1', 'FAIL first'));
      await until(() => handle.query(stateQuery), (s) => s.counters.improvementsPublished === 1 && !s.improving);
      await handle.signal(reactionSignal, reaction('s1', 'FAIL still wrong'));
      await handle.signal(reactionSignal, reaction('s1', 'FAIL again'));
      const state = await until(() => handle.query(stateQuery), (s) => s.counters.reactions === 3 && s.queued === 0 && s.judging === 0);
      expect(state.counters.improvementsPublished).toBe(1);
      expect(world.versions).toHaveLength(2);
      expect(world.judgeCalls).toHaveLength(1);
      return handle.workflowId;
    });
  });

  it('publishes one improvement when a second failure of the invocation is judged while recordEdit runs', async () => {
    const world = new FakeSkillWorld();
    const recordEditStarted = deferred();
    const secondJudged = deferred();
    // The second verdict arrives after publishSkill returned and before recordEdit completes.
    world.beforeVerdict = async (input) => {
      if (!input.reaction.text.includes('second')) return;
      await recordEditStarted.promise;
      secondJudged.resolve();
    };
    world.beforeRecordEdit = async () => {
      recordEditStarted.resolve();
      await secondJudged.promise;
      await new Promise((r) => setTimeout(r, 1_000)); // the workflow handles the verdict meanwhile
    };
    await withWorker(world, 'second-failure-during-record-edit', async (tq) => {
      const handle = await startSkill(tq, { judgeWindow: 3, maxConcurrentJudgments: 4 });
      await handle.signal(invokedSignal, invoked('s1'));
      await handle.signal(reactionSignal, reaction('s1', 'FAIL first'));
      await handle.signal(reactionSignal, reaction('s1', 'FAIL second'));
      const state = await until(() => handle.query(stateQuery), (s) => s.counters.judged === 2 && settled(s));
      expect(state.counters.failed).toBe(2);
      expect(state.counters.improvementsPublished).toBe(1);
      expect(world.proposals).toHaveLength(1);
      expect(world.versions.map((v) => v.version)).toEqual([1, 2]);
      return handle.workflowId;
    });
  });

  it('batches failures that queue while a proposal is in flight, one per invocation', async () => {
    const world = new FakeSkillWorld();
    world.judgeDelayMs = 50;
    await withWorker(world, 'batched-failures', async (tq) => {
      const handle = await startSkill(tq, { maxConcurrentJudgments: 4 });
      for (const s of ['a', 'b', 'c']) await handle.signal(invokedSignal, invoked(s));
      // Two failing reactions from session a are one invocation: at most one reason in the proposals.
      for (const s of ['a', 'a', 'b', 'c']) await handle.signal(reactionSignal, reaction(s, `FAIL from ${s}`));
      const state = await until(() => handle.query(stateQuery), (s) => s.counters.judged >= 3 && settled(s));
      const reasons = world.proposals.flatMap((p) => p.failures);
      expect(reasons.filter((r) => r.includes('from a'))).toHaveLength(1);
      expect(reasons).toHaveLength(3);
      expect(state.counters.improvementsPublished).toBe(world.proposals.length);
      // Versions are consecutive: never two with the same number.
      expect(world.versions.map((v) => v.version)).toEqual(world.versions.map((_, i) => i + 1));
      return handle.workflowId;
    });
  });

  it('credits an edit by the version the judged session had in context', async () => {
    const world = new FakeSkillWorld();
    await withWorker(world, 'edit-outcome-by-version', async (tq) => {
      const handle = await startSkill(tq);
      await handle.signal(invokedSignal, invoked('s1', { skillVersion: 1 }));
      await handle.signal(reactionSignal, reaction('s1', 'FAIL v1 was wrong'));
      await until(() => handle.query(stateQuery), (s) => s.counters.improvementsPublished === 1 && !s.improving);
      // A session still on v1 passes: that says nothing about v2's edit.
      await handle.signal(invokedSignal, invoked('s2', { skillVersion: 1 }));
      await handle.signal(reactionSignal, reaction('s2', 'great'));
      await until(() => handle.query(stateQuery), (s) => s.counters.judged === 2 && s.judging === 0);
      expect(world.edits[0]!.status).toBe('proposed');
      // A session that had v2 passes: v2's edit is applied.
      await handle.signal(invokedSignal, invoked('s3', { skillVersion: 2 }));
      await handle.signal(reactionSignal, reaction('s3', 'great'));
      const state = await until(() => handle.query(stateQuery), (s) => s.counters.judged === 3 && s.judging === 0);
      expect(world.edits[0]!.status).toBe('applied');
      expect(state.awaitingOutcome).toEqual([]);
      return handle.workflowId;
    });
  });

  it('gives the conservative verdict when the judge keeps failing, and publishes nothing', async () => {
    const world = new FakeSkillWorld();
    await withWorker(world, 'judge-keeps-failing', async (tq) => {
      const handle = await startSkill(tq);
      await handle.signal(invokedSignal, invoked('s1'));
      await handle.signal(reactionSignal, reaction('s1', 'THROW model is down'));
      const state = await until(() => handle.query(stateQuery), (s) => s.counters.judged === 1 && s.judging === 0);
      expect(state.counters.judgeErrors).toBe(1);
      expect(state.counters.passed).toBe(1);
      expect(world.judgeCalls).toHaveLength(4); // maximumAttempts
      expect(world.verdicts[0]!.verdict).toMatchObject({ success: true, confidence: 0, judged: false });
      expect(world.versions).toHaveLength(1);
      return handle.workflowId;
    });
  });

  it('ignores malformed signals instead of failing its workflow task, and keeps working', async () => {
    const world = new FakeSkillWorld();
    await withWorker(world, 'malformed-signals', async (tq) => {
      const handle = await startSkill(tq);
      const good = invoked('s1');
      // From an old or broken sender: no event id, no session, text not a string, no payload.
      await handle.signal(invokedSignal, { ...good, eventId: undefined } as unknown as InvokedSignal);
      await handle.signal(invokedSignal, null as unknown as InvokedSignal);
      await handle.signal(invokedSignal, good);
      await handle.signal(reactionSignal, { ...reaction('s1', 'x'), text: 42 } as unknown as ReturnType<typeof reaction>);
      await handle.signal(reactionSignal, { ...reaction('s1', 'x'), sessionId: undefined } as unknown as ReturnType<typeof reaction>);
      await handle.signal(reactionSignal, reaction('s1', 'FAIL a well-formed reaction'));
      const state = await until(() => handle.query(stateQuery), (s) => s.counters.improvementsPublished === 1 && !s.improving);
      expect(state.counters).toMatchObject({ ignoredMalformed: 4, invocations: 1, reactions: 1, judged: 1 });
      expect(world.judgeCalls.map((c) => c.reaction.text)).toEqual(['FAIL a well-formed reaction']);
      return handle.workflowId;
    });
  });

  it('retries a lost publish race for a later batch even after an earlier retry ended without a change', async () => {
    const world = new FakeSkillWorld();
    world.outsidePushBeforePublish = new Set([1, 2]);
    world.unchangedProposals = new Set([2]);
    await withWorker(world, 'conflict-retry-reset', async (tq) => {
      const handle = await startSkill(tq);
      // Batch 1: loses the race to v2, its retry against v2 changes nothing.
      await handle.signal(invokedSignal, invoked('s1'));
      await handle.signal(reactionSignal, reaction('s1', 'FAIL first batch'));
      await until(() => handle.query(stateQuery), (s) => s.counters.proposalsWithoutChange === 1 && settled(s));
      // Batch 2: loses the race to v3 and is proposed again against v3: published as v4.
      await handle.signal(invokedSignal, invoked('s2', { skillVersion: 2 }));
      await handle.signal(reactionSignal, reaction('s2', 'FAIL second batch'));
      const state = await until(() => handle.query(stateQuery), (s) => s.counters.judged === 2 && settled(s));
      expect(state.counters).toMatchObject({ publishConflicts: 2, improvementsPublished: 1 });
      expect(world.proposals.map((p) => p.failures)).toEqual([['failed: FAIL first batch'], ['failed: FAIL first batch'], ['failed: FAIL second batch'], ['failed: FAIL second batch']]);
      expect(world.versions.map((v) => v.version)).toEqual([1, 2, 3, 4]);
      expect(state.currentVersion).toBe(4);
      return handle.workflowId;
    });
  });

  it('keeps the SkillVersion search attribute on the latest version after outside pushes', async () => {
    const world = new FakeSkillWorld();
    world.unchangedProposals = new Set([1, 3]);
    world.outsidePushBeforePublish = new Set([1]);
    await withWorker(world, 'version-attribute-follows', async (tq) => {
      const handle = await startSkill(tq);
      const skillVersion = async () => (await handle.describe()).typedSearchAttributes.get(SearchAttributes.skillVersion);
      const judgedAll = (n: number) => (s: SkillWorkflowState) => s.counters.judged === n && settled(s);
      await until(() => handle.query(stateQuery), (s) => s.currentVersion === 1);
      expect(await skillVersion()).toBe(1);

      // Someone pushes v2; the workflow reads it for a proposal that changes nothing.
      world.pushOutside();
      await handle.signal(invokedSignal, invoked('s1', { skillVersion: 2 }));
      await handle.signal(reactionSignal, reaction('s1', 'FAIL on v2'));
      await until(() => handle.query(stateQuery), judgedAll(1));
      expect(await skillVersion()).toBe(2);

      // A push lands first (v3): the lost race's retry against v3 changes nothing.
      await handle.signal(invokedSignal, invoked('s2', { skillVersion: 2 }));
      await handle.signal(reactionSignal, reaction('s2', 'FAIL still on v2'));
      await until(() => handle.query(stateQuery), judgedAll(2));
      expect(await skillVersion()).toBe(3);

      // Another push (v4), then an improvement: v5.
      world.pushOutside();
      await handle.signal(invokedSignal, invoked('s3', { skillVersion: 4 }));
      await handle.signal(reactionSignal, reaction('s3', 'FAIL on v4'));
      const state = await until(() => handle.query(stateQuery), (s) => judgedAll(3)(s) && s.counters.improvementsPublished === 1);
      expect(world.latest().version).toBe(5);
      expect(state.currentVersion).toBe(5);
      expect(await skillVersion()).toBe(5);
      return handle.workflowId;
    });
  });

  it("gives the conservative verdict when the user's own worker never picks up the judgment", async () => {
    const world = new FakeSkillWorld();
    await withWorker(world, 'routed-judge-offline', async (tq) => {
      const handle = await startSkill(tq, { routedModelScheduleToStartMs: 1_000 });
      // Routed to a queue no worker polls: that user's laptop is offline.
      await handle.signal(invokedSignal, invoked('s1', { activityQueue: uniqueName('offline') }));
      await handle.signal(reactionSignal, reaction('s1', 'FAIL judged on a laptop that is closed'));
      const state = await until(() => handle.query(stateQuery), (s) => s.counters.judged === 1 && s.judging === 0);
      expect(state.counters).toMatchObject({ judgeErrors: 1, passed: 1, failed: 0 });
      expect(world.judgeCalls).toEqual([]);
      expect(world.verdicts[0]!.verdict).toMatchObject({ success: true, confidence: 0, judged: false });
      expect(world.verdicts[0]!.verdict.reason).toMatch(/not judged/);
      expect(world.versions).toHaveLength(1);
      return handle.workflowId;
    });
  });

  it('carries a queued judgment across continue-as-new, judges it once, and ignores its event id redelivered after', async () => {
    const world = new FakeSkillWorld();
    const firstHeld = deferred();
    const duplicateSent = deferred();
    const judgedIn = new Map<string, string>();
    world.beforeVerdict = async (input) => {
      judgedIn.set(input.reaction.eventId, Context.current().info.workflowExecution?.runId ?? '');
      // The first judgment holds the run until continue-as-new is due; the second waits for the redelivery.
      await (input.reaction.eventId === 'r-first' ? firstHeld.promise : duplicateSent.promise);
    };
    await withWorker(world, 'continue-as-new-queued-judgment', async (tq) => {
      const handle = await startSkill(tq, { continueAsNewAfterEvents: 30, maxConcurrentJudgments: 1 });
      await handle.signal(invokedSignal, invoked('s1'));
      await handle.signal(reactionSignal, reaction('s1', 'first', 'r-first'));
      const queued = reaction('s1', 'second', 'r-second');
      await handle.signal(reactionSignal, queued);
      await until(() => handle.query(stateQuery), (s) => s.judging === 1 && s.queued === 1);
      const firstRunId = (await handle.describe()).runId;
      // Enough events for continue-as-new while the first judgment runs: the second stays queued.
      for (let i = 0; i < 12; i++) await handle.signal(invokedSignal, invoked(`other-${i}`));
      firstHeld.resolve();
      const latest = env.client.workflow.getHandle(handle.workflowId);
      await until(() => latest.query(stateQuery), (s) => s.runs === 2);
      const secondRunId = (await latest.describe()).runId;
      expect(secondRunId).not.toBe(firstRunId);

      await latest.signal(reactionSignal, queued); // the outbox redelivers it
      await until(() => latest.query(stateQuery), (s) => s.counters.duplicateEvents === 1);
      duplicateSent.resolve();
      const state = await until(() => latest.query(stateQuery), (s) => s.counters.judged === 2 && s.judging === 0 && s.queued === 0);
      expect(state.counters).toMatchObject({ reactions: 2, judged: 2, duplicateEvents: 1 });
      expect(state.openWindows.find((w) => w.sessionId === 's1')?.remaining).toBe(1);
      expect(world.judgeCalls.map((c) => c.reaction.eventId)).toEqual(['r-first', 'r-second']);
      expect(judgedIn.get('r-first')).toBe(firstRunId);
      expect(judgedIn.get('r-second')).toBe(secondRunId);
      expect(world.verdicts.map((v) => v.eventId)).toEqual(['r-first', 'r-second']);
      return handle.workflowId;
    });
  });

  it('continues as new with its open windows, and an idle run completes', async () => {
    const world = new FakeSkillWorld();
    await withWorker(world, 'continue-as-new-and-idle', async (tq) => {
      const handle = await startSkill(tq, { continueAsNewAfterEvents: 20, idleTimeoutMs: 3_000 });
      await handle.signal(invokedSignal, invoked('s1'));
      for (let i = 0; i < 12; i++) await handle.signal(invokedSignal, invoked(`other-${i}`));
      const carried = await until(() => handle.query(stateQuery), (s) => s.runs >= 2);
      expect(carried.openWindows.map((w) => w.sessionId)).toContain('s1');
      // The next run starts with the whole config the first run used, not the partial input.
      const [started] = (await env.client.workflow.getHandle(handle.workflowId).fetchHistory()).events ?? [];
      const [nextInput] = started!.workflowExecutionStartedEventAttributes!.input!.payloads!.map((p) => defaultPayloadConverter.fromPayload<SkillWorkflowInput>(p));
      expect(nextInput!.config).toEqual(carried.config);
      expect(Object.keys(carried.config)).toEqual(expect.arrayContaining(['judgeWindow', 'maxConcurrentJudgments', 'editBudget', 'idleTimeoutMs']));
      await handle.signal(reactionSignal, reaction('s1', 'FAIL after continue-as-new'));
      await until(() => handle.query(stateQuery), (s) => s.counters.improvementsPublished === 1 && !s.improving);

      // With no activity for the idle timeout, windows expire and the run completes.
      const latest = env.client.workflow.getHandle(handle.workflowId);
      const result = await latest.result();
      expect(result.improvementsPublished).toBe(1);
      const description = await latest.describe();
      expect(description.status.name).toBe('COMPLETED');

      // The next event starts a fresh run that continues the version history from the store.
      const fresh = await env.client.workflow.signalWithStart(skillWorkflow, {
        workflowId: handle.workflowId,
        taskQueue: tq,
        args: [{ ref: carried.ref, config: { idleTimeoutMs: 3_000 } }],
        signal: invokedSignal,
        signalArgs: [invoked('s-later', { skillVersion: 2 })],
      });
      expect(fresh.signaledRunId).not.toBe(description.runId);
      const state = await until(() => fresh.query(stateQuery), (s) => s.currentVersion === 2);
      expect(state.counters.improvementsPublished).toBe(1);
      expect(state.awaitingOutcome).toEqual([2]);
      expect(state.openWindows.map((w) => w.sessionId)).toEqual(['s-later']);
      await fresh.signal(reactionSignal, reaction('s-later', 'FAIL v2 still skips a step'));
      await until(() => fresh.query(stateQuery), (s) => s.counters.improvementsPublished === 2 && !s.improving);
      expect(world.versions.map((v) => v.version)).toEqual([1, 2, 3]);
      expect(world.edits.map((e) => [e.publishedVersion, e.status])).toEqual([
        [2, 'reverted'],
        [3, 'proposed'],
      ]);
      return handle.workflowId;
    });
  });

  it('defers continue-as-new while the state it would carry is too large, judging the queue down first', async () => {
    const world = new FakeSkillWorld();
    world.judgeDelayMs = 200;
    const firstHeld = deferred();
    const judgedIn: [eventId: string, runId: string][] = [];
    world.beforeVerdict = async (input) => {
      judgedIn.push([input.reaction.eventId, Context.current().info.workflowExecution?.runId ?? '']);
      // The first judgment holds its slot while a burst of long reactions queues behind it.
      if (input.reaction.eventId === 'long-0') await firstHeld.promise;
    };
    const continueAsNewAfterEvents = 30;
    const maxCarriedStateBytes = 4 * 1024;
    const sent = Array.from({ length: 10 }, (_, i) => reaction('s1', `long reaction ${i}: ${'x'.repeat(1_000)}`, `long-${i}`));
    await withWorker(world, 'continue-as-new-deferred-large-state', async (tq) => {
      const handle = await startSkill(tq, { continueAsNewAfterEvents, maxCarriedStateBytes, maxConcurrentJudgments: 1, judgeWindow: 20 });
      const inv = invoked('s1');
      let first;
      try {
        await handle.signal(invokedSignal, inv);
        for (const r of sent) await handle.signal(reactionSignal, r);
        await until(() => handle.query(stateQuery), (s) => s.judging === 1 && s.queued === 9);
        // The outbox redelivers the invocation until continue-as-new is due (duplicates add events, not state).
        first = await handle.describe();
        for (let i = 0; first.historyLength < continueAsNewAfterEvents + 5; i++) {
          expect(i).toBeLessThan(20);
          await handle.signal(invokedSignal, inv);
          first = await handle.describe();
        }
        // Continue-as-new is due, but nine queued ~1 KB reactions are far over the threshold: the run waits.
        await new Promise((r) => setTimeout(r, 1_000));
        expect(await handle.query(stateQuery)).toMatchObject({ runs: 1, judging: 1, queued: 9 });
        expect((await handle.describe()).runId).toBe(first.runId);
      } finally {
        // Also on a failed expectation: a held judgment would block the worker's shutdown.
        firstHeld.resolve();
      }

      const latest = env.client.workflow.getHandle(handle.workflowId);
      const state = await until(() => latest.query(stateQuery), (s) => s.runs >= 2 && s.counters.judged === sent.length && s.judging === 0 && s.queued === 0);
      expect(state.counters).toMatchObject({ invocations: 1, reactions: sent.length, judged: sent.length, passed: sent.length });

      // Every reaction judged exactly once, its verdict recorded once: nothing lost across the runs.
      const ids = sent.map((r) => r.eventId).sort();
      expect(world.judgeCalls.map((c) => c.reaction.eventId).sort()).toEqual(ids);
      expect(world.verdicts.map((v) => v.eventId).sort()).toEqual(ids);

      // The first run kept judging after continue-as-new was due, and continued only once the state was under the threshold.
      const events = (await env.client.workflow.getHandle(handle.workflowId, first.runId).fetchHistory()).events ?? [];
      const judgmentsScheduledAt = events.flatMap((e, i) => (e.activityTaskScheduledEventAttributes?.activityType?.name === 'judgeInvocation' ? [i + 1] : []));
      expect(judgmentsScheduledAt.filter((n) => n > continueAsNewAfterEvents).length).toBeGreaterThanOrEqual(2);
      const continued = events[events.length - 1]!.workflowExecutionContinuedAsNewEventAttributes;
      expect(continued).toBeDefined();
      const payload = continued!.input!.payloads![0]!;
      expect(payload.data!.length).toBeLessThanOrEqual(maxCarriedStateBytes);
      const nextInput = defaultPayloadConverter.fromPayload<SkillWorkflowInput>(payload);
      const carriedIds = nextInput.carried!.queue.map((q) => q.eventId);
      expect(carriedIds.length).toBeLessThan(9);
      const judgedInFirst = judgedIn.filter(([, runId]) => runId === first.runId).map(([eventId]) => eventId);
      expect(judgedInFirst.length).toBeGreaterThanOrEqual(3);
      expect([...judgedInFirst, ...carriedIds].sort()).toEqual(ids);
      return handle.workflowId;
    });
  });
});
