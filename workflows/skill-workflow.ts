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
import type { FailureReport, Proposal, PublishResult, PushOutcome, PushRequest, SkillActivities, SkillSnapshot } from '../activities/types';
import { precheckOutcome, precheckSummary, type CheckAnswer, type CheckOutcome } from '../core/precheck';
import { FailureTypes } from '../core/failure-types';
import {
  CandidateDecisionSchema,
  CandidatePublishedSchema,
  FailureReportSchema,
  PushRequestSchema,
  VerdictRecordedSchema,
  messageProblem,
  parseMessage,
  type Schema,
} from '../core/messages';
import { decideCanary } from '../core/rollout-rules';
import { pushRequestProblem, pushSignatureProblem } from '../core/push-rules';
import { formatSkillRef, type SkillRef } from '../core/skill-ref';
import { STORE_RETRY, failureMessage, modelActivities, storeActivities as store, storeLocalActivities as storeLocal } from './activity-options';
import {
  SearchAttributes,
  candidatePublishedSignal,
  decideUpdate,
  failureSignal,
  laneStateQuery,
  pushUpdate,
  verdictRecordedSignal,
  type CandidateDecided,
  type CandidateDecision,
  type LaneState,
  type SkillWorkflowInput,
} from './definitions';
import * as machine from './lane-state';
import { decisionProblem, decisionSignatureProblem, measuring } from './rollout-state';
import type { Signature } from '../core/signing';

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
  // A signature that cannot be the pusher's never enters the history; whose key it is, and whether they own the skill, the store checks.
  return pushRequestProblem(request) ?? pushSignatureProblem(request as PushRequest);
}

/** 0.3: a batch no failing machine answered waits for the next report instead of being dropped. */
const PATCH_UNANSWERED_BATCH_WAITS = 'unanswered-batch-waits';
/** 0.6: an edit is checked before it is published, when the skill's snapshot asks for it (core/precheck.ts). */
const PATCH_PRECHECK = 'precheck-before-publish';

export async function skillWorkflow(input: SkillWorkflowInput): Promise<LaneState> {
  const run = new LaneRun(input);
  registerHandlers(run);
  await run.start(input);
  for (;;) {
    if (run.candidateNoticed()) {
      await run.exclusive(() => run.lookUpCandidate());
      continue;
    }
    if (run.candidateOnTrial() && !run.continueAsNewDue()) {
      await run.trialStep();
      continue;
    }
    const woke = await run.waitForWork();
    if (!woke || run.continueAsNewDue()) {
      await condition(allHandlersFinished);
      // A report that came in meanwhile keeps the run going.
      if (!woke && run.idle()) return run.laneState();
      if (run.continueAsNewDue()) await continueAsNew<typeof skillWorkflow>(run.continuation());
    }
    const batch = run.takeNextBatch();
    if (batch) await run.exclusive(() => run.improve(batch));
  }
}

/** Signals, the state query and the two updates (push; approve / reject). */
function registerHandlers(run: LaneRun): void {
  setHandler(failureSignal, (payload: unknown) => run.receive(FailureReportSchema, payload, machine.onFailureReport));
  setHandler(verdictRecordedSignal, (payload: unknown) => run.receive(VerdictRecordedSchema, payload, machine.onVerdictRecorded));
  setHandler(candidatePublishedSignal, (payload: unknown) =>
    run.receive(CandidatePublishedSchema, payload, (lane, notice) => machine.onCandidatePublished(lane, notice.version)),
  );
  setHandler(laneStateQuery, () => run.laneState());
  setHandler(pushUpdate, (request: PushRequest) => run.exclusive(() => run.push(request)), {
    validator: (request: unknown) => {
      const problem = run.pushProblem(request);
      if (problem) throw new Error(problem);
    },
  });
  setHandler(decideUpdate, (request: CandidateDecision) => run.exclusive(() => run.personDecides(request)), {
    validator: (request: unknown) => {
      const shape = messageProblem(CandidateDecisionSchema, request);
      if (shape) throw new Error(`malformed decision: ${shape}`);
      const problem = run.decisionProblem(request as CandidateDecision);
      if (problem) throw new Error(problem);
    },
  });
}

/** One run of a skill's lane: its state, changed only through lane-state.ts's transitions, and the steps that change it (the handlers and the loop call them). */
class LaneRun {
  private lane: machine.Lane;
  private readonly ref: SkillRef;
  private readonly label: string;
  /** Set once a fresh run has read the store: approve / reject wait for it. */
  private started = false;
  // One holder at a time, first come first served: a proposal's read → publish, a push, or a decision.
  private ticketsIssued = 0;
  private ticketServed = 0;

  constructor(input: SkillWorkflowInput) {
    this.lane = machine.initialLane(input);
    this.ref = input.ref;
    this.label = formatSkillRef(input.ref);
  }

  /** A signal's payload, parsed: the transition applied, or counted as malformed. */
  receive<T>(schema: Schema<T>, payload: unknown, transition: (lane: machine.Lane, message: T) => machine.Lane): void {
    const parsed = parseMessage(schema, payload);
    this.lane = parsed === undefined ? machine.onMalformed(this.lane) : transition(this.lane, parsed);
  }

  laneState(): LaneState {
    return machine.laneState(this.lane);
  }

  /** Why this lane refuses a push (the update's validator); undefined when it takes it. */
  pushProblem(request: unknown): string | undefined {
    return pushProblem(this.ref, request);
  }

  /** Why this lane refuses an approve / reject (the update's validator); a run that has not read the store yet checks in the handler. */
  decisionProblem(request: CandidateDecision): string | undefined {
    const unsigned = decisionSignatureProblem(this.label, request);
    if (unsigned) return unsigned;
    return this.started ? decisionProblem(this.label, this.lane.rollout, request) : undefined;
  }

  /** A candidatePublished the lane has not looked up yet. */
  candidateNoticed(): boolean {
    return this.lane.candidateNotice !== undefined;
  }

  candidateOnTrial(): boolean {
    return this.lane.rollout !== undefined;
  }

  idle(): boolean {
    return machine.idle(this.lane);
  }

  /** Waits for a failure report, a candidate or a due continue-as-new; false when the lane stayed idle for its timeout. */
  waitForWork(): Promise<boolean> {
    return condition(
      () => this.lane.queue.length > 0 || this.lane.rollout !== undefined || this.lane.candidateNotice !== undefined || this.continueAsNewDue(),
      this.lane.config.idleTimeoutMs,
    );
  }

  /** The next run's input: what this run carries over. */
  continuation(): SkillWorkflowInput {
    return { ref: this.ref, config: this.lane.config, carried: machine.carried(this.lane) };
  }

  /** The queued failure reports to propose from now, if any (none while a proposal runs or a candidate is on trial). */
  takeNextBatch(): FailureReport[] | undefined {
    const next = machine.nextProposal(this.lane);
    this.lane = next.lane;
    return next.batch;
  }

  /** A fresh run (not a continuation) learns the version, the published edits and an open candidate from the store. */
  async start(input: SkillWorkflowInput): Promise<void> {
    if (!input.carried) {
      const noticed = this.lane.candidateNotice;
      const stats = await storeLocal.describeSkill(this.ref);
      const counters = { ...this.lane.counters, improvementsPublished: stats.improvementsPublished };
      this.lane = machine.onVersion({ ...this.lane, counters }, stats.version);
      // The read answers a candidatePublished that started the run.
      this.lane = machine.onCandidateLookedUp(this.lane, stats.candidate, Date.now(), noticed);
    }
    this.started = true;
    this.publishAttributes();
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const ticket = this.ticketsIssued++;
    // Resolves at once when free (no command): histories without pushes replay unchanged.
    await condition(() => this.ticketServed === ticket);
    try {
      return await work();
    } finally {
      this.ticketServed++;
    }
  }

  continueAsNewDue(): boolean {
    const info = workflowInfo();
    const after = this.lane.config.continueAsNewAfterEvents;
    return info.continueAsNewSuggested || (after !== undefined && info.historyLength >= after);
  }

  /** A candidatePublished: the store's open candidate, read now, goes on trial (unless it already is). */
  async lookUpCandidate(): Promise<void> {
    const noticed = this.lane.candidateNotice;
    const stats = await storeLocal.describeSkill(this.ref);
    this.lane = machine.onCandidateLookedUp(machine.onVersion(this.lane, stats.version), stats.candidate, Date.now(), noticed);
    this.publishAttributes();
  }

  /** A teammate's push (the `push` update). */
  async push(request: PushRequest): Promise<PushOutcome> {
    try {
      const outcome = await pushStore.pushVersion(request);
      if (outcome.status !== 'refused') {
        this.lane = machine.onVersion(this.lane, outcome.version);
        if (outcome.candidate) this.lane = machine.onCandidate(this.lane, outcome.candidate, Date.now());
        this.publishAttributes();
      }
      return outcome;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      // The sender gets the activity's own one line.
      const type = err.cause instanceof ApplicationFailure ? err.cause.type : undefined;
      throw ApplicationFailure.create({ message: failureMessage(err), type: type ?? FailureTypes.InvalidInput, nonRetryable: true });
    }
  }

  /** A person's approve / reject (the `decide` update). */
  async personDecides(request: CandidateDecision): Promise<CandidateDecided> {
    await condition(() => this.started);
    const problem = decisionProblem(this.label, this.lane.rollout, request);
    if (problem) throw ApplicationFailure.create({ message: problem, type: FailureTypes.InvalidInput, nonRetryable: true });
    const to = request.action === 'approve' ? 'stable' : 'rejected';
    return this.decide(request.version, to, request.by, request.reason?.trim() || (to === 'stable' ? 'approved' : 'rejected'), request.signature);
  }

  /** The candidate becomes stable or rejected in the store; the trial ends and queued failures may be proposed. */
  private async decide(version: number, to: 'stable' | 'rejected', decidedBy: string, reason: string, signature?: Signature): Promise<CandidateDecided> {
    const decided = await pushStore.decideCandidate({ ref: this.ref, version, to, decidedBy, reason, ...(signature ? { signature } : {}) });
    // The store's answer counts: a promotion of a candidate a newer stable version overtook is a rejection.
    this.lane = machine.onCandidateDecided(this.lane, decided.state === 'stable' ? 'stable' : 'rejected', decided.stableVersion);
    this.publishAttributes();
    return { version: decided.version, state: decided.state };
  }

  /**
   * One step of the candidate's trial: wait for a verdict on the skill, the
   * period's end or a person; then read the evidence and let the rule decide.
   */
  async trialStep(): Promise<void> {
    const trial = this.lane.rollout!;
    const seen = this.lane.verdictReports;
    const changed = () =>
      this.lane.rollout !== trial || this.lane.verdictReports !== seen || this.lane.candidateNotice !== undefined || this.continueAsNewDue();
    if (!measuring(trial)) return void (await condition(changed));
    const left = trial.deadlineMs - Date.now();
    if (left > 0) await condition(changed, left);
    if (this.lane.rollout !== trial || this.lane.candidateNotice !== undefined || this.continueAsNewDue()) return;
    const evidence = await store.canaryEvidence({ ref: this.ref, rollout: trial });
    const reading = decideCanary({ ...evidence, settings: trial.settings, deadlinePassed: Date.now() >= trial.deadlineMs, extended: trial.extended });
    const next = machine.onRolloutReading(this.lane, reading, Date.now());
    this.lane = next.lane;
    upsertMemo({ canary: { version: trial.version, reading: reading.reason } });
    if (next.step.kind === 'decide') {
      const { to, reason } = next.step;
      try {
        await this.exclusive(() => this.decide(trial.version, to, 'skillopt', reason));
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        // The store refused (the candidate changed outside the lane): the lane tries again in an hour, never in a loop.
        log.warn('decideCandidate failed', { ref: this.label, error: failureMessage(err) });
        this.lane = machine.onDecisionRefused(this.lane, Date.now());
      }
    }
  }

  /**
   * read → propose → check → publish → record for one batch; proposed again once
   * when a concurrent publisher won, and once when the pre-publish check turned
   * the edit down (that attempt sees why).
   */
  async improve(batch: FailureReport[]): Promise<void> {
    // The check's reasons for turning the last edit down, for the proposer's second attempt.
    let turnedDown: string[] | undefined;
    for (;;) {
      const snapshot = await this.orUndefined('readSkill', store.readSkill(this.ref));
      if (!snapshot) return void (this.lane = machine.onProposalEnded(this.lane, 'unreadable'));
      this.lane = machine.onVersion(this.lane, snapshot.version);
      this.publishAttributes();
      const proposal = await this.propose(batch, snapshot, turnedDown);
      if (!proposal) {
        this.lane = patched(PATCH_UNANSWERED_BATCH_WAITS) ? machine.onNoProposer(this.lane) : machine.onProposalEnded(this.lane, 'no-proposer');
        return;
      }
      if (!proposal.changed || proposal.fingerprint === '') return void (this.lane = machine.onProposalEnded(this.lane, 'no-change'));
      const precheck = snapshot.precheck && patched(PATCH_PRECHECK) ? await this.precheck(batch, snapshot, proposal, snapshot.precheck.heldOut) : undefined;
      const result = await this.publish(batch, snapshot, proposal, precheck);
      if (!result) return void (this.lane = machine.onProposalEnded(this.lane, 'unreadable'));
      if (result.status === 'rejected' && turnedDown === undefined) {
        this.lane = machine.onCheckRejected(this.lane);
        turnedDown = precheck?.reasons.length ? precheck.reasons : ['the pre-publish check turned it down'];
        continue;
      }
      const outcome = machine.onPublishResult(this.lane, result);
      this.lane = outcome.lane;
      this.publishAttributes();
      if (!outcome.retry) return;
    }
  }

  /**
   * The pre-publish check (core/precheck.ts): each failure the edit came from and
   * up to `heldOut` recent passes of the version it edits, asked on the machine
   * that holds its transcript, all at once, each within the short
   * schedule-to-start a proposal gets; a machine that does not answer is no answer.
   */
  private async precheck(batch: FailureReport[], snapshot: SkillSnapshot, proposal: Proposal, heldOut: number): Promise<CheckOutcome> {
    const passes =
      heldOut > 0
        ? ((await this.orUndefined(
            'precheckEvidence',
            store.precheckEvidence({ ref: this.ref, version: snapshot.version, limit: heldOut, excludeEventIds: batch.map((r) => r.eventId) }),
          )) ?? [])
        : [];
    const evidence = [
      ...batch.flatMap((r) => (r.evidence ? [{ kind: 'failure' as const, evidence: r.evidence }] : [])),
      ...passes.map((evidence) => ({ kind: 'pass' as const, evidence })),
    ];
    const diff = proposal.diff ?? proposal.summaries.join('\n');
    const answers = await Promise.all(
      evidence.map(async ({ kind, evidence: { invocation, reaction } }): Promise<CheckAnswer> => {
        const queue = invocation.activityQueue;
        const what = kind === 'failure' ? 'a failure' : 'a held-out pass';
        const summary = `pre-publish check of ${what} in ${invocation.user}'s session ${invocation.sessionId}, on ${queue ?? 'the shared queue'}`;
        const models = modelActivities(queue, this.lane.config.routedScheduleToStartMs, summary);
        const answer = await this.orUndefined(`checkEdit on ${queue ?? 'the shared queue'}`, models.checkEdit({ ref: this.ref, invocation, reaction, kind, diff }));
        return answer ?? { kind, answer: 'none', reason: `no answer from ${queue ?? 'the shared queue'}` };
      }),
    );
    const outcome = precheckOutcome(answers);
    log.info('pre-publish check', { ref: this.label, decision: outcome.decision, summary: precheckSummary(outcome) });
    return outcome;
  }

  /**
   * Proposes on the failing machines in turn (their transcripts, their CLI), each
   * given a short schedule-to-start; undefined when none answered.
   */
  private async propose(batch: FailureReport[], snapshot: SkillSnapshot, turnedDown?: string[]): Promise<Proposal | undefined> {
    // A second attempt sees why the check turned the first down (the paper's rejected-edit buffer).
    const priorEdits = [...(turnedDown ?? []).map((reason) => `- [turned down by the pre-publish check] ${reason}`), ...snapshot.priorEdits];
    const queues = [...new Set(batch.map((r) => r.activityQueue))];
    for (const queue of queues) {
      const models = modelActivities(queue, this.lane.config.routedScheduleToStartMs);
      const failures = batch.map((r) => r.reason);
      const proposal = await this.orUndefined(
        `proposeEdit on ${queue ?? 'the shared queue'}`,
        models.proposeEdit({
          ref: this.ref,
          body: snapshot.body,
          failures,
          priorEdits,
          budget: this.lane.config.editBudget,
          // The folder: its file list, and the linked text files the proposer may edit (absent from an older worker's snapshot).
          ...(snapshot.files ? { files: snapshot.files } : {}),
          ...(snapshot.linked ? { linked: snapshot.linked } : {}),
        }),
      );
      if (proposal) return proposal;
    }
    return undefined;
  }

  /**
   * Publishes the edited body (idempotent per base version and edit) and, when it
   * is new, remembers the edit: as turned down when the pre-publish check rejected it.
   */
  private async publish(batch: FailureReport[], snapshot: SkillSnapshot, proposal: Proposal, precheck?: CheckOutcome): Promise<PublishResult | undefined> {
    const { fingerprint, summaries, edits } = proposal;
    const result = await this.orUndefined(
      'publishSkill',
      store.publishSkill({
        ref: this.ref,
        baseVersion: snapshot.version,
        body: proposal.editedBody,
        ...(proposal.editedFiles && proposal.editedFiles.length > 0 ? { editedFiles: proposal.editedFiles } : {}),
        fingerprint,
        idempotencyKey: `${workflowInfo().workflowId}@${snapshot.version}:${fingerprint}`,
        ...(precheck ? { precheck } : {}),
      }),
    );
    if (result?.status === 'rejected') {
      await this.orUndefined('recordEdit', store.recordEdit({ ref: this.ref, fingerprint, summaries, edits, baseVersion: snapshot.version, publishedVersion: result.version, status: 'reverted' }));
    }
    if (result?.status === 'published') {
      const record = { ref: this.ref, fingerprint, summaries, edits, baseVersion: snapshot.version, publishedVersion: result.version };
      await this.orUndefined('recordEdit', store.recordEdit(record));
      upsertMemo({ lastImprovement: { version: result.version, reasons: batch.map((r) => r.reason) } });
      if (result.candidate) this.lane = machine.onCandidate(this.lane, result.candidate, Date.now());
    }
    return result;
  }

  private publishAttributes(): void {
    upsertSearchAttributes([
      { key: SearchAttributes.skillRef, value: this.label },
      { key: SearchAttributes.skillName, value: this.ref.name },
      { key: SearchAttributes.skillAuthor, value: this.ref.author },
      { key: SearchAttributes.skillVersion, value: this.lane.version ?? 0 },
      { key: SearchAttributes.improvementsPublished, value: this.lane.counters.improvementsPublished },
    ]);
  }

  /** A store activity that failed for good (bad input): logged, and the caller moves on. */
  private async orUndefined<T>(what: string, call: Promise<T>): Promise<T | undefined> {
    try {
      return await call;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn(`${what} failed`, { ref: this.label, error: failureMessage(err) });
      return undefined;
    }
  }
}
