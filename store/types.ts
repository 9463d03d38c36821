// The store's contract: every part (activities, CLI, hooks) talks to the store
// through this interface, whichever engine is behind it (SQLite or Postgres).
import type { SkillRecord } from '../core/messages';
import type { SkillRef } from '../core/skill-ref';
import type { VerdictOutcome } from '../core/verdict';

export type EditStatus = 'proposed' | 'applied' | 'reverted';

/** One stored version; the same shape crosses the wire to a teammate (core/messages SkillRecord). createdAt is ISO-8601 UTC. */
export type SkillVersion = SkillRecord;

export interface NewSkillVersion {
  name: string;
  author: string;
  body: string;
  description: string;
  scope?: string; // default 'org'
  contributors: string[];
  createdBy: string;
  /** Same key again returns the version already written (safe retries). */
  idempotencyKey?: string;
  /** The version this one is based on; the new row is baseVersion + 1 (0 for a new skill). */
  baseVersion: number;
}

export interface PublishResult {
  version: SkillVersion;
  /** False when the idempotency key had already been published. */
  created: boolean;
}

export interface EditRecord {
  id: number;
  name: string;
  author: string;
  fingerprint: string;
  summaries: string[];
  edits: unknown[];
  baseVersion: number;
  publishedVersion: number;
  status: EditStatus;
  createdAt: string;
  resolvedAt: string | null;
}

export interface NewEditRecord {
  name: string;
  author: string;
  fingerprint: string;
  summaries: string[];
  edits: unknown[];
  baseVersion: number;
  publishedVersion: number;
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

/** Thrown when baseVersion + 1 already exists: a concurrent publisher won. */
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

export interface Store {
  readonly engine: 'sqlite' | 'postgres';

  publishVersion(input: NewSkillVersion): Promise<PublishResult>;
  latestVersion(ref: SkillRef): Promise<SkillVersion | undefined>;
  getVersion(ref: SkillRef, version: number): Promise<SkillVersion | undefined>;
  /** Latest version of every skill, ordered by name then author. */
  listLatest(): Promise<SkillVersion[]>;
  /** Every version of one skill, oldest first. */
  history(ref: SkillRef): Promise<SkillVersion[]>;

  recordEdit(input: NewEditRecord): Promise<EditRecord>;
  /** True when this skill already had an edit set with this fingerprint. */
  hasEditFingerprint(ref: SkillRef, fingerprint: string): Promise<boolean>;
  /** Resolves the still-proposed edit that published `version`; returns it, or undefined. */
  resolveEdit(ref: SkillRef, publishedVersion: number, status: 'applied' | 'reverted'): Promise<EditRecord | undefined>;
  /** Most recent edits of a skill, newest first. */
  recentEdits(ref: SkillRef, limit: number): Promise<EditRecord[]>;
  /** How many edits a skill has published, and the versions whose edit still awaits a verdict. */
  editStats(ref: SkillRef): Promise<{ published: number; awaitingOutcome: number[] }>;

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

  recordAttribution(input: AttributionRecord): Promise<void>;
  attributions(sessionId: string): Promise<AttributionRecord[]>;

  close(): Promise<void>;
}
