// Creates the skillopt worker: both workflows plus every activity, on one task queue.
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { ModelCall } from '../agents/types';
import { agentTranscriptRoots } from '../local/transcript-roots';
import type { Store } from '../store/types';
import { TASK_QUEUE } from '../workflows/definitions';
import { projectRoot } from '../local/project-root';
import { freshWorkflowBundle } from './workflow-bundle';

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
    }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 50,
  });
}
