// Everything a client needs to talk to skillopt's two workflows: their types
// and ids, signals and queries (payload schemas in core/messages.ts), search
// attributes, the task queue. Shared by the workflows, the hooks' flusher, the
// activities, the CLI and the worker.
import { SearchAttributeType, defineSearchAttributeKey, type SearchAttributePair } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { QueryNames, SHARED_TASK_QUEUE, SignalNames, UpdateNames, WorkflowTypes } from '../core/messages';
import type {
  CandidateDecided,
  CandidatePublished,
  CandidateDecision,
  FailureReport,
  InvocationInfo,
  InvokedSignal,
  VerdictRecorded,
  ReactionSignal,
  SessionEndedSignal,
  SupersededSignal,
} from '../core/messages';
import type { PushOutcome, PushRequest } from '../core/push-rules';
import type { CanaryDecision } from '../core/rollout-rules';
import type { CandidateRollout } from '../core/rollout-types';

export type { CandidateRollout };
import { formatSkillRef, type SkillRef } from '../core/skill-ref';
import type { InvocationVerdict, VerdictOutcome } from '../core/verdict';

export type { CandidateDecided, CandidateDecision, CandidatePublished, FailureReport, InvocationInfo, InvokedSignal, ReactionSignal, SessionEndedSignal, SupersededSignal, VerdictRecorded };

export const TASK_QUEUE = SHARED_TASK_QUEUE;
export const INVOCATION_WORKFLOW_TYPE = WorkflowTypes.invocation;
export const SKILL_WORKFLOW_TYPE = WorkflowTypes.skill;
export const STORE_REQUEST_WORKFLOW_TYPE = WorkflowTypes.storeRequest;

// ---- invocation workflow: "invocation:<name>--<author>:<session id>:<tool_use id>" ----

export const invokedSignal = defineSignal<[InvokedSignal]>(SignalNames.invoked);
export const reactionSignal = defineSignal<[ReactionSignal]>(SignalNames.reaction);
export const supersededSignal = defineSignal<[SupersededSignal]>(SignalNames.superseded);
export const sessionEndedSignal = defineSignal<[SessionEndedSignal]>(SignalNames.sessionEnded);

export interface InvocationConfig {
  /** Reactions judged per invocation (SKILLOPT_JUDGE_WINDOW). */
  judgeWindow: number;
  /** An open window with no reaction for this long closes. */
  idleTimeoutMs: number;
  /** After a SessionEnd that a resume can undo, the window stays open this long for one. */
  resumeGraceMs: number;
  /**
   * How long a judgment routed to a machine's own queue waits for that machine's
   * worker (default 24 h; the hooks' SKILLOPT_OFFLINE_JUDGE_HOURS); past it the
   * reaction is not-judged with that reason. Only this invocation waits.
   */
  routedScheduleToStartMs: number;
}

export interface InvocationWorkflowInput {
  ref: SkillRef;
  invocation: InvocationInfo;
  config?: Partial<InvocationConfig>;
}

export interface JudgedReaction {
  eventId: string;
  outcome: VerdictOutcome;
  reason: string;
}

export type WindowPhase = 'open' | 'ended' | 'closed';

export interface InvocationCounters {
  reactions: number;
  duplicateEvents: number;
  /** Reactions that came after the window closed, or were blank. */
  ignoredReactions: number;
  /** Signals ignored because their payload did not match its schema. */
  ignoredMalformed: number;
}

/** The `state` query of an invocation workflow, and (with phase "closed") its result. */
export interface InvocationSummary {
  ref: SkillRef;
  sessionId: string;
  toolUseId: string;
  user: string;
  skillVersion?: number;
  verdict: InvocationVerdict;
  phase: WindowPhase;
  /** Why the window closed: "budget spent", "failure reported", "superseded", "session ended (clear)", "idle", … */
  closedReason?: string;
  /** Reactions still allowed. */
  remaining: number;
  /** Reactions waiting to be judged. */
  queued: number;
  verdicts: JudgedReaction[];
  failureReported: boolean;
  counters: InvocationCounters;
}

export const invocationStateQuery = defineQuery<InvocationSummary>(QueryNames.state);

// ---- skill workflow, the improvement lane: "skill:<name>--<author>" ----

export const failureSignal = defineSignal<[FailureReport]>(SignalNames.failure);
/** A verdict on this skill was recorded: the canary reads its evidence again. */
export const verdictRecordedSignal = defineSignal<[VerdictRecorded]>(SignalNames.verdictRecorded);
/** A candidate the store holds that the lane did not publish: the lane reads the store and starts its trial. */
export const candidatePublishedSignal = defineSignal<[CandidatePublished]>(SignalNames.candidatePublished);


/** The lane's rollout of its one candidate (workflows/rollout-state.ts). */
export interface RolloutState extends CandidateRollout {
  /** When the current period ends (workflow clock, ms). */
  deadlineMs: number;
  /** The one extra period has begun. */
  extended: boolean;
  /** A person decides now (policy approval, or a concluded canary+approval). */
  awaitingApproval: boolean;
  /** The decision rule's latest reading of the evidence. */
  reading?: CanaryDecision;
}

export interface LaneConfig {
  /** Edits per proposal. */
  editBudget: number;
  /** A lane with nothing queued for this long completes; the next failure report starts a new run. */
  idleTimeoutMs: number;
  /** How long a proposal waits for each failing machine's worker in turn (default 2 min). */
  routedScheduleToStartMs: number;
  /** Continue-as-new at this history length even if the server has not suggested it (tests). */
  continueAsNewAfterEvents?: number;
}

export interface LaneCounters {
  failureReports: number;
  duplicateReports: number;
  ignoredMalformed: number;
  proposals: number;
  improvementsPublished: number;
  proposalsWithoutChange: number;
  duplicateProposals: number;
  publishConflicts: number;
  /** Batches dropped because the skill was unreadable (before 0.3: or no machine could propose). */
  droppedBatches: number;
  /** Proposals no failing machine answered: the batch waited for the next report. */
  unansweredProposals: number;
  /** Edits the pre-publish check turned down (0.6; absent from an older run's counters). */
  rejectedByCheck?: number;
  /** Reports dropped because the queue was full (MAX_QUEUED_REPORTS). */
  overflowReports: number;
  /** Candidates made stable (by the evidence or a person). */
  promotions: number;
  /** Candidates rejected (by the evidence or a person). */
  rejections: number;
}

/** What a lane run hands to the next on continue-as-new (JSON only). */
export interface CarriedLane {
  queue: FailureReport[];
  /** A batch no failing machine could propose, waiting for the next report. */
  waiting?: FailureReport[];
  handledInvocations: string[];
  counters: LaneCounters;
  version?: number;
  runs: number;
  rollout?: RolloutState;
  /** A candidatePublished the lane had not looked up yet. */
  candidateNotice?: number;
}

export interface SkillWorkflowInput {
  ref: SkillRef;
  config?: Partial<LaneConfig>;
  carried?: CarriedLane;
}

export interface LaneState {
  ref: SkillRef;
  version?: number;
  /** Failure reports waiting for the next proposal. */
  queued: number;
  /** Reports of a batch no failing machine answered, waiting for the next report (then proposed with it). */
  waiting: number;
  /** Whether a proposal (read → propose → publish → record) is running. */
  improving: boolean;
  counters: LaneCounters;
  runs: number;
  config: LaneConfig;
  /** The candidate on trial, with the rule's latest reading. */
  rollout?: RolloutState;
}

export const laneStateQuery = defineQuery<LaneState>(QueryNames.state);

/**
 * A teammate's push, sent with update-with-start. The validator refuses bad
 * fields before anything enters the history; the handler publishes through the
 * pushVersion activity, never while a proposal of this lane runs.
 */
export const pushUpdate = defineUpdate<PushOutcome, [PushRequest]>(UpdateNames.push);

/**
 * A person approves or rejects the pending candidate (`skillopt approve|reject`,
 * the dashboard). The validator refuses an unknown version or one that is not
 * the pending candidate with one line.
 */
export const decideUpdate = defineUpdate<CandidateDecided, [CandidateDecision]>(UpdateNames.decide);

// ---- search attributes (registered by `skillopt up`, the compose admin job and the tests) ----

export const SearchAttributes = {
  skillRef: defineSearchAttributeKey('SkillRef', SearchAttributeType.KEYWORD),
  skillName: defineSearchAttributeKey('SkillName', SearchAttributeType.KEYWORD),
  skillAuthor: defineSearchAttributeKey('SkillAuthor', SearchAttributeType.KEYWORD),
  skillVersion: defineSearchAttributeKey('SkillVersion', SearchAttributeType.INT),
  /** Invocation workflows: who invoked the skill. */
  skillUser: defineSearchAttributeKey('SkillUser', SearchAttributeType.KEYWORD),
  /** Invocation workflows: pending | passed | failed | not-judged. */
  verdict: defineSearchAttributeKey('Verdict', SearchAttributeType.KEYWORD),
  /** Skill workflows: versions the lane published. */
  improvementsPublished: defineSearchAttributeKey('ImprovementsPublished', SearchAttributeType.INT),
} as const;

export const ALL_SEARCH_ATTRIBUTES = Object.values(SearchAttributes);

/**
 * What an invocation workflow is listed by from its start: the flusher sets these
 * in its signal-with-start, so the run needs no upsert of its own until a verdict.
 * None of it is secret (the user is a login name, never a token).
 */
export function invocationSearchAttributes(ref: SkillRef, invocation: Pick<InvocationInfo, 'user' | 'skillVersion'>): SearchAttributePair[] {
  return [
    { key: SearchAttributes.skillRef, value: formatSkillRef(ref) },
    { key: SearchAttributes.skillName, value: ref.name },
    { key: SearchAttributes.skillAuthor, value: ref.author },
    { key: SearchAttributes.skillUser, value: invocation.user },
    ...(invocation.skillVersion === undefined ? [] : [{ key: SearchAttributes.skillVersion, value: invocation.skillVersion }]),
    { key: SearchAttributes.verdict, value: 'pending' },
  ];
}
