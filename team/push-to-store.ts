// A push applied to the store: the rules of core/push-rules.ts, then the
// publish. The one implementation behind the direct backend's publish (team/direct.ts) and the
// central worker's pushVersion activity (a teammate's push through Temporal).
import { planPush, pushChange, pushSignatureProblem, type PushOutcome, type PushRequest } from '../core/push-rules';
import { formatSkillRef } from '../core/skill-ref';
import type { SkillVersion, Store } from '../store/types';
import { SignatureRefusedError, acceptPersonSignature, currentOwners } from './signed-changes';

/** The idempotency key of a push with a request id: a retried push (activity retry, update resent) publishes once. */
export function pushIdempotencyKey(requestId: string): string {
  return `push:${requestId}`;
}

function pendingProposal(version: SkillVersion): boolean {
  return version.state === 'candidate' && Boolean(version.proposedBy);
}

/**
 * An owner's signed push publishes as before; anyone else's is a proposal, a
 * candidate no pull installs until an owner approves it. Throws
 * SignatureRefusedError for a signature that does not verify or is not the
 * pusher's registered key, VersionConflictError when a concurrent publisher
 * took the next version, StoreValidationError for unstorable input.
 */
export async function pushToStore(store: Store, request: PushRequest): Promise<PushOutcome> {
  const { ref } = request;
  const key = request.requestId === undefined ? undefined : pushIdempotencyKey(request.requestId);
  const highest = await store.latestVersion(ref);
  if (highest && key !== undefined && highest.idempotencyKey === key) {
    // This push was published already (its first attempt's reply was lost): the same answer again.
    return {
      status: highest.version === 1 ? 'created' : 'updated',
      version: highest.version,
      ...(highest.version > 1 ? { previousVersion: highest.version - 1 } : {}),
      contributors: highest.contributors,
      createdBy: highest.createdBy,
      ...(highest.proposedBy ? { proposal: true } : {}),
    };
  }
  // The signature names the highest version; the push rules compare with what owners published (a pending proposal blocks no one).
  const base = highest?.version ?? 0;
  const history = async () => (await store.history(ref)).filter((v) => !pendingProposal(v));
  const latest = highest && pendingProposal(highest) ? (await history()).at(-1) : highest;
  const problem = pushSignatureProblem(request);
  if (problem) throw new SignatureRefusedError(`${formatSkillRef(ref)}: ${problem}`);
  if (request.base !== base) return { status: 'refused', refusal: { kind: 'moved', latest: base, base: request.base ?? 0 } };
  const signer = await acceptPersonSignature(store, pushChange(request, base), request.signature, request.pusher);
  const owner = (await currentOwners(store, ref)).has(signer);
  if (!owner && request.rollout) throw new SignatureRefusedError(`${signer} may not set the rollout of ${formatSkillRef(ref)}: only its owners may`);
  const plan = await planPush(request, latest, history);
  if (plan.kind === 'done') {
    if (plan.outcome.status === 'up-to-date' && request.rollout) await store.setRolloutSettings(ref, { policy: request.rollout, updatedBy: request.pusher });
    return plan.outcome;
  }
  const { version } = await store.publishVersion({
    name: ref.name,
    author: ref.author,
    ...plan.version,
    // Over the highest version, a pending proposal included: it is overtaken, not undone.
    baseVersion: base,
    ...(key === undefined ? {} : { idempotencyKey: key }),
    signature: { ...request.signature!, kind: 'push', base },
    signedVersion: base + 1,
    // An owner's push is everyone's version (its owner decided), unless they ask for a canary; anyone else's waits for an owner.
    ...(owner ? { state: request.canary ? 'candidate' : 'stable', reason: request.canary ? 'pushed with --canary' : 'pushed' } : { state: 'candidate', reason: `proposed by ${signer}`, proposedBy: signer }),
  });
  if (request.rollout) await store.setRolloutSettings(ref, { policy: request.rollout, updatedBy: request.pusher });
  return {
    status: latest ? 'updated' : 'created',
    version: version.version,
    ...(latest ? { previousVersion: latest.version } : {}),
    contributors: version.contributors,
    createdBy: version.createdBy,
    ...(owner ? {} : { proposal: true }),
  };
}
