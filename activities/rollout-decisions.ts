// The rollout's side effects: what a skill's candidate is on trial under (the
// worker's settings with the skill's overrides), its evidence, and the
// decision written to the store. The rules are core/rollout-rules.ts.
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { VerdictRecorded } from '../core/messages';
import type { CandidateRollout, RolloutDefaults } from '../core/rollout-types';
import { effectiveRollout } from '../team/rollout-choice';
import { formatSkillRef, workflowIdForSkill, type SkillRef } from '../core/skill-ref';
import { StoreValidationError, type EditStore, type RolloutStore, type SignerStore, type SkillVersion, type VersionStore } from '../store/types';
import { SKILL_WORKFLOW_TYPE, verdictRecordedSignal } from '../workflows/definitions';
import { SERVICE_SIGNER, treeHash, type Signature, type SignedChange } from '../core/signing';
import { acceptPersonSignature, requireOwner } from '../team/signed-changes';
import { FailureTypes, type DecideCandidateInput, type ServiceSigner, type SkillActivities } from './types';

/** The trial a candidate is on, or undefined when the skill has none. */
export async function candidateRollout(store: Pick<VersionStore, 'candidateVersion' | 'stableVersion'> & Pick<RolloutStore, 'rolloutSettings'>, ref: SkillRef, defaults: RolloutDefaults, candidate?: SkillVersion): Promise<CandidateRollout | undefined> {
  const open = candidate ?? (await store.candidateVersion(ref));
  if (!open) return undefined;
  const [stable, rollout] = await Promise.all([store.stableVersion(ref), effectiveRollout(store, ref, defaults)]);
  return {
    version: open.version,
    ...(stable ? { stableVersion: stable.version } : {}),
    // A proposal (a non-owner's push) waits for an owner whatever the skill's policy.
    policy: open.proposedBy ? 'approval' : rollout.policy,
    settings: rollout.canary,
    since: open.createdAt,
    ...(open.proposedBy ? { proposedBy: open.proposedBy } : {}),
    ...(open.precheck ? { precheck: open.precheck } : {}),
  };
}

type RolloutActivities = Pick<SkillActivities, 'canaryEvidence' | 'decideCandidate'>;

export function createRolloutActivities(store: VersionStore & RolloutStore & SignerStore & Pick<EditStore, 'resolveEdit'>, serviceKey: ServiceSigner): RolloutActivities {
  /** The decider's signature, checked: a person's must be an owner's; the canary's is made here, and never promotes a proposal. */
  async function signedDecision({ ref, version, to, decidedBy, signature }: DecideCandidateInput): Promise<Signature> {
    const record = await store.getVersion(ref, version);
    if (!record) throw new StoreValidationError(`${formatSkillRef(ref)} has no v${version}`);
    const change: SignedChange = { kind: 'decide', ref: formatSkillRef(ref), version, tree: treeHash(record), action: to === 'stable' ? 'approve' : 'reject' };
    if (decidedBy === SERVICE_SIGNER) {
      if (to === 'stable' && record.proposedBy) throw new StoreValidationError(`${formatSkillRef(ref)} v${version} is a proposal by ${record.proposedBy}: only an owner approves it`);
      return serviceKey.sign(change, SERVICE_SIGNER);
    }
    await acceptPersonSignature(store, change, signature, decidedBy);
    await requireOwner(store, ref, decidedBy, to === 'stable' ? 'approve a version of' : 'reject a version of');
    return signature!;
  }

  return {
    async canaryEvidence({ ref, rollout }) {
      const evidence = await store.canaryEvidence(ref, {
        candidate: rollout.version,
        stable: rollout.stableVersion ?? 0,
        since: rollout.since,
        minStable: rollout.settings.minJudged,
      });
      return { candidate: evidence.candidate, stable: { version: evidence.stable.version, passed: evidence.stable.passed, failed: evidence.stable.failed } };
    },

    async decideCandidate(input) {
      const { ref, version, to, decidedBy, reason } = input;
      try {
        const signature = await signedDecision(input);
        const person = decidedBy !== SERVICE_SIGNER;
        // A person pushed a newer stable version during the trial: promoting this one would undo it.
        const stableNow = to === 'stable' ? await store.stableVersion(ref) : undefined;
        const superseded = stableNow !== undefined && stableNow.version > version;
        const { version: decided } = superseded
          ? await store.setVersionState(ref, version, 'rejected', { decidedBy, reason: `not promoted: v${stableNow.version} was made stable during its trial (${reason})`, expectedFrom: 'candidate' })
          : await store.setVersionState(ref, version, to, { decidedBy, reason, expectedFrom: 'candidate', signature, approves: person && to === 'stable' });
        // Edit memory: the proposer sees a reverted edit as one the team turned down.
        await store.resolveEdit(ref, version, decided.state === 'stable' ? 'applied' : 'reverted');
        const stable = await store.stableVersion(ref);
        return { version: decided.version, state: decided.state, ...(stable ? { stableVersion: stable.version } : {}) };
      } catch (err) {
        if (err instanceof StoreValidationError) throw ApplicationFailure.nonRetryable(err.message, FailureTypes.InvalidInput);
        throw err;
      }
    },
  };
}

/**
 * After a verdict is stored: while the skill has a candidate on trial, its lane
 * reads the evidence again (signal-with-start: a candidate pushed with no lane
 * running starts its trial here).
 */
export async function tellLaneOfVerdict(store: Pick<VersionStore, 'candidateVersion'>, client: Client, ref: SkillRef, taskQueue: string, verdict: VerdictRecorded): Promise<void> {
  if (!(await store.candidateVersion(ref))) return;
  await client.workflow.signalWithStart(SKILL_WORKFLOW_TYPE, {
    workflowId: workflowIdForSkill(ref),
    taskQueue,
    args: [{ ref }],
    signal: verdictRecordedSignal,
    signalArgs: [verdict],
  });
}
