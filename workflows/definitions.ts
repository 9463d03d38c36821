// Everything a client needs to talk to a skill workflow: signals, the state
// query, search attributes, the task queue. Shared by the workflow, the hooks'
// flusher, the CLI and the worker.
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { SkillRef } from '../core/skill-ref';
import type { InvocationInfo } from '../activities/types';

export const TASK_QUEUE = 'skillopt';
export const SKILL_WORKFLOW_TYPE = 'skillWorkflow';

export interface InvokedSignal extends InvocationInfo {
  eventId: string;
  /** Task queue of the invoking user's own worker for judge/propose; default: the shared queue. */
  activityQueue?: string;
}

export interface ReactionSignal {
  eventId: string;
  sessionId: string;
  /** The user's prompt, capped at MAX_REACTION_BYTES by the sender. */
  text: string;
  transcriptPath: string;
  /** Byte length of the transcript when the user reacted: the judged window ends there. */
  transcriptBytes: number;
}

export const invokedSignal = defineSignal<[InvokedSignal]>('invoked');
export const reactionSignal = defineSignal<[ReactionSignal]>('reaction');

export interface SkillWorkflowConfig {
  /** Reactions judged per invocation (SKILLOPT_JUDGE_WINDOW). */
  judgeWindow: number;
  /** Judgments run at once. */
  maxConcurrentJudgments: number;
  /** Edits per proposal. */
  editBudget: number;
  /** A run with nothing to do for this long completes; an open window with no activity for this long expires. */
  idleTimeoutMs: number;
  /** Continue-as-new at this history length even if the server has not suggested it (tests). */
  continueAsNewAfterEvents?: number;
  /** How long a model activity routed to a user's own queue waits for a worker; default 10 minutes (tests shorten it). */
  routedModelScheduleToStartMs?: number;
  /** Continue-as-new waits while the next run's input (UTF-8 JSON) is larger than this and queued work can shrink it; default 512 KiB (tests lower it). */
  maxCarriedStateBytes?: number;
}

export interface OpenWindow {
  invocation: InvokedSignal;
  remaining: number;
  lastActivityAt: number;
}

export interface QueuedJudgment {
  eventId: string;
  invocation: InvokedSignal;
  reaction: ReactionSignal;
}

export interface BatchedFailure {
  invocationKey: string;
  eventId: string;
  reason: string;
  skillVersion?: number;
  activityQueue?: string;
}

export interface SkillCounters {
  invocations: number;
  reactions: number;
  ignoredReactions: number;
  duplicateEvents: number;
  judged: number;
  passed: number;
  failed: number;
  judgeErrors: number;
  improvementsPublished: number;
  proposalsWithoutChange: number;
  duplicateProposals: number;
  publishConflicts: number;
  /** Signals ignored because their payload was malformed (no event or session id, text not a string). */
  ignoredMalformed: number;
}

/** What a run hands to the next one on continue-as-new (JSON only: no Map or Set). */
export interface CarriedState {
  windows: Record<string, OpenWindow>;
  queue: QueuedJudgment[];
  batch: BatchedFailure[];
  seenEventIds: string[];
  improvedInvocations: string[];
  awaitingOutcome: number[];
  counters: SkillCounters;
  currentVersion?: number;
  runs: number;
}

export interface SkillWorkflowInput {
  ref: SkillRef;
  config?: Partial<SkillWorkflowConfig>;
  carried?: CarriedState;
}

export interface SkillWorkflowState {
  ref: SkillRef;
  currentVersion?: number;
  openWindows: { sessionId: string; toolUseId: string; remaining: number; skillVersion?: number }[];
  queued: number;
  judging: number;
  batchedFailures: number;
  improving: boolean;
  awaitingOutcome: number[];
  counters: SkillCounters;
  runs: number;
  config: SkillWorkflowConfig;
}

export const stateQuery = defineQuery<SkillWorkflowState>('state');

export const SearchAttributes = {
  skillRef: defineSearchAttributeKey('SkillRef', SearchAttributeType.KEYWORD),
  skillName: defineSearchAttributeKey('SkillName', SearchAttributeType.KEYWORD),
  skillAuthor: defineSearchAttributeKey('SkillAuthor', SearchAttributeType.KEYWORD),
  skillVersion: defineSearchAttributeKey('SkillVersion', SearchAttributeType.INT),
  lastVerdict: defineSearchAttributeKey('LastVerdict', SearchAttributeType.KEYWORD),
  improvementsPublished: defineSearchAttributeKey('ImprovementsPublished', SearchAttributeType.INT),
} as const;

export const ALL_SEARCH_ATTRIBUTES = Object.values(SearchAttributes);
