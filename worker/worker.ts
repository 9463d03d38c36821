// Creates the skillopt worker: both workflows plus every activity, on one task queue.
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities/create-activities';
import { requireRolloutDefaults } from '../core/rollout-rules';
import type { RolloutDefaults } from '../core/rollout-types';
import type { ModelCall } from '../agents/types';
import type { ModelCallBudget } from '../core/model-calls';
import { modelCallsFromEnv } from '../local/model-calls';
import { agentTranscriptRoots } from '../agents/registry';
import type { Store } from '../store/types';
import { TASK_QUEUE } from '../workflows/definitions';
import { projectRoot } from '../local/project-root';
import { serviceKeyFor } from './service-key';
import { freshWorkflowBundle } from './workflow-bundle';
import type { SigningKey } from '../local/signing-key';

export interface SkilloptWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  store: Store;
  model: ModelCall;
  taskQueue?: string;
  /** Pre-built workflow code (tests bundle once per file); default: workflowCode(). */
  workflowBundle?: WorkerOptions['workflowBundle'];
  maxConcurrentActivityTaskExecutions?: number;
  /** The folders the judge may read transcripts from; default: this machine's agent transcript folders (agentTranscriptRoots()). */
  transcriptRoots?: readonly string[];
  /**
   * This machine's daily cap on model calls; default: SKILLOPT_MAX_MODEL_CALLS_PER_DAY
   * counted under SKILLOPT_HOME (a bad value fails the start with one line).
   */
  modelCalls?: ModelCallBudget;
  /** The team's rollout policy and canary settings; default: SKILLOPT_ROLLOUT and SKILLOPT_CANARY_* (a bad value fails the start with one line). */
  rollout?: RolloutDefaults;
  /** Signs the optimizer's candidates and the canary's decisions; default: this machine's service key, registered with the store. */
  serviceKey?: SigningKey;
}

/**
 * The workflow code: the bundle `npm run build` wrote, unless it is missing or
 * older than its sources (then the source, bundled at start: seconds of webpack).
 */
export function workflowCode(root = projectRoot()): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  const prebuilt = freshWorkflowBundle(root);
  if (prebuilt) return { workflowBundle: { codePath: prebuilt } };
  return { workflowsPath: join(root, 'workflows', 'index.ts') };
}

export async function createSkilloptWorker(options: SkilloptWorkerOptions): Promise<Worker> {
  // Read first: a bad SKILLOPT_MAX_MODEL_CALLS_PER_DAY fails the start with one line, not the first judgment.
  const modelCalls = options.modelCalls ?? modelCallsFromEnv();
  const rollout = options.rollout ?? requireRolloutDefaults(process.env);
  const serviceKey = options.serviceKey ?? (await serviceKeyFor(options.store));
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : workflowCode()),
    activities: createActivities({
      store: options.store,
      model: options.model,
      // The activities report failures to skill lanes over the worker's own connection.
      client: new Client({ connection: options.connection, namespace: options.namespace }),
      transcriptRoots: options.transcriptRoots ?? agentTranscriptRoots(),
      modelCalls,
      rollout,
      serviceKey,
    }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 50,
  });
}
