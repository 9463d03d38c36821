// The store's contract: every part (activities, CLI, hooks) talks to the store
// through these interfaces, whichever engine is behind it (SQLite or Postgres).
import type { InvocationEvidence, SkillRecord } from '../core/messages';
import type { CheckOutcome } from '../core/precheck';
import type { PrecheckSetting, RolloutPolicy, VersionEvidence, VersionState, VersionTransition } from '../core/rollout-types';
import type { SkillRef } from '../core/skill-ref';
import type { Signature } from '../core/signing';
import type { TreeFile } from '../core/skill-tree';
import type { KeyChange, OwnerChange, VersionSignature } from '../core/trust';
import type { VerdictOutcome } from '../core/verdict';

export type EditStatus = 'proposed' | 'applied' | 'reverted';

/** One stored version; the same shape crosses the wire to a teammate (core/messages SkillRecord). createdAt is ISO-8601 UTC. */
export type SkillVersion = SkillRecord;

export interface NewSkillVersion {
  name: string;
  author: string;
  body: string;
  description: string;
  /** The author's frontmatter as written; absent: the version's SKILL.md is its name and description. */
  frontmatter?: string;
  /** Every file but SKILL.md; each chunk must be in the store (putContents) before the publish. Default none. */
  files?: TreeFile[];
  scope?: string; // default 'org'
  contributors: string[];
  createdBy: string;
  /** Same key again returns the version already written (safe retries). */
  idempotencyKey?: string;
  /**
   * The version this one's body was derived from (0 for a new skill). The new
   * row takes the next free number, one more than the highest version of the
   * skill whatever its state, so numbers only ever grow. Every version after
   * baseVersion must be rejected, or the publish is a VersionConflictError: it
   * would undo a version its author never saw. Without rejected versions that
   * is the original rule (the new row is baseVersion + 1); a candidate derived
   * from stable v2 after candidate v3 was rejected becomes v4.
   */
  baseVersion: number;
  /**
   * Default `stable`: everyone's version at once, the previous stable one is
   * retired in the same transaction. `candidate`: on trial; refused while the
   * skill already has a candidate.
   */
  state?: 'stable' | 'candidate' | 'rejected';
  /** Who decided the state it is published in, when not its publisher: "the pre-publish check" for a version it turned down. */
  decidedBy?: string;
  /** Why it was published, for its transition row; default `published`. */
  reason?: string;
  /** The version's own signature (a person's push, the service's candidate); the store keeps it, pulling machines check it. */
  signature?: VersionSignature;
  /** A non-owner's push: a candidate no pull installs until an owner approves it. */
  proposedBy?: string;
  /** The number the signature names: the version must take it, or the publish is a VersionConflictError. */
  signedVersion?: number;
  /** What the pre-publish check said of it (absent: not checked). */
  precheck?: CheckOutcome;
}

export interface PublishResult {
  version: SkillVersion;
  /** False when the idempotency key had already been published. */
  created: boolean;
}

/** A version's state change asked of setVersionState. */
export interface StateChangeOptions {
  /** A user name, or `skillopt` for the lane's own decisions. */
  decidedBy: string;
  reason: string;
  /** Refuse unless the version is in this state now (a compare-and-set for callers that read it first). */
  expectedFrom?: VersionState;
  /** The decider's signature, kept with the transition; an owner's approve (to stable) is also the version's approval. */
  signature?: Signature;
  /** The signature is an owner's approval of this version's tree: kept on the version, and it is no longer a proposal. */
  approves?: boolean;
}

export interface StateChangeResult {
  /** The version as it is now, in its new state. */
  version: SkillVersion;
  /** False when the version was already in that state by the same decider's decision (a retry): nothing written. */
  changed: boolean;
}

/** One skill's versions that count now: what everyone gets, and what is on trial. */
export interface CurrentSkill {
  name: string;
  author: string;
  stable: SkillVersion | null;
  candidate: SkillVersion | null;
  /** The highest version number, whatever its state (the push conflict rule's `latest`). */
  latestVersion: number;
}

/** A skill's own canary settings; an absent field means the team default. */
export interface CanaryOverrides {
  /** Share of users in the canary cohort, an integer from 1 to 100. */
  percent?: number;
  /** Judged invocations wanted on the candidate (and on stable) before deciding, an integer >= 1. */
  minJudged?: number;
  /** The longest the canary waits for that evidence, in hours (> 0). */
  maxHours?: number;
}

export interface RolloutSettings {
  name: string;
  author: string;
  /** null: the team default. */
  policy: RolloutPolicy | null;
  /** null: no overrides. */
  canary: CanaryOverrides | null;
  /** The skill's own pre-publish check; null: the team's (SKILLOPT_PRECHECK). */
  precheck: PrecheckSetting | null;
  updatedBy: string;
  updatedAt: string;
}

/** For setRolloutSettings: an absent field is left as it is, null resets it to the team default. */
export interface RolloutSettingsChange {
  policy?: RolloutPolicy | null;
  /** Replaces the overrides as a whole (an empty object is the same as null). */
  canary?: CanaryOverrides | null;
  precheck?: PrecheckSetting | null;
  updatedBy: string;
  /** When the change was signed: a change signed no later than the one in force is refused as a replay. */
  signedAt?: string;
}

export interface CanaryEvidenceQuery {
  candidate: number;
  stable: number;
  /** ISO-8601: the start of the period compared (normally when the canary began). */
  since: string;
  /** Stable's judged invocations wanted at least; topped up from before `since` when the period has fewer. */
  minStable: number;
}

export interface CanaryEvidence {
  candidate: VersionEvidence;
  /** `since`: where stable's evidence effectively starts (earlier than asked when topped up). */
  stable: VersionEvidence & { since: string };
}

/** One version's use over a period (Store.versionUsage). */
export interface VersionUsage {
  version: number;
  /** Distinct sessions that had this version in context at SessionStart (attribution rows from `since`). */
  sessions: number;
  /** Judged invocations whose first judged verdict is from `since`, counted as canaryEvidence counts them. */
  passed: number;
  failed: number;
  /** Distinct users of those sessions and judged invocations together. */
  users: number;
}

export interface NewEditRecord {
  name: string;
  author: string;
  fingerprint: string;
  summaries: string[];
  edits: unknown[];
  baseVersion: number;
  publishedVersion: number;
  /** Turned down at once (its version was rejected before anyone got it); default: proposed, resolved by the evidence. */
  status?: 'reverted';
}

/** An edit as stored: what was proposed, and what became of it. */
export interface EditRecord extends Omit<NewEditRecord, 'status'> {
  id: number;
  status: EditStatus;
  createdAt: string;
  resolvedAt: string | null;
}

export interface VerdictRecord {
  name: string;
  author: string;
  skillVersion: number;
  sessionId: string;
  toolUseId: string | null;
  eventId: string;
  /** "not-judged" (no model verdict could be reached) never counts as a pass or a failure. */
  outcome: VerdictOutcome;
  confidence: number;
  reason: string;
  agent: string;
  user: string;
  createdAt?: string;
  /** Where the judged window is (kept for passes: the pre-publish check's held-out evidence). */
  evidence?: InvocationEvidence;
}

export interface AttributionRecord {
  sessionId: string;
  user: string;
  cwd: string;
  agent: string;
  abBucket: number;
  skills: { name: string; author: string; version: number }[];
  createdAt?: string;
}

/**
 * Thrown when a version after baseVersion that was not rejected already exists,
 * or baseVersion is not a version of the skill: a concurrent publisher won.
 * `version` is the number that was taken first.
 */
export class VersionConflictError extends Error {
  override name = 'VersionConflictError';
  constructor(
    readonly ref: SkillRef,
    readonly version: number,
  ) {
    super(`version ${version} of ${ref.name}--${ref.author} was published concurrently`);
  }
}

/** Thrown when the database cannot be reached or opened; the message says what to do. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/**
 * Thrown before anything is written when an input cannot be stored (invalid skill
 * ref, body over MAX_SKILL_BODY_BYTES, malformed field); the message is one line.
 * Retrying cannot help, so callers treat it as non-retryable.
 */
export class StoreValidationError extends Error {
  override name = 'StoreValidationError';
}

// The store's parts, one per aggregate it keeps, so that a caller can name the
// part it uses; Store is their union plus its lifecycle.

/** Versions of each skill with their states (stable, candidate, rejected, retired) and the transitions between them. */
export interface VersionStore {
  /** Writes the version and its transition row (and the retired stable's) in one transaction. */
  publishVersion(input: NewSkillVersion): Promise<PublishResult>;
  /** The highest version number, whatever its state: what the push conflict rule compares against. */
  latestVersion(ref: SkillRef): Promise<SkillVersion | undefined>;
  getVersion(ref: SkillRef, version: number): Promise<SkillVersion | undefined>;
  /**
   * Latest (highest) version of every skill, whatever its state, ordered by name
   * then author. While every publish is stable this is every skill's stable
   * version; once candidates exist, readers that hand out versions want listCurrent.
   */
  listLatest(): Promise<SkillVersion[]>;
  /** Every version of one skill, oldest first. */
  history(ref: SkillRef): Promise<SkillVersion[]>;

  /** The version everyone gets, if the skill has one. */
  stableVersion(ref: SkillRef): Promise<SkillVersion | undefined>;
  /** The version on trial, if any (at most one per skill). */
  candidateVersion(ref: SkillRef): Promise<SkillVersion | undefined>;
  /** Every skill with its stable and candidate versions, ordered by name then author (bytewise). */
  listCurrent(): Promise<CurrentSkill[]>;
  /**
   * Moves a version to `to`: candidate → stable (the current stable is retired
   * in the same transaction), candidate → rejected, or stable → retired, with a
   * transition row each. Anything else, an unknown version, a state other than
   * expectedFrom, or promoting a candidate older than the stable version is a
   * StoreValidationError. Already in `to` by the same decidedBy: a retry, the
   * version is returned with changed false; by someone else: StoreValidationError.
   */
  setVersionState(ref: SkillRef, version: number, to: VersionState, options: StateChangeOptions): Promise<StateChangeResult>;
  /** Every state change of one skill's versions, publishes included, oldest first. */
  transitions(ref: SkillRef): Promise<VersionTransition[]>;
  /** Keeps an owner's signed approval of a version as it is (no state change): `skills sign` of a version from before signatures. */
  setApproval(ref: SkillRef, version: number, approval: Signature): Promise<SkillVersion>;
}

/** Who may sign what: each person's key, their key changes, each skill's owner changes (core/trust.ts reads them). */
export interface SignerStore {
  /** The public key registered for `user` (SERVICE_SIGNER: the central worker's), if any. */
  signingKey(user: string): Promise<string | undefined>;
  /** Registers `key` for `user` unless they have one (trust on first use); returns the key registered now. */
  registerKey(user: string, key: string): Promise<string>;
  /** Replaces a key (the caller checked the change's signature) and keeps the change for pulling machines. */
  replaceKey(change: KeyChange): Promise<void>;
  /** Every key change of these users, oldest first. */
  keyChanges(users: readonly string[]): Promise<KeyChange[]>;
  /** The skill's owner changes, oldest first. */
  ownerChanges(ref: SkillRef): Promise<OwnerChange[]>;
  /** Keeps an owner change (the caller checked it). */
  addOwnerChange(ref: SkillRef, change: OwnerChange): Promise<void>;
}

/** Each skill's rollout settings, and the evidence a canary is decided on. */
export interface RolloutStore {
  /** The skill's own rollout settings, or undefined when it never had any (the team defaults apply). */
  rolloutSettings(ref: SkillRef): Promise<RolloutSettings | undefined>;
  /** Only for a skill in the store; returns the settings as stored. */
  setRolloutSettings(ref: SkillRef, change: RolloutSettingsChange): Promise<RolloutSettings>;
  /**
   * Judged invocations (passed or failed; not-judged never counts) of the
   * candidate and of the stable version, both from `since`. An invocation
   * (session id + tool use id) counts once: failed if any of its verdicts
   * failed, else passed, at the time of its first judged verdict. Stable is
   * topped up with its most recent invocations before `since` when the period
   * has fewer than minStable.
   */
  canaryEvidence(ref: SkillRef, query: CanaryEvidenceQuery): Promise<CanaryEvidence>;
}

/** The edit sets the optimizer proposed, and whether each was applied or reverted. */
export interface EditStore {
  recordEdit(input: NewEditRecord): Promise<EditRecord>;
  /** True when this skill already had an edit set with this fingerprint. */
  hasEditFingerprint(ref: SkillRef, fingerprint: string): Promise<boolean>;
  /** Resolves the still-proposed edit that published `version`; returns it, or undefined. */
  resolveEdit(ref: SkillRef, publishedVersion: number, status: 'applied' | 'reverted'): Promise<EditRecord | undefined>;
  /** Most recent edits of a skill, newest first. */
  recentEdits(ref: SkillRef, limit: number): Promise<EditRecord[]>;
  /** How many edits a skill has published, and the versions whose edit still awaits a verdict. */
  editStats(ref: SkillRef): Promise<{ published: number; awaitingOutcome: number[] }>;
}

/** Verdicts on invocations, the skills each session had (attribution), and the use of each version they add up to. */
export interface VerdictStore {
  /**
   * Idempotent by eventId: returns false when that event was already recorded (the
   * first verdict of an event stands). A "passed" or "failed" verdict then resolves
   * the still-proposed edit that published its skillVersion ("applied" or
   * "reverted"), on a retry too; "not-judged" resolves nothing.
   */
  recordVerdict(input: VerdictRecord): Promise<boolean>;
  /** Every verdict of one skill, oldest (first recorded) first. */
  verdicts(ref: SkillRef): Promise<VerdictRecord[]>;
  /** The verdict recorded for an event, if any: a workflow run's dedup memory ends with the run, the store's does not. */
  verdictForEvent(eventId: string): Promise<VerdictRecord | undefined>;
  /**
   * Up to `limit` passing invocations of the version that carry their evidence
   * (the newest passed verdict of each; an invocation with a failed verdict did
   * not pass), the newest of each user first and as many users as there are, and
   * no invocation of `excludeEventIds` (what the proposer saw): the pre-publish check's held-out set.
   */
  heldOutPasses(ref: SkillRef, version: number, limit: number, excludeEventIds?: readonly string[]): Promise<VerdictRecord[]>;

  recordAttribution(input: AttributionRecord): Promise<void>;
  attributions(sessionId: string): Promise<AttributionRecord[]>;

  /**
   * Each version of the skill used from `since` (ISO-8601): sessions with it in
   * context, judged invocations (counted per invocation as in canaryEvidence)
   * and distinct users; oldest version first, only versions with any use.
   */
  versionUsage(ref: SkillRef, since: string): Promise<VersionUsage[]>;
}

/** Contents by hash (chunks of the files of versions' trees), each stored once. */
export interface ContentStore {
  /** The hashes the store does not hold, in the order given, each once. */
  missingContents(hashes: readonly string[]): Promise<string[]>;
  /** Keeps each chunk (a StoreValidationError when one does not match its hash or is over the chunk size); one held already is skipped. */
  putContents(chunks: ReadonlyArray<{ hash: string; data: Uint8Array }>): Promise<void>;
  /** The chunks the store holds of those asked for. */
  getContents(hashes: readonly string[]): Promise<Map<string, Uint8Array>>;
}

export interface Store extends VersionStore, RolloutStore, EditStore, VerdictStore, ContentStore, SignerStore {
  readonly engine: 'sqlite' | 'postgres';

  close(): Promise<void>;
}
