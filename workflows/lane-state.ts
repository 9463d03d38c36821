// The skill lane's state machine: confirmed failures queue (one per
// invocation), and one proposal at a time takes up to 8 of them. A batch that
// no failing machine answered (all offline) waits, and goes back into the
// queue behind the next report, whose machine is then tried first. Plain data
// and pure transitions, unit-tested without a server.
import type { FailureReport } from '../core/messages';
import { DEFAULT_EDIT_BUDGET, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_PROPOSE_SCHEDULE_TO_START_MS, MAX_FAILURES_PER_PROPOSAL } from '../core/limits';
import type { PublishResult } from '../activities/types';
import type { CanaryDecision } from '../core/rollout-rules';
import type { CandidateRollout, CarriedLane, LaneConfig, LaneCounters, LaneState, RolloutState, SkillWorkflowInput } from './definitions';
import { onReading, startRollout, type RolloutStep } from './rollout-state';

export const DEFAULT_LANE_CONFIG: LaneConfig = {
  editBudget: DEFAULT_EDIT_BUDGET,
  idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
  routedScheduleToStartMs: DEFAULT_PROPOSE_SCHEDULE_TO_START_MS,
};

/** Invocations remembered as handled: a report redelivered later is dropped. Far more than one lane sees between redeliveries. */
const HANDLED_INVOCATIONS_KEPT = 1024;
/**
 * Reports queued at most: 32 proposals' worth, ~0.5 MiB carried at continue-as-new,
 * far below the 2 MiB payload limit. Past it a report is counted and dropped: the
 * queue already holds more evidence than the next proposals can use.
 */
export const MAX_QUEUED_REPORTS = 256;
/** A proposal that lost a publish race is proposed again against the new version this many times. */
export const MAX_PUBLISH_CONFLICT_RETRIES = 1;
/** After the store refused a trial's decision, the lane decides again at most this often. */
export const DECISION_RETRY_MS = 3_600_000;

export interface Lane {
  ref: SkillWorkflowInput['ref'];
  config: LaneConfig;
  queue: FailureReport[];
  /** A batch no failing machine answered: proposed again, behind it, when the next report comes. */
  waiting: FailureReport[];
  /** Invocations whose report was taken into a proposal (newest last, bounded). */
  handledInvocations: string[];
  /** The proposal being worked on, while one runs. */
  proposal?: FailureReport[];
  conflictRetries: number;
  version?: number;
  counters: LaneCounters;
  runs: number;
  /** The candidate on trial: no proposal runs until it is decided (one candidate per skill at a time). */
  rollout?: RolloutState;
  /** verdictRecorded signals seen: the canary reads the evidence again when this moves. */
  verdictReports: number;
  /** A candidate the store has and the lane did not publish (candidatePublished): looked up before anything else. */
  candidateNotice?: number;
}

function emptyCounters(): LaneCounters {
  return {
    failureReports: 0,
    duplicateReports: 0,
    ignoredMalformed: 0,
    proposals: 0,
    improvementsPublished: 0,
    proposalsWithoutChange: 0,
    duplicateProposals: 0,
    publishConflicts: 0,
    droppedBatches: 0,
    unansweredProposals: 0,
    rejectedByCheck: 0,
    overflowReports: 0,
    promotions: 0,
    rejections: 0,
  };
}

export function initialLane(input: SkillWorkflowInput): Lane {
  const carried = input.carried;
  return {
    ref: input.ref,
    config: { ...DEFAULT_LANE_CONFIG, ...input.config },
    queue: [...(carried?.queue ?? [])],
    waiting: [...(carried?.waiting ?? [])],
    handledInvocations: [...(carried?.handledInvocations ?? [])],
    conflictRetries: 0,
    ...(carried?.version === undefined ? {} : { version: carried.version }),
    counters: { ...emptyCounters(), ...carried?.counters },
    runs: (carried?.runs ?? 0) + 1,
    ...(carried?.rollout === undefined ? {} : { rollout: carried.rollout }),
    verdictReports: 0,
    ...(carried?.candidateNotice === undefined ? {} : { candidateNotice: carried.candidateNotice }),
  };
}

function count(lane: Lane, key: keyof LaneCounters, by = 1): Lane {
  return { ...lane, counters: { ...lane.counters, [key]: (lane.counters[key] ?? 0) + by } };
}

export function onMalformed(lane: Lane): Lane {
  return count(lane, 'ignoredMalformed');
}

/** A confirmed failure: queued unless its invocation is queued, in the running proposal, or handled already. */
export function onFailureReport(lane: Lane, report: FailureReport): Lane {
  const id = report.invocationId;
  const known =
    lane.queue.some((r) => r.invocationId === id) ||
    lane.waiting.some((r) => r.invocationId === id) ||
    (lane.proposal ?? []).some((r) => r.invocationId === id) ||
    lane.handledInvocations.includes(id);
  if (known) return count(lane, 'duplicateReports');
  if (lane.queue.length + lane.waiting.length >= MAX_QUEUED_REPORTS) return count(lane, 'overflowReports');
  // A waiting batch goes back into the queue behind this report: its machine is asked first.
  return { ...count(lane, 'failureReports'), queue: [...lane.queue, report, ...lane.waiting], waiting: [] };
}

/** Learned from the store (start of a run, a read, a lost race, a publish): the SkillVersion attribute follows it. */
export function onVersion(lane: Lane, version: number | undefined): Lane {
  return version === undefined || version === lane.version ? lane : { ...lane, version };
}

/** Takes the next batch (up to 8 reports, oldest first) when no proposal runs and no candidate is on trial. */
export function nextProposal(lane: Lane): { lane: Lane; batch?: FailureReport[] } {
  if (lane.proposal || lane.rollout || lane.queue.length === 0) return { lane };
  const batch = lane.queue.slice(0, MAX_FAILURES_PER_PROPOSAL);
  return { lane: { ...count(lane, 'proposals'), queue: lane.queue.slice(batch.length), proposal: batch }, batch };
}

/** The batch is done with: its invocations are remembered as handled, whatever came of it. */
function finishProposal(lane: Lane): Lane {
  const handled = [...lane.handledInvocations, ...(lane.proposal ?? []).map((r) => r.invocationId)];
  const { proposal: _done, ...rest } = lane;
  return { ...rest, handledInvocations: handled.slice(-HANDLED_INVOCATIONS_KEPT), conflictRetries: 0 };
}

/**
 * No failing machine picked the proposal up (all offline): the batch is not
 * dropped. Reports that came in meanwhile are the next report: the batch joins
 * them at once, behind them. Otherwise it waits for the next report.
 */
export function onNoProposer(lane: Lane): Lane {
  const batch = lane.proposal ?? [];
  const { proposal: _unanswered, ...rest } = count(lane, 'unansweredProposals');
  const next: Lane = { ...rest, conflictRetries: 0 };
  return next.queue.length > 0 ? { ...next, queue: [...next.queue, ...batch] } : { ...next, waiting: [...next.waiting, ...batch] };
}

export type ProposalEnd = 'unreadable' | 'no-proposer' | 'no-change';

/** The batch ended before publishing (skill unreadable, no machine could propose, nothing to change). */
export function onProposalEnded(lane: Lane, end: ProposalEnd): Lane {
  const counted = end === 'no-change' ? count(lane, 'proposalsWithoutChange') : count(lane, 'droppedBatches');
  return finishProposal(counted);
}

/** What the publish came to; `retry` when the batch is to be proposed again against the version that won a race. */
export function onPublishResult(lane: Lane, result: PublishResult): { lane: Lane; retry: boolean } {
  switch (result.status) {
    case 'published':
      return { lane: finishProposal(onVersion(count(lane, 'improvementsPublished'), result.version)), retry: false };
    case 'duplicate':
      return { lane: finishProposal(count(lane, 'duplicateProposals')), retry: false };
    case 'rejected':
      return { lane: finishProposal(onCheckRejected(lane)), retry: false };
    case 'conflict': {
      const raced = onVersion(count(lane, 'publishConflicts'), result.latestVersion);
      if (lane.conflictRetries < MAX_PUBLISH_CONFLICT_RETRIES) return { lane: { ...raced, conflictRetries: lane.conflictRetries + 1 }, retry: true };
      return { lane: finishProposal(raced), retry: false };
    }
  }
}

/** The pre-publish check turned the edit down (its version is recorded rejected); the batch may be proposed once more. */
export function onCheckRejected(lane: Lane): Lane {
  return count(lane, 'rejectedByCheck');
}

/** Whether a run with nothing queued, nothing waiting, no proposal running and no candidate on trial may complete. */
export function idle(lane: Lane): boolean {
  return lane.queue.length === 0 && lane.waiting.length === 0 && lane.proposal === undefined && lane.rollout === undefined;
}

// ---------------------------------------------------------------- rollout

/** The store has a candidate the lane did not publish: unless it is already on trial, the lane looks it up. */
export function onCandidatePublished(lane: Lane, version: number): Lane {
  return lane.rollout?.version === version ? lane : { ...lane, candidateNotice: version };
}

/**
 * The lane read the store's open candidate (none: decided meanwhile). The read
 * answers the notice that was there when it began (`answers`), not a newer one
 * that came in during it.
 */
export function onCandidateLookedUp(lane: Lane, candidate: CandidateRollout | undefined, nowMs: number, answers: number | undefined): Lane {
  const { candidateNotice, ...rest } = lane;
  const next = candidateNotice === undefined || candidateNotice === answers ? rest : lane;
  return candidate ? onCandidate(next, candidate, nowMs) : next;
}

/** A candidate was published (by a proposal or a push), or a run found one open: its trial starts. */
export function onCandidate(lane: Lane, candidate: CandidateRollout, nowMs: number): Lane {
  if (lane.rollout?.version === candidate.version) return lane;
  return { ...lane, rollout: startRollout(candidate, nowMs) };
}

export function onVerdictRecorded(lane: Lane): Lane {
  return { ...lane, verdictReports: lane.verdictReports + 1 };
}

/** The decision rule's reading of the evidence, applied (rollout-state.ts onReading). */
export function onRolloutReading(lane: Lane, reading: CanaryDecision, nowMs: number): { lane: Lane; step: RolloutStep } {
  if (!lane.rollout) return { lane, step: { kind: 'wait' } };
  const next = onReading(lane.rollout, reading, nowMs);
  return { lane: { ...lane, rollout: next.rollout }, step: next.step };
}

/** The store refused the trial's decision: the next reading waits for new evidence, or an hour. */
export function onDecisionRefused(lane: Lane, nowMs: number): Lane {
  return lane.rollout ? { ...lane, rollout: { ...lane.rollout, deadlineMs: nowMs + DECISION_RETRY_MS } } : lane;
}

/** The candidate is stable or rejected now: the trial is over and queued failures may be proposed. */
export function onCandidateDecided(lane: Lane, to: 'stable' | 'rejected', stableVersion: number | undefined): Lane {
  const { rollout: _decided, ...rest } = lane;
  const counted = count(rest, to === 'stable' ? 'promotions' : 'rejections');
  return onVersion(counted, stableVersion);
}

export function carried(lane: Lane): CarriedLane {
  // A proposal never runs at continue-as-new: the lane waits for it to finish first.
  return {
    queue: lane.queue,
    ...(lane.waiting.length === 0 ? {} : { waiting: lane.waiting }),
    handledInvocations: lane.handledInvocations,
    counters: lane.counters,
    ...(lane.version === undefined ? {} : { version: lane.version }),
    runs: lane.runs,
    ...(lane.rollout === undefined ? {} : { rollout: lane.rollout }),
    ...(lane.candidateNotice === undefined ? {} : { candidateNotice: lane.candidateNotice }),
  };
}

export function laneState(lane: Lane): LaneState {
  return {
    ref: lane.ref,
    ...(lane.version === undefined ? {} : { version: lane.version }),
    queued: lane.queue.length,
    waiting: lane.waiting.length,
    improving: lane.proposal !== undefined,
    counters: lane.counters,
    runs: lane.runs,
    config: lane.config,
    ...(lane.rollout === undefined ? {} : { rollout: lane.rollout }),
  };
}
