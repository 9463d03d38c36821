// What a teammate's machine asks the central worker: a push (the lane's `push`
// update runs pushVersion) and a store request (one page of a read, a rollout
// change, an attribution row), answered by the backend seam's direct backend
// on this worker's store (team/store-requests.ts), as the CLI here would.
import { ApplicationFailure } from '@temporalio/common';
import { describeError } from '../core/describe-error';
import type { RolloutDefaults } from '../core/rollout-types';
import { StoreValidationError, VersionConflictError, type Store } from '../store/types';
import { directBackend } from '../team/direct';
import { pushToStore } from '../team/push-to-store';
import { serveStoreRequest } from '../team/store-requests';
import { failFastOnBadInput } from './bad-input';
import { candidateRollout } from './rollout-decisions';
import { FailureTypes, type SkillActivities } from './types';

export function createTeamRequestActivities(store: Store, rollout: RolloutDefaults): Pick<SkillActivities, 'pushVersion' | 'storeRequest'> {
  // Under this worker's rollout settings, the same backend the CLI on a store's machine uses.
  const teamSkills = directBackend(store, { rollout });
  return {
    async pushVersion(input) {
      try {
        const outcome = await pushToStore(store, input);
        // A --canary push or a proposal is a candidate: the lane runs its trial (a proposal's waits for an owner).
        if (outcome.status === 'refused' || !(input.canary || outcome.proposal)) return outcome;
        const candidate = await candidateRollout(store, input.ref, rollout);
        return candidate?.version === outcome.version ? { ...outcome, candidate } : outcome;
      } catch (err) {
        // The lane serializes pushes; only a publisher outside it (a central-mode push, the store itself) races one.
        if (err instanceof VersionConflictError) throw ApplicationFailure.nonRetryable(describeError(err), FailureTypes.VersionConflict);
        // Worded as the local push words it.
        if (err instanceof StoreValidationError) throw ApplicationFailure.nonRetryable(describeError(err), FailureTypes.InvalidInput);
        throw err;
      }
    },

    async storeRequest(input) {
      return failFastOnBadInput(() => serveStoreRequest(teamSkills, input));
    },
  };
}
