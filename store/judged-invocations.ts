// Verdict rows summed up per invocation, the one way both the canary's evidence
// and a version's usage count them.
import type { Selectable } from 'kysely';
import type { VersionEvidence } from '../core/rollout-types';
import type { SkillRef } from '../core/skill-ref';
import type { VerdictsTable } from './schema';
import { whereSkill, type Executor } from './sql-context';

export interface JudgedInvocation {
  key: string;
  version: number;
  failed: boolean;
  /** Its first judged verdict's time. */
  at: string;
  /** Whose session it was (its first judged verdict's user). */
  user: string;
}

type VerdictRow = Pick<Selectable<VerdictsTable>, 'skill_version' | 'session_id' | 'tool_use_id' | 'event_id' | 'outcome' | 'user_name' | 'created_at'>;

/** The skill's judged invocations (of these versions, else of all), each counted once (judgedInvocations). */
export async function judgedInvocationsOf(db: Executor, ref: SkillRef, versions?: number[]): Promise<JudgedInvocation[]> {
  let query = db
    .selectFrom('verdicts')
    .select(['skill_version', 'session_id', 'tool_use_id', 'event_id', 'outcome', 'user_name', 'created_at'])
    .$call(whereSkill(ref))
    .where('outcome', 'in', ['passed', 'failed']);
  if (versions) query = query.where('skill_version', 'in', versions);
  return judgedInvocations(await query.execute());
}

/**
 * One entry per invocation, the way the invocation workflow sums up its verdicts
 * (workflows/invocation-state.ts invocationVerdict): failed if any of its judged
 * verdicts failed, else passed; its time is its first judged verdict. A verdict
 * row without a tool use id is an invocation of its own. Rows are judged ones only.
 */
export function judgedInvocations(rows: VerdictRow[]): JudgedInvocation[] {
  const byKey = new Map<string, JudgedInvocation>();
  for (const row of rows) {
    const key = JSON.stringify([row.skill_version, row.session_id, row.tool_use_id ?? { event: row.event_id }]);
    const seen = byKey.get(key);
    const failed = row.outcome === 'failed';
    if (!seen) byKey.set(key, { key, version: row.skill_version, failed, at: row.created_at, user: row.user_name });
    else {
      seen.failed ||= failed;
      if (row.created_at < seen.at) {
        seen.at = row.created_at;
        seen.user = row.user_name;
      }
    }
  }
  return [...byKey.values()];
}

export function tally(version: number, invocations: JudgedInvocation[]): VersionEvidence {
  const failed = invocations.filter((i) => i.failed).length;
  return { version, passed: invocations.length - failed, failed };
}
