// Each skill's rollout settings (its policy, canary overrides and pre-publish
// check setting over the team defaults) and the evidence a canary is decided on: judged invocations of the
// candidate and of the stable version over the same period.
import { PRECHECK_SETTINGS, ROLLOUT_POLICIES, type PrecheckSetting, type RolloutPolicy } from '../core/rollout-types';
import type { SkillRef } from '../core/skill-ref';
import { judgedInvocationsOf, tally } from './judged-invocations';
import type { SkillRolloutSettingsTable } from './schema';
import { whereSkill, type SqlContext } from './sql-context';
import {
  StoreValidationError,
  type CanaryEvidence,
  type CanaryEvidenceQuery,
  type CanaryOverrides,
  type RolloutSettings,
  type RolloutSettingsChange,
  type RolloutStore,
} from './types';
import { checkInteger, checkRef, checkText, checkTimestamp, MAX_DECIDER_CHARS, refLabel } from './validate';
import { skillExists } from './version-store';
import { toRolloutSettings } from './records';

/** A canary longer than a year is a typo. */
const MAX_CANARY_HOURS = 24 * 366;

export function sqlRolloutStore(sql: SqlContext): RolloutStore {
  return {
    rolloutSettings: (ref) => rolloutSettings(sql, ref),
    setRolloutSettings: (ref, change) => setRolloutSettings(sql, ref, change),
    canaryEvidence: (ref, query) => canaryEvidence(sql, ref, query),
  };
}

function rolloutSettings({ db, guard }: SqlContext, ref: SkillRef): Promise<RolloutSettings | undefined> {
  return guard(async () => {
    const row = await db.selectFrom('skill_rollout_settings').selectAll().$call(whereSkill(ref)).executeTakeFirst();
    return row && toRolloutSettings(row);
  });
}

/** One upsert that sets only the fields given, so two changes of different fields never undo each other. */
async function setRolloutSettings({ db, guard }: SqlContext, ref: SkillRef, change: RolloutSettingsChange): Promise<RolloutSettings> {
  const checked = checkRef(ref);
  const { row, setsPolicy, setsCanary, setsPrecheck } = settingsRow(checked, change);
  return guard(() =>
    db.transaction().execute(async (trx) => {
      if (!(await skillExists(trx, checked))) throw new StoreValidationError(`no skill ${refLabel(checked)} in the store`);
      if (row.signed_at !== null) {
        const inForce = await trx.selectFrom('skill_rollout_settings').select('signed_at').$call(whereSkill(checked)).executeTakeFirst();
        if (inForce?.signed_at && inForce.signed_at >= row.signed_at) {
          throw new StoreValidationError(`${refLabel(checked)}: a rollout change signed at ${inForce.signed_at} is in force; this one, signed at ${row.signed_at}, is older or a replay`);
        }
      }
      const stored = await trx
        .insertInto('skill_rollout_settings')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['name', 'author']).doUpdateSet((eb) => ({
            ...(setsPolicy ? { policy: eb.ref('excluded.policy') } : {}),
            ...(setsCanary ? { canary: eb.ref('excluded.canary') } : {}),
            ...(setsPrecheck ? { precheck: eb.ref('excluded.precheck') } : {}),
            updated_by: eb.ref('excluded.updated_by'),
            updated_at: eb.ref('excluded.updated_at'),
            ...(row.signed_at === null ? {} : { signed_at: eb.ref('excluded.signed_at') }),
          })),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRolloutSettings(stored);
    }),
  );
}

/**
 * Counted per invocation, the way the invocation workflow sums up its verdicts
 * (workflows/invocation-state.ts invocationVerdict): an invocation with several
 * judged reactions is one failure if any failed, else one pass. Its time is its
 * first judged verdict. A verdict row without a tool use id is an invocation of its own.
 */
async function canaryEvidence({ db, guard }: SqlContext, ref: SkillRef, query: CanaryEvidenceQuery): Promise<CanaryEvidence> {
  const checked = checkRef(ref);
  if (typeof query !== 'object' || query === null) throw new StoreValidationError('canaryEvidence needs candidate, stable, since and minStable');
  const candidate = checkInteger('candidate', query.candidate, 1);
  const stable = checkInteger('stable', query.stable, 0);
  if (candidate === stable) throw new StoreValidationError(`the candidate and the stable version are both v${candidate}`);
  if (typeof query.since !== 'string') throw new StoreValidationError('since must be an ISO-8601 timestamp');
  const since = checkTimestamp('since', query.since);
  const minStable = checkInteger('minStable', query.minStable, 0);
  return guard(async () => {
    const invocations = await judgedInvocationsOf(db, checked, [candidate, stable]);
    const candidateEvidence = tally(candidate, invocations.filter((i) => i.version === candidate && i.at >= since));
    const ofStable = invocations.filter((i) => i.version === stable);
    const inPeriod = ofStable.filter((i) => i.at >= since);
    // Most recent first; ties broken by the invocation key so every engine tops up the same ones.
    const before = ofStable
      .filter((i) => i.at < since)
      .sort((a, b) => (a.at === b.at ? compareText(a.key, b.key) : a.at < b.at ? 1 : -1))
      .slice(0, Math.max(0, minStable - inPeriod.length));
    const effectiveSince = before.at(-1)?.at ?? since;
    return { candidate: candidateEvidence, stable: { ...tally(stable, [...inPeriod, ...before]), since: effectiveSince } };
  });
}

/** The row a settings change upserts, its input checked, and which of the optional fields it sets. */
function settingsRow(
  ref: SkillRef,
  change: RolloutSettingsChange,
): { row: SkillRolloutSettingsTable; setsPolicy: boolean; setsCanary: boolean; setsPrecheck: boolean } {
  if (typeof change !== 'object' || change === null) throw new StoreValidationError('rollout settings need updatedBy');
  const policy = change.policy === undefined ? undefined : checkPolicy(change.policy);
  const canary = change.canary === undefined ? undefined : checkCanary(change.canary);
  const precheck = change.precheck === undefined ? undefined : checkPrecheck(change.precheck);
  const row: SkillRolloutSettingsTable = {
    name: ref.name,
    author: ref.author,
    policy: policy ?? null,
    canary: canary ?? null,
    precheck: precheck ?? null,
    updated_by: checkText('updatedBy', change.updatedBy, { required: true, maxChars: MAX_DECIDER_CHARS }),
    updated_at: new Date().toISOString(),
    signed_at: change.signedAt === undefined ? null : checkTimestamp('signedAt', change.signedAt),
  };
  return { row, setsPolicy: policy !== undefined, setsCanary: canary !== undefined, setsPrecheck: precheck !== undefined };
}

function checkPrecheck(value: unknown): PrecheckSetting | null {
  if (value === null) return null;
  if (typeof value !== 'string' || !(PRECHECK_SETTINGS as readonly string[]).includes(value)) {
    throw new StoreValidationError(`precheck must be on or off (or null for the team default), got ${String(JSON.stringify(value))}`);
  }
  return value as PrecheckSetting;
}

/** Bytewise, like the engines' ordering of names: no locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkPolicy(value: unknown): RolloutPolicy | null {
  if (value === null) return null;
  if (typeof value !== 'string' || !(ROLLOUT_POLICIES as readonly string[]).includes(value)) {
    throw new StoreValidationError(`policy must be one of ${ROLLOUT_POLICIES.join(', ')} (or null for the team default), got ${String(JSON.stringify(value))}`);
  }
  return value as RolloutPolicy;
}

/** JSON text of the overrides (in a fixed key order), or null for none. */
function checkCanary(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new StoreValidationError('canary must be an object with percent, minJudged and maxHours (each optional), or null');
  }
  const given = value as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (key !== 'percent' && key !== 'minJudged' && key !== 'maxHours') {
      throw new StoreValidationError(`canary has no setting ${JSON.stringify(key)}; its settings are percent, minJudged and maxHours`);
    }
  }
  const overrides: CanaryOverrides = {};
  if (given.percent !== undefined) {
    const percent = checkInteger('canary.percent', given.percent, 1);
    if (percent > 100) throw new StoreValidationError(`canary.percent must be an integer from 1 to 100, got ${percent}`);
    overrides.percent = percent;
  }
  if (given.minJudged !== undefined) overrides.minJudged = checkInteger('canary.minJudged', given.minJudged, 1);
  if (given.maxHours !== undefined) {
    const hours = given.maxHours;
    if (typeof hours !== 'number' || !(hours > 0 && hours <= MAX_CANARY_HOURS)) {
      throw new StoreValidationError(`canary.maxHours must be a number of hours above 0 and at most ${MAX_CANARY_HOURS}, got ${String(hours)}`);
    }
    overrides.maxHours = hours;
  }
  return Object.keys(overrides).length === 0 ? null : JSON.stringify(overrides);
}
