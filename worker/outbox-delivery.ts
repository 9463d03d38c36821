// Delivering the outbox to Temporal: each spooled event goes to its invocation
// workflow with signalWithStart or signal, oldest first, and its file is
// deleted only after the server acknowledged it. An invocation workflow
// ignores event ids it has seen and is never started twice, so delivering a
// file twice (a crash between the ack and the delete, two flushers) is
// harmless. The flusher (worker/flusher.ts) and `skillopt up` (at start) drain
// the outbox with this.
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { INVOCATION_WORKFLOW_TYPE, TASK_QUEUE, invocationSearchAttributes, invokedSignal, type InvocationWorkflowInput } from '../workflows/definitions';
import type { HookLog } from '../local/hook-log';
import { readOutboxEvent, type OutboxEvent } from '../local/outbox/event';
import { deadLetterOutboxEvent, listOutbox, removeOutboxEvent } from '../local/outbox/files';

/** One signalWithStart may take this long (the client retries unavailable servers inside it). */
export const DEFAULT_RPC_TIMEOUT_MS = 5_000;

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

/** An error's first line, for the log. */
export function firstLine(err: unknown): string {
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
          options.log?.error(`Temporal refused outbox/${name} (${firstLine(err)}); moved to outbox/failed/`);
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
