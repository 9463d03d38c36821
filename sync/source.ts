// Where the shared skills are read from: the store itself (embedded, central)
// or the central worker through Temporal (a teammate: sync/remote.ts). pull
// and `skills list|show|history|diff` read through this, whichever it is.
import type { SkillStub } from '../core/messages';
import type { VersionTransition } from '../core/rollout-types';
import type { SkillRef } from '../core/skill-ref';
import { requireRolloutDefaults } from '../core/rollout';
import { versionsForUser } from '../store/rollout-choice';
import type { SkillVersion, Store } from '../store/types';

export type { SkillStub };

/** A listed skill: its latest version, or only its number when the caller already has it (see `list`). */
export type ListedSkill = SkillVersion | SkillStub;

export interface SkillSource {
  /** The version everyone gets: the stable one (for a skill pushed only as a candidate: that one). */
  current(ref: SkillRef): Promise<SkillVersion | undefined>;
  getVersion(ref: SkillRef, version: number): Promise<SkillVersion | undefined>;
  /** Every version of one skill, oldest first. */
  history(ref: SkillRef): Promise<SkillVersion[]>;
  /** Every state change of its versions (who or what decided, when, why), oldest first. */
  transitions(ref: SkillRef): Promise<VersionTransition[]>;
  /**
   * The version of every skill that `user` gets (stable, or the candidate for
   * the canary cohort), by name then author. With `known` (ref text → the
   * version the caller has), a skill at that very version may come back as a
   * stub, without its body: only what changed is transferred.
   */
  list(user: string, known?: ReadonlyMap<string, number>): Promise<ListedSkill[]>;
}

export function isStub(skill: ListedSkill): skill is SkillStub {
  return 'unchanged' in skill && skill.unchanged === true;
}

/**
 * The store as a source: everything is local, so `list` always returns whole
 * versions, chosen with this machine's rollout settings (SKILLOPT_ROLLOUT,
 * SKILLOPT_CANARY_*; a malformed one is a one-line error).
 */
export function storeSource(store: Store, env: NodeJS.ProcessEnv = process.env): SkillSource {
  return {
    current: async (ref) => (await store.stableVersion(ref)) ?? (await store.latestVersion(ref)),
    getVersion: (ref, version) => store.getVersion(ref, version),
    history: (ref) => store.history(ref),
    transitions: (ref) => store.transitions(ref),
    list: (user) => versionsForUser(store, user, requireRolloutDefaults(env)),
  };
}
