// A push applied to the store: the rules of core/push-rules.ts, then the
// publish. The one implementation behind the direct backend's publish (team/direct.ts) and the
// central worker's pushVersion activity (a teammate's push through Temporal).
import { planPush, type PushOutcome, type PushRequest } from '../core/push-rules';
import type { Store } from '../store/types';

/** The idempotency key of a push with a request id: a retried push (activity retry, update resent) publishes once. */
export function pushIdempotencyKey(requestId: string): string {
  return `push:${requestId}`;
}

/** Throws VersionConflictError when a concurrent publisher took the next version, StoreValidationError for unstorable input. */
export async function pushToStore(store: Store, request: PushRequest): Promise<PushOutcome> {
  const { ref } = request;
  const key = request.requestId === undefined ? undefined : pushIdempotencyKey(request.requestId);
  const latest = await store.latestVersion(ref);
  if (latest && key !== undefined && latest.idempotencyKey === key) {
    // This push was published already (its first attempt's reply was lost): the same answer again.
    return {
      status: latest.version === 1 ? 'created' : 'updated',
      version: latest.version,
      ...(latest.version > 1 ? { previousVersion: latest.version - 1 } : {}),
      contributors: latest.contributors,
      createdBy: latest.createdBy,
    };
  }
  const plan = await planPush(request, latest, () => store.history(ref));
  if (plan.kind === 'done') {
    if (plan.outcome.status === 'up-to-date' && request.rollout) await store.setRolloutSettings(ref, { policy: request.rollout, updatedBy: request.pusher });
    return plan.outcome;
  }
  const { version } = await store.publishVersion({
    name: ref.name,
    author: ref.author,
    ...plan.version,
    ...(key === undefined ? {} : { idempotencyKey: key }),
    // A person's push is everyone's version (its author decided), unless they ask for a canary.
    state: request.canary ? 'candidate' : 'stable',
    reason: request.canary ? 'pushed with --canary' : 'pushed',
  });
  if (request.rollout) await store.setRolloutSettings(ref, { policy: request.rollout, updatedBy: request.pusher });
  return {
    status: latest ? 'updated' : 'created',
    version: version.version,
    ...(latest ? { previousVersion: latest.version } : {}),
    contributors: version.contributors,
    createdBy: version.createdBy,
  };
}
