// What a machine asks of a skill's lane (its workflow "skill:<name>--<author>",
// which owns the skill's candidate): a teammate's push (the `push` update), a
// person's approve / reject (the `decide` update), both with update-with-start
// so a lane that finished is started and reads the store first; and the notice
// of a candidate written straight to a store (a `--canary` push on the embedded
// or central machine), which starts its trial.
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { CandidateDecided, CandidateDecision } from '../core/messages';
import type { PushOutcome, PushRequest } from '../core/push-rules';
import { formatSkillRef, workflowIdForSkill, type SkillRef } from '../core/skill-ref';
import type { Store } from '../store/types';
import { candidatePublishedSignal, decideUpdate, pushUpdate, SKILL_WORKFLOW_TYPE } from '../workflows/definitions';
import type { skillWorkflow } from '../workflows/skill-workflow';
import { PUSH_TIMEOUT_MS, remoteError, type TeamConnection } from './connection';

/** The lane of `ref`, started when it is not running. */
function startLane(team: TeamConnection, ref: SkillRef): WithStartWorkflowOperation<typeof skillWorkflow> {
  return new WithStartWorkflowOperation<typeof skillWorkflow>(SKILL_WORKFLOW_TYPE, {
    workflowId: workflowIdForSkill(ref),
    taskQueue: team.taskQueue,
    args: [{ ref }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

/** A teammate's push, published by the skill's lane; its refusals are the outcome, its failures one line. */
export async function pushThroughLane(team: TeamConnection, request: PushRequest): Promise<PushOutcome> {
  const requestId = request.requestId ?? randomUUID();
  try {
    return await team.client.connection.withDeadline(Date.now() + PUSH_TIMEOUT_MS, () =>
      team.client.workflow.executeUpdateWithStart(pushUpdate, { args: [{ ...request, requestId }], updateId: requestId, startWorkflowOperation: startLane(team, request.ref) }),
    );
  } catch (err) {
    throw remoteError(team, err, PUSH_TIMEOUT_MS, `; the push may still be published once it is, see \`skillopt skills history ${formatSkillRef(request.ref)}\``);
  }
}

/** A person's approve / reject of the lane's pending candidate; the validator's refusal is one line. */
export async function decideOnLane(team: TeamConnection, ref: SkillRef, decision: CandidateDecision): Promise<CandidateDecided> {
  try {
    return await team.client.connection.withDeadline(Date.now() + PUSH_TIMEOUT_MS, () =>
      team.client.workflow.executeUpdateWithStart(decideUpdate, { args: [decision], startWorkflowOperation: startLane(team, ref) }),
    );
  } catch (err) {
    throw remoteError(team, err, PUSH_TIMEOUT_MS);
  }
}

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
