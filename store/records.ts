// How each table's row becomes the record the store returns: the one place that
// knows both the column names (store/schema.ts) and the records' (store/types.ts).
import type { Selectable } from 'kysely';
import type { InvocationEvidence } from '../core/messages';
import type { VersionTransition } from '../core/rollout-types';
import type { AttributionsTable, SkillEditsTable, SkillRolloutSettingsTable, SkillVersionsTable, VerdictsTable, VersionTransitionsTable } from './schema';
import { legacyFrontmatter } from '../core/skill-document';
import type { Signature } from '../core/signing';
import type { TreeFile } from '../core/skill-tree';
import type { VersionSignature } from '../core/trust';
import { parseJson } from './sql-context';
import type { AttributionRecord, CanaryOverrides, EditRecord, RolloutSettings, SkillVersion, VerdictRecord } from './types';
import type { CheckOutcome } from '../core/precheck';

/** The sessions' skills as an attribution row holds them (JSON). */
export type AttributionSkills = AttributionRecord['skills'];

export function toEditRecord(row: Selectable<SkillEditsTable>): EditRecord {
  return {
    id: row.id,
    name: row.name,
    author: row.author,
    fingerprint: row.fingerprint,
    summaries: parseJson<string[]>(row.summaries),
    edits: parseJson<unknown[]>(row.edits),
    baseVersion: row.base_version,
    publishedVersion: row.published_version,
    status: row.status,
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
  };
}

export function toRolloutSettings(row: Selectable<SkillRolloutSettingsTable>): RolloutSettings {
  return {
    name: row.name,
    author: row.author,
    policy: row.policy,
    canary: row.canary === null ? null : parseJson<CanaryOverrides>(row.canary),
    precheck: row.precheck,
    updatedBy: row.updated_by,
    updatedAt: row.updated_at,
  };
}

export function toVerdictRecord(row: Selectable<VerdictsTable>): VerdictRecord {
  return {
    name: row.name,
    author: row.author,
    skillVersion: row.skill_version,
    sessionId: row.session_id,
    toolUseId: row.tool_use_id,
    eventId: row.event_id,
    outcome: row.outcome,
    confidence: row.confidence,
    reason: row.reason,
    agent: row.agent,
    user: row.user_name,
    createdAt: row.created_at,
    ...(row.evidence ? { evidence: parseJson<InvocationEvidence>(row.evidence) } : {}),
  };
}

export function toAttributionRecord(row: Selectable<AttributionsTable>): AttributionRecord {
  return {
    sessionId: row.session_id,
    user: row.user_name,
    cwd: row.cwd,
    agent: row.agent,
    abBucket: row.ab_bucket,
    skills: parseJson<AttributionSkills>(row.skills),
    createdAt: row.created_at,
  };
}

export function toSkillVersion(row: Selectable<SkillVersionsTable>): SkillVersion {
  return {
    name: row.name,
    author: row.author,
    version: row.version,
    state: row.state,
    body: row.body,
    description: row.description,
    frontmatter: row.frontmatter ?? legacyFrontmatter(row.name, row.description),
    files: parseJson<TreeFile[]>(row.files),
    scope: row.scope,
    contributors: parseJson<string[]>(row.contributors),
    createdAt: row.created_at,
    createdBy: row.created_by,
    idempotencyKey: row.idempotency_key,
    signature: row.signature === null ? null : parseJson<VersionSignature>(row.signature),
    approval: row.approval === null ? null : parseJson<Signature>(row.approval),
    proposedBy: row.proposed_by,
    precheck: row.precheck === null ? null : parseJson<CheckOutcome>(row.precheck),
  };
}

export function toTransition(row: Selectable<VersionTransitionsTable>): VersionTransition {
  return {
    name: row.name,
    author: row.author,
    version: row.version,
    from: row.from_state,
    to: row.to_state,
    decidedBy: row.decided_by,
    reason: row.reason,
    at: row.at,
  };
}
