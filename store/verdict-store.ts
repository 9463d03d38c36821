// Verdicts on invocations (the first of each event stands, and resolves the edit
// that published its version), the skills each session started with
// (attribution), and each version's use that the two add up to.
import type { Selectable } from 'kysely';
import type { SkillRef } from '../core/skill-ref';
import type { VerdictOutcome } from '../core/verdict';
import { resolveProposedEdit } from './edit-store';
import { judgedInvocationsOf, tally, type JudgedInvocation } from './judged-invocations';
import type { AttributionsTable } from './schema';
import { parseJson, whereSkill, type SqlContext } from './sql-context';
import { StoreValidationError, type AttributionRecord, type VerdictRecord, type VerdictStore, type VersionUsage } from './types';
import { checkId, checkInteger, checkOptionalId, checkRef, checkText, checkTimestamp } from './validate';
import { InvocationEvidenceSchema, messageProblem, type InvocationEvidence } from '../core/messages';
import { versionState } from './version-store';
import { toAttributionRecord, toVerdictRecord, type AttributionSkills } from './records';

/** Every outcome, checked complete by the compiler. */
const VERDICT_OUTCOMES: Record<VerdictOutcome, true> = { passed: true, failed: true, 'not-judged': true };


export function sqlVerdictStore(sql: SqlContext): VerdictStore {
  return {
    recordVerdict: (input) => recordVerdict(sql, input),
    verdicts: (ref) => verdicts(sql, ref),
    verdictForEvent: (eventId) => verdictForEvent(sql, eventId),
    heldOutPasses: (ref, version, limit, exclude) => heldOutPasses(sql, ref, version, limit, exclude),
    recordAttribution: (input) => recordAttribution(sql, input),
    attributions: (sessionId) => attributions(sql, sessionId),
    versionUsage: (ref, since) => versionUsage(sql, ref, since),
  };
}

async function recordVerdict({ db, guard }: SqlContext, input: VerdictRecord): Promise<boolean> {
  const row = verdictRow(input);
  return guard(() =>
    db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('verdicts')
        .values(row)
        .onConflict((oc) => oc.column('event_id').doNothing())
        .returning(['name', 'author', 'skill_version', 'outcome'])
        .executeTakeFirst();
      // On a retry the first verdict of the event stands, and it is what resolves
      // the edit: a retry after a crash between insert and resolve still resolves.
      const stored =
        inserted ??
        (await trx
          .selectFrom('verdicts')
          .select(['name', 'author', 'skill_version', 'outcome'])
          .where('event_id', '=', row.event_id)
          .executeTakeFirstOrThrow());
      // A candidate's edit is resolved by its trial's decision (promote / revert), not by one verdict.
      if (stored.outcome !== 'not-judged' && (await versionState(trx, stored, stored.skill_version)) !== 'candidate') {
        const status = stored.outcome === 'passed' ? 'applied' : 'reverted';
        await resolveProposedEdit(trx, stored, stored.skill_version, status);
      }
      return inserted !== undefined;
    }),
  );
}

function verdicts({ db, guard }: SqlContext, ref: SkillRef): Promise<VerdictRecord[]> {
  return guard(async () => {
    const rows = await db.selectFrom('verdicts').selectAll().$call(whereSkill(ref)).orderBy('id', 'asc').execute();
    return rows.map(toVerdictRecord);
  });
}

function verdictForEvent({ db, guard }: SqlContext, eventId: string): Promise<VerdictRecord | undefined> {
  const id = checkId('eventId', eventId);
  return guard(async () => {
    const row = await db.selectFrom('verdicts').selectAll().where('event_id', '=', id).executeTakeFirst();
    return row ? toVerdictRecord(row) : undefined;
  });
}

/** Read newest first, this many per evidence wanted: enough to find distinct users among one user's many passes. */
const HELD_OUT_SCAN_FACTOR = 20;

function heldOutPasses({ db, guard }: SqlContext, ref: SkillRef, version: number, limit: number, excludeEventIds: readonly string[] = []): Promise<VerdictRecord[]> {
  const skillVersion = checkInteger('version', version, 1);
  const wanted = checkInteger('limit', limit, 0);
  return guard(async () => {
    if (wanted === 0) return [];
    const rows = await db
      .selectFrom('verdicts')
      .selectAll()
      .$call(whereSkill(ref))
      .where('skill_version', '=', skillVersion)
      .where('outcome', '=', 'passed')
      .where('evidence', 'is not', null)
      .orderBy('id', 'desc')
      .limit(wanted * HELD_OUT_SCAN_FACTOR + excludeEventIds.length)
      .execute();
    if (rows.length === 0) return [];
    // An invocation passed only if none of its verdicts failed (as the canary counts it), and none the proposer saw
    // belongs to the held-out set: drop every invocation with a failed verdict or an excluded event.
    const sessions = [...new Set(rows.map((r) => r.session_id))];
    const spoiled = await db
      .selectFrom('verdicts')
      .select(['session_id', 'tool_use_id', 'event_id'])
      .$call(whereSkill(ref))
      .where('session_id', 'in', sessions)
      .where((eb) => eb.or([eb('outcome', '=', 'failed'), ...(excludeEventIds.length > 0 ? [eb('event_id', 'in', [...excludeEventIds])] : [])]))
      .execute();
    const spoiledKeys = new Set(spoiled.map(invocationKey));
    const seen = new Set<string>();
    // The newest pass of each invocation, once.
    const passes = rows.filter((r) => {
      const key = invocationKey(r);
      if (spoiledKeys.has(key) || seen.has(key)) return false;
      seen.add(key);
      return true;
    }).map(toVerdictRecord);
    // One per user first (the newest of each), then the next newest, until `limit`.
    const firsts = passes.filter((r, i) => passes.findIndex((o) => o.user === r.user) === i);
    return [...firsts, ...passes.filter((r) => !firsts.includes(r))].slice(0, wanted);
  });
}

/** An invocation: its session and tool use (a verdict without a tool use id is an invocation of its own). */
function invocationKey(row: { session_id: string; tool_use_id: string | null; event_id: string }): string {
  return JSON.stringify([row.session_id, row.tool_use_id ?? { event: row.event_id }]);
}

async function recordAttribution({ db, guard }: SqlContext, input: AttributionRecord): Promise<void> {
  if (!Array.isArray(input.skills)) throw new StoreValidationError('skills must be a list');
  const skills = input.skills.map((skill, index) => ({
    ...checkRef(skill),
    version: checkInteger(`skills[${index}].version`, skill.version, 0),
  }));
  const row = {
    session_id: checkId('sessionId', input.sessionId),
    user_name: checkText('user', input.user),
    cwd: checkText('cwd', input.cwd),
    agent: checkText('agent', input.agent),
    ab_bucket: checkInteger('abBucket', input.abBucket, 0),
    skills: JSON.stringify(skills),
    created_at: checkTimestamp('createdAt', input.createdAt),
  };
  return guard(async () => {
    await db.insertInto('attributions').values(row).execute();
  });
}

function attributions({ db, guard }: SqlContext, sessionId: string): Promise<AttributionRecord[]> {
  return guard(async () => {
    const rows = await db.selectFrom('attributions').selectAll().where('session_id', '=', sessionId).orderBy('id', 'asc').execute();
    return rows.map(toAttributionRecord);
  });
}

/**
 * Per version, from `since`: the distinct sessions that had it in context
 * (SessionStart attribution rows), its judged invocations counted as
 * canaryEvidence counts them (the same query), and the distinct users of both.
 */
async function versionUsage({ db, guard }: SqlContext, ref: SkillRef, since: string): Promise<VersionUsage[]> {
  const checked = checkRef(ref);
  if (typeof since !== 'string') throw new StoreValidationError('since must be an ISO-8601 timestamp');
  const from = checkTimestamp('since', since);
  return guard(async () => {
    const [invocations, attributions] = await Promise.all([
      judgedInvocationsOf(db, checked),
      // The LIKE only narrows (skill names have no LIKE or JSON escapes; "_" in an author over-matches at worst);
      // each row's list is checked exactly in usageByVersion.
      db
        .selectFrom('attributions')
        .select(['session_id', 'user_name', 'skills'])
        .where('created_at', '>=', from)
        .where('skills', 'like', `%${JSON.stringify(checked.name)}%`)
        .execute(),
    ]);
    return usageByVersion(checked, from, attributions, invocations);
  });
}

/** versionUsage's sum: each version's sessions (from attribution rows naming the skill) and judged invocations from `from`, oldest version first. */
function usageByVersion(
  ref: SkillRef,
  from: string,
  attributions: Pick<Selectable<AttributionsTable>, 'session_id' | 'user_name' | 'skills'>[],
  invocations: JudgedInvocation[],
): VersionUsage[] {
  const byVersion = new Map<number, { sessions: Set<string>; users: Set<string>; invocations: JudgedInvocation[] }>();
  const entry = (version: number) => {
    let found = byVersion.get(version);
    if (!found) byVersion.set(version, (found = { sessions: new Set(), users: new Set(), invocations: [] }));
    return found;
  };
  for (const row of attributions) {
    const skills = parseJson<AttributionSkills>(row.skills);
    for (const skill of Array.isArray(skills) ? skills : []) {
      if (skill.name !== ref.name || skill.author !== ref.author) continue;
      const usage = entry(skill.version);
      usage.sessions.add(row.session_id);
      usage.users.add(row.user_name);
    }
  }
  for (const invocation of invocations) {
    if (invocation.at < from) continue;
    const usage = entry(invocation.version);
    usage.invocations.push(invocation);
    usage.users.add(invocation.user);
  }
  return [...byVersion.entries()]
    .sort(([a], [b]) => a - b)
    .map(([version, usage]) => ({ ...tally(version, usage.invocations), sessions: usage.sessions.size, users: usage.users.size }));
}

/** The row a verdict inserts, its input checked. */
function verdictRow(input: VerdictRecord) {
  const ref = checkRef(input);
  const outcome = input.outcome;
  if (typeof outcome !== 'string' || !Object.hasOwn(VERDICT_OUTCOMES, outcome)) {
    throw new StoreValidationError(`outcome must be "passed", "failed" or "not-judged", got ${String(JSON.stringify(outcome))}`);
  }
  const confidence = input.confidence;
  if (typeof confidence !== 'number' || !(confidence >= 0 && confidence <= 1)) {
    throw new StoreValidationError(`confidence must be a number from 0 to 1, got ${String(confidence)}`);
  }
  return {
    name: ref.name,
    author: ref.author,
    skill_version: checkInteger('skillVersion', input.skillVersion, 0),
    session_id: checkId('sessionId', input.sessionId),
    tool_use_id: checkOptionalId('toolUseId', input.toolUseId),
    event_id: checkId('eventId', input.eventId),
    outcome,
    // Legacy column; `outcome` is the source of truth. Not-judged is no failure.
    success: outcome === 'failed' ? 0 : 1,
    confidence,
    reason: checkText('reason', input.reason),
    agent: checkText('agent', input.agent),
    user_name: checkText('user', input.user),
    created_at: checkTimestamp('createdAt', input.createdAt),
    evidence: input.evidence === undefined ? null : JSON.stringify(checkEvidence(input.evidence)),
  };
}


function checkEvidence(evidence: InvocationEvidence): InvocationEvidence {
  const problem = messageProblem(InvocationEvidenceSchema, evidence);
  if (problem) throw new StoreValidationError(`evidence: ${problem}`);
  return evidence;
}
