// A person's `push --canary` written straight to the store (on the embedded or
// the central machine) is a candidate its lane did not publish: the lane is told,
// reads the store and starts the trial (its timer, the revert when nobody tries
// it). A teammate's push goes through the lane, which knows already.
import type { Client } from '@temporalio/client';
import { workflowIdForSkill, type SkillRef } from '../core/skill-ref';
import type { Store } from '../store/types';
import { candidatePublishedSignal, SKILL_WORKFLOW_TYPE } from '../workflows/definitions';

/** Signal-with-start of the skill's lane: a lane that has the candidate on trial already ignores it. */
export async function tellLaneOfCandidate(client: Client, taskQueue: string, ref: SkillRef, version: number): Promise<void> {
  await client.workflow.signalWithStart(SKILL_WORKFLOW_TYPE, {
    workflowId: workflowIdForSkill(ref),
    taskQueue,
    args: [{ ref }],
    signal: candidatePublishedSignal,
    signalArgs: [{ version }],
  });
}

/** Every skill with an open candidate: its lane is told (`skillopt up` at start, for candidates pushed while it was down). */
export async function tellLanesOfOpenCandidates(client: Client, taskQueue: string, store: Pick<Store, 'listCurrent'>): Promise<number> {
  let told = 0;
  for (const { name, author, candidate } of await store.listCurrent()) {
    if (!candidate) continue;
    await tellLaneOfCandidate(client, taskQueue, { name, author }, candidate.version);
    told++;
  }
  return told;
}
