// Row types of the store's tables as Kysely sees them. JSON columns are text
// (see migrations.ts); booleans are 0/1 integers, the same on both engines.
import type { Generated } from 'kysely';
import type { PrecheckSetting, RolloutPolicy, VersionState } from '../core/rollout-types';
import type { VerdictOutcome } from '../core/verdict';

export interface SkillVersionsTable {
  name: string;
  author: string;
  version: number;
  body: string;
  description: string;
  scope: string;
  contributors: string; // JSON: string[]
  created_at: string; // ISO-8601 UTC
  created_by: string;
  idempotency_key: string | null;
  /** Migration 0003; at most one stable and one candidate per skill (partial unique indexes). */
  state: VersionState;
  /** Migration 0004: the author's frontmatter as written; null for a version from before. */
  frontmatter: string | null;
  /** Migration 0004, JSON: TreeFile[], every file but SKILL.md. */
  files: string;
  /** Migration 0005, JSON: core/trust VersionSignature; null for a version from before signatures. */
  signature: string | null;
  /** Migration 0005, JSON: core/signing Signature, an owner's approval of this very tree. */
  approval: string | null;
  /** Migration 0005: the non-owner who pushed this version, while it waits for an owner's approval. */
  proposed_by: string | null;
  /** Migration 0006, JSON: core/precheck CheckOutcome, what the pre-publish check said of it; null: not checked. */
  precheck: string | null;
}

/** Migration 0005: each person's public key (hex), registered on first use. */
export interface SigningKeysTable {
  user_name: string;
  public_key: string;
  registered_at: string;
}

/** Migration 0005: a key replaced, signed by the old key or the admin key. */
export interface KeyChangesTable {
  id: Generated<number>;
  user_name: string;
  public_key: string;
  at: string;
  signature: string; // JSON: Signature
  created_at: string;
}

/** Migration 0005: an owner added or removed, signed by an owner. */
export interface SkillOwnerChangesTable {
  id: Generated<number>;
  name: string;
  author: string;
  action: 'add' | 'remove';
  user_name: string;
  at: string;
  signature: string; // JSON: Signature
  created_at: string;
}

/** Migration 0004: contents by hash, one row per chunk (core/skill-tree.ts CHUNK_BYTES). */
export interface SkillContentsTable {
  hash: string;
  size: number;
  data: Uint8Array;
}

export interface SkillEditsTable {
  id: Generated<number>;
  name: string;
  author: string;
  fingerprint: string;
  summaries: string; // JSON: string[]
  edits: string; // JSON: unknown[]
  base_version: number;
  published_version: number;
  status: 'proposed' | 'applied' | 'reverted';
  created_at: string;
  resolved_at: string | null;
}

export interface VerdictsTable {
  id: Generated<number>;
  name: string;
  author: string;
  skill_version: number;
  session_id: string;
  tool_use_id: string | null;
  event_id: string;
  /** Source of truth for the verdict (migration 0002). */
  outcome: VerdictOutcome;
  /** Legacy 0 | 1 from migration 0001, kept written: 0 only for "failed". */
  success: number;
  confidence: number;
  reason: string;
  agent: string;
  user_name: string;
  created_at: string;
  /** JSON InvocationEvidence of a passed verdict (migration 0006): where its window is, for the pre-publish check. */
  evidence: string | null;
}

export interface AttributionsTable {
  id: Generated<number>;
  session_id: string;
  user_name: string;
  cwd: string;
  agent: string;
  ab_bucket: number;
  skills: string; // JSON: { name, author, version }[]
  created_at: string;
}

/** Migration 0003: every change of a version's state, the publish included (from_state null). */
export interface VersionTransitionsTable {
  id: Generated<number>;
  name: string;
  author: string;
  version: number;
  from_state: VersionState | null;
  to_state: VersionState;
  decided_by: string;
  reason: string;
  at: string; // ISO-8601 UTC
  /** Migration 0005, JSON: the decider's Signature (a person's approve or reject, the service's canary decision). */
  signature: string | null;
}

/** Migration 0003: a skill's own rollout settings; null means the team default. */
export interface SkillRolloutSettingsTable {
  name: string;
  author: string;
  policy: RolloutPolicy | null;
  canary: string | null; // JSON: CanaryOverrides
  updated_by: string;
  updated_at: string;
  /** Migration 0005: when the change in force was signed; an older signed change is a replay. */
  signed_at: string | null;
  /** Migration 0006: the skill's own pre-publish check setting; null: the team default. */
  precheck: PrecheckSetting | null;
}

export interface StoreDatabase {
  skill_versions: SkillVersionsTable;
  version_transitions: VersionTransitionsTable;
  skill_rollout_settings: SkillRolloutSettingsTable;
  skill_edits: SkillEditsTable;
  verdicts: VerdictsTable;
  attributions: AttributionsTable;
  skill_contents: SkillContentsTable;
  signing_keys: SigningKeysTable;
  key_changes: KeyChangesTable;
  skill_owner_changes: SkillOwnerChangesTable;
}
