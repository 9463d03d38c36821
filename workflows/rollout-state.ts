// A candidate's rollout inside its skill's lane: from the publish (or a push
// with --canary) to the decision. The canary reads the evidence each time a
// verdict on the skill is recorded and when its period ends; core/rollout-rules.ts
// decides, this module turns the decision into the lane's next step. Plain
// data and pure transitions, unit-tested without a server.
import type { CandidateDecision } from '../core/messages';
import type { CanaryDecision } from '../core/rollout-rules';
import { signatureVerifies } from '../core/signing';
import type { CandidateRollout, RolloutState } from './definitions';

export type RolloutStep =
  /** Keep waiting: for evidence, the period's end, or a person. */
  | { kind: 'wait' }
  /** The lane decides: the candidate becomes stable or rejected. */
  | { kind: 'decide'; to: 'stable' | 'rejected'; reason: string };

const HOUR_MS = 3_600_000;

/** The rollout of a candidate just published, or found open when a run starts. `nowMs` is the workflow's clock. */
export function startRollout(candidate: CandidateRollout, nowMs: number): RolloutState {
  const publishedMs = Date.parse(candidate.since);
  const from = Number.isFinite(publishedMs) ? Math.min(publishedMs, nowMs) : nowMs;
  return {
    ...candidate,
    deadlineMs: from + candidate.settings.maxHours * HOUR_MS,
    extended: false,
    // Under `approval` nobody tries the candidate before a person decides: nothing to measure.
    awaitingApproval: candidate.policy === 'approval',
  };
}

/** Whether the canary measures this rollout (a person decides the others, and a concluded canary+approval). */
export function measuring(rollout: RolloutState): boolean {
  return !rollout.awaitingApproval;
}

/**
 * The rule's reading applied: `extend` runs one more period from now;
 * `promote` / `revert` decide, except under canary+approval, where the
 * concluded canary waits for a person with its reading shown.
 */
export function onReading(rollout: RolloutState, reading: CanaryDecision, nowMs: number): { rollout: RolloutState; step: RolloutStep } {
  const read: RolloutState = { ...rollout, reading };
  switch (reading.action) {
    case 'wait':
      return { rollout: read, step: { kind: 'wait' } };
    case 'extend':
      return { rollout: { ...read, extended: true, deadlineMs: nowMs + rollout.settings.maxHours * HOUR_MS }, step: { kind: 'wait' } };
    case 'promote':
    case 'revert':
      if (rollout.policy === 'canary+approval') return { rollout: { ...read, awaitingApproval: true }, step: { kind: 'wait' } };
      return { rollout: read, step: { kind: 'decide', to: reading.action === 'promote' ? 'stable' : 'rejected', reason: reading.reason } };
  }
}

export interface CandidateDecisionRequest {
  version: number;
  action: 'approve' | 'reject';
}

/**
 * Why a person's decision cannot be theirs, whoever holds the key: unsigned,
 * signed by someone else, or signed for another skill, version or tree. Whose
 * key it is, whether they own the skill and whether the tree is the version's,
 * the store checks (activities/rollout-decisions.ts).
 */
export function decisionSignatureProblem(ref: string, request: CandidateDecision): string | undefined {
  const { signature, tree } = request;
  if (!signature || tree === undefined) return 'the decision is not signed: upgrade skillopt on this machine (decisions are signed since 0.6)';
  if (signature.signer !== request.by) return `the decision is signed by ${signature.signer}, not by ${request.by}`;
  const change = { kind: 'decide', ref, version: request.version, tree, action: request.action } as const;
  return signatureVerifies(change, signature) ? undefined : "the decision's signature does not verify: it was made for another skill, version or tree, or altered";
}

/** Why a person's approve/reject is refused, in one line; undefined when it is the pending candidate. */
export function decisionProblem(label: string, rollout: RolloutState | undefined, request: CandidateDecisionRequest): string | undefined {
  if (!rollout) return `${label} has no pending candidate: v${request.version} cannot be ${request.action === 'approve' ? 'approved' : 'rejected'}`;
  if (rollout.version !== request.version) return `v${request.version} is not the pending candidate of ${label} (v${rollout.version} is)`;
  return undefined;
}
