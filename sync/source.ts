// Where the shared skills are read from: the store itself (embedded, central)
// or the central worker through Temporal (a teammate: sync/remote.ts). pull
// and `skills list|show|history|diff` read through this, whichever it is.
import type { SkillStub } from '../core/messages';
import type { SkillRef } from '../core/skill-ref';
import type { SkillVersion, Store } from '../store/types';

export type { SkillStub };

/** A listed skill: its latest version, or only its number when the caller already has it (see `list`). */
export type ListedSkill = SkillVersion | SkillStub;

export interface SkillSource {
  latest(ref: SkillRef): Promise<SkillVersion | undefined>;
  getVersion(ref: SkillRef, version: number): Promise<SkillVersion | undefined>;
  /** Every version of one skill, oldest first. */
  history(ref: SkillRef): Promise<SkillVersion[]>;
  /**
   * The latest version of every skill, by name then author. With `known` (ref
   * text → a version the caller has), a skill whose latest is not newer may
   * come back as a stub, without its body: only what changed is transferred.
   */
  list(known?: ReadonlyMap<string, number>): Promise<ListedSkill[]>;
}

export function isStub(skill: ListedSkill): skill is SkillStub {
  return 'unchanged' in skill && skill.unchanged === true;
}

/** The store as a source: everything is local, so `list` always returns whole versions. */
export function storeSource(store: Store): SkillSource {
  return {
    latest: (ref) => store.latestVersion(ref),
    getVersion: (ref, version) => store.getVersion(ref, version),
    history: (ref) => store.history(ref),
    list: () => store.listLatest(),
  };
}
