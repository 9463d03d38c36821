// Shared by the workflow tests on a real dev server: in-memory activities (the
// point is what the workflows decide, not the I/O) whose reportFailure really
// signal-with-starts the skill's lane, so invocation → lane runs through
// Temporal; and short helpers to arm invocations and watch the lane.
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type WorkflowHandle, type WorkflowHandleWithSignaledRunId } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type {
  CheckEditInput,
  JudgeInput,
  ProposeInput,
  PublishInput,
  RecordEditInput,
  RecordVerdictInput,
  ReportFailureInput,
  SkillActivities,
} from '../../activities/types';
import { WorkflowTypes, type FailureReport, type InvocationEvidence, type InvocationInfo } from '../../core/messages';
import type { CheckAnswer } from '../../core/precheck';
import { workflowIdForInvocation, workflowIdForSkill, type SkillRef } from '../../core/skill-ref';
import {
  failureSignal,
  invocationSearchAttributes,
  invocationStateQuery,
  invokedSignal,
  laneStateQuery,
  reactionSignal,
  sessionEndedSignal,
  supersededSignal,
  type InvocationConfig,
  type InvocationSummary,
  type LaneConfig,
  type LaneState,
} from '../../workflows/definitions';
import { invocationWorkflow } from '../../workflows/invocation-workflow';
import type { skillWorkflow } from '../../workflows/skill-workflow';
import { recordHistories } from '../helpers/histories';
import { uniqueName, workflowBundle } from '../helpers/temporal';
import { until } from '../helpers/wait';

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * The store, the judge and the proposer in memory. A reaction starting with
 * "FAIL" is judged a failure, "THROW" makes the judge throw; anything else passes.
 */
export class FakeSkillWorld {
  versions: { version: number; body: string; rejected?: true }[] = [{ version: 1, body: '# Deploy\n\n1. Build.\n' }];
  edits: RecordEditInput[] = [];
  verdicts: RecordVerdictInput[] = [];
  reports: ReportFailureInput[] = [];
  judgeCalls: JudgeInput[] = [];
  proposals: (ProposeInput & { runId: string })[] = [];
  publishes: PublishInput[] = [];
  /** Called inside judgeReaction before it answers: a test can hold a judgment until something else happened. */
  beforeVerdict: (input: JudgeInput) => Promise<void> = async () => undefined;
  /** Called inside proposeEdit before it answers (1-based proposal number): a test can hold a proposal. */
  beforePropose: (n: number) => Promise<void> = async () => undefined;
  /** Proposals (1-based) that change nothing. */
  unchangedProposals = new Set<number>();
  /** Publishes (1-based) that someone else's push beats: their version lands first, as with an outside `skillopt push`. */
  outsidePushBeforePublish = new Set<number>();
  /** Set: edits are checked before publishing, against this many held-out passes (SkillSnapshot.precheck). */
  precheck: { heldOut: number } | undefined;
  /** The held-out passes the store gives the check. */
  heldOut: InvocationEvidence[] = [];
  /** The check's answer for one piece of evidence (the proposal's number, 1-based, and what is asked); default: no answer. */
  checkAnswer: (n: number, input: CheckEditInput) => CheckAnswer = (_n, input) => ({ kind: input.kind, answer: 'none', reason: 'not scripted' });
  checkCalls: CheckEditInput[] = [];

  constructor(
    private readonly env: TestWorkflowEnvironment,
    readonly taskQueue: string,
    /** The config the lane is started with by reportFailure's signal-with-start. */
    readonly laneConfig: Partial<LaneConfig> = {},
  ) {}

  activities(): SkillActivities {
    return {
      judgeReaction: async (input) => {
        this.judgeCalls.push(input);
        await this.beforeVerdict(input);
        const text = input.reaction.text;
        if (text.startsWith('THROW')) throw ApplicationFailure.create({ message: 'model down', nextRetryDelay: '10ms' });
        const failed = text.startsWith('FAIL');
        return { outcome: failed ? 'failed' : 'passed', confidence: 0.9, reason: failed ? `failed: ${text}` : `passed: ${text}` };
      },
      alreadyJudged: async (eventId) => {
        const prior = this.verdicts.find((v) => v.eventId === eventId);
        return prior ? { outcome: 'not-judged', confidence: 0, reason: `already judged: ${prior.verdict.reason}` } : undefined;
      },
      recordVerdict: async (input) => {
        this.verdicts.push(input);
      },
      reportFailure: async (input) => {
        this.reports.push(input);
        await this.report(input.ref, input.report);
      },
      describeSkill: async () => ({ version: this.latest().version, improvementsPublished: this.edits.length }),
      readSkill: async () => ({ ...this.stable(), description: 'Use when deploying', priorEdits: [], ...(this.precheck ? { precheck: this.precheck } : {}) }),
      proposeEdit: async (input) => {
        this.proposals.push({ ...input, runId: Context.current().info.workflowExecution?.runId ?? '' });
        const n = this.proposals.length;
        await this.beforePropose(n);
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
      precheckEvidence: async ({ excludeEventIds, limit }) => this.heldOut.filter((e) => !excludeEventIds.includes(e.reaction.eventId)).slice(0, limit),
      checkEdit: async (input) => {
        this.checkCalls.push(input);
        return this.checkAnswer(this.proposals.length, input);
      },
      publishSkill: async (input) => {
        this.publishes.push(input);
        if (this.outsidePushBeforePublish.has(this.publishes.length)) this.pushOutside();
        if (input.baseVersion !== this.stable().version) return { status: 'conflict', latestVersion: this.latest().version };
        const version = this.latest().version + 1;
        if (input.precheck?.decision === 'reject') {
          this.versions.push({ version, body: input.body, rejected: true });
          return { status: 'rejected', version };
        }
        this.versions.push({ version, body: input.body });
        return { status: 'published', version };
      },
      recordEdit: async (input) => {
        this.edits.push(input);
      },
      pushVersion: async () => {
        throw new Error('not used: the lane tests send no push');
      },
      storeRequest: async () => {
        throw new Error('not used: the lane tests read no store');
      },
      // Every publish here is stable at once (policy direct): no candidate is ever on trial.
      canaryEvidence: async () => {
        throw new Error('not used: no candidate in these tests');
      },
      decideCandidate: async () => {
        throw new Error('not used: no candidate in these tests');
      },
    };
  }

  /** What the real reportFailure does: signal-with-start of the skill's lane, on the workflows' queue. */
  async report(ref: SkillRef, report: FailureReport | unknown): Promise<void> {
    await this.env.client.workflow.signalWithStart(WorkflowTypes.skill, {
      workflowId: workflowIdForSkill(ref),
      taskQueue: this.taskQueue,
      args: [{ ref, config: this.laneConfig }],
      signal: failureSignal,
      // Malformed reports too (the lane counts and drops them): the type is the sender's promise, not the lane's check.
      signalArgs: [report as FailureReport],
    });
  }

  latest() {
    return this.versions[this.versions.length - 1]!;
  }

  /** What everyone has: the newest version not rejected (the world publishes straight to stable). */
  stable() {
    return this.versions.filter((v) => !v.rejected).at(-1)!;
  }

  /** A version published by someone else (not through the lane). */
  pushOutside(): void {
    const version = this.latest().version + 1;
    this.versions.push({ version, body: `${this.stable().body}${version}. Outside edit.\n` });
  }

  reasons(): string[][] {
    return this.proposals.map((p) => p.failures);
  }
}

export interface Armed {
  workflowId: string;
  handle: WorkflowHandleWithSignaledRunId<typeof invocationWorkflow>;
  info: InvocationInfo;
  eventId: string;
  /** Signals a reaction; its event id is fresh unless given. */
  react(text: string, eventId?: string): Promise<void>;
  state(): Promise<InvocationSummary>;
  /** Polls the state query until `ok` holds. */
  until(ok: (s: InvocationSummary) => boolean, timeoutMs?: number): Promise<InvocationSummary>;
  end(reason: string): Promise<void>;
  supersede(byToolUseId: string): Promise<void>;
}

let counter = 0;

/** One scenario: its own skill, its own task queue, a worker with the fake world's activities. */
export class Scenario {
  readonly ref: SkillRef = { name: uniqueName('deploy'), author: 'alice' };
  readonly taskQueue = uniqueName('tq');
  readonly world: FakeSkillWorld;
  private readonly invocations: string[] = [];

  constructor(
    readonly env: TestWorkflowEnvironment,
    readonly name: string,
    laneConfig: Partial<LaneConfig> = {},
  ) {
    this.world = new FakeSkillWorld(env, this.taskQueue, { idleTimeoutMs: 60_000, ...laneConfig });
  }

  get laneId(): string {
    return workflowIdForSkill(this.ref);
  }

  /** The lane's latest run. */
  lane(): WorkflowHandle<typeof skillWorkflow> {
    return this.env.client.workflow.getHandle<typeof skillWorkflow>(this.laneId);
  }

  /** Polls the lane's state query (the lane may not have started yet) until `ok` holds. */
  async untilLane(ok: (s: LaneState) => boolean, timeoutMs?: number): Promise<LaneState> {
    const state = await until(
      () =>
        this.lane()
          .query(laneStateQuery)
          .catch((err: unknown) => {
            if (err instanceof WorkflowNotFoundError) return undefined;
            throw err;
          }),
      (s) => s !== undefined && ok(s),
      timeoutMs,
    );
    return state!;
  }

  /** The lane done with everything it was sent: nothing queued, no proposal running. */
  laneSettled(ok: (s: LaneState) => boolean = () => true): Promise<LaneState> {
    return this.untilLane((s) => s.queued === 0 && !s.improving && ok(s));
  }

  /** Sends a failure report straight to the lane (as a redelivered reportFailure would). */
  sendReport(report: FailureReport | unknown): Promise<void> {
    return this.world.report(this.ref, report);
  }

  /** Arms an invocation the way the flusher does: signal-with-start of `invoked`. */
  async arm(
    opts: { invocation?: Partial<InvocationInfo>; config?: Partial<InvocationConfig>; eventId?: string; withoutStartAttributes?: boolean } = {},
  ): Promise<Armed> {
    const n = ++counter;
    const info: InvocationInfo = {
      sessionId: `session-${n}`,
      toolUseId: `toolu_${n}`,
      user: 'alice',
      agent: 'claude_code',
      skillVersion: 1,
      transcriptPath: `/tmp/session-${n}.jsonl`,
      transcriptBytes: 100,
      ...opts.invocation,
    };
    const eventId = opts.eventId ?? `inv-${n}`;
    const workflowId = workflowIdForInvocation(this.ref, info.sessionId, info.toolUseId);
    const handle = await this.signalInvoked(workflowId, info, eventId, opts.config, !opts.withoutStartAttributes);
    if (!this.invocations.includes(workflowId)) this.invocations.push(workflowId);
    const state = () => handle.query(invocationStateQuery);
    return {
      workflowId,
      handle,
      info,
      eventId,
      react: (text, id = `react-${++counter}`) =>
        handle.signal(reactionSignal, { eventId: id, sessionId: info.sessionId, text, transcriptPath: info.transcriptPath, transcriptBytes: 200 }),
      state,
      until: (ok, timeoutMs) => until(state, ok, timeoutMs),
      end: (reason) => handle.signal(sessionEndedSignal, { eventId: `end-${++counter}`, reason }),
      supersede: (byToolUseId) => handle.signal(supersededSignal, { eventId: `sup-${++counter}`, byToolUseId }),
    };
  }

  /** `startAttributes`: set the search attributes at start, as the flusher does (an older flusher set fewer). */
  signalInvoked(workflowId: string, info: InvocationInfo, eventId: string, config: Partial<InvocationConfig> = {}, startAttributes = true) {
    return this.env.client.workflow.signalWithStart(invocationWorkflow, {
      workflowId,
      taskQueue: this.taskQueue,
      args: [{ ref: this.ref, invocation: info, config }],
      signal: invokedSignal,
      signalArgs: [{ ...info, eventId }],
      ...(startAttributes ? { typedSearchAttributes: invocationSearchAttributes(this.ref, info) } : {}),
    });
  }

  /**
   * Runs the scenario's body with a worker; then records every workflow it
   * touched (each invocation, and the lane if it ran) for the replay tests, when asked.
   */
  async run(body: () => Promise<void>): Promise<void> {
    const worker = await Worker.create({
      connection: this.env.nativeConnection,
      taskQueue: this.taskQueue,
      workflowBundle: await workflowBundle(),
      activities: this.world.activities(),
    });
    await worker.runUntil(body());
    const several = this.invocations.length > 1;
    for (const [i, id] of this.invocations.entries()) {
      await recordHistories(this.env.client, id, `${this.name}.invocation${several ? `-${i + 1}` : ''}`);
    }
    const laneStarted = await this.lane()
      .describe()
      .then(
        () => true,
        () => false,
      );
    if (laneStarted) await recordHistories(this.env.client, this.laneId, `${this.name}.lane`);
  }
}
