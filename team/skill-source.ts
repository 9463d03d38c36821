// The reading part of the backend seam (team/backend.ts): what pull and
// `skills list|show|history|diff` read, from the store or through Temporal.
import type { SkillStub } from '../core/messages';
import type { VersionTransition } from '../core/rollout-types';
import type { SkillRef } from '../core/skill-ref';
import type { SkillSigners } from '../core/trust';
import type { SkillVersion } from '../store/types';

export type { SkillStub, SkillVersion };

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
  /** Contents (chunks of versions' files) by hash; a hash the store does not hold is missing from the map. */
  contents(hashes: readonly string[]): Promise<Map<string, Uint8Array>>;
  /** Who may sign the skill's versions, as the store says: owner changes, keys, key changes (checked by the puller, core/trust.ts). */
  signers(ref: SkillRef): Promise<SkillSigners>;
}

export function isStub(skill: ListedSkill): skill is SkillStub {
  return 'unchanged' in skill && skill.unchanged === true;
}
