// The team's Temporal, as this machine reaches it with the standard client
// settings (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS or a
// temporal.toml profile), and the one way its failures are worded. A store
// request is a short storeRequestWorkflow run ("read:<uuid>") served by the
// central worker: one page each. Loads the Temporal client: never on a hook's path.
import { randomUUID } from 'node:crypto';
import {
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcDeadlineError,
  isGrpcServiceError,
  type Client,
} from '@temporalio/client';
import { ActivityFailure, TimeoutFailure } from '@temporalio/common';
import { SHARED_TASK_QUEUE, type StoreReply, type StoreRequest } from '../core/messages';
import { machineMode } from '../local/mode';
import { centralMisconfiguredMessage } from './central-misconfigured';
import { temporalClient, temporalSettings } from '../local/temporal';
import { STORE_REQUEST_WORKFLOW_TYPE } from '../workflows/definitions';
import type { storeRequestWorkflow } from '../workflows/store-request-workflow';

/** A teammate's request that Temporal or the central worker could not serve; the message is the one line to show. */
export class RemoteError extends Error {
  override name = 'RemoteError';
}

const CONNECT_TIMEOUT_MS = 5_000;
/** A read no worker picked up fails after this long (its workflow's execution timeout). */
export const READ_TIMEOUT_MS = 30_000;
/** A push waits this long for the lane's answer. */
export const PUSH_TIMEOUT_MS = 60_000;

export interface TeamConnection {
  client: Client;
  /** For messages: where and which namespace. */
  address: string;
  namespace: string;
  /** The central worker's queue: SKILLOPT_TASK_QUEUE, else "skillopt" (the flusher's rule too). */
  taskQueue: string;
  close(): Promise<void>;
}

/** Connects now with this machine's Temporal settings; unreachable → a RemoteError saying what to check. */
export async function connectTeam(env: NodeJS.ProcessEnv = process.env, { lazy = false } = {}): Promise<TeamConnection> {
  const { address, namespace } = temporalSettings(env);
  try {
    const client = await temporalClient(env, { connectTimeout: CONNECT_TIMEOUT_MS, lazy });
    const taskQueue = env.SKILLOPT_TASK_QUEUE?.trim() || SHARED_TASK_QUEUE;
    return { client, address, namespace, taskQueue, close: () => client.connection.close() };
  } catch (err) {
    const fix =
      machineMode(env).mode === 'embedded'
        ? 'start it with `npm start` (skillopt up), or set TEMPORAL_ADDRESS for a team'
        : "check TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE (or your temporal.toml profile), or ask who runs the team's Temporal";
    throw new RemoteError(`cannot reach Temporal at ${address} (${firstLine(err)}): ${fix}`);
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
}

function noWorker(team: TeamConnection, seconds: number): string {
  return `no skillopt worker answered on the task queue "${team.taskQueue}" of Temporal at ${team.address} (namespace ${team.namespace}) within ${seconds} s: the team's central worker must be running (see \`skillopt doctor\`)`;
}

/** Any failure of a remote call as one line. */
export function remoteError(team: TeamConnection, err: unknown, timeoutMs: number, after = ''): RemoteError {
  if (err instanceof RemoteError) return err;
  const misconfigured = centralMisconfiguredMessage(err, team);
  if (misconfigured) return new RemoteError(misconfigured + after);
  const seconds = Math.round(timeoutMs / 1000);
  if (err instanceof WorkflowFailedError || err instanceof WorkflowUpdateFailedError) {
    if (err.cause instanceof TimeoutFailure) return new RemoteError(noWorker(team, seconds) + after);
    // An activity's failure (the store refusing a state change) says why one level down.
    let cause: unknown = err.cause;
    while (cause instanceof ActivityFailure && cause.cause) cause = cause.cause;
    if (cause) return new RemoteError(firstLine(cause));
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(err)) return new RemoteError(noWorker(team, seconds) + after);
  if (isGrpcServiceError(err) || (err instanceof Error && /namespace/i.test(err.message) && /not found/i.test(err.message))) {
    const message = firstLine(err);
    if (/namespace/i.test(message) && /not found/i.test(message)) {
      return new RemoteError(`namespace ${team.namespace} does not exist on Temporal at ${team.address}: set TEMPORAL_NAMESPACE to the team's namespace`);
    }
    return new RemoteError(`Temporal at ${team.address} refused the request (${message}): check TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and TEMPORAL_API_KEY`);
  }
  if (err instanceof Error && err.name === 'TransportError') {
    return new RemoteError(`cannot reach Temporal at ${team.address} (${firstLine(err)}): check TEMPORAL_ADDRESS, or ask who runs the team's Temporal`);
  }
  return new RemoteError(firstLine(err));
}

export interface StoreRequestOptions {
  /** Sees every request and its reply (tests: what a pull transferred). */
  onReply?: (request: StoreRequest, reply: StoreReply) => void;
}

/** One store request, served by the central worker: its reply (one page). */
export async function storeRequest(team: TeamConnection, request: StoreRequest, options: StoreRequestOptions = {}): Promise<StoreReply> {
  let reply: StoreReply;
  try {
    reply = (await team.client.connection.withDeadline(Date.now() + READ_TIMEOUT_MS + 5_000, () =>
      team.client.workflow.execute<typeof storeRequestWorkflow>(STORE_REQUEST_WORKFLOW_TYPE, {
        workflowId: `read:${randomUUID()}`,
        taskQueue: team.taskQueue,
        args: [request],
        workflowExecutionTimeout: READ_TIMEOUT_MS,
      }),
    ));
  } catch (err) {
    throw remoteError(team, err, READ_TIMEOUT_MS);
  }
  options.onReply?.(request, reply);
  return reply;
}

/** One store request whose reply must be of the same op (an older central worker may not know a newer op). */
export async function askStore<Op extends StoreReply['op']>(team: TeamConnection, request: StoreRequest & { op: Op }, options: StoreRequestOptions): Promise<Extract<StoreReply, { op: Op }>> {
  const reply = await storeRequest(team, request, options);
  if (reply.op !== request.op) throw new RemoteError(`the central worker answered a ${request.op} read with ${reply.op}: upgrade skillopt on both sides`);
  return reply as Extract<StoreReply, { op: Op }>;
}

