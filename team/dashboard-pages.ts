// Reads what the skills dashboard shows from the store and shapes it with
// core/dashboard-views.ts: the one set of functions both a machine holding the store
// (`skillopt up`, the central machine) and the central worker serving a
// teammate's dashboard call, so both pages show the same thing.
import { dailyRates, judgedInvocations, versionChart, type CanaryTrial, type CanaryView, type LastVerdict, type RolloutView, type SkillSummary, type StoredSkillPage, type VersionBrief, type VersionView } from '../core/dashboard-views';
import { effectivePrecheck, mergeCanarySettings } from '../core/rollout-rules';
import type { RolloutDefaults } from '../core/rollout-types';
import { formatSkillRef, type SkillRef } from '../core/skill-ref';
import { effectiveRollout } from './rollout-choice';
import type { CurrentSkill, SkillVersion, Store } from '../store/types';

function brief(v: SkillVersion | null | undefined): VersionBrief | null {
  return v ? { version: v.version, state: v.state, createdAt: v.createdAt, createdBy: v.createdBy, ...(v.proposedBy ? { proposedBy: v.proposedBy } : {}) } : null;
}

/** The skill list's row of one skill: versions, 30-day rate and trend, last verdict, open canary. */
export async function skillSummary(store: Store, skill: CurrentSkill, defaults: RolloutDefaults, now: number, trial?: CanaryTrial): Promise<SkillSummary> {
  const ref: SkillRef = { name: skill.name, author: skill.author };
  const [verdicts, rollout] = await Promise.all([store.verdicts(ref), effectiveRollout(store, ref, defaults)]);
  const trend = dailyRates(judgedInvocations(verdicts), now);
  const last = verdicts.at(-1);
  const lastVerdict: LastVerdict | null = last
    ? { outcome: last.outcome, reason: last.reason, user: last.user, version: last.skillVersion, at: last.createdAt ?? null }
    : null;
  const shown = skill.stable ?? skill.candidate;
  return {
    ref: formatSkillRef(ref),
    name: skill.name,
    author: skill.author,
    description: shown?.description ?? '',
    stable: brief(skill.stable),
    candidate: brief(skill.candidate),
    latestVersion: skill.latestVersion,
    policy: rollout.policy,
    successRate: trend.judged === 0 ? null : trend.passed / trend.judged,
    judged30d: trend.judged,
    trend: { days: trend.days, rates: trend.rates },
    lastVerdict,
    canary: skill.candidate ? await canaryView(store, ref, skill.candidate, skill.stable, rollout, trial) : null,
  };
}

/** The candidate's evidence as the lane reads it: from its trial's start (else its publish), stable topped up to minJudged. */
async function canaryView(store: Store, ref: SkillRef, candidate: SkillVersion, stable: SkillVersion | null, rollout: RolloutDefaults, trial?: CanaryTrial): Promise<CanaryView> {
  const since = trial?.version === candidate.version ? trial.since : candidate.createdAt;
  const stableVersion = stable?.version ?? 0;
  const { minJudged } = rollout.canary;
  const evidence = await store.canaryEvidence(ref, { candidate: candidate.version, stable: stableVersion, since, minStable: minJudged });
  return { version: candidate.version, stableVersion, since, minJudged, candidate: evidence.candidate, stable: evidence.stable };
}

export async function skillSummaries(store: Store, defaults: RolloutDefaults, now: number): Promise<SkillSummary[]> {
  return Promise.all((await store.listCurrent()).map((skill) => skillSummary(store, skill, defaults, now)));
}

async function rolloutView(store: Store, ref: SkillRef, defaults: RolloutDefaults): Promise<RolloutView> {
  const own = await store.rolloutSettings(ref);
  const overrides = own?.canary ?? {};
  const merged = mergeCanarySettings(defaults.canary, overrides);
  return {
    policy: own?.policy ?? defaults.policy,
    policySource: own?.policy ? 'skill' : 'team default',
    canary: 'error' in merged ? defaults.canary : merged.settings,
    overridden: Object.keys(overrides).filter((k) => overrides[k as keyof typeof overrides] !== undefined),
    ...('error' in merged ? { settingsNote: merged.error } : {}),
    precheck: { ...effectivePrecheck(defaults.precheck, own?.precheck), source: own?.precheck ? 'skill' : 'team default' },
  };
}

/**
 * A skill's page as far as the store holds it; undefined when there is no such
 * skill. `trial`: the candidate on trial and when it began, if the lane says so.
 */
export async function storedSkillPage(store: Store, ref: SkillRef, defaults: RolloutDefaults, now: number, trial?: CanaryTrial): Promise<StoredSkillPage | undefined> {
  const [current, versions, transitions, verdicts] = await Promise.all([
    store.listCurrent().then((all) => all.find((s) => s.name === ref.name && s.author === ref.author)),
    store.history(ref),
    store.transitions(ref),
    store.verdicts(ref),
  ]);
  if (!current || versions.length === 0) return undefined;
  const views: VersionView[] = versions.map((v) => ({
    ...brief(v)!,
    description: v.description,
    bodyBytes: Buffer.byteLength(v.body, 'utf8'),
    contributors: v.contributors,
    transitions: transitions.filter((t) => t.version === v.version).map(({ from, to, decidedBy, reason, at }) => ({ from, to, decidedBy, reason, at })),
    precheck: v.precheck ?? null,
  }));
  return {
    summary: await skillSummary(store, current, defaults, now, trial),
    versions: views,
    chart: versionChart(judgedInvocations(verdicts)),
    rollout: await rolloutView(store, ref, defaults),
  };
}
