// The outbox flusher: a detached process (dist/hook-flusher.mjs) that a hook
// starts after spooling an event. It delivers every spooled event with
// signalWithStart or signal, oldest first, deleting each file only after the server
// acknowledged it; it keeps going while new files appear, backs off and retries
// while Temporal is unreachable (for a bounded time, then exits and marks the
// outbox stalled: the next hook, even a prompt with no window open, starts a
// new one), and exits when the outbox has stayed empty for a short linger. An
// invocation workflow ignores event ids it has seen and is never started twice,
// so delivering a file twice (a crash between the ack and the delete, two
// flushers) is harmless.
//
// Connection settings come from the standard Temporal client config
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS, temporal.toml).
//
// Teammate mode (hooks/queue.ts): after delivering, the flusher stays on as this
// machine's activities-only worker (hooks/machine-worker.ts, loaded only then)
// while a judgment or proposal runs and for a grace period after the last one
// (SKILLOPT_WORKER_GRACE_MS), then exits. Reactions it delivered are kept in
// outbox/judgments-pending.json until judged here, so a flusher killed before
// that is started again by the next hook event, whatever it is.
import { watch, type FSWatcher } from 'node:fs';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type Client } from '@temporalio/client';
import { INVOCATION_WORKFLOW_TYPE, TASK_QUEUE, invocationSearchAttributes, invocationStateQuery, invokedSignal, type InvocationWorkflowInput } from '../workflows/definitions';
import { openHookLog, type HookLog } from './log';
import {
  FLUSHER_HEARTBEAT_MS,
  clearOutboxStalled,
  deadLetterOutboxEvent,
  listOutbox,
  markOutboxStalled,
  outboxDir,
  readPendingJudgments,
  releaseFlusherLock,
  removeOutboxEvent,
  takeFlusherLock,
  touchFlusherLock,
  writePendingJudgments,
  type OutboxEvent,
  type PendingJudgment,
} from './outbox';
import { readOutboxEvent } from './outbox-event';
import type * as MachineWorkerModule from './machine-worker';
import type { MachineWorker, MachineWorkerOptions } from './machine-worker';
import { servedQueue } from './queue';
import { readHookSettings } from './settings';
import { DEFAULT_ROUTED_SCHEDULE_TO_START_MS } from '../core/limits';
import { skilloptHome } from '../local/home';
import { machineQueue } from '../local/mode';
import { temporalClient } from '../local/temporal';

/** Keep retrying an unreachable Temporal this long, then exit (the next hook run starts a new flusher). */
export const DEFAULT_RETRY_FOR_MS = 10 * 60 * 1000;
/** Exit after the outbox has been empty this long. */
export const DEFAULT_LINGER_MS = 5_000;
/** This machine's worker stays on this long after its last activity or delivery (SKILLOPT_WORKER_GRACE_MS). */
export const DEFAULT_WORKER_GRACE_MS = 60_000;
/**
 * …and, while a reaction it delivered has not been judged (the central worker is
 * slow or down), up to this long after its last delivery (SKILLOPT_WORKER_MAX_WAIT_MS);
 * past it the judgment waits on the queue for the next hook event.
 */
export const DEFAULT_WORKER_MAX_WAIT_MS = 10 * 60_000;
/** While it waits for those, it checks their invocations this often. */
const PENDING_CHECK_MS = 5_000;
/** One signalWithStart may take this long (the client retries unavailable servers inside it). */
export const DEFAULT_RPC_TIMEOUT_MS = 5_000;
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5_000;
/** Fallback poll when file-system notifications are unavailable. */
const POLL_MS = 250;

// gRPC status INVALID_ARGUMENT: the server refuses this event as such; retrying cannot help.
const GRPC_INVALID_ARGUMENT = 3;

/** The gRPC status code anywhere in an error's cause chain. */
function grpcCode(err: unknown): number | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

export interface DrainOptions {
  /** Task queue a started workflow runs on: SKILLOPT_TASK_QUEUE, else "skillopt". */
  taskQueue?: string;
  rpcTimeoutMs?: number;
  log?: Pick<HookLog, 'error' | 'debug'>;
  /** After each event the server acknowledged; `signalled` false when its workflow had closed. */
  onDelivered?: (event: OutboxEvent, signalled: boolean) => void;
}

export interface DrainResult {
  delivered: number;
  /** Malformed files and events the server refused as invalid, moved to outbox/failed/. */
  deadLettered: number;
  /** Files still spooled because a delivery failed (see `error`). */
  remaining: number;
  /** The delivery failure that stopped the drain (Temporal unreachable, …). */
  error?: unknown;
}

/**
 * One event to its invocation workflow. `invoked` starts it (signal-with-start;
 * a duplicate arming lands in the same run); once the invocation has closed, a
 * redelivered `invoked` does not start it again, and a late reaction, supersession
 * or session end has nothing left to change: both count as delivered. Returns
 * false for such an event.
 */
export async function deliverOutboxEvent(client: Client, event: OutboxEvent, taskQueue: string, rpcTimeoutMs = DEFAULT_RPC_TIMEOUT_MS): Promise<boolean> {
  const { workflowId, ref } = event;
  try {
    await client.connection.withDeadline(Date.now() + rpcTimeoutMs, async () => {
      if (event.signal !== 'invoked') return client.workflow.getHandle(workflowId).signal(event.signal, event.payload);
      const { eventId: _eventId, ...invocation } = event.payload;
      const input: InvocationWorkflowInput = { ref, invocation, config: event.config };
      return client.workflow.signalWithStart(INVOCATION_WORKFLOW_TYPE, {
        workflowId,
        taskQueue,
        args: [input],
        signal: invokedSignal,
        signalArgs: [event.payload],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        // Set at start: the UI lists an invocation before its first workflow task, and the run need not upsert them.
        typedSearchAttributes: invocationSearchAttributes(ref, invocation),
      });
    });
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || err instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw err;
  }
}

/**
 * Delivers every event in <home>/outbox, oldest first, including files that
 * appear meanwhile; stops at the first delivery that fails for a reason other
 * than the event itself. `skillopt up` calls this at start.
 */
export async function drainOutbox(client: Client, home: string, options: DrainOptions = {}): Promise<DrainResult> {
  const taskQueue = options.taskQueue ?? (process.env.SKILLOPT_TASK_QUEUE || TASK_QUEUE);
  const result: DrainResult = { delivered: 0, deadLettered: 0, remaining: 0 };
  for (;;) {
    const names = listOutbox(home);
    if (names.length === 0) return result;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const read = readOutboxEvent(home, name);
      if (!read.ok) {
        if (read.gone) continue;
        options.log?.error(`outbox/${name} cannot be delivered (${read.reason}); moved to outbox/failed/`);
        deadLetterOutboxEvent(home, name);
        result.deadLettered++;
        continue;
      }
      let signalled: boolean;
      try {
        signalled = await deliverOutboxEvent(client, read.event, taskQueue, options.rpcTimeoutMs);
      } catch (err) {
        if (grpcCode(err) === GRPC_INVALID_ARGUMENT) {
          options.log?.error(`Temporal refused outbox/${name} (${message(err)}); moved to outbox/failed/`);
          deadLetterOutboxEvent(home, name);
          result.deadLettered++;
          continue;
        }
        result.remaining = names.length - i;
        result.error = err;
        return result;
      }
      removeOutboxEvent(home, name);
      result.delivered++;
      options.onDelivered?.(read.event, signalled);
      const what = `${read.event.signal} ${read.event.payload.eventId}`;
      options.log?.debug(signalled ? `delivered ${what} to ${read.event.workflowId}` : `${what}: ${read.event.workflowId} has closed; nothing to deliver`);
    }
  }
}

export interface FlusherOptions {
  home: string;
  env?: NodeJS.ProcessEnv;
  retryForMs?: number;
  lingerMs?: number;
  /** How long this machine's worker stays on after its last activity or delivery. */
  graceMs?: number;
  log: HookLog;
  /** Starts this machine's worker; default: the bundle next to this one (dist/hook-machine-worker.mjs). */
  startMachineWorker?: (options: MachineWorkerOptions) => Promise<MachineWorker>;
}

async function bundledMachineWorker(options: MachineWorkerOptions): Promise<MachineWorker> {
  // Not a static import: the worker and its native bridge load only when there is a queue to serve.
  const url = new URL('./hook-machine-worker.mjs', import.meta.url).href;
  const mod = (await import(url)) as typeof MachineWorkerModule;
  return mod.startMachineWorker(options);
}

/**
 * The reactions this machine still owes a judgment, kept on disk so that a
 * flusher killed before the judgment ran is started again by the next hook.
 */
class PendingJudgments {
  #entries: Record<string, PendingJudgment>;
  constructor(readonly home: string) {
    this.#entries = readPendingJudgments(home);
  }
  get size(): number {
    return Object.keys(this.#entries).length;
  }
  add(eventId: string, workflowId: string): void {
    this.#entries[eventId] = { workflowId, at: Date.now() };
    writePendingJudgments(this.home, this.#entries);
  }
  remove(eventIds: string[]): void {
    if (!eventIds.some((id) => id in this.#entries)) return;
    for (const id of eventIds) delete this.#entries[id];
    writePendingJudgments(this.home, this.#entries);
  }
  entries(): [string, PendingJudgment][] {
    return Object.entries(this.#entries);
  }
}

/** Activity tasks waiting on a queue (DescribeTaskQueue stats), undefined when the server cannot say. */
async function activityBacklog(client: Client, taskQueue: string): Promise<number | undefined> {
  try {
    const response = await client.connection.withDeadline(Date.now() + DEFAULT_RPC_TIMEOUT_MS, () =>
      client.workflowService.describeTaskQueue({
        namespace: client.options.namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: TASK_QUEUE_TYPE_ACTIVITY,
        reportStats: true,
      }),
    );
    const count = response.stats?.approximateBacklogCount;
    return count === undefined || count === null ? undefined : Number(count);
  } catch {
    return undefined;
  }
}

/** temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY */
const TASK_QUEUE_TYPE_ACTIVITY = 2;

/** Drops pending judgments whose invocation has closed or whose bound has passed: nothing will come for them. */
async function prunePending(client: Client, pending: PendingJudgments, boundMs: number, log: HookLog): Promise<void> {
  const done: string[] = [];
  for (const [eventId, { workflowId, at }] of pending.entries()) {
    if (!(Number(at) + boundMs > Date.now())) {
      done.push(eventId);
      continue;
    }
    try {
      const handle = client.workflow.getHandle(workflowId);
      const described = await client.connection.withDeadline(Date.now() + DEFAULT_RPC_TIMEOUT_MS, () => handle.describe());
      if (described.status.name !== 'RUNNING') {
        done.push(eventId);
        continue;
      }
      // Judged already (by an earlier worker of this machine), or dropped after a confirmed failure.
      const state = await client.connection.withDeadline(Date.now() + DEFAULT_RPC_TIMEOUT_MS, () => handle.query(invocationStateQuery));
      if (state.verdicts.some((v) => v.eventId === eventId) || state.failureReported) done.push(eventId);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) done.push(eventId);
      else log.debug(`could not check ${workflowId}: ${message(err)}`);
    }
  }
  pending.remove(done);
}

function positiveMs(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value.trim() !== '' && Number.isFinite(n) && n >= 0 ? n : fallback;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Wakes early when something is written into the outbox. */
class OutboxWatch {
  #watcher: FSWatcher | undefined;
  #wake: (() => void) | undefined;

  constructor(home: string, log: HookLog) {
    try {
      this.#watcher = watch(outboxDir(home), () => this.#wake?.());
      this.#watcher.on('error', () => this.close());
    } catch (err) {
      log.debug(`no file-system notifications for the outbox (${message(err)}); polling`);
    }
  }

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  close(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}

function connect(env: NodeJS.ProcessEnv): Promise<Client> {
  // Lazy: the first signal connects, no extra round trip before it. Few retries
  // inside a call: while the server is down, the flusher's own backoff decides
  // (the client's default would spend the whole call deadline retrying).
  return temporalClient(env, { lazy: true, interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 2 }))] });
}

/** The flusher process: returns when it is done (nothing left, or Temporal unreachable too long). */
export async function runFlusher(options: FlusherOptions): Promise<void> {
  const { home, log } = options;
  const env = options.env ?? process.env;
  const retryForMs = options.retryForMs ?? positiveMs(env.SKILLOPT_FLUSHER_RETRY_MS, DEFAULT_RETRY_FOR_MS);
  const lingerMs = options.lingerMs ?? positiveMs(env.SKILLOPT_FLUSHER_LINGER_MS, DEFAULT_LINGER_MS);
  const graceMs = options.graceMs ?? positiveMs(env.SKILLOPT_WORKER_GRACE_MS, DEFAULT_WORKER_GRACE_MS);
  const maxWaitMs = positiveMs(env.SKILLOPT_WORKER_MAX_WAIT_MS, DEFAULT_WORKER_MAX_WAIT_MS);
  const offlineBoundMs = readHookSettings(env).offlineJudgeMs ?? DEFAULT_ROUTED_SCHEDULE_TO_START_MS;
  if (!takeFlusherLock(home)) return;
  // Delivery is this flusher's job now.
  clearOutboxStalled(home);
  const heartbeat = setInterval(() => touchFlusherLock(home), FLUSHER_HEARTBEAT_MS);
  const outboxWatch = new OutboxWatch(home, log);
  let client: Client | undefined;
  const dropClient = async (): Promise<void> => {
    // A fresh connection next time: grpc-js would otherwise wait out its own reconnect backoff (up to 2 min).
    const old = client;
    client = undefined;
    await old?.connection.close().catch(() => undefined);
  };
  let failingSince: number | undefined;
  let backoff = FIRST_BACKOFF_MS;

  // ---- this machine's worker: which queue, whether it is wanted, since when idle ----
  const override = env.SKILLOPT_ACTIVITY_QUEUE?.trim() || undefined;
  let serveQueue = servedQueue(home, env, override);
  const pending = new PendingJudgments(home);
  // A judgment left over from a flusher that was killed (or a machine that slept) is served now.
  let wantWorker = serveQueue !== undefined && pending.size > 0;
  let worker: MachineWorker | undefined;
  let workerFailed = false;
  let backlogChecked = false;
  let lastDeliveryAt = Date.now();
  const onDelivered = (event: OutboxEvent, signalled: boolean): void => {
    lastDeliveryAt = Date.now();
    if (event.signal === 'invoked' && event.payload.activityQueue !== undefined && event.payload.activityQueue === machineQueue(home, env)) {
      serveQueue ??= event.payload.activityQueue;
      wantWorker = true;
    }
    if (serveQueue === undefined) return;
    if (event.signal === 'invoked') wantWorker = true;
    if (event.signal === 'reaction' && signalled) {
      pending.add(event.payload.eventId, event.workflowId);
      wantWorker = true;
    }
  };
  const startWorker = async (): Promise<void> => {
    if (!wantWorker || serveQueue === undefined || worker || workerFailed) return;
    try {
      worker = await (options.startMachineWorker ?? bundledMachineWorker)({ env, taskQueue: serveQueue, log, onJudged: (eventId) => pending.remove([eventId]) });
    } catch (err) {
      // Delivery goes on; the judgments wait on the queue (up to their bound) for the next flusher.
      workerFailed = true;
      log.error(`could not start this machine's worker on ${serveQueue}`, err);
    }
  };
  /** Stopped before the lock is released: a flusher that holds no lock serves no queue (a poll it left open could still take a task). */
  const stopWorker = async (): Promise<void> => {
    const stopping = worker;
    worker = undefined;
    await stopping?.stop().catch((err: unknown) => log.error('stopping the worker failed', err));
    if (client && stopping && pending.size > 0) await prunePending(client, pending, offlineBoundMs, log).catch(() => undefined);
  };
  /**
   * The worker has nothing running, nothing delivered or run for the grace period,
   * and no reaction it delivered still owed a judgment (for at most maxWaitMs).
   */
  let lastPendingCheck = 0;
  const workerIdle = async (now: number): Promise<boolean> => {
    if (!worker) return true;
    if (worker.inFlight() > 0 || now < Math.max(lastDeliveryAt, worker.lastActivityAt()) + graceMs) return false;
    if (pending.size === 0 || now >= lastDeliveryAt + maxWaitMs) return true;
    if (client && now - lastPendingCheck >= PENDING_CHECK_MS) {
      lastPendingCheck = now;
      await prunePending(client, pending, offlineBoundMs, log).catch(() => undefined);
    }
    return pending.size === 0;
  };

  try {
    for (;;) {
      let result: DrainResult;
      const attemptStartedAt = Date.now();
      try {
        client ??= await connect(env);
        result = await drainOutbox(client, home, { log, onDelivered });
      } catch (err) {
        // Bad client configuration (envconfig) or an unexpected error: same as unreachable.
        result = { delivered: 0, deadLettered: 0, remaining: listOutbox(home).length, error: err };
      }
      // Progress means the server is reachable: the retry window starts over.
      if (result.delivered > 0) failingSince = undefined;
      if (result.error !== undefined) {
        const now = Date.now();
        failingSince ??= attemptStartedAt;
        if (now - failingSince >= retryForMs) {
          log.error(`Temporal unreachable for ${Math.round((now - failingSince) / 1000)} s; ${result.remaining} event(s) stay in the outbox for the next run`, result.error);
          if (result.remaining > 0) markOutboxStalled(home);
          return;
        }
        if (backoff === FIRST_BACKOFF_MS) log.debug(`delivery failed, retrying: ${message(result.error)}`);
        await dropClient();
        await sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        continue;
      }
      failingSince = undefined;
      backoff = FIRST_BACKOFF_MS;
      // Delivered: now serve this machine's queue, if there is one to serve. Started with
      // nothing of its own to serve (a session start), it asks the queue once: judgments
      // wait there for this machine after it was offline.
      if (serveQueue !== undefined && !wantWorker && !backlogChecked && client) {
        backlogChecked = true;
        const backlog = await activityBacklog(client, serveQueue);
        log.debug(`${serveQueue}: ${backlog ?? 'unknown'} task(s) waiting`);
        if (backlog !== undefined && backlog > 0) wantWorker = true;
      }
      await startWorker();

      // Empty: linger for new events, and while this machine's worker has work or is in its grace.
      const lingerUntil = Date.now() + lingerMs;
      while (listOutbox(home).length === 0 && (Date.now() < lingerUntil || !(await workerIdle(Date.now())))) {
        await outboxWatch.wait(POLL_MS);
      }
      if (listOutbox(home).length > 0) continue;
      // Unlock, then look once more: a hook that spooled just before the
      // unlock saw the lock and started no flusher, so this one must take it.
      await stopWorker();
      releaseFlusherLock(home);
      if (listOutbox(home).length === 0 || !takeFlusherLock(home)) return;
    }
  } finally {
    outboxWatch.close();
    await stopWorker();
    clearInterval(heartbeat);
    releaseFlusherLock(home);
    await dropClient();
  }
}

// The bundle's entry (dist/hook-flusher.mjs); imported elsewhere (`skillopt up`), nothing runs.
if (/[\\/]hook-flusher\.mjs$/.test(new URL(import.meta.url).pathname)) {
  const env = process.env;
  const home = skilloptHome(env);
  const log = openHookLog(home, 'flusher', env.SKILLOPT_DEBUG === '1');
  process.on('SIGTERM', () => {
    releaseFlusherLock(home);
    process.exit(0);
  });
  runFlusher({ home, env, log })
    .catch((err: unknown) => log.error('flusher failed', err))
    .finally(() => process.exit(0));
}
