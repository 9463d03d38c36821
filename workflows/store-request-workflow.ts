// A teammate's store request (workflow id "read:<uuid>" for a read,
// "attribution:<session id>" for an attribution row): one storeRequest
// activity on the central worker, its reply returned. Teammate machines hold
// no database credentials; this is how their reads and rows reach the store.
// Short-lived and small: each reply is one page, far below the payload limit.
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { SkillActivities, StoreReply } from '../activities/types';
import { FailureTypes } from '../core/failure-types';
import { StoreRequestSchema, messageProblem, parseMessage } from '../core/messages';
import { STORE_RETRY } from './activity-options';

// A store that does not answer fails the read in a couple of minutes instead of holding it (the sender gives up sooner).
const store = proxyActivities<SkillActivities>({ startToCloseTimeout: '30 seconds', scheduleToCloseTimeout: '2 minutes', retry: STORE_RETRY });

export async function storeRequestWorkflow(request: unknown): Promise<StoreReply> {
  const parsed = parseMessage(StoreRequestSchema, request);
  if (!parsed) throw ApplicationFailure.nonRetryable(`malformed store request: ${messageProblem(StoreRequestSchema, request)}`, FailureTypes.InvalidInput);
  return store.storeRequest(parsed);
}
