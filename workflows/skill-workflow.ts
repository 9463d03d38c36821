// One workflow per shared skill (id "skill:<name>--<author>"), the improvement
// lane: confirmed failures from invocation workflows queue here, and one
// proposal at a time reads the skill, proposes a bounded edit on a failing
// machine, publishes it and records the edit. The workflow id is the mutual
// exclusion: a teammate's `push` update waits for a running proposal, and a
// proposal for a running push. State and transitions: lane-state.ts.
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { FailureReport, Proposal, PushRequest, SkillActivities, SkillSnapshot } from '../activities/types';
import { FailureTypes } from '../activities/types';
import { CandidateDecisionSchema, FailureReportSchema, PushRequestSchema, VerdictRecordedSchema, messageProblem, parseMessage } from '../core/messages';
import { decideCanary } from '../core/rollout';
import { pushRequestProblem } from '../core/push-rules';
import { formatSkillRef, type SkillRef } from '../core/skill-ref';
import { STORE_RETRY, failureMessage, modelActivities, storeActivities as store, storeLocalActivities as storeLocal } from './activity-options';
import {
  SearchAttributes,
  decideUpdate,
  failureSignal,
  laneStateQuery,
  pushUpdate,
  verdictRecordedSignal,
  type CandidateDecision,
  type LaneState,
  type SkillWorkflowInput,
} from './definitions';
import * as machine from './lane-state';
import { decisionProblem, measuring } from './rollout-state';

// A push's sender waits for its answer: a store that does not answer fails the push in minutes, it does not hold the lane.
const pushStore = proxyActivities<SkillActivities>({ startToCloseTimeout: '30 seconds', scheduleToCloseTimeout: '2 minutes', retry: STORE_RETRY });

/** Why the lane of `ref` refuses this push before it enters the history, in the local push's words; undefined when it takes it. */
export function pushProblem(ref: SkillRef, payload: unknown): string | undefined {
  const shape = messageProblem(PushRequestSchema, payload);
  if (shape) return `malformed push: ${shape}`;
  const request = payload as PushRequest;
  if (request.ref.name !== ref.name || request.ref.author !== ref.author) {
    return `a push of ${request.ref.name}--${request.ref.author} was sent to the lane of ${formatSkillRef(ref)}; send it to skill:${request.ref.name}--${request.ref.author}`;
  }
  return pushRequestProblem(request);
}

/** 0.3: a batch no failing machine answered waits for the next report instead of being dropped. */
const PATCH_UNANSWERED_BATCH_WAITS = 'unanswered-batch-waits';

export async function skillWorkflow(input: SkillWorkflowInput): Promise<LaneState> {
  let lane = machine.initialLane(input);
  const { ref } = input;

  setHandler(failureSignal, (payload: unknown) => {
    const report = parseMessage(FailureReportSchema, payload);
    lane = report === undefined ? machine.onMalformed(lane) : machine.onFailureReport(lane, report);
  });
  setHandler(verdictRecordedSignal, (payload: unknown) => {
    lane = parseMessage(VerdictRecordedSchema, payload) === undefined ? machine.onMalformed(lane) : machine.onVerdictRecorded(lane);
  });
  setHandler(laneStateQuery, () => machine.laneState(lane));

  // One holder at a time, first come first served: a proposal's read → publish or a push.
  let ticketsIssued = 0;
  let ticketServed = 0;
  async function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const ticket = ticketsIssued++;
    // Resolves at once when free (no command): histories without pushes replay unchanged.
    await condition(() => ticketServed === ticket);
    try {
      return await work();
    } finally {
      ticketServed++;
    }
  }

  setHandler(
    pushUpdate,
    (request: PushRequest) =>
      exclusive(async () => {
        try {
          const outcome = await pushStore.pushVersion(request);
          if (outcome.status !== 'refused') {
            lane = machine.onVersion(lane, outcome.version);
            if (outcome.candidate) lane = machine.onCandidate(lane, outcome.candidate, Date.now());
            publishAttributes();
          }
          return outcome;
        } catch (err) {
          if (!(err instanceof ActivityFailure)) throw err;
          // The sender gets the activity's own one line.
          const type = err.cause instanceof ApplicationFailure ? err.cause.type : undefined;
          throw ApplicationFailure.create({ message: failureMessage(err), type: type ?? FailureTypes.InvalidInput, nonRetryable: true });
        }
      }),
    {
      validator: (request: unknown) => {
        const problem = pushProblem(ref, request);
        if (problem) throw new Error(problem);
      },
    },
  );

  // A person's approve / reject. A lane started by this update learns its candidate from the store first.
  let started = false;
  const label = formatSkillRef(ref);
  setHandler(
    decideUpdate,
    (request: CandidateDecision) =>
      exclusive(async () => {
        await condition(() => started);
        const problem = decisionProblem(label, lane.rollout, request);
        if (problem) throw ApplicationFailure.create({ message: problem, type: FailureTypes.InvalidInput, nonRetryable: true });
        const to = request.action === 'approve' ? 'stable' : 'rejected';
        const reason = request.reason?.trim() || (to === 'stable' ? 'approved' : 'rejected');
        return decide(request.version, to, request.by, reason);
      }),
    {
      validator: (request: unknown) => {
        const shape = messageProblem(CandidateDecisionSchema, request);
        if (shape) throw new Error(`malformed decision: ${shape}`);
        const problem = started ? decisionProblem(label, lane.rollout, request as CandidateDecision) : undefined;
        if (problem) throw new Error(problem);
      },
    },
  );

  /** The candidate becomes stable or rejected in the store; the trial ends and queued failures may be proposed. */
  async function decide(version: number, to: 'stable' | 'rejected', decidedBy: string, reason: string) {
    const decided = await pushStore.decideCandidate({ ref, version, to, decidedBy, reason });
    lane = machine.onCandidateDecided(lane, to, decided.stableVersion);
    publishAttributes();
    return { version: decided.version, state: decided.state };
  }

  /**
   * One step of the candidate's trial: wait for a verdict on the skill, the
   * period's end or a person; then read the evidence and let the rule decide.
   */
  async function trialStep(): Promise<void> {
    const trial = lane.rollout!;
    const seen = lane.verdictReports;
    const changed = () => lane.rollout !== trial || lane.verdictReports !== seen || continueAsNewDue();
    if (!measuring(trial)) return void (await condition(changed));
    const left = trial.deadlineMs - Date.now();
    if (left > 0) await condition(changed, left);
    if (lane.rollout !== trial || continueAsNewDue()) return;
    const evidence = await store.canaryEvidence({ ref, rollout: trial });
    const reading = decideCanary({ ...evidence, settings: trial.settings, deadlinePassed: Date.now() >= trial.deadlineMs, extended: trial.extended });
    const next = machine.onRolloutReading(lane, reading, Date.now());
    lane = next.lane;
    upsertMemo({ canary: { version: trial.version, reading: reading.reason } });
    if (next.step.kind === 'decide') {
      const { to, reason } = next.step;
      await exclusive(() => decide(trial.version, to, 'skillopt', reason));
    }
  }

  function publishAttributes(): void {
    upsertSearchAttributes([
      { key: SearchAttributes.skillRef, value: formatSkillRef(ref) },
      { key: SearchAttributes.skillName, value: ref.name },
      { key: SearchAttributes.skillAuthor, value: ref.author },
      { key: SearchAttributes.skillVersion, value: lane.version ?? 0 },
      { key: SearchAttributes.improvementsPublished, value: lane.counters.improvementsPublished },
    ]);
  }

  /** A store activity that failed for good (bad input): logged, and the caller moves on. */
  async function orUndefined<T>(what: string, call: Promise<T>): Promise<T | undefined> {
    try {
      return await call;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn(`${what} failed`, { ref: formatSkillRef(ref), error: failureMessage(err) });
      return undefined;
    }
  }

  /**
   * Proposes on the failing machines in turn (their transcripts, their CLI), each
   * given a short schedule-to-start; undefined when none answered.
   */
  async function propose(batch: FailureReport[], snapshot: SkillSnapshot): Promise<Proposal | undefined> {
    const queues = [...new Set(batch.map((r) => r.activityQueue))];
    for (const queue of queues) {
      const models = modelActivities(queue, lane.config.routedScheduleToStartMs);
      const proposal = await orUndefined(
        `proposeEdit on ${queue ?? 'the shared queue'}`,
        models.proposeEdit({ ref, body: snapshot.body, failures: batch.map((r) => r.reason), priorEdits: snapshot.priorEdits, budget: lane.config.editBudget }),
      );
      if (proposal) return proposal;
    }
    return undefined;
  }

  /** read → propose → publish → record for one batch; proposed again once when a concurrent publisher won. */
  async function improve(batch: FailureReport[]): Promise<void> {
    for (;;) {
      const snapshot = await orUndefined('readSkill', store.readSkill(ref));
      if (!snapshot) return void (lane = machine.onProposalEnded(lane, 'unreadable'));
      lane = machine.onVersion(lane, snapshot.version);
      publishAttributes();
      const proposal = await propose(batch, snapshot);
      if (!proposal) return void (lane = patched(PATCH_UNANSWERED_BATCH_WAITS) ? machine.onNoProposer(lane) : machine.onProposalEnded(lane, 'no-proposer'));
      if (!proposal.changed || proposal.fingerprint === '') return void (lane = machine.onProposalEnded(lane, 'no-change'));
      const result = await orUndefined(
        'publishSkill',
        store.publishSkill({
          ref,
          baseVersion: snapshot.version,
          body: proposal.editedBody,
          fingerprint: proposal.fingerprint,
          idempotencyKey: `${workflowInfo().workflowId}@${snapshot.version}:${proposal.fingerprint}`,
        }),
      );
      if (!result) return void (lane = machine.onProposalEnded(lane, 'unreadable'));
      if (result.status === 'published') {
        const { fingerprint, summaries, edits } = proposal;
        await orUndefined('recordEdit', store.recordEdit({ ref, fingerprint, summaries, edits, baseVersion: snapshot.version, publishedVersion: result.version }));
        upsertMemo({ lastImprovement: { version: result.version, reasons: batch.map((r) => r.reason) } });
        if (result.candidate) lane = machine.onCandidate(lane, result.candidate, Date.now());
      }
      const outcome = machine.onPublishResult(lane, result);
      lane = outcome.lane;
      publishAttributes();
      if (!outcome.retry) return;
    }
  }

  function continueAsNewDue(): boolean {
    const info = workflowInfo();
    const after = lane.config.continueAsNewAfterEvents;
    return info.continueAsNewSuggested || (after !== undefined && info.historyLength >= after);
  }

  // A fresh run (not a continuation) learns the version and the count of published edits from the store.
  if (!input.carried) {
    const stats = await storeLocal.describeSkill(ref);
    lane = machine.onVersion({ ...lane, counters: { ...lane.counters, improvementsPublished: stats.improvementsPublished } }, stats.version);
    if (stats.candidate) lane = machine.onCandidate(lane, stats.candidate, Date.now());
  }
  started = true;
  publishAttributes();

  for (;;) {
    if (lane.rollout && !continueAsNewDue()) {
      await trialStep();
      continue;
    }
    const woke = await condition(() => lane.queue.length > 0 || lane.rollout !== undefined || continueAsNewDue(), lane.config.idleTimeoutMs);
    if (!woke || continueAsNewDue()) {
      await condition(allHandlersFinished);
      // A report that came in meanwhile keeps the run going.
      if (!woke && machine.idle(lane)) return machine.laneState(lane);
      if (continueAsNewDue()) await continueAsNew<typeof skillWorkflow>({ ref, config: lane.config, carried: machine.carried(lane) });
    }
    const next = machine.nextProposal(lane);
    lane = next.lane;
    const batch = next.batch;
    if (batch) await exclusive(() => improve(batch));
  }
}
