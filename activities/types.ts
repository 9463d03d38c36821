// The activity interface the workflow schedules. Workflow code imports only
// these types; the implementations live in activities/index.ts.
import type { SkillRef } from '../core/skill-ref';

export interface InvocationInfo {
  sessionId: string;
  toolUseId: string;
  user: string;
  agent: string;
  /** The version installed in the session when the skill was invoked (undefined if unknown). */
  skillVersion?: number;
  transcriptPath: string;
  /** Byte length of the transcript when the skill was invoked: the judged window is read from near here. */
  transcriptBytes: number;
}

export interface JudgeInput {
  ref: SkillRef;
  invocation: InvocationInfo;
  reaction: { eventId: string; text: string; transcriptPath: string; transcriptBytes: number };
}

export interface JudgeResult {
  success: boolean;
  confidence: number;
  reason: string;
  /** False when no model verdict was reached (invocation not in the transcript, blank window): the verdict is the conservative "passed". */
  judged: boolean;
  invocationFound: boolean;
}

export interface SkillSnapshot {
  version: number;
  body: string;
  description: string;
  /** Labelled summaries of edits tried before, newest first. */
  priorEdits: string[];
}

export interface SkillStats {
  /** Latest published version, or undefined for a skill not in the store. */
  version?: number;
  improvementsPublished: number;
  /** Versions published by an edit whose outcome is not known yet. */
  awaitingOutcome: number[];
}

export interface ProposeInput {
  ref: SkillRef;
  body: string;
  failures: string[];
  priorEdits: string[];
  budget: number;
}

export interface Proposal {
  changed: boolean;
  editedBody: string;
  edits: unknown[];
  report: string[];
  summaries: string[];
  fingerprint: string;
}

export interface PublishInput {
  ref: SkillRef;
  baseVersion: number;
  body: string;
  fingerprint: string;
  /** Same key on a retry returns the version already written. */
  idempotencyKey: string;
}

export type PublishResult =
  | { status: 'published'; version: number }
  /** This edit set was tried before for this skill (any machine): nothing published. */
  | { status: 'duplicate' }
  /** Someone else published baseVersion + 1 first: nothing published. */
  | { status: 'conflict'; latestVersion: number };

export interface RecordEditInput {
  ref: SkillRef;
  fingerprint: string;
  summaries: string[];
  edits: unknown[];
  baseVersion: number;
  publishedVersion: number;
}

export interface RecordVerdictInput {
  ref: SkillRef;
  invocation: InvocationInfo;
  eventId: string;
  verdict: JudgeResult;
}

export interface SkillActivities {
  judgeInvocation(input: JudgeInput): Promise<JudgeResult>;
  describeSkill(ref: SkillRef): Promise<SkillStats>;
  readSkill(ref: SkillRef): Promise<SkillSnapshot>;
  proposeEdit(input: ProposeInput): Promise<Proposal>;
  publishSkill(input: PublishInput): Promise<PublishResult>;
  recordEdit(input: RecordEditInput): Promise<void>;
  recordVerdict(input: RecordVerdictInput): Promise<void>;
  resolveEdit(input: { ref: SkillRef; publishedVersion: number; success: boolean }): Promise<void>;
}

/** ApplicationFailure types the activities throw for bad input (never retried). */
export const FailureTypes = {
  TranscriptMissing: 'TranscriptMissing',
  UnknownSkill: 'UnknownSkill',
  InvalidInput: 'InvalidInput',
} as const;
