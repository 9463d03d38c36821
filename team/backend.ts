// The backend seam: everything a machine asks of the team's skills, in one
// interface with two implementations. `directBackend` (team/direct.ts) works on
// a store this machine holds (embedded, central); `temporalBackend`
// (team/through-temporal.ts) asks the central worker through Temporal (a
// teammate's machine, which holds no database credentials). team/open.ts picks
// one from the machine's mode; nothing else decides. What acts on a running
// workflow (a candidate's decision, status reads) goes through Temporal in
// both, since the lanes own their candidates.
import type { CandidateDecided, CandidateDecision } from '../core/messages';
import type { CanaryTrial, SkillSummary, StoredSkillPage } from '../core/dashboard-views';
import type { PushOutcome, PushRequest } from '../core/push-rules';
import type { SkillReport } from '../core/skill-reports';
import type { PrecheckSetting, RolloutPolicy } from '../core/rollout-types';
import type { SkillRef } from '../core/skill-ref';
import type { Signature } from '../core/signing';
import type { KeyChange, OwnerChange } from '../core/trust';
import type { AttributionRecord, CanaryOverrides } from '../store/types';
import type { TeamConnection } from './connection';
import type { SkillSource } from './skill-source';
import type { SkillDetail, SkillStatusRow } from './visibility';

export type { SkillSource };

/** Omit applied to each member of a union (Omit on the union itself keeps only the common fields). */
type WithoutCandidate<T> = T extends unknown ? Omit<T, 'candidate'> : never;

/** A push, published: the outcome, and for a `--canary` push what became of the candidate's trial. */
export type Published = WithoutCandidate<PushOutcome> & {
  /** One line on the canary trial: TRIAL_STARTED, or why it has not started yet. */
  trial?: string;
};

/** The outcome without the candidate's rollout (the lane's own business: it has the candidate on trial). */
export function withoutRollout(outcome: PushOutcome): Published {
  if (outcome.status === 'refused') return outcome;
  const { candidate: _rollout, ...published } = outcome;
  return published;
}

/** A `--canary` push whose lane has the candidate on trial. */
export const TRIAL_STARTED = 'its lane has started the canary trial';

/** `skills set-rollout`: a skill's policy from now on, and its own canary settings (absent: the team's). */
export interface RolloutChange {
  policy: RolloutPolicy;
  canary?: CanaryOverrides;
  /** The skill's own pre-publish check; absent: the team's. */
  precheck?: PrecheckSetting;
  /** Who changes it (a user name). */
  by: string;
  /** When it was signed (ISO-8601): an older signed change than the one in force is a replay. */
  at: string;
  /** `by`'s signature of the change (core/signing `rollout`). */
  signature: Signature;
}

export interface TeamBackend extends SkillSource {
  /** Where the team's skills are, for messages: the store itself, or the central worker through Temporal. */
  readonly via: 'store' | 'temporal';
  /** Publishes a person's push (core/push-rules.ts applies in both); its files' contents must be in the store first. */
  publish(request: PushRequest): Promise<Published>;
  /** Which of these contents the store lacks: a push uploads only those. */
  missingContents(hashes: readonly string[]): Promise<string[]>;
  /** Uploads contents (chunks, each checked against its hash by the store). */
  putContents(chunks: ReadonlyArray<{ hash: string; data: Uint8Array }>): Promise<void>;
  /** `skillopt report`: one skill's report (none for an unknown ref), or every skill's, by name then author. */
  reports(query: { ref?: SkillRef; since: string }): Promise<SkillReport[]>;
  /** The skills dashboard's list. */
  skillSummaries(): Promise<SkillSummary[]>;
  /** A skill's dashboard page as far as the store holds it; undefined for an unknown skill. */
  skillPage(ref: SkillRef, trial?: CanaryTrial): Promise<StoredSkillPage | undefined>;
  /** Signed by an owner (team/signed-changes.ts checks it where it is accepted). */
  setRollout(ref: SkillRef, change: RolloutChange): Promise<void>;
  /** `owners add|remove`, signed by an owner; the owners after it. */
  changeOwners(ref: SkillRef, change: OwnerChange): Promise<string[]>;
  /** `skills sign`: an owner's signed approval of one version as it is. */
  signVersion(ref: SkillRef, version: number, approval: Signature): Promise<void>;
  /** `keys rotate|replace`: a person's key from now on, signed by their old key or the team's admin key. */
  replaceKey(change: KeyChange): Promise<void>;
  /** A person's approve / reject of a pending candidate: the `decide` update on the skill's lane. */
  decide(ref: SkillRef, decision: CandidateDecision): Promise<CandidateDecided>;
  /**
   * SessionStart's row: which skills (and versions) a session has in context,
   * stamped when it is stored. Through Temporal it is handed to the central
   * worker and not awaited (a hook's time is short): a row the store refuses is
   * then in the worker's log only.
   */
  recordAttribution(attribution: Omit<AttributionRecord, 'createdAt'>): Promise<void>;
  /** Every skill lane with its recent invocations counted by verdict (Temporal's visibility). */
  skillsStatus(now: Date): Promise<{ rows: SkillStatusRow[]; notes: string[] }>;
  /** One skill's lane state and its most recent invocations (Temporal's visibility and the lane's `state` query). */
  skillStatus(ref: SkillRef, limit: number): Promise<{ detail: SkillDetail; truncated: boolean }>;
  /** The team's Temporal (opened on first use): what the dashboard needs for links and lanes. */
  temporal(): Promise<TeamConnection>;
  /** Closes what was opened; safe to call twice. */
  close(): Promise<void>;
}
