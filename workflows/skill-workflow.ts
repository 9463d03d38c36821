// One long-lived workflow per shared skill (id "skill:<name>--<author>").
// Signals open judgment windows and queue reactions; judgments run in parallel
// (bounded); confirmed failures are batched into one improvement at a time:
// read → propose → publish → record. The workflow id is the mutual exclusion.
//
// Deterministic code only: all I/O is in activities.
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { JudgeResult, SkillActivities } from '../activities/types';
import { DEFAULT_EDIT_BUDGET, DEFAULT_JUDGE_WINDOW, MAX_FAILURES_PER_PROPOSAL } from '../core/limits';
import { formatSkillRef } from '../core/skill-ref';
import {
  type BatchedFailure,
  type CarriedState,
  type InvokedSignal,
  type QueuedJudgment,
  type ReactionSignal,
  SearchAttributes,
  type SkillCounters,
  type SkillWorkflowConfig,
  type SkillWorkflowInput,
  type SkillWorkflowState,
  invokedSignal,
  reactionSignal,
  stateQuery,
} from './definitions';

const DEFAULT_CONFIG: SkillWorkflowConfig = {
  judgeWindow: DEFAULT_JUDGE_WINDOW,
  maxConcurrentJudgments: 4,
  editBudget: DEFAULT_EDIT_BUDGET,
  idleTimeoutMs: 60 * 60 * 1000,
};

/** Event ids remembered for dedup; the outbox redelivers within minutes, not thousands of events later. */
const SEEN_EVENT_IDS_KEPT = 4096;
const IMPROVED_INVOCATIONS_KEPT = 1024;
/**
 * The server warns at a 512 KiB payload and rejects one over 2 MiB: a continue-as-new
 * whose input is too large fails every workflow task. Above this size, continue-as-new
 * waits for the queue to drain (see continueAsNewDeferred).
 */
const MAX_CARRIED_STATE_BYTES = 512 * 1024;
/** A proposal that lost a publish race is retried against the new version this many times. */
const MAX_PUBLISH_CONFLICT_RETRIES = 1;

// patched() ids: each guards a change in the commands a workflow issues, so runs
// recorded before it (test/histories/) replay as they ran.
/** Invocations count as improved the moment their version is published, not after recordEdit. */
const PATCH_MARK_IMPROVED_ON_PUBLISH = 'mark-improved-on-publish';
/** The next run gets the merged config, so a later DEFAULT_CONFIG can't change a running workflow. */
const PATCH_CARRY_MERGED_CONFIG = 'carry-merged-config';
/** An improvement that ends without retrying a conflict resets the conflict retries on every path. */
const PATCH_RESET_CONFLICT_RETRIES = 'reset-conflict-retries';
/** The SkillVersion search attribute follows every version the workflow learns of, not only its own publishes. */
const PATCH_VERSION_ATTRIBUTE_FOLLOWS = 'version-attribute-follows';
/** Continue-as-new waits, judging on, while the state it would carry is too large. */
const PATCH_DEFER_LARGE_CONTINUE_AS_NEW = 'defer-large-continue-as-new';

// Store reads and writes run on the workflow's own task queue: quick, retried
// with backoff until the store is back.
const STORE_RETRY = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' } as const;
const store = proxyActivities<SkillActivities>({ startToCloseTimeout: '30 seconds', retry: STORE_RETRY });
// The per-reaction bookkeeping (verdicts, edit outcomes, the start-of-run read) runs as
// local activities in the workflow's own worker: no round trip through the server, about
// a third fewer history events per reaction.
const storeLocal = proxyLocalActivities<SkillActivities>({ startToCloseTimeout: '30 seconds', retry: STORE_RETRY });

/**
 * How long a model activity routed to a user's own queue waits for that user's worker
 * to pick it up. A laptop that is closed or offline must not stall the skill's
 * workflow (proposals are serialized behind it); past this the judge gives the
 * conservative verdict and a proposal drops its batch. Not retried: a schedule-to-start
 * timeout ends the activity.
 */
const ROUTED_MODEL_SCHEDULE_TO_START_MS = 10 * 60 * 1000;

/** Model activities may run on the reacting user's own queue (their CLI, their transcript). */
function modelActivities(taskQueue: string | undefined, scheduleToStartMs: number) {
  return proxyActivities<SkillActivities>({
    ...(taskQueue ? { taskQueue, scheduleToStartTimeout: scheduleToStartMs } : {}),
    // A model call may take minutes; the agent CLI has its own timeout inside.
    startToCloseTimeout: '5 minutes',
    // A judge that keeps failing must end in the conservative verdict, not retry forever.
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 4 },
  });
}

function emptyCounters(): SkillCounters {
  return {
    invocations: 0,
    reactions: 0,
    ignoredReactions: 0,
    duplicateEvents: 0,
    judged: 0,
    passed: 0,
    failed: 0,
    judgeErrors: 0,
    improvementsPublished: 0,
    proposalsWithoutChange: 0,
    duplicateProposals: 0,
    publishConflicts: 0,
    ignoredMalformed: 0,
  };
}

function invocationKey(invocation: { sessionId: string; toolUseId: string }): string {
  return `${invocation.sessionId}/${invocation.toolUseId}`;
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** Signals come from hooks on many machines and versions: a bad payload is ignored, never thrown in a handler (that would fail every workflow task). */
function wellFormedInvocation(signal: unknown): signal is InvokedSignal {
  const s = signal as Partial<InvokedSignal> | null;
  return typeof s === 'object' && s !== null && isId(s.eventId) && isId(s.sessionId) && typeof s.toolUseId === 'string';
}

function wellFormedReaction(signal: unknown): signal is ReactionSignal {
  const s = signal as Partial<ReactionSignal> | null;
  return typeof s === 'object' && s !== null && isId(s.eventId) && isId(s.sessionId) && typeof s.text === 'string';
}

/** Bytes of a string in UTF-8 (what the JSON payload converter sends), without TextEncoder. */
function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair: one 4-byte code point
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

export async function skillWorkflow(input: SkillWorkflowInput): Promise<SkillCounters> {
  const { ref } = input;
  const config: SkillWorkflowConfig = { ...DEFAULT_CONFIG, ...input.config };
  const carried = input.carried;
  const routedScheduleToStartMs = config.routedModelScheduleToStartMs ?? ROUTED_MODEL_SCHEDULE_TO_START_MS;
  const maxCarriedStateBytes = config.maxCarriedStateBytes ?? MAX_CARRIED_STATE_BYTES;
  // Asked here, not at continue-as-new: that point waits for local activities, whose results
  // replay may deliver in a different workflow task, so a marker there would not replay.
  const carryMergedConfig = patched(PATCH_CARRY_MERGED_CONFIG);

  // ---- state (everything here is carried across continue-as-new) ----
  const windows = new Map(Object.entries(carried?.windows ?? {}));
  const queue: QueuedJudgment[] = [...(carried?.queue ?? [])];
  let batch: BatchedFailure[] = [...(carried?.batch ?? [])];
  const seenEventIds: string[] = [...(carried?.seenEventIds ?? [])];
  const seen = new Set(seenEventIds);
  const improvedInvocations: string[] = [...(carried?.improvedInvocations ?? [])];
  const improved = new Set(improvedInvocations);
  let awaitingOutcome: number[] = [...(carried?.awaitingOutcome ?? [])];
  const counters: SkillCounters = { ...emptyCounters(), ...carried?.counters };
  let currentVersion = carried?.currentVersion;
  const runs = (carried?.runs ?? 0) + 1;
  let judging = 0;
  let improving = false;
  let publishConflictRetries = 0;
  // Work runs detached so judgments overlap; an unexpected error is raised in the
  // main loop, which fails the workflow task (retried after a fix) instead of vanishing.
  let fatal: unknown;

  function remember(eventId: string): boolean {
    if (seen.has(eventId)) {
      counters.duplicateEvents++;
      return false;
    }
    seen.add(eventId);
    seenEventIds.push(eventId);
    if (seenEventIds.length > SEEN_EVENT_IDS_KEPT) seen.delete(seenEventIds.shift()!);
    return true;
  }

  function markImproved(key: string): void {
    if (improved.has(key)) return;
    improved.add(key);
    improvedInvocations.push(key);
    if (improvedInvocations.length > IMPROVED_INVOCATIONS_KEPT) improved.delete(improvedInvocations.shift()!);
  }

  // ---- signals and query: handlers only change state; the main loop does the work ----
  setHandler(invokedSignal, (signal: InvokedSignal) => {
    if (!wellFormedInvocation(signal)) {
      counters.ignoredMalformed++;
      return;
    }
    if (!remember(signal.eventId)) return;
    counters.invocations++;
    // A newer invocation in the same session replaces the open one.
    windows.set(signal.sessionId, { invocation: signal, remaining: config.judgeWindow, lastActivityAt: Date.now() });
  });

  setHandler(reactionSignal, (signal: ReactionSignal) => {
    if (!wellFormedReaction(signal)) {
      counters.ignoredMalformed++;
      return;
    }
    if (!remember(signal.eventId)) return;
    const window = windows.get(signal.sessionId);
    if (!window || signal.text.trim() === '') {
      counters.ignoredReactions++;
      return;
    }
    counters.reactions++;
    window.remaining--;
    window.lastActivityAt = Date.now();
    if (window.remaining <= 0) windows.delete(signal.sessionId);
    queue.push({ eventId: signal.eventId, invocation: window.invocation, reaction: signal });
  });

  setHandler(stateQuery, (): SkillWorkflowState => ({
    ref,
    currentVersion,
    openWindows: [...windows.entries()].map(([sessionId, w]) => ({
      sessionId,
      toolUseId: w.invocation.toolUseId,
      remaining: w.remaining,
      skillVersion: w.invocation.skillVersion,
    })),
    queued: queue.length,
    judging,
    batchedFailures: batch.length,
    improving,
    awaitingOutcome,
    counters,
    runs,
    config,
  }));

  function publishAttributes(): void {
    upsertSearchAttributes([
      { key: SearchAttributes.skillRef, value: formatSkillRef(ref) },
      { key: SearchAttributes.skillName, value: ref.name },
      { key: SearchAttributes.skillAuthor, value: ref.author },
      { key: SearchAttributes.skillVersion, value: currentVersion ?? 0 },
      { key: SearchAttributes.improvementsPublished, value: counters.improvementsPublished },
    ]);
  }

  /** A version learned from the store (an outside push, a lost race): the UI's SkillVersion filter must show it too. */
  function learnVersion(version: number): void {
    if (version === currentVersion) return;
    currentVersion = version;
    if (patched(PATCH_VERSION_ATTRIBUTE_FOLLOWS)) upsertSearchAttributes([{ key: SearchAttributes.skillVersion, value: version }]);
  }

  // ---- work ----
  /**
   * Bookkeeping writes (local activities) never change what the workflow decides:
   * on replay, local activity results may arrive grouped differently than they
   * did live, so nothing the main loop reads may depend on when they finish.
   * Only continue-as-new and completion wait for them.
   */
  let pendingWrites = 0;
  function writeInBackground(what: string, write: Promise<unknown>): void {
    pendingWrites++;
    void logActivityFailure(what, write)
      .catch((err: unknown) => (fatal ??= err))
      .finally(() => pendingWrites--);
  }

  /** Store activities retry until the store answers; what still fails is bad input, logged and skipped. */
  async function logActivityFailure<T>(what: string, call: Promise<T>): Promise<T | undefined> {
    try {
      return await call;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn(`${what} failed`, { ref: formatSkillRef(ref), error: failureMessage(err) });
      return undefined;
    }
  }

  async function judge(task: QueuedJudgment): Promise<void> {
    const key = invocationKey(task.invocation);
    const models = modelActivities(task.invocation.activityQueue, routedScheduleToStartMs);
    let verdict: JudgeResult;
    try {
      verdict = await models.judgeInvocation({
        ref,
        invocation: task.invocation,
        reaction: {
          eventId: task.eventId,
          text: task.reaction.text,
          transcriptPath: task.reaction.transcriptPath,
          transcriptBytes: task.reaction.transcriptBytes,
        },
      });
    } catch (err) {
      // Bad input or a judge that kept failing: the conservative verdict. A flaky
      // judge must never manufacture a failure.
      counters.judgeErrors++;
      verdict = { success: true, confidence: 0, reason: `not judged: ${failureMessage(err)}`, judged: false, invocationFound: false };
    }
    counters.judged++;
    if (verdict.success) counters.passed++;
    else counters.failed++;
    upsertSearchAttributes([{ key: SearchAttributes.lastVerdict, value: verdict.success ? 'passed' : 'failed' }]);

    // One improvement per invocation: a second failure of the same invocation adds nothing.
    const version = task.invocation.skillVersion;
    if (!verdict.success && verdict.judged && !improved.has(key) && !batch.some((f) => f.invocationKey === key)) {
      batch.push({
        invocationKey: key,
        eventId: task.eventId,
        reason: verdict.reason,
        skillVersion: version,
        activityQueue: task.invocation.activityQueue,
      });
    }

    writeInBackground('recordVerdict', storeLocal.recordVerdict({ ref, invocation: task.invocation, eventId: task.eventId, verdict }));
    // Credit an edit by the version this session actually had in context.
    if (verdict.judged && version !== undefined && awaitingOutcome.includes(version)) {
      awaitingOutcome = awaitingOutcome.filter((v) => v !== version);
      writeInBackground('resolveEdit', storeLocal.resolveEdit({ ref, publishedVersion: version, success: verdict.success }));
    }
  }

  async function improve(): Promise<void> {
    let retryingConflict = false;
    try {
      retryingConflict = await improveOnce();
    } finally {
      // Otherwise a conflict retry that ended early (unreadable skill, proposer down, no change)
      // would leave the count spent, and a later batch's conflict would not be retried.
      if (!retryingConflict && publishConflictRetries > 0 && patched(PATCH_RESET_CONFLICT_RETRIES)) publishConflictRetries = 0;
    }
  }

  /** One read → propose → publish → record; true when it lost a publish race and the batch is to be proposed again. */
  async function improveOnce(): Promise<boolean> {
    const failures = batch.slice(0, MAX_FAILURES_PER_PROPOSAL);
    let snapshot;
    try {
      snapshot = await store.readSkill(ref);
    } catch (err) {
      log.warn('skill not readable; dropping its failures', { ref: formatSkillRef(ref), error: failureMessage(err) });
      batch = batch.slice(failures.length);
      return false;
    }
    learnVersion(snapshot.version);
    const models = modelActivities(failures[0]?.activityQueue, routedScheduleToStartMs);
    let proposal;
    try {
      proposal = await models.proposeEdit({
        ref,
        body: snapshot.body,
        failures: failures.map((f) => f.reason),
        priorEdits: snapshot.priorEdits,
        budget: config.editBudget,
      });
    } catch (err) {
      log.warn('proposer failed; dropping this batch', { ref: formatSkillRef(ref), error: failureMessage(err) });
      batch = batch.slice(failures.length);
      return false;
    }
    if (!proposal.changed || proposal.fingerprint === '') {
      counters.proposalsWithoutChange++;
      batch = batch.slice(failures.length);
      return false;
    }
    const published = await logActivityFailure(
      'publishSkill',
      store.publishSkill({
        ref,
        baseVersion: snapshot.version,
        body: proposal.editedBody,
        fingerprint: proposal.fingerprint,
        idempotencyKey: `${workflowInfo().workflowId}@${snapshot.version}:${proposal.fingerprint}`,
      }),
    );
    if (!published) {
      batch = batch.slice(failures.length);
      return false;
    }
    if (published.status === 'conflict') {
      // Someone published first: propose again against their version, once.
      counters.publishConflicts++;
      learnVersion(published.latestVersion);
      if (publishConflictRetries++ < MAX_PUBLISH_CONFLICT_RETRIES) return true;
      publishConflictRetries = 0;
      batch = batch.slice(failures.length);
      return false;
    }
    publishConflictRetries = 0;
    batch = batch.slice(failures.length);
    if (published.status === 'duplicate') {
      counters.duplicateProposals++;
      return false;
    }
    // Marked now, with the batch slice: a failure of the same invocation judged while
    // recordEdit runs would otherwise start a second improvement from one invocation.
    const markedOnPublish = patched(PATCH_MARK_IMPROVED_ON_PUBLISH);
    if (markedOnPublish) for (const failure of failures) markImproved(failure.invocationKey);
    await logActivityFailure(
      'recordEdit',
      store.recordEdit({
        ref,
        fingerprint: proposal.fingerprint,
        summaries: proposal.summaries,
        edits: proposal.edits,
        baseVersion: snapshot.version,
        publishedVersion: published.version,
      }),
    );
    currentVersion = published.version;
    awaitingOutcome.push(published.version);
    counters.improvementsPublished++;
    if (!markedOnPublish) for (const failure of failures) markImproved(failure.invocationKey);
    publishAttributes();
    upsertMemo({ lastImprovement: { version: published.version, reasons: failures.map((f) => f.reason) } });
    return false;
  }

  function launch(work: Promise<void>, done: () => void): void {
    work.catch((err: unknown) => (fatal ??= err)).finally(done);
  }

  function nextJudgment(): QueuedJudgment | undefined {
    // An invocation whose failure already led to a published improvement is not judged again.
    while (queue.length > 0) {
      const task = queue.shift()!;
      if (!improved.has(invocationKey(task.invocation))) return task;
    }
    return undefined;
  }

  function continueAsNewDue(): boolean {
    const info = workflowInfo();
    return (
      info.continueAsNewSuggested ||
      (config.continueAsNewAfterEvents !== undefined && info.historyLength >= config.continueAsNewAfterEvents)
    );
  }

  /** The next run's input: everything carried across continue-as-new. */
  function nextRunInput(): SkillWorkflowInput {
    const next: CarriedState = {
      windows: Object.fromEntries(windows),
      queue,
      batch,
      seenEventIds,
      improvedInvocations,
      awaitingOutcome,
      counters,
      currentVersion,
      runs,
    };
    return { ref, config: carryMergedConfig ? config : input.config, carried: next };
  }

  /**
   * Whether a due continue-as-new waits: its input would be too large (a burst of long
   * reactions queued behind the judgment slots) and judging the queue shrinks it. Safe
   * to wait: the history's hard limit (51,200 events / 50 MB) is far past the server's
   * suggestion (4,096 events), while an input over 2 MiB would fail every workflow task.
   * With nothing queued, waiting could not help: the run continues at any size.
   * Only called at points the main loop reaches on signals and activity results (never
   * local activities), so the patch marker is met at the same point on replay.
   */
  function continueAsNewDeferred(): boolean {
    if (queue.length === 0 && batch.length === 0) return false;
    if (utf8Bytes(JSON.stringify(nextRunInput())) <= maxCarriedStateBytes) return false;
    return patched(PATCH_DEFER_LARGE_CONTINUE_AS_NEW);
  }

  function canJudge(): boolean {
    return queue.length > 0 && judging < config.maxConcurrentJudgments;
  }

  function canImprove(): boolean {
    return batch.length > 0 && !improving;
  }

  function expireIdleWindows(): void {
    const now = Date.now();
    for (const [sessionId, w] of windows) {
      if (now - w.lastActivityAt >= config.idleTimeoutMs) windows.delete(sessionId);
    }
  }

  // A fresh run (not a continuation) learns what must outlive runs from the store.
  if (!carried) {
    const stats = await storeLocal.describeSkill(ref);
    currentVersion = stats.version;
    awaitingOutcome = stats.awaitingOutcome;
    counters.improvementsPublished = stats.improvementsPublished;
    publishAttributes();
  }

  /** Continue-as-new is due but waits for the queue to drain (continueAsNewDeferred); rechecked whenever the loop wakes. */
  let deferringContinueAsNew = false;
  for (;;) {
    // While deferring, a due continue-as-new is no reason to wake: the loop wakes when a
    // judgment slot frees up or work finishes, and checks the size again then.
    const hasWork = () =>
      fatal !== undefined || canJudge() || canImprove() || (continueAsNewDue() && !deferringContinueAsNew);
    if (judging === 0 && !improving && queue.length === 0 && batch.length === 0) {
      // Nothing queued: deferring could not shrink the carried state.
      deferringContinueAsNew = false;
      // Idle: wait for a signal, at most the idle timeout.
      if (!(await condition(hasWork, config.idleTimeoutMs))) {
        expireIdleWindows();
        if (windows.size === 0) {
          await condition(() => pendingWrites === 0 && allHandlersFinished());
          // A signal that came in meanwhile keeps the run going.
          if (windows.size === 0 && queue.length === 0) return counters;
        }
        continue;
      }
    } else {
      // Busy: in-flight work wakes us when it finishes; no timer needed.
      await condition(() => hasWork() || (judging === 0 && !improving));
    }
    if (fatal !== undefined) throw fatal;
    if (continueAsNewDue()) deferringContinueAsNew = continueAsNewDeferred();
    if (continueAsNewDue() && !deferringContinueAsNew) {
      // Finish what is in flight, then hand everything queued to the next run.
      await condition(() => judging === 0 && !improving);
      if (fatal !== undefined) throw fatal;
      // Reactions may have queued while the last judgments ran: checked again before the
      // local writes are awaited (their results may replay in another workflow task).
      deferringContinueAsNew = continueAsNewDeferred();
      if (!deferringContinueAsNew) {
        await condition(() => pendingWrites === 0 && allHandlersFinished());
        if (fatal !== undefined) throw fatal;
        await continueAsNew<typeof skillWorkflow>(nextRunInput());
      }
    }
    while (canJudge()) {
      const task = nextJudgment();
      if (!task) break;
      judging++;
      launch(judge(task), () => judging--);
    }
    if (canImprove()) {
      improving = true;
      launch(improve(), () => (improving = false));
    }
  }
}
