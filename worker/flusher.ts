// The outbox flusher: a detached process (dist/flusher.mjs) that a hook starts
// after spooling an event. It delivers every spooled event (worker/outbox-delivery.ts),
// keeps going while new files appear, backs off and retries while Temporal is
// unreachable (for a bounded time, then exits and marks the outbox stalled: the
// next hook, even a prompt with no window open, starts a new one), and exits
// when the outbox has stayed empty for a short linger.
//
// Connection settings come from the standard Temporal client config
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS, temporal.toml).
//
// Teammate mode (local/judgment-queue.ts): after delivering, the flusher stays on as
// this machine's activities-only worker (worker/machine-worker.ts, loaded only then)
// while a judgment or proposal runs and for a grace period after the last one
// (SKILLOPT_WORKER_GRACE_MS), then exits. Reactions it delivered are kept in
// outbox/judgments-pending.json until judged here, so a flusher killed before
// that is started again by the next hook event, whatever it is. What to do when
// is decided in worker/flusher-state.ts; this file does it.
import { watch, type FSWatcher } from 'node:fs';
import { WorkflowNotFoundError, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type Client } from '@temporalio/client';
import { invocationStateQuery } from '../workflows/definitions';
import { DEFAULT_ROUTED_SCHEDULE_TO_START_MS } from '../core/limits';
import { skilloptHome } from '../local/home';
import { openHookLog, type HookLog } from '../local/hook-log';
import { offlineJudgeMs, servedQueue } from '../local/judgment-queue';
import { machineQueue } from '../local/mode';
import type { OutboxEvent } from '../local/outbox/event';
import { clearOutboxStalled, listOutbox, markOutboxStalled, outboxDir } from '../local/outbox/files';
import { FLUSHER_HEARTBEAT_MS, releaseFlusherLock, takeFlusherLock, touchFlusherLock } from '../local/outbox/flusher-lock';
import { readPendingJudgments, writePendingJudgments, type PendingJudgment } from '../local/outbox/pending-judgments';
import { temporalClient } from '../local/temporal';
import {
  DEFAULT_LINGER_MS,
  DEFAULT_RETRY_FOR_MS,
  DEFAULT_WORKER_GRACE_MS,
  DEFAULT_WORKER_MAX_WAIT_MS,
  INITIAL_DELIVERY,
  afterBacklogCheck,
  afterDrain,
  initialSupervisor,
  onDelivered,
  pendingCheckDue,
  pendingChecked,
  shouldStartWorker,
  wantsBacklogCheck,
  workerStartFailed,
  workerVerdict,
  type DeliveredEvent,
  type DeliveryState,
  type FlusherTimings,
  type SupervisorState,
} from './flusher-state';
import type * as MachineWorkerModule from './machine-worker';
import type { MachineWorker, MachineWorkerOptions } from './machine-worker';
import { DEFAULT_RPC_TIMEOUT_MS, drainOutbox, firstLine, type DrainResult } from './outbox-delivery';

export { DEFAULT_LINGER_MS, DEFAULT_RETRY_FOR_MS, DEFAULT_WORKER_GRACE_MS, DEFAULT_WORKER_MAX_WAIT_MS } from './flusher-state';

/** Fallback poll when file-system notifications are unavailable. */
const POLL_MS = 250;

export interface FlusherOptions {
  home: string;
  env?: NodeJS.ProcessEnv;
  retryForMs?: number;
  lingerMs?: number;
  /** How long this machine's worker stays on after its last activity or delivery. */
  graceMs?: number;
  log: HookLog;
  /** Starts this machine's worker; default: the bundle next to this one (dist/machine-worker.mjs). */
  startMachineWorker?: (options: MachineWorkerOptions) => Promise<MachineWorker>;
}

async function bundledMachineWorker(options: MachineWorkerOptions): Promise<MachineWorker> {
  // Not a static import: the worker and its native bridge load only when there is a queue to serve.
  const url = new URL('./machine-worker.mjs', import.meta.url).href;
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

/** temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY */
const TASK_QUEUE_TYPE_ACTIVITY = 2;

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
      else log.debug(`could not check ${workflowId}: ${firstLine(err)}`);
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
      log.debug(`no file-system notifications for the outbox (${firstLine(err)}); polling`);
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

/**
 * What the worker's decisions need to know of a delivered event. This machine's
 * queue is read only for an invocation routed to a queue (embedded mode has none,
 * and reading it makes the machine's id).
 */
function deliveredEvent(event: OutboxEvent, signalled: boolean, ownQueue: () => string): DeliveredEvent {
  switch (event.signal) {
    case 'invoked': {
      const queue = event.payload.activityQueue;
      return queue !== undefined && queue === ownQueue() ? { signal: 'invoked', ownQueue: queue } : { signal: 'invoked' };
    }
    case 'reaction':
      return { signal: 'reaction', signalled };
    default:
      return { signal: event.signal };
  }
}

interface FlusherSettings extends FlusherTimings {
  /** How long a judgment waits on this machine's queue: past it, a pending one is dropped. */
  offlineBoundMs: number;
}

function flusherSettings(options: FlusherOptions, env: NodeJS.ProcessEnv): FlusherSettings {
  return {
    retryForMs: options.retryForMs ?? positiveMs(env.SKILLOPT_FLUSHER_RETRY_MS, DEFAULT_RETRY_FOR_MS),
    lingerMs: options.lingerMs ?? positiveMs(env.SKILLOPT_FLUSHER_LINGER_MS, DEFAULT_LINGER_MS),
    graceMs: options.graceMs ?? positiveMs(env.SKILLOPT_WORKER_GRACE_MS, DEFAULT_WORKER_GRACE_MS),
    maxWaitMs: positiveMs(env.SKILLOPT_WORKER_MAX_WAIT_MS, DEFAULT_WORKER_MAX_WAIT_MS),
    offlineBoundMs: offlineJudgeMs(env) ?? DEFAULT_ROUTED_SCHEDULE_TO_START_MS,
  };
}

/** One flusher process while it holds the lock: its connection, its outbox watch, this machine's worker. */
class Flusher {
  readonly #home: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #log: HookLog;
  readonly #settings: FlusherSettings;
  readonly #startMachineWorker: (options: MachineWorkerOptions) => Promise<MachineWorker>;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #outboxWatch: OutboxWatch;
  readonly #pending: PendingJudgments;
  #client: Client | undefined;
  #worker: MachineWorker | undefined;
  #delivery: DeliveryState = INITIAL_DELIVERY;
  #supervisor: SupervisorState;

  /** Call with the lock held. */
  constructor(options: FlusherOptions, env: NodeJS.ProcessEnv, settings: FlusherSettings) {
    this.#home = options.home;
    this.#env = env;
    this.#log = options.log;
    this.#settings = settings;
    this.#startMachineWorker = options.startMachineWorker ?? bundledMachineWorker;
    // Delivery is this flusher's job now.
    clearOutboxStalled(this.#home);
    this.#heartbeat = setInterval(() => touchFlusherLock(this.#home), FLUSHER_HEARTBEAT_MS);
    this.#outboxWatch = new OutboxWatch(this.#home, this.#log);
    const queue = servedQueue(this.#home, env, env.SKILLOPT_ACTIVITY_QUEUE?.trim() || undefined);
    this.#pending = new PendingJudgments(this.#home);
    this.#supervisor = initialSupervisor(queue, this.#pending.size, Date.now());
  }

  outboxEmpty(): boolean {
    return listOutbox(this.#home).length === 0;
  }

  /** Drains the outbox once; 'retry' after a backoff, 'give-up' when Temporal stayed unreachable too long. */
  async deliver(): Promise<'serve' | 'retry' | 'give-up'> {
    let result: DrainResult;
    const startedAt = Date.now();
    try {
      this.#client ??= await connect(this.#env);
      result = await drainOutbox(this.#client, this.#home, { log: this.#log, onDelivered: (event, signalled) => this.#onDelivered(event, signalled) });
    } catch (err) {
      // Bad client configuration (envconfig) or an unexpected error: same as unreachable.
      result = { delivered: 0, deadLettered: 0, remaining: listOutbox(this.#home).length, error: err };
    }
    const step = afterDrain(this.#delivery, { delivered: result.delivered, failed: result.error !== undefined, startedAt }, Date.now(), this.#settings.retryForMs);
    if (step.next === 'give-up') {
      this.#log.error(`Temporal unreachable for ${Math.round(step.failingForMs / 1000)} s; ${result.remaining} event(s) stay in the outbox for the next run`, result.error);
      if (result.remaining > 0) markOutboxStalled(this.#home);
      return 'give-up';
    }
    this.#delivery = step.delivery;
    if (step.next === 'retry') {
      if (step.firstFailure) this.#log.debug(`delivery failed, retrying: ${firstLine(result.error)}`);
      await this.#dropClient();
      await sleep(step.waitMs);
    }
    return step.next;
  }

  #onDelivered(event: OutboxEvent, signalled: boolean): void {
    const { state, owesJudgment } = onDelivered(this.#supervisor, deliveredEvent(event, signalled, () => machineQueue(this.#home, this.#env)), Date.now());
    this.#supervisor = state;
    if (owesJudgment) this.#pending.add(event.payload.eventId, event.workflowId);
  }

  /** Delivered: now serve this machine's queue, if there is one to serve. */
  async serveThisMachine(): Promise<void> {
    const queue = this.#supervisor.queue;
    if (wantsBacklogCheck(this.#supervisor) && this.#client && queue !== undefined) {
      const backlog = await activityBacklog(this.#client, queue);
      this.#log.debug(`${queue}: ${backlog ?? 'unknown'} task(s) waiting`);
      this.#supervisor = afterBacklogCheck(this.#supervisor, backlog);
    }
    if (!shouldStartWorker(this.#supervisor, this.#worker !== undefined) || queue === undefined) return;
    try {
      this.#worker = await this.#startMachineWorker({ env: this.#env, taskQueue: queue, log: this.#log, onJudged: (eventId) => this.#pending.remove([eventId]) });
    } catch (err) {
      this.#supervisor = workerStartFailed(this.#supervisor);
      this.#log.error(`could not start this machine's worker on ${queue}`, err);
    }
  }

  /** Empty: linger for new events, and while this machine's worker has work or is in its grace. */
  async linger(): Promise<void> {
    const lingerUntil = Date.now() + this.#settings.lingerMs;
    while (this.outboxEmpty() && (Date.now() < lingerUntil || !(await this.#workerIdle(Date.now())))) {
      await this.#outboxWatch.wait(POLL_MS);
    }
  }

  async #workerIdle(now: number): Promise<boolean> {
    const worker = this.#worker && { inFlight: this.#worker.inFlight(), lastActivityAt: this.#worker.lastActivityAt() };
    const verdict = workerVerdict(this.#supervisor, worker, this.#pending.size, now, this.#settings);
    if (verdict !== 'owes-judgments') return verdict === 'idle';
    if (this.#client && pendingCheckDue(this.#supervisor, now)) {
      this.#supervisor = pendingChecked(this.#supervisor, now);
      await prunePending(this.#client, this.#pending, this.#settings.offlineBoundMs, this.#log).catch(() => undefined);
    }
    return this.#pending.size === 0;
  }

  /**
   * Unlocks, then looks once more: a hook that spooled just before the unlock
   * saw the lock and started no flusher, so this one must take it. True when it
   * took the lock again to deliver what came.
   */
  async handOver(): Promise<boolean> {
    await this.#stopWorker();
    releaseFlusherLock(this.#home);
    return !this.outboxEmpty() && takeFlusherLock(this.#home);
  }

  /** Stopped before the lock is released: a flusher that holds no lock serves no queue (a poll it left open could still take a task). */
  async #stopWorker(): Promise<void> {
    const stopping = this.#worker;
    this.#worker = undefined;
    await stopping?.stop().catch((err: unknown) => this.#log.error('stopping the worker failed', err));
    if (this.#client && stopping && this.#pending.size > 0) await prunePending(this.#client, this.#pending, this.#settings.offlineBoundMs, this.#log).catch(() => undefined);
  }

  async #dropClient(): Promise<void> {
    // A fresh connection next time: grpc-js would otherwise wait out its own reconnect backoff (up to 2 min).
    const old = this.#client;
    this.#client = undefined;
    await old?.connection.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.#outboxWatch.close();
    await this.#stopWorker();
    clearInterval(this.#heartbeat);
    releaseFlusherLock(this.#home);
    await this.#dropClient();
  }
}

/** The flusher process: returns when it is done (nothing left, or Temporal unreachable too long). */
export async function runFlusher(options: FlusherOptions): Promise<void> {
  const env = options.env ?? process.env;
  const settings = flusherSettings(options, env);
  if (!takeFlusherLock(options.home)) return;
  const flusher = new Flusher(options, env, settings);
  try {
    for (;;) {
      const step = await flusher.deliver();
      if (step === 'give-up') return;
      if (step === 'retry') continue;
      await flusher.serveThisMachine();
      await flusher.linger();
      if (!flusher.outboxEmpty()) continue;
      if (!(await flusher.handOver())) return;
    }
  } finally {
    await flusher.close();
  }
}

// The bundle's entry (dist/flusher.mjs); imported elsewhere (tests), nothing runs.
if (/[\\/]flusher\.mjs$/.test(new URL(import.meta.url).pathname)) {
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
