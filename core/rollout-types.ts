// The rollout's vocabulary (DESIGN.md "Rollout"), shared by the store, the
// lane workflow, the CLI and the dashboard. The rules that use it are in
// core/rollout.ts.

/**
 * A version's state. `stable` is what everyone gets; `candidate` is on trial
 * with the canary cohort (or waits for approval); `rejected` was reverted or
 * refused; `retired` is a stable version a promotion replaced.
 */
export type VersionState = 'stable' | 'candidate' | 'rejected' | 'retired';
export const VERSION_STATES: readonly VersionState[] = ['stable', 'candidate', 'rejected', 'retired'];

/**
 * How a skill's candidates become stable: `canary` (default: the evidence
 * decides), `approval` (a person decides), `canary+approval` (the canary runs,
 * then a person decides with its evidence shown), `direct` (at once, as the
 * original skillopt did).
 */
export type RolloutPolicy = 'canary' | 'approval' | 'canary+approval' | 'direct';
export const ROLLOUT_POLICIES: readonly RolloutPolicy[] = ['canary', 'approval', 'canary+approval', 'direct'];
export const DEFAULT_ROLLOUT_POLICY: RolloutPolicy = 'canary';

/** One change of a version's state: who or what decided, when, why. */
export interface VersionTransition {
  name: string;
  author: string;
  version: number;
  /** undefined when the version was created in `to`. */
  from: VersionState | null;
  to: VersionState;
  /** A user name, or `skillopt` for the lane's own decisions. */
  decidedBy: string;
  reason: string;
  /** ISO-8601 UTC. */
  at: string;
}

/** Judged invocations of one version: not-judged never counts. */
export interface VersionEvidence {
  version: number;
  passed: number;
  failed: number;
}
