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
  type ReactionSignal,
  type Schema,
} from '../core/messages';
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
  let state = machine.initialInvocationState(input, Date.now());
  const { ref, invocation } = input;
  const judgeActivities = modelActivities(invocation.activityQueue, state.config.routedScheduleToStartMs);

  // ---- messages: a handler parses its payload and applies one transition ----
  function handle<T>(schema: Schema<T>, apply: (payload: T) => machine.InvocationState) {
    return (payload: unknown): void => {
      const parsed = parseMessage(schema, payload);
      state = parsed === undefined ? machine.onMalformed(state) : apply(parsed);
    };
  }
  setHandler(invokedSignal, handle(InvokedSignalSchema, (s) => machine.onInvoked(state, s)));
  setHandler(reactionSignal, handle(ReactionSignalSchema, (s) => machine.onReaction(state, s, Date.now())));
  setHandler(supersededSignal, handle(SupersededSignalSchema, (s) => machine.onSuperseded(state, s)));
  setHandler(sessionEndedSignal, handle(SessionEndedSignalSchema, (s) => machine.onSessionEnded(state, s, Date.now())));
  setHandler(invocationStateQuery, () => machine.summarize(state));

  // Each upsert is a visibility write on the server: the start's attributes are not
  // written again, and the verdict only when it changes (0.5; before, every verdict).
  const visibilityWhenChanged = patched(PATCH_VISIBILITY_WHEN_CHANGED);
  const listedBy = invocationSearchAttributes(ref, invocation);
  const unset = visibilityWhenChanged ? listedBy.filter((pair) => workflowInfo().typedSearchAttributes.get(pair.key) !== pair.value) : listedBy;
  if (unset.length > 0) upsertSearchAttributes(unset);

  // ---- phases: wait for a reaction or the window's end; judge; record; report ----
  async function judge(reaction: ReactionSignal): Promise<JudgeResult> {
    // An event redelivered after its workflow run ended (its dedup memory gone with it) is
    // never judged twice. On the shared queue judgeReaction asks the store itself; a
    // machine's own worker has none, so the check runs here, on the shared queue.
    if (invocation.activityQueue !== undefined && patched(PATCH_ALREADY_JUDGED_BEFORE_ROUTING)) {
      const prior = await storeCheck.alreadyJudged(reaction.eventId).catch((err: unknown) => {
        if (err instanceof ActivityFailure) return undefined;
        throw err;
      });
      if (prior) return prior;
    }
    try {
      return await judgeActivities.judgeReaction({
        ref,
        invocation,
        reaction: { eventId: reaction.eventId, text: reaction.text, transcriptPath: reaction.transcriptPath, transcriptBytes: reaction.transcriptBytes },
      });
    } catch (err) {
      // Bad input, a judge that kept failing, no worker on the machine's queue: said, never a pass.
      if (!(err instanceof ActivityFailure)) throw err;
      const unserved = err.cause instanceof TimeoutFailure && err.cause.timeoutType === TimeoutType.SCHEDULE_TO_START;
      const reason = unserved
        ? `no worker on ${invocation.activityQueue ?? 'its queue'} picked the judgment up within ${durationText(state.config.routedScheduleToStartMs)} (machine offline?)`
        : failureMessage(err);
      return { outcome: 'not-judged', confidence: 0, reason: `not judged: ${reason}` };
    }
  }

  async function recordAndReport(reaction: ReactionSignal, verdict: JudgeResult): Promise<void> {
    const before = machine.invocationVerdict(state.verdicts);
    const applied = machine.onVerdict(state, reaction.eventId, verdict);
    state = applied.state;
    const after = machine.invocationVerdict(state.verdicts);
    if (!visibilityWhenChanged || after !== before) {
      upsertSearchAttributes([{ key: SearchAttributes.verdict, value: after }]);
      // The reason, redacted, for lists (skillopt status, the dashboard) that read visibility, not histories.
      upsertMemo({ verdictReason: machine.verdictReason(state.verdicts) ?? null });
    }
    await storeLocal.recordVerdict({ ref, invocation, eventId: reaction.eventId, verdict });
    if (applied.reportFailure) {
      await store.reportFailure({
        ref,
        report: {
          invocationId: workflowInfo().workflowId,
          eventId: reaction.eventId,
          reason: verdict.reason,
          user: invocation.user,
          ...(invocation.skillVersion === undefined ? {} : { skillVersion: invocation.skillVersion }),
          ...(invocation.activityQueue === undefined ? {} : { activityQueue: invocation.activityQueue }),
        },
      });
    }
  }

  while (!machine.finished(state)) {
    const timeout = machine.windowTimeoutMs(state, Date.now());
    // A session end moves the deadline (idle → resume grace): wake and wait again with the new one.
    const { phase } = state;
    const ready = () => state.queue.length > 0 || machine.finished(state) || state.phase !== phase;
    if (timeout === undefined) await condition(ready);
    else if (!(await condition(ready, timeout))) state = machine.onWindowTimeout(state);
    const next = machine.nextJudgment(state);
    state = next.state;
    if (next.reaction) await recordAndReport(next.reaction, await judge(next.reaction));
  }
  await condition(allHandlersFinished);
  return machine.summarize(state);
}

function durationText(ms: number): string {
  if (ms >= 2 * 60 * 60_000) return `${Math.round(ms / (60 * 60_000))} h`;
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}
