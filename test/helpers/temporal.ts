// One real Temporal dev server per test file (the pinned CLI, never a mock),
// with skillopt's search attributes registered, and the workflow bundle built once.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { join } from 'node:path';
import type { SkillActivities } from '../../activities/types';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/definitions';
import { resolveTemporalExecutable } from '../../worker/temporal-bin';

let runtimeInstalled = false;

function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed in this process.
  }
}

export async function startTestServer(extraArgs: string[] = []): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: resolveTemporalExecutable(),
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      extraArgs,
    },
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  quietRuntime(); // Replay workers log every state change at INFO otherwise.
  bundle ??= bundleWorkflowCode({
    workflowsPath: join(import.meta.dirname, '..', '..', 'workflows', 'index.ts'),
    logger: new DefaultLogger('WARN'),
  });
  return bundle;
}

/** A name unique to this test: task queues and workflow ids never collide between tests. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Activities for tests about delivery, not judging: every judgment passes, nothing is ever improved. */
export function passingActivities(): SkillActivities {
  const unused = async (): Promise<never> => {
    throw new Error('not used: every judgment passes');
  };
  return {
    judgeReaction: async () => ({ outcome: 'passed', confidence: 1, reason: 'ok' }),
    alreadyJudged: async () => undefined,
    recordVerdict: async () => undefined,
    reportFailure: unused,
    describeSkill: async () => ({ version: 1, improvementsPublished: 0 }),
    readSkill: unused,
    checkEdit: unused,
    precheckEvidence: unused,
    proposeEdit: unused,
    publishSkill: unused,
    recordEdit: unused,
    pushVersion: unused,
    storeRequest: unused,
    canaryEvidence: unused,
    decideCandidate: unused,
  };
}
