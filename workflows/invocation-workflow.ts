// One workflow per armed skill invocation (id "invocation:<ref>:<session>:<tool_use>"):
// the window of K reactions, each judged on the invoking machine's queue, each
// verdict recorded; the first confirmed failure is reported to the skill's
// lane and ends the judging. State and transitions: invocation-state.ts.
import { TimeoutType } from '@temporalio/common';
import {
  ActivityFailure,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  patched,
  proxyLocalActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { JudgeResult, SkillActivities } from '../activities/types';
import {
  InvokedSignalSchema,
  ReactionSignalSchema,
  SessionEndedSignalSchema,
  SupersededSignalSchema,
  parseMessage,
  type FailureReport,
  type InvocationEvidence,
  type InvocationInfo,
  type ReactionSignal,
  type Schema,
} from '../core/messages';
import type { SkillRef } from '../core/skill-ref';
import {
  SearchAttributes,
  type InvocationSummary,
  type InvocationWorkflowInput,
  invocationSearchAttributes,
  invocationStateQuery,
  invokedSignal,
  reactionSignal,
  sessionEndedSignal,
  supersededSignal,
} from './definitions';
import * as machine from './invocation-state';
import { STORE_RETRY, failureMessage, modelActivities, storeActivities as store, storeLocalActivities as storeLocal } from './activity-options';

// A few tries only: a store that cannot answer now must not cost the judgment.
const storeCheck = proxyLocalActivities<SkillActivities>({ startToCloseTimeout: '10 seconds', retry: { ...STORE_RETRY, maximumAttempts: 3 } });

/** 0.3: a judgment routed to a machine's queue is checked against the store here first (that worker has no store). */
const PATCH_ALREADY_JUDGED_BEFORE_ROUTING = 'already-judged-before-routing';
/** 0.5: search attributes set at start are not upserted again; Verdict and its reason only when the verdict changes. */
const PATCH_VISIBILITY_WHEN_CHANGED = 'visibility-when-changed';

export async function invocationWorkflow(input: InvocationWorkflowInput): Promise<InvocationSummary> {
  const run = new InvocationRun(input);
  registerHandlers(run);
  run.publishStartAttributes();
  while (!run.finished()) {
    await run.waitForReactionOrWindowEnd();
    const reaction = run.takeNextReaction();
    if (reaction) await run.recordAndReport(reaction, await run.judge(reaction));
  }
  await condition(allHandlersFinished);
  return run.summary();
}

/** The four signals and the state query: each signal's payload is parsed and applied as one transition. */
function registerHandlers(run: InvocationRun): void {
  setHandler(invokedSignal, (payload: unknown) => run.receive(InvokedSignalSchema, payload, machine.onInvoked));
  setHandler(reactionSignal, (payload: unknown) => run.receive(ReactionSignalSchema, payload, (state, s) => machine.onReaction(state, s, Date.now())));
  setHandler(supersededSignal, (payload: unknown) => run.receive(SupersededSignalSchema, payload, machine.onSuperseded));
  setHandler(sessionEndedSignal, (payload: unknown) => run.receive(SessionEndedSignalSchema, payload, (state, s) => machine.onSessionEnded(state, s, Date.now())));
  setHandler(invocationStateQuery, () => run.summary());
}

/** One run of an invocation's window: its state, changed only through invocation-state.ts's transitions, and the steps that wait, judge and record. */
class InvocationRun {
  private state: machine.InvocationState;
  private readonly ref: SkillRef;
  private readonly invocation: InvocationInfo;
  private readonly judgeActivities: ReturnType<typeof modelActivities>;
  /** 0.5 and later: visibility is written only when it changes (set by publishStartAttributes()). */
  private visibilityWhenChanged = false;

  constructor(input: InvocationWorkflowInput) {
    this.state = machine.initialInvocationState(input, Date.now());
    this.ref = input.ref;
    this.invocation = input.invocation;
    this.judgeActivities = modelActivities(input.invocation.activityQueue, this.state.config.routedScheduleToStartMs);
  }

  /** A signal's payload, parsed: the transition applied, or counted as malformed. */
  receive<T>(schema: Schema<T>, payload: unknown, transition: (state: machine.InvocationState, message: T) => machine.InvocationState): void {
    const parsed = parseMessage(schema, payload);
    this.state = parsed === undefined ? machine.onMalformed(this.state) : transition(this.state, parsed);
  }

  /**
   * Each upsert is a visibility write on the server: the start's attributes are not
   * written again, and the verdict only when it changes (0.5; before, every verdict).
   */
  publishStartAttributes(): void {
    this.visibilityWhenChanged = patched(PATCH_VISIBILITY_WHEN_CHANGED);
    const listedBy = invocationSearchAttributes(this.ref, this.invocation);
    const unset = this.visibilityWhenChanged ? listedBy.filter((pair) => workflowInfo().typedSearchAttributes.get(pair.key) !== pair.value) : listedBy;
    if (unset.length > 0) upsertSearchAttributes(unset);
  }

  finished(): boolean {
    return machine.finished(this.state);
  }

  summary(): InvocationSummary {
    return machine.summarize(this.state);
  }

  /** Waits for a reaction to judge, the window's end, or a session end (it moves the deadline: idle → resume grace). */
  async waitForReactionOrWindowEnd(): Promise<void> {
    const timeout = machine.windowTimeoutMs(this.state, Date.now());
    const { phase } = this.state;
    const ready = () => this.state.queue.length > 0 || machine.finished(this.state) || this.state.phase !== phase;
    if (timeout === undefined) await condition(ready);
    else if (!(await condition(ready, timeout))) this.state = machine.onWindowTimeout(this.state);
  }

  /** The queued reaction to judge now, if any (none once a failure was confirmed). */
  takeNextReaction(): ReactionSignal | undefined {
    const next = machine.nextJudgment(this.state);
    this.state = next.state;
    return next.reaction;
  }

  /** The reaction's verdict, on the invoking machine's queue when routed; a judgment that could not be made is not-judged, never a pass. */
  async judge(reaction: ReactionSignal): Promise<JudgeResult> {
    // An event redelivered after its workflow run ended (its dedup memory gone with it) is
    // never judged twice. On the shared queue judgeReaction asks the store itself; a
    // machine's own worker has none, so the check runs here, on the shared queue.
    if (this.invocation.activityQueue !== undefined && patched(PATCH_ALREADY_JUDGED_BEFORE_ROUTING)) {
      const prior = await storeCheck.alreadyJudged(reaction.eventId).catch((err: unknown) => {
        if (err instanceof ActivityFailure) return undefined;
        throw err;
      });
      if (prior) return prior;
    }
    try {
      return await this.judgeActivities.judgeReaction({
        ref: this.ref,
        invocation: this.invocation,
        reaction: { eventId: reaction.eventId, text: reaction.text, transcriptPath: reaction.transcriptPath, transcriptBytes: reaction.transcriptBytes },
      });
    } catch (err) {
      // Bad input, a judge that kept failing, no worker on the machine's queue: said, never a pass.
      if (!(err instanceof ActivityFailure)) throw err;
      const unserved = err.cause instanceof TimeoutFailure && err.cause.timeoutType === TimeoutType.SCHEDULE_TO_START;
      const reason = unserved
        ? `no worker on ${this.invocation.activityQueue ?? 'its queue'} picked the judgment up within ${durationText(this.state.config.routedScheduleToStartMs)} (machine offline?)`
        : failureMessage(err);
      return { outcome: 'not-judged', confidence: 0, reason: `not judged: ${reason}` };
    }
  }

  /** The verdict applied, shown in visibility, stored; the invocation's first confirmed failure reported to the skill's lane. */
  async recordAndReport(reaction: ReactionSignal, verdict: JudgeResult): Promise<void> {
    const before = machine.invocationVerdict(this.state.verdicts);
    const applied = machine.onVerdict(this.state, reaction.eventId, verdict);
    this.state = applied.state;
    const after = machine.invocationVerdict(this.state.verdicts);
    if (!this.visibilityWhenChanged || after !== before) {
      upsertSearchAttributes([{ key: SearchAttributes.verdict, value: after }]);
      // The reason, redacted, for lists (skillopt status, the dashboard) that read visibility, not histories.
      upsertMemo({ verdictReason: machine.verdictReason(this.state.verdicts) ?? null });
    }
    await storeLocal.recordVerdict({ ref: this.ref, invocation: this.invocation, eventId: reaction.eventId, verdict, reaction: reactionEvidence(reaction) });
    if (applied.reportFailure) await store.reportFailure({ ref: this.ref, report: this.failureReport(reaction, verdict) });
  }

  private failureReport(reaction: ReactionSignal, verdict: JudgeResult): FailureReport {
    const { user, skillVersion, activityQueue } = this.invocation;
    return {
      invocationId: workflowInfo().workflowId,
      eventId: reaction.eventId,
      reason: verdict.reason,
      user,
      ...(skillVersion === undefined ? {} : { skillVersion }),
      ...(activityQueue === undefined ? {} : { activityQueue }),
      evidence: { invocation: this.invocation, reaction: reactionEvidence(reaction) },
    };
  }
}

/** Where the window a reaction ended is, for reading it again on its machine (the pre-publish check). */
function reactionEvidence(reaction: ReactionSignal): InvocationEvidence['reaction'] {
  return { eventId: reaction.eventId, text: reaction.text, transcriptPath: reaction.transcriptPath, transcriptBytes: reaction.transcriptBytes };
}

function durationText(ms: number): string {
  if (ms >= 2 * 60 * 60_000) return `${Math.round(ms / (60 * 60_000))} h`;
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}
