// Activity options both workflows use: how store and model activities retry,
// time out and route to a machine's own queue.
import { ActivityFailure, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { SkillActivities } from '../activities/types';

/** Store reads and writes retry with backoff until the store answers; bad input fails at once (non-retryable). */
export const STORE_RETRY = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' } as const;

/** Store activities, on the workflow's own (shared) queue. */
export const storeActivities = proxyActivities<SkillActivities>({ startToCloseTimeout: '30 seconds', retry: STORE_RETRY });
/** The same as local activities: bookkeeping in the workflow's own worker, no round trip through the server, fewer history events. */
export const storeLocalActivities = proxyLocalActivities<SkillActivities>({ startToCloseTimeout: '30 seconds', retry: STORE_RETRY });

/**
 * Model activities (judge, propose) run on the reacting machine's own queue when
 * routed: its agent CLI, its transcript. They heartbeat while the CLI runs, so a
 * worker that dies mid-call is noticed in half a minute rather than at the
 * start-to-close timeout; a routed queue with no worker ends at its
 * schedule-to-start timeout (not retried) instead of stalling the skill.
 * `summary`: the one line the Temporal UI shows for the activity.
 */
export function modelActivities(taskQueue: string | undefined, scheduleToStartMs: number, summary?: string) {
  return proxyActivities<SkillActivities>({
    ...(summary ? { summary } : {}),
    ...(taskQueue ? { taskQueue, scheduleToStartTimeout: scheduleToStartMs } : {}),
    // A model call may take minutes; the agent CLI has its own timeout inside.
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: '30 seconds',
    // A judge that keeps failing ends as "not judged", it does not retry forever.
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 4 },
  });
}

/** The activity's own message (its cause), for a reason shown to people. */
export function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}
