// This machine's on-demand worker (teammate mode): an activities-only Temporal
// worker on the machine's own task queue, run inside the outbox flusher after it
// delivered, for as long as work is pending plus a short grace; never a daemon.
// It registers only judgeReaction and proposeEdit (no workflows, no store, no
// database credentials): they read this machine's transcripts and call its
// agent CLI (agents/ modelFromEnv), so the model cost lands on this user.
//
// Its own bundle (dist/machine-worker.mjs, npm packages external: the
// worker's native bridge cannot be bundled), loaded by the flusher only when
// there is a queue to serve, so plain delivery never loads it.
import { modelCallsFromEnv } from '../local/model-calls';
import { agentTranscriptRoots } from '../agents/registry';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { createModelActivities } from '../activities/create-activities';
import type { ModelActivities } from '../activities/types';
import { modelFromEnv } from '../agents/model-backend';
import type { ModelCall } from '../agents/types';
import { temporalSettings } from '../local/temporal';
import type { HookLog } from '../local/hook-log';

export interface MachineWorkerOptions {
  env: NodeJS.ProcessEnv;
  taskQueue: string;
  log: HookLog;
  /** Default: this machine's agent CLI from the environment. */
  model?: ModelCall;
  /** A judgment of this reaction event ran here (whatever its verdict). */
  onJudged?: (eventId: string) => void;
}

export interface MachineWorker {
  taskQueue: string;
  /** Activities running now. */
  inFlight(): number;
  /** When an activity last started or ended here (ms since the epoch); the worker's start before any. */
  lastActivityAt(): number;
  /** Activities completed or failed here. */
  handled(): number;
  /** Stops polling, lets running activities finish, closes the connection. */
  stop(): Promise<void>;
}

let runtimeInstalled = false;

function installRuntime(log: HookLog): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    // The flusher has no stdio: the SDK's warnings go to hooks.log.
    Runtime.install({
      logger: new DefaultLogger('WARN', (entry: { level: LogLevel; message: string }) => {
        // Activities only, on purpose.
        if (!entry.message.startsWith('No workflows registered')) log.error(`worker ${entry.level}: ${entry.message}`);
      }),
    });
  } catch {
    // Installed already (tests run several in one process).
  }
}

export async function startMachineWorker(options: MachineWorkerOptions): Promise<MachineWorker> {
  const { env, taskQueue, log } = options;
  installRuntime(log);
  const model = options.model ?? modelFromEnv(env);
  const settings = temporalSettings(env);
  let inFlight = 0;
  let handled = 0;
  let lastActivityAt = Date.now();
  const tracked = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, done?: (...args: A) => void) =>
    async (...args: A): Promise<R> => {
      inFlight++;
      lastActivityAt = Date.now();
      try {
        const result = await fn(...args);
        done?.(...args);
        return result;
      } finally {
        inFlight--;
        handled++;
        lastActivityAt = Date.now();
      }
    };
  // This machine's own transcript folders and daily cap: the same rules as any worker's judge.
  const own = createModelActivities({ model, transcriptRoots: agentTranscriptRoots(env), modelCalls: modelCallsFromEnv(env) });
  const activities: ModelActivities = {
    judgeReaction: tracked(own.judgeReaction, (input) => options.onJudged?.(input.reaction.eventId)),
    proposeEdit: tracked(own.proposeEdit),
    checkEdit: tracked(own.checkEdit),
  };
  const connection = await NativeConnection.connect(settings.connectionOptions);
  let worker: Worker;
  try {
    worker = await Worker.create({
      connection,
      namespace: settings.namespace,
      taskQueue,
      activities,
      // One machine, one user: a couple of model calls at a time.
      maxConcurrentActivityTaskExecutions: 2,
      // Activities get a moment to finish on stop; their heartbeats let the server retry elsewhere otherwise.
      shutdownGraceTime: '2 seconds',
    });
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw err;
  }
  const running = worker.run().catch((err: unknown) => log.error(`worker on ${taskQueue} stopped`, err));
  log.debug(`serving ${taskQueue}`);
  return {
    taskQueue,
    inFlight: () => inFlight,
    lastActivityAt: () => lastActivityAt,
    handled: () => handled,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close().catch(() => undefined);
    },
  };
}
