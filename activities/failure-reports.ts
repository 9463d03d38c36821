// A confirmed failure, reported to the skill's lane: signal-with-start of its
// workflow, on the queue this activity runs on (the workflows' own).
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { workflowIdForSkill } from '../core/skill-ref';
import { SKILL_WORKFLOW_TYPE, failureSignal } from '../workflows/definitions';
import type { SkillActivities } from './types';

export function createFailureReportActivities(client: Client): Pick<SkillActivities, 'reportFailure'> {
  return {
    async reportFailure({ ref, report }) {
      await client.workflow.signalWithStart(SKILL_WORKFLOW_TYPE, {
        workflowId: workflowIdForSkill(ref),
        taskQueue: Context.current().info.taskQueue,
        args: [{ ref }],
        signal: failureSignal,
        signalArgs: [report],
      });
    },
  };
}
