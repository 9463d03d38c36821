// Which version of each skill a user gets: the stable version, or the
// candidate for the canary cohort (core/rollout-rules.ts pullChoice), under each
// skill's own rollout settings or the team's defaults.
import { cohortPercent, effectivePrecheck, mergeCanarySettings, pullChoice } from '../core/rollout-rules';
import type { RolloutDefaults } from '../core/rollout-types';
import type { SkillRef } from '../core/skill-ref';
import type { RolloutStore, SkillVersion, VersionStore } from '../store/types';

/** A skill's rollout: its own policy, canary settings and pre-publish check where set, else the team's. */
export async function effectiveRollout(store: Pick<RolloutStore, 'rolloutSettings'>, ref: SkillRef, defaults: RolloutDefaults): Promise<Required<RolloutDefaults>> {
  const own = await store.rolloutSettings(ref);
  const merged = mergeCanarySettings(defaults.canary, own?.canary ?? {});
  return {
    policy: own?.policy ?? defaults.policy,
    // Stored overrides were validated when set; a default changed since cannot make them invalid.
    canary: 'error' in merged ? defaults.canary : merged.settings,
    precheck: effectivePrecheck(defaults.precheck, own?.precheck),
  };
}

/** The version of every skill that `user` gets, by name then author (a skill with only a candidate, for the cohort only). */
export async function versionsForUser(store: Pick<RolloutStore, 'rolloutSettings'> & Pick<VersionStore, 'listCurrent'>, user: string, defaults: RolloutDefaults): Promise<SkillVersion[]> {
  const chosen: SkillVersion[] = [];
  for (const skill of await store.listCurrent()) {
    // A proposal (a non-owner's push) goes to no one until an owner approves it.
    const percent = skill.candidate && !skill.candidate.proposedBy ? cohortPercent(await effectiveRollout(store, skill, defaults)) : 0;
    const choice = pullChoice({ user, percent, stable: skill.stable?.version, candidate: skill.candidate?.version });
    if (!choice) continue;
    chosen.push(choice.as === 'candidate' ? skill.candidate! : skill.stable!);
  }
  return chosen;
}
