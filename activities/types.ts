// The activity interface the workflows schedule. Workflow code imports only
// these types; the implementations live in activities/create-activities.ts and the modules it puts together.
import type { Signature, Signer } from '../core/signing';
import type { FailureReport, InvocationEvidence, InvocationInfo, StoreReply, StoreRequest } from '../core/messages';
import type { PushOutcome, PushRequest } from '../core/push-rules';
import type { SkillRef } from '../core/skill-ref';
import type { CandidateRollout, VersionEvidence, VersionState } from '../core/rollout-types';
import type { VerdictOutcome } from '../core/verdict';
import type { CheckAnswer, CheckOutcome, EvidenceKind } from '../core/precheck';

// The failure types live in core/ (workflows throw them too); activities keep importing them from here.
export { FailureTypes } from '../core/failure-types';

export type { FailureReport, InvocationInfo, PushOutcome, PushRequest, StoreReply, StoreRequest };

export interface JudgeInput {
  ref: SkillRef;
  invocation: InvocationInfo;
  reaction: { eventId: string; text: string; transcriptPath: string; transcriptBytes: number };
}

/** One invocation the pre-publish check asks about, as the judge saw it, and the edit as a unified diff of the skill. */
export interface CheckEditInput extends JudgeInput {
  kind: EvidenceKind;
  diff: string;
}

export interface JudgeResult {
  outcome: VerdictOutcome;
  confidence: number;
  /** The judge's reason (redacted), or why no verdict could be reached. */
  reason: string;
}

export interface SkillSnapshot {
  version: number;
  body: string;
  description: string;
  /** Labelled summaries of edits tried before, newest first. */
  priorEdits: string[];
  /** The folder's other files, paths and sizes (absent from an older worker). */
  files?: Array<{ path: string; size: number }>;
  /** The text files SKILL.md links to, which the proposer may edit (core/linked-files.ts). */
  linked?: LinkedText[];
  /** Set when edits are checked before publishing (SKILLOPT_PRECHECK=on): how many held-out passes to ask about. */
  precheck?: { heldOut: number };
}

/** A linked text file of a skill's folder, as the proposer sees it and edits it. */
export interface LinkedText {
  path: string;
  text: string;
}

export interface SkillStats {
  /** Latest published version, or undefined for a skill not in the store. */
  version?: number;
  improvementsPublished: number;
  /** A candidate on trial (pushed with --canary, or left by an earlier run). */
  candidate?: CandidateRollout;
}

export interface ProposeInput {
  ref: SkillRef;
  body: string;
  failures: string[];
  priorEdits: string[];
  budget: number;
  files?: Array<{ path: string; size: number }>;
  linked?: LinkedText[];
}

export interface Proposal {
  changed: boolean;
  editedBody: string;
  /** Linked files the edits changed, with their new text. */
  editedFiles?: LinkedText[];
  edits: unknown[];
  report: string[];
  summaries: string[];
  fingerprint: string;
  /** The edit as a unified diff of SKILL.md and each linked file it changed: what the pre-publish check shows (absent from an older worker). */
  diff?: string;
}

export interface PublishInput {
  ref: SkillRef;
  baseVersion: number;
  body: string;
  /** Linked text files the proposal changed; every other file carries over from baseVersion unchanged. */
  editedFiles?: LinkedText[];
  fingerprint: string;
  /** Same key on a retry returns the version already written. */
  idempotencyKey: string;
  /** The pre-publish check's outcome (absent: not checked): a rejection is published as a rejected version nobody gets. */
  precheck?: CheckOutcome;
}


export interface PrecheckEvidenceInput {
  ref: SkillRef;
  /** The version the held-out passes ran. */
  version: number;
  limit: number;
  /** The reactions the proposer saw. */
  excludeEventIds: string[];
}

export type PublishResult =
  /** `candidate`: published as a candidate under the skill's rollout policy (absent: stable at once, policy direct). */
  | { status: 'published'; version: number; candidate?: CandidateRollout }
  /** This edit set was tried before for this skill (any machine): nothing published. */
  | { status: 'duplicate' }
  /** Someone else published baseVersion + 1 first: nothing published. */
  | { status: 'conflict'; latestVersion: number }
  /** The pre-publish check turned it down: recorded as a rejected version, which nobody gets. */
  | { status: 'rejected'; version: number };

export interface RecordEditInput {
  ref: SkillRef;
  fingerprint: string;
  summaries: string[];
  edits: unknown[];
  baseVersion: number;
  publishedVersion: number;
  /** Turned down at once (the pre-publish check rejected its version). */
  status?: 'reverted';
}

export interface RecordVerdictInput {
  ref: SkillRef;
  invocation: InvocationInfo;
  eventId: string;
  verdict: JudgeResult;
  /** The judged reaction (absent from an older workflow): a pass keeps where its window is, for the pre-publish check. */
  reaction?: InvocationEvidence['reaction'];
}

export interface CanaryEvidenceInput {
  ref: SkillRef;
  rollout: CandidateRollout;
}

export interface CanaryEvidence {
  candidate: VersionEvidence;
  stable: VersionEvidence;
}

export interface DecideCandidateInput {
  ref: SkillRef;
  version: number;
  to: 'stable' | 'rejected';
  /** A user name, or `skillopt` for the canary's own decision. */
  decidedBy: string;
  reason: string;
  /** A person's signature of the decision (core/signing `decide`); the canary's is made by the activity with the service key. */
  signature?: Signature;
}

/** The central worker's service key. */
export type ServiceSigner = Signer;

export interface DecideCandidateResult {
  version: number;
  state: VersionState;
  /** The stable version after the decision. */
  stableVersion?: number;
}

export interface ReportFailureInput {
  ref: SkillRef;
  report: FailureReport;
}

/** The activities that need the machine a session ran on (its transcript, its agent CLI): served by its on-demand worker. */
export const MODEL_ACTIVITY_NAMES = ['judgeReaction', 'proposeEdit', 'checkEdit'] as const;
export type ModelActivities = Pick<SkillActivities, (typeof MODEL_ACTIVITY_NAMES)[number]>;

export interface SkillActivities {
  /** One reaction of one invocation, judged by the model (on the invoking machine's queue when routed). */
  judgeReaction(input: JudgeInput): Promise<JudgeResult>;
  /**
   * The event's verdict already in the store (it was redelivered after its
   * workflow run ended) as a not-judged result, or undefined. A store activity on
   * the shared queue, checked before a judgment is routed to a machine, so the
   * machine's worker needs no store.
   */
  alreadyJudged(eventId: string): Promise<JudgeResult | undefined>;
  /** Stores the verdict; a judged verdict on a version an edit published also resolves that edit. */
  recordVerdict(input: RecordVerdictInput): Promise<void>;
  /** Signal-with-start of the skill's lane with a confirmed failure. */
  reportFailure(input: ReportFailureInput): Promise<void>;
  describeSkill(ref: SkillRef): Promise<SkillStats>;
  readSkill(ref: SkillRef): Promise<SkillSnapshot>;
  proposeEdit(input: ProposeInput): Promise<Proposal>;
  /** The held-out passing invocations of a version, where their windows are (the pre-publish check's evidence). */
  precheckEvidence(input: PrecheckEvidenceInput): Promise<InvocationEvidence[]>;
  /** The pre-publish check of an edit on one failing or held-out passing invocation (on the machine that holds its transcript). */
  checkEdit(input: CheckEditInput): Promise<CheckAnswer>;
  publishSkill(input: PublishInput): Promise<PublishResult>;
  recordEdit(input: RecordEditInput): Promise<void>;
  /** The judged invocations of the candidate and of stable over the same period (topped up when too few). */
  canaryEvidence(input: CanaryEvidenceInput): Promise<CanaryEvidence>;
  /** The candidate becomes stable (the old stable retired) or rejected (its edit marked reverted in edit memory). */
  decideCandidate(input: DecideCandidateInput): Promise<DecideCandidateResult>;
  /** A teammate's push (the lane's `push` update): core/push-rules.ts against the store, then the publish. */
  pushVersion(input: PushRequest): Promise<PushOutcome>;
  /** A teammate's read (one page) or attribution row, for storeRequestWorkflow. */
  storeRequest(input: StoreRequest): Promise<StoreReply>;
}
