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
import { watch, type FSWatcher } from 'node:fs';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type Client } from '@temporalio/client';
import { formatSkillRef } from '../core/skill-ref';
import { INVOCATION_WORKFLOW_TYPE, SearchAttributes, TASK_QUEUE, invokedSignal, type InvocationWorkflowInput } from '../workflows/definitions';
import { openHookLog, type HookLog } from './log';
import {
  FLUSHER_HEARTBEAT_MS,
  clearOutboxStalled,
  deadLetterOutboxEvent,
  listOutbox,
  markOutboxStalled,
  outboxDir,
  releaseFlusherLock,
  removeOutboxEvent,
  takeFlusherLock,
  touchFlusherLock,
  type OutboxEvent,
} from './outbox';
import { readOutboxEvent } from './outbox-event';
import { skilloptHome } from '../local/home';
import { temporalClient } from '../local/temporal';

/** Keep retrying an unreachable Temporal this long, then exit (the next hook run starts a new flusher). */
export const DEFAULT_RETRY_FOR_MS = 10 * 60 * 1000;
/** Exit after the outbox has been empty this long. */
export const DEFAULT_LINGER_MS = 5_000;
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
        // Set at start so the UI can filter an invocation before its first workflow task ran.
        typedSearchAttributes: [
          { key: SearchAttributes.skillRef, value: formatSkillRef(ref) },
          { key: SearchAttributes.skillUser, value: invocation.user },
          { key: SearchAttributes.verdict, value: 'pending' },
        ],
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
  log: HookLog;
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
  try {
    for (;;) {
      let result: DrainResult;
      const attemptStartedAt = Date.now();
      try {
        client ??= await connect(env);
        result = await drainOutbox(client, home, { log });
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

      // Empty: linger for new events.
      const lingerUntil = Date.now() + lingerMs;
      while (listOutbox(home).length === 0 && Date.now() < lingerUntil) {
        await outboxWatch.wait(Math.min(POLL_MS, lingerUntil - Date.now()));
      }
      if (listOutbox(home).length > 0) continue;
      // Unlock, then look once more: a hook that spooled just before the
      // unlock saw the lock and started no flusher, so this one must take it.
      releaseFlusherLock(home);
      if (listOutbox(home).length === 0 || !takeFlusherLock(home)) return;
    }
  } finally {
    clearInterval(heartbeat);
    outboxWatch.close();
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
