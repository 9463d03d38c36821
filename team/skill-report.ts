// Reads one skill's report from the store and shapes it with core/skill-reports.ts:
// the one function both the CLI (embedded, central) and the central worker
// serving a teammate's `report` request call, so both print the same thing.
import { buildSkillReport, MAX_REPORT_EDITS, type SkillReport } from '../core/skill-reports';
import type { RolloutDefaults } from '../core/rollout-types';
import type { SkillRef } from '../core/skill-ref';
import { effectiveRollout } from './rollout-choice';
import type { Store } from '../store/types';

/**
 * The report of `ref` with counts from `since` (ISO-8601), under the skill's
 * own rollout settings or `defaults`; undefined when the store has no such skill.
 */
export async function skillReport(store: Store, ref: SkillRef, since: string, defaults: RolloutDefaults): Promise<SkillReport | undefined> {
  const versions = await store.history(ref);
  if (versions.length === 0) return undefined;
  const [usage, transitions, edits, stats, own, rollout] = await Promise.all([
    store.versionUsage(ref, since),
    store.transitions(ref),
    store.recentEdits(ref, MAX_REPORT_EDITS),
    store.editStats(ref),
    store.rolloutSettings(ref),
    effectiveRollout(store, ref, defaults),
  ]);
  const candidate = versions.find((v) => v.state === 'candidate');
  const stable = versions.find((v) => v.state === 'stable');
  let canary: Parameters<typeof buildSkillReport>[0]['canary'];
  if (candidate) {
    // The lane's own reading: from the candidate's publish, stable topped up to minJudged.
    const evidence = await store.canaryEvidence(ref, { candidate: candidate.version, stable: stable?.version ?? 0, since: candidate.createdAt, minStable: rollout.canary.minJudged });
    canary = {
      candidate: evidence.candidate,
      ...(stable ? { stable: evidence.stable } : {}),
      minJudged: rollout.canary.minJudged,
      threshold: rollout.canary.threshold,
    };
  }
  return buildSkillReport({
    ref,
    since,
    policy: rollout.policy,
    policyIsDefault: (own?.policy ?? null) === null,
    precheck: { on: rollout.precheck.on, isDefault: (own?.precheck ?? null) === null },
    versions,
    usage,
    transitions,
    edits,
    editsTotal: stats.published,
    ...(canary ? { canary } : {}),
  });
}
