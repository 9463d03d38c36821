// The invocation workflow's state machine: one armed skill invocation, its
// window of K reactions, and the verdicts on them. Plain data and pure
// transitions, unit-tested without a server; the workflow only wires signals,
// timers and activities to these.
//
//   open ──reaction×K──▶ closed (budget spent; queued reactions are still judged)
//   open ──sessionEnded──▶ ended ──reaction (after a resume)──▶ open
//   open|ended ──superseded | sessionEnded(clear, logout) | idle──▶ closed
//   any ──judged failure──▶ closed: reported to the lane once, nothing more is judged
import type { InvokedSignal, ReactionSignal, SessionEndedSignal, SupersededSignal } from '../core/messages';
import { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_JUDGE_WINDOW, DEFAULT_RESUME_GRACE_MS, DEFAULT_ROUTED_SCHEDULE_TO_START_MS } from '../core/limits';
import type { InvocationVerdict } from '../core/verdict';
import type { JudgeResult } from '../activities/types';
import type { InvocationConfig, InvocationSummary, InvocationWorkflowInput, JudgedReaction, WindowPhase } from './definitions';

export const DEFAULT_INVOCATION_CONFIG: InvocationConfig = {
  judgeWindow: DEFAULT_JUDGE_WINDOW,
  idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
  resumeGraceMs: DEFAULT_RESUME_GRACE_MS,
  routedScheduleToStartMs: DEFAULT_ROUTED_SCHEDULE_TO_START_MS,
};

/** SessionEnd reasons after which the session cannot be resumed into this window. */
const FINAL_END_REASONS = new Set(['clear', 'logout']);

/** Event ids remembered for dedup: a window sees 1 + K (+ a few) events. */
const SEEN_EVENT_IDS_KEPT = 64;

export interface InvocationState {
  input: InvocationWorkflowInput;
  config: InvocationConfig;
  phase: WindowPhase;
  closedReason?: string;
  remaining: number;
  /** Reactions waiting to be judged, oldest first. */
  queue: ReactionSignal[];
  verdicts: JudgedReaction[];
  failureReported: boolean;
  seenEventIds: string[];
  /** Workflow time of the arming or the last reaction or session end: the idle and resume timers count from it. */
  lastActivityAt: number;
  counters: InvocationSummary['counters'];
}

export function initialInvocationState(input: InvocationWorkflowInput, now: number): InvocationState {
  const config = { ...DEFAULT_INVOCATION_CONFIG, ...input.config };
  return {
    input,
    config,
    phase: 'open',
    remaining: config.judgeWindow,
    queue: [],
    verdicts: [],
    failureReported: false,
    seenEventIds: [],
    lastActivityAt: now,
    counters: { reactions: 0, duplicateEvents: 0, ignoredReactions: 0, ignoredMalformed: 0 },
  };
}

function close(state: InvocationState, reason: string): InvocationState {
  if (state.phase === 'closed') return state;
  return { ...state, phase: 'closed', closedReason: reason };
}

/** Records an event id; the state with duplicateEvents counted when it was seen before. */
function remember(state: InvocationState, eventId: string): { state: InvocationState; fresh: boolean } {
  if (state.seenEventIds.includes(eventId)) {
    return { state: { ...state, counters: { ...state.counters, duplicateEvents: state.counters.duplicateEvents + 1 } }, fresh: false };
  }
  return { state: { ...state, seenEventIds: [...state.seenEventIds, eventId].slice(-SEEN_EVENT_IDS_KEPT) }, fresh: true };
}

export function onMalformed(state: InvocationState): InvocationState {
  return { ...state, counters: { ...state.counters, ignoredMalformed: state.counters.ignoredMalformed + 1 } };
}

/** A second arming of the same invocation (hooks in two settings files) changes nothing. */
export function onInvoked(state: InvocationState, signal: InvokedSignal): InvocationState {
  return remember(state, signal.eventId).state;
}

export function onReaction(state: InvocationState, signal: ReactionSignal, now: number): InvocationState {
  const remembered = remember(state, signal.eventId);
  if (!remembered.fresh) return remembered.state;
  let next = remembered.state;
  const ignored = (): InvocationState => ({ ...next, counters: { ...next.counters, ignoredReactions: next.counters.ignoredReactions + 1 } });
  if (next.phase === 'closed' || signal.text.trim() === '') return ignored();
  // A reaction after SessionEnd means the session was resumed: the window is open again.
  next = {
    ...next,
    phase: 'open',
    remaining: next.remaining - 1,
    queue: [...next.queue, signal],
    lastActivityAt: now,
    counters: { ...next.counters, reactions: next.counters.reactions + 1 },
  };
  return next.remaining <= 0 ? close(next, 'budget spent') : next;
}

export function onSuperseded(state: InvocationState, signal: SupersededSignal): InvocationState {
  const remembered = remember(state, signal.eventId);
  if (!remembered.fresh) return remembered.state;
  return close(remembered.state, `superseded by ${signal.byToolUseId || 'a newer invocation'}`);
}

export function onSessionEnded(state: InvocationState, signal: SessionEndedSignal, now: number): InvocationState {
  const remembered = remember(state, signal.eventId);
  if (!remembered.fresh) return remembered.state;
  const next = remembered.state;
  if (FINAL_END_REASONS.has(signal.reason)) return close(next, `session ended (${signal.reason})`);
  if (next.phase !== 'open') return next;
  return { ...next, phase: 'ended', lastActivityAt: now };
}

/** How long the window may still wait for its next event, or undefined when it waits for nothing but its queue. */
export function windowTimeoutMs(state: InvocationState, now: number): number | undefined {
  if (state.phase === 'closed') return undefined;
  const limit = state.phase === 'open' ? state.config.idleTimeoutMs : state.config.resumeGraceMs;
  return Math.max(0, state.lastActivityAt + limit - now);
}

/** The window's timer ran out. */
export function onWindowTimeout(state: InvocationState): InvocationState {
  return close(state, state.phase === 'ended' ? 'session ended, not resumed' : 'idle');
}

/** The next reaction to judge: none once a failure was confirmed (the invocation is not judged again). */
export function nextJudgment(state: InvocationState): { state: InvocationState; reaction?: ReactionSignal } {
  if (state.queue.length === 0) return { state };
  if (state.failureReported) return { state: { ...state, queue: [] } };
  const [reaction, ...rest] = state.queue;
  return { state: { ...state, queue: rest }, reaction };
}

/** A verdict came back. Returns whether it is the invocation's first confirmed failure, to report to the lane. */
export function onVerdict(state: InvocationState, eventId: string, verdict: JudgeResult): { state: InvocationState; reportFailure: boolean } {
  const judged: JudgedReaction = { eventId, outcome: verdict.outcome, reason: verdict.reason };
  let next: InvocationState = { ...state, verdicts: [...state.verdicts, judged] };
  const reportFailure = verdict.outcome === 'failed' && !state.failureReported;
  if (reportFailure) next = close({ ...next, failureReported: true, queue: [] }, 'failure reported');
  return { state: next, reportFailure };
}

/** Whether the run has nothing more to do: closed, nothing left to judge. */
export function finished(state: InvocationState): boolean {
  return state.phase === 'closed' && (state.queue.length === 0 || state.failureReported);
}

/** One word for the invocation: a failure wins, then a pass; only not-judged verdicts are not-judged. */
export function invocationVerdict(verdicts: readonly JudgedReaction[]): InvocationVerdict {
  if (verdicts.some((v) => v.outcome === 'failed')) return 'failed';
  if (verdicts.some((v) => v.outcome === 'passed')) return 'passed';
  return verdicts.length > 0 ? 'not-judged' : 'pending';
}

/** The reason behind invocationVerdict: that of the verdict that made it so (the first with that outcome). */
export function verdictReason(verdicts: readonly JudgedReaction[]): string | undefined {
  const verdict = invocationVerdict(verdicts);
  return verdicts.find((v) => v.outcome === verdict)?.reason;
}

export function summarize(state: InvocationState): InvocationSummary {
  const { ref, invocation } = state.input;
  return {
    ref,
    sessionId: invocation.sessionId,
    toolUseId: invocation.toolUseId,
    user: invocation.user,
    ...(invocation.skillVersion === undefined ? {} : { skillVersion: invocation.skillVersion }),
    verdict: invocationVerdict(state.verdicts),
    phase: state.phase,
    ...(state.closedReason === undefined ? {} : { closedReason: state.closedReason }),
    remaining: Math.max(0, state.remaining),
    queued: state.queue.length,
    verdicts: state.verdicts,
    failureReported: state.failureReported,
    counters: state.counters,
  };
}
