// The message contract: the payload of every signal the hooks, the CLI and the
// activities send to skillopt's workflows, as one schema each. Senders build
// these types; the flusher validates a spooled event with the same schema the
// workflow's handler checks it with, so the two can never disagree.
//
// valibot: typed schemas whose TypeScript types are inferred from the one
// definition, pure JS with no Node built-ins (it runs inside the workflow
// sandbox) and tree-shaken to the few functions used.
import * as v from 'valibot';
import { PRECHECK_SETTINGS, ROLLOUT_POLICIES } from './rollout-types';
import { MAX_REACTION_BYTES, MAX_VERDICT_REASON_CHARS } from './limits';
import type { SkillSummary, StoredSkillPage } from './dashboard-views';
import type { SkillReport } from './skill-reports';
import type { VersionState, VersionTransition } from './rollout-types';
import { CHUNK_BYTES, type TreeFile } from './skill-tree';
import type { Signature } from './signing';
import type { SkillSigners, VersionSignature } from './trust';
import type { CheckOutcome } from './precheck';

/** Workflow types and the names of their signals and queries: the workflows define them from these, senders use them. */
export const WorkflowTypes = { invocation: 'invocationWorkflow', skill: 'skillWorkflow', storeRequest: 'storeRequestWorkflow' } as const;
/** The shared task queue: workflows and store activities, served by the central (or embedded) worker. */
export const SHARED_TASK_QUEUE = 'skillopt';
export const SignalNames = {
  invoked: 'invoked',
  reaction: 'reaction',
  superseded: 'superseded',
  sessionEnded: 'sessionEnded',
  failure: 'failure',
  verdictRecorded: 'verdictRecorded',
  candidatePublished: 'candidatePublished',
} as const;
export const QueryNames = { state: 'state' } as const;
export const UpdateNames = { push: 'push', decide: 'decide' } as const;

const id = v.pipe(v.string(), v.minLength(1), v.maxLength(512));
const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const text = (max: number) => v.pipe(v.string(), v.maxLength(max));

/** One armed invocation of a shared skill in one agent session. */
export const InvocationInfoSchema = v.object({
  sessionId: id,
  /** The Skill tool call's id; with the session id it names the invocation. */
  toolUseId: v.string(),
  user: text(256),
  agent: text(64),
  /** The version installed in the session when the skill was invoked (undefined if unknown). */
  skillVersion: v.optional(count),
  transcriptPath: text(4096),
  /** Byte length of the transcript when the skill was invoked: the judged window is read from near here. */
  transcriptBytes: count,
  /** Task queue of the invoking machine's own worker for judge/propose; default: the shared queue. */
  activityQueue: v.optional(id),
});
export type InvocationInfo = v.InferOutput<typeof InvocationInfoSchema>;

/** `invoked`: the hook saw the Skill tool call. A duplicate (hooks in two settings files) has the same event id. */
export const InvokedSignalSchema = v.object({ ...InvocationInfoSchema.entries, eventId: id });
export type InvokedSignal = v.InferOutput<typeof InvokedSignalSchema>;

/** `reaction`: the user's next prompt while the invocation's window is open. */
export const ReactionSignalSchema = v.object({
  eventId: id,
  sessionId: id,
  /** The user's prompt, secrets redacted, capped at MAX_REACTION_BYTES by the sender (UTF-16 units here: a looser bound). */
  text: text(MAX_REACTION_BYTES),
  transcriptPath: text(4096),
  /** Byte length of the transcript when the user reacted: the judged window ends there. */
  transcriptBytes: count,
});
export type ReactionSignal = v.InferOutput<typeof ReactionSignalSchema>;

/** `superseded`: a newer invocation in the same session took over the window. */
export const SupersededSignalSchema = v.object({ eventId: id, byToolUseId: v.string() });
export type SupersededSignal = v.InferOutput<typeof SupersededSignalSchema>;

/** `sessionEnded`: the agent's SessionEnd hook, with the agent's reason ("clear", "logout", "prompt_input_exit", …). */
export const SessionEndedSignalSchema = v.object({ eventId: id, reason: text(64) });
export type SessionEndedSignal = v.InferOutput<typeof SessionEndedSignalSchema>;

/**
 * Where an invocation's judged window is, for reading it again on the machine
 * that holds it (the pre-publish check): the invocation, and the reaction that
 * ended the window.
 */
export const InvocationEvidenceSchema = v.object({
  invocation: InvocationInfoSchema,
  reaction: v.object({ eventId: id, text: text(MAX_REACTION_BYTES), transcriptPath: text(4096), transcriptBytes: count }),
});
export type InvocationEvidence = v.InferOutput<typeof InvocationEvidenceSchema>;

/** `failure`: an invocation's confirmed failure, reported to its skill's lane. */
export const FailureReportSchema = v.object({
  /** The reporting invocation's workflow id: one report per invocation is used. */
  invocationId: id,
  /** The reaction whose verdict was the failure. */
  eventId: id,
  reason: text(MAX_VERDICT_REASON_CHARS * 2),
  user: text(256),
  skillVersion: v.optional(count),
  /** Where the failing session's transcript is: its machine's queue proposes. */
  activityQueue: v.optional(id),
  /** The failing window, for the pre-publish check of an edit proposed from it (absent from an older worker's report). */
  evidence: v.optional(InvocationEvidenceSchema),
});
export type FailureReport = v.InferOutput<typeof FailureReportSchema>;

const RefSchema = v.object({ name: v.string(), author: v.string() });

/** `verdictRecorded`: a verdict on one of the skill's versions is in the store, sent to its lane while a candidate is on trial. */
export const VerdictRecordedSchema = v.object({ version: count, outcome: v.picklist(['passed', 'failed', 'not-judged']) });
export type VerdictRecorded = v.InferOutput<typeof VerdictRecordedSchema>;

/** `candidatePublished`: a candidate was written to the store outside the lane (a person's `push --canary` on the store's machine). */
export const CandidatePublishedSchema = v.object({ version: count });
export type CandidatePublished = v.InferOutput<typeof CandidatePublishedSchema>;

/** `decide` (an update on the skill's lane): a person approves or rejects the pending candidate. */
/** A signature as it crosses the wire (core/signing.ts Signature); whether it verifies is checked where it is accepted. */
export const SignatureSchema = v.object({ signer: text(256), key: text(64), sig: text(128) });

export const CandidateDecisionSchema = v.object({
  version: v.pipe(count, v.minValue(1)),
  action: v.picklist(['approve', 'reject']),
  by: v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
  reason: v.optional(text(1000)),
  /** The version's tree hash, as the decider read it: the signature names it (core/signing `decide`). */
  tree: v.optional(text(64)),
  /** The decider's signature; a decision without one is refused by the lane's validator. */
  signature: v.optional(SignatureSchema),
});
export type CandidateDecision = v.InferOutput<typeof CandidateDecisionSchema>;

/** What approve / reject did: the version and its state now. */
export interface CandidateDecided {
  version: number;
  state: VersionState;
}

/**
 * `push` (an update on the skill's lane): a prepared SKILL.md (core/push-rules.ts
 * PushRequest). Field rules are checked by the validator (pushRequestProblem);
 * `basedOn` is any value here so a wrong one gets that one-line reason.
 */
export const PushRequestSchema = v.object({
  requestId: v.optional(id),
  ref: RefSchema,
  body: v.string(),
  description: v.string(),
  /** Checked by the validator too (text, size). */
  frontmatter: v.optional(v.unknown()),
  /** The tree (core/skill-tree.ts treeProblem checks it in the validator). */
  files: v.optional(v.array(v.unknown())),
  scope: v.optional(v.string()),
  basedOn: v.optional(v.unknown()),
  pusher: v.string(),
  force: v.boolean(),
  canary: v.optional(v.boolean()),
  rollout: v.optional(v.picklist(ROLLOUT_POLICIES)),
  /** Checked by the validator (core/push-rules pushSignatureProblem), in its words. */
  base: v.optional(v.unknown()),
  signature: v.optional(v.unknown()),
});

/** A SessionStart attribution row (store/types AttributionRecord), sent by a teammate machine. */
export const AttributionSchema = v.object({
  sessionId: id,
  user: text(256),
  cwd: text(4096),
  agent: text(64),
  abBucket: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(99)),
  skills: v.pipe(v.array(v.object({ name: v.string(), author: v.string(), version: count })), v.maxLength(1000)),
});

/** Content hashes one contents request names at most (~70 bytes each). */
/** Skills whose signers one store request asks for: a pull's reads of one tick go together. */
export const MAX_SIGNERS_PER_REQUEST = 50;
export const MAX_HASHES_PER_REQUEST = 4096;
/**
 * Content bytes one request or reply carries at most (one whole chunk always
 * fits): as base64 about 450 KB, far below the 2 MiB payload limit even twice
 * in a history.
 */
export const MAX_CONTENT_BYTES_PER_REQUEST = CHUNK_BYTES + 64 * 1024;
const hash = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/));
const hashes = v.pipe(v.array(hash), v.maxLength(MAX_HASHES_PER_REQUEST));
/** One chunk of content, base64 (Temporal's JSON payloads carry no bytes). */
export const ContentChunkSchema = v.object({ hash, data: v.pipe(v.string(), v.maxLength(Math.ceil(CHUNK_BYTES / 3) * 4)) });
export type ContentChunk = v.InferOutput<typeof ContentChunkSchema>;

/** State changes a `transitions` reply lists at most (~300 bytes each): far below the payload limits. */
export const MAX_TRANSITIONS_LISTED = 1000;

/** Refs known to a puller at most (`list.known`): ~170 bytes each, so this stays far below the payload limits. */
export const MAX_KNOWN_REFS = 2000;

/**
 * A store request served by the central worker (storeRequestWorkflow): the
 * reads behind pull and `skills`, and the attribution write. Replies are paged
 * (activities/types StoreReply), each page far below the 2 MiB payload limit.
 */
export const StoreRequestSchema = v.variant('op', [
  v.object({ op: v.literal('latest'), ref: RefSchema }),
  v.object({ op: v.literal('version'), ref: RefSchema, version: count }),
  /** Versions after `after`, oldest first. */
  v.object({ op: v.literal('history'), ref: RefSchema, after: v.optional(count) }),
  /** Latest of every skill after the ref `after`; those at or below `known[ref]` come back without their body. */
  v.object({
    op: v.literal('list'),
    /** Who pulls: the canary cohort gets a skill's candidate, everyone else its stable version. */
    user: v.optional(text(256)),
    after: v.optional(v.pipe(v.string(), v.maxLength(256))),
    known: v.optional(v.pipe(v.record(v.pipe(v.string(), v.maxLength(256)), count), v.check((r) => Object.keys(r).length <= MAX_KNOWN_REFS, `at most ${MAX_KNOWN_REFS} known refs`))),
  }),
  v.object({ op: v.literal('recordAttribution'), attribution: AttributionSchema }),
  /** Every state change of a skill's versions, oldest first (at most MAX_TRANSITIONS_LISTED, the newest). */
  v.object({ op: v.literal('transitions'), ref: RefSchema }),
  /** `skills set-rollout`: the skill's rollout policy from now on. */
  v.object({
    op: v.literal('setRollout'),
    ref: RefSchema,
    policy: v.picklist(ROLLOUT_POLICIES),
    /** Per-skill overrides of the worker's canary settings (the store validates them); absent: the team's. */
    canary: v.optional(v.object({ percent: v.optional(v.number()), minJudged: v.optional(v.number()), maxHours: v.optional(v.number()) })),
    /** The skill's own pre-publish check; absent: the team's. */
    precheck: v.optional(v.picklist(PRECHECK_SETTINGS)),
    by: v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
    /** When `by` signed it, and the signature (core/signing `rollout`); the store refuses an unsigned or replayed change. */
    at: v.optional(text(64)),
    signature: v.optional(SignatureSchema),
  }),
  /** `skillopt owners add|remove`: an owner's signed change of the skill's owners. */
  v.object({ op: v.literal('changeOwners'), ref: RefSchema, action: v.picklist(['add', 'remove']), user: text(256), at: text(64), signature: SignatureSchema }),
  /** `skillopt skills sign`: an owner's signed approval of one version as it is (a version from before signatures). */
  v.object({ op: v.literal('signVersion'), ref: RefSchema, version: v.pipe(count, v.minValue(1)), approval: SignatureSchema }),
  /** `skillopt keys rotate|replace`: a person's key from now on, signed by their old key or the team's admin key. */
  v.object({ op: v.literal('replaceKey'), user: text(256), key: text(64), at: text(64), signature: SignatureSchema }),
  /**
   * `skillopt report`: one skill's report (`ref`), or every skill's after the
   * ref `after`, paged. `since` is an ISO-8601 timestamp (the store checks it).
   */
  v.object({ op: v.literal('report'), ref: v.optional(RefSchema), since: v.pipe(v.string(), v.maxLength(64)), after: v.optional(v.pipe(v.string(), v.maxLength(256))) }),
  /** The skills dashboard's list: every skill's summary after the ref `after`, paged. */
  v.object({ op: v.literal('skillSummaries'), after: v.optional(v.pipe(v.string(), v.maxLength(256))) }),
  /** The skills dashboard's page of one skill, as far as the store holds it; `trial`: the lane's candidate on trial and when it began. */
  v.object({ op: v.literal('skillPage'), ref: RefSchema, trial: v.optional(v.object({ version: count, since: v.pipe(v.string(), v.maxLength(64)) })) }),
  /** Which of these contents the store lacks (a push uploads only those). */
  v.object({ op: v.literal('missingContents'), hashes }),
  /** Contents to keep (the store checks each hash). */
  v.object({ op: v.literal('putContents'), chunks: v.pipe(v.array(ContentChunkSchema), v.maxLength(MAX_HASHES_PER_REQUEST)) }),
  /** Contents by hash, as many as fit in MAX_CONTENT_BYTES_PER_REQUEST (at least one): ask again for the rest. */
  v.object({ op: v.literal('contents'), hashes }),
  /** Who may sign these skills' versions, as the store says (a pulling machine checks it: core/trust.ts), in the order asked. */
  v.object({ op: v.literal('signers'), refs: v.pipe(v.array(RefSchema), v.minLength(1), v.maxLength(MAX_SIGNERS_PER_REQUEST)) }),
]);
export type StoreRequest = v.InferOutput<typeof StoreRequestSchema>;

export type Schema<T> = v.GenericSchema<unknown, T>;

/** The payload if it matches the schema, else undefined: handlers ignore (and count) a malformed signal, never throw. */
export function parseMessage<T>(schema: Schema<T>, payload: unknown): T | undefined {
  const result = v.safeParse(schema, payload);
  return result.success ? result.output : undefined;
}

/** Why a payload does not match, in one line, or undefined when it does (for the flusher's dead-letter log). */
export function messageProblem(schema: Schema<unknown>, payload: unknown): string | undefined {
  const result = v.safeParse(schema, payload);
  if (result.success) return undefined;
  const issue = result.issues[0];
  const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
  return `${path ? `${path}: ` : ''}${issue.message}`;
}

/** A stored version, as the store returns it and as it crosses the wire (store/types SkillVersion is this type). */
export interface SkillRecord {
  name: string;
  author: string;
  version: number;
  /** Where the version is in its rollout (core/rollout-types.ts). */
  state: VersionState;
  body: string;
  description: string;
  /** The author's frontmatter as written (core/skill-document authorFrontmatter); an older central worker sends none. */
  frontmatter: string;
  /** Every file but SKILL.md; an older central worker sends none. */
  files: TreeFile[];
  scope: string;
  contributors: string[];
  createdAt: string;
  createdBy: string;
  idempotencyKey: string | null;
  /** Its own signature (core/trust.ts); absent: from before signatures, or an older central worker. */
  signature?: VersionSignature | null;
  /** An owner's signed approval of this very tree (a proposal approved, an older version signed). */
  approval?: Signature | null;
  /** Who proposed it, while it is a proposal: pushed by a non-owner, waiting for an owner's approval. */
  proposedBy?: string | null;
  /** What the pre-publish check said of it (core/precheck.ts); null or absent: not checked. */
  precheck?: CheckOutcome | null;
}

/** A skill listed without its body: the puller already has this version. */
export interface SkillStub {
  name: string;
  author: string;
  version: number;
  unchanged: true;
}

/**
 * A SkillRecord as a reader receives it. A central worker from before the
 * rollout sends no `state`; every version it served was then everyone's, so
 * readers take a missing state as `stable` (receivedSkillRecord).
 */
export type ReceivedSkillRecord = Omit<SkillRecord, 'state' | 'frontmatter' | 'files'> & { state?: VersionState; frontmatter?: string; files?: TreeFile[] };

/**
 * The record with its state, a missing one (an older sender) read as `stable`,
 * and its tree (an older sender's is SKILL.md alone; `legacy` gives the
 * frontmatter of such a version, core/skill-document legacyFrontmatter).
 */
export function receivedSkillRecord(record: ReceivedSkillRecord, legacy: (name: string, description: string) => string): SkillRecord {
  return { ...record, state: record.state ?? 'stable', frontmatter: record.frontmatter ?? legacy(record.name, record.description), files: record.files ?? [] };
}

/**
 * The reply to each StoreRequest op. `next`: there is another page, ask again with `after: next`.
 * Senders put whole SkillRecords in; readers pass each record through receivedSkillRecord.
 */
export type StoreReply =
  | { op: 'latest'; record: ReceivedSkillRecord | null }
  | { op: 'version'; record: ReceivedSkillRecord | null }
  | { op: 'history'; versions: ReceivedSkillRecord[]; next?: number }
  | { op: 'list'; items: (ReceivedSkillRecord | SkillStub)[]; next?: string }
  | { op: 'recordAttribution' }
  | { op: 'setRollout' }
  /** The owners after the change. */
  | { op: 'changeOwners'; owners: string[] }
  | { op: 'signVersion' }
  | { op: 'replaceKey' }
  | { op: 'transitions'; transitions: VersionTransition[] }
  /** Reports by name then author (each capped per skill, core/skill-reports.ts); none for an unknown ref. */
  | { op: 'report'; skills: SkillReport[]; next?: string }
  | { op: 'skillSummaries'; skills: SkillSummary[]; next?: string }
  /** null: no such skill. */
  | { op: 'skillPage'; page: StoredSkillPage | null }
  | { op: 'missingContents'; missing: string[] }
  | { op: 'putContents' }
  /** Those found, in the order asked, as many as fit; `unknown`: hashes the store does not hold. */
  | { op: 'contents'; chunks: ContentChunk[]; unknown: string[] }
  | { op: 'signers'; signers: SkillSigners[] };
