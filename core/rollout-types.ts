// The rollout's vocabulary (DESIGN.md "Rollout"), shared by the store, the
// lane workflow, the CLI and the dashboard. The rules that use it are in
// core/rollout-rules.ts.
import type { CheckOutcome } from './precheck';

/**
 * A version's state. `stable` is what everyone gets; `candidate` is on trial
 * with the canary cohort (or waits for approval); `rejected` was reverted or
 * refused; `retired` is a stable version a promotion replaced.
 */
export type VersionState = 'stable' | 'candidate' | 'rejected' | 'retired';
export const VERSION_STATES: readonly VersionState[] = ['stable', 'candidate', 'rejected', 'retired'];

/** How a version's state reads to people: a candidate pushed by a non-owner is a proposal, waiting for an owner. */
export function versionStateLabel(version: { state: VersionState; proposedBy?: string | null }): string {
  return version.state === 'candidate' && version.proposedBy ? `proposal by ${version.proposedBy}` : version.state;
}

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

export interface CanarySettings {
  /** Share of users in the cohort, an integer 0..100. */
  percent: number;
  /** Judged invocations each version needs before the evidence decides (at least 1). */
  minJudged: number;
  /** Longest the canary waits for that evidence, in hours (once more when inconclusive). */
  maxHours: number;
  /** P(candidate ≥ stable) that promotes, and P(stable > candidate) that reverts: above 0.5, below 1. */
  threshold: number;
}

/** A candidate on trial, as the store knows it (the lane's publish, or a run that finds one open). */
export interface CandidateRollout {
  version: number;
  /** The stable version it is measured against; undefined for a first version pushed with --canary. */
  stableVersion?: number;
  policy: RolloutPolicy;
  /** The worker's settings with the skill's overrides. */
  settings: CanarySettings;
  /** When it was published (ISO-8601): evidence counts from here. */
  since: string;
  /** A proposal (a non-owner's push): who proposed it; it waits for an owner whatever the policy. */
  proposedBy?: string;
  /** What the pre-publish check said of it (absent: not checked). */
  precheck?: CheckOutcome;
}

/** The team's rollout defaults, read by the worker: SKILLOPT_ROLLOUT, SKILLOPT_CANARY_* and SKILLOPT_PRECHECK*. */
export interface RolloutDefaults {
  policy: RolloutPolicy;
  canary: CanarySettings;
  /** Absent: DEFAULT_PRECHECK_SETTINGS (core/rollout-rules.ts), on. */
  precheck?: PrecheckSettings;
}

/** A skill's own pre-publish check setting (`skills set-rollout … --precheck on|off`); none: the team's. */
export type PrecheckSetting = 'on' | 'off';
export const PRECHECK_SETTINGS: readonly PrecheckSetting[] = ['on', 'off'];

/** The pre-publish check (core/precheck.ts) as the team runs it: whether edits are checked, against how many held-out passes. */
export interface PrecheckSettings {
  on: boolean;
  heldOut: number;
}
