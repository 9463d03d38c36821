// Creates the skillopt worker: the skill workflow plus every activity, on one task queue.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { ModelCall } from '../agents/types';
import type { Store } from '../store/types';
import { TASK_QUEUE } from '../workflows/definitions';
import { projectRoot } from './paths';

export interface SkilloptWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  store: Store;
  model: ModelCall;
  taskQueue?: string;
  /** Pre-built workflow code (tests bundle once per file); default: dist/workflow-bundle.js, else the source. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  maxConcurrentActivityTaskExecutions?: number;
}

/** The workflow code: a pre-built bundle when `npm run build:workflows` made one, else the source (bundled at start). */
export function workflowCode(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  const root = projectRoot();
  const prebuilt = join(root, 'dist', 'workflow-bundle.js');
  if (existsSync(prebuilt)) return { workflowBundle: { codePath: prebuilt } };
  return { workflowsPath: join(root, 'workflows', 'index.ts') };
}

export async function createSkilloptWorker(options: SkilloptWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : workflowCode()),
    activities: createActivities({ store: options.store, model: options.model }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 50,
  });
}
