// A teammate machine's way to the shared store: through Temporal, with only
// the standard Temporal client settings (no database credentials). Reads are
// short storeRequestWorkflow runs ("read:<uuid>") served by the central
// worker, one page each; a push is the `push` update on the skill's lane,
// sent with update-with-start; an attribution row is a started (not awaited)
// storeRequestWorkflow. Loaded only in teammate mode: it loads the Temporal client.
import { randomUUID } from 'node:crypto';
import {
  WithStartWorkflowOperation,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcDeadlineError,
  isGrpcServiceError,
  type Client,
} from '@temporalio/client';
import { ActivityFailure, TimeoutFailure } from '@temporalio/common';
import {
  MAX_KNOWN_REFS,
  SHARED_TASK_QUEUE,
  UpdateNames,
  WorkflowTypes,
  receivedSkillRecord,
  type CandidateDecided,
  type CandidateDecision,
  type ReceivedSkillRecord,
  type StoreReply,
  type StoreRequest,
} from '../core/messages';
import type { PushOutcome, PushRequest } from '../core/push-rules';
import type { SkillReport } from '../core/report';
import type { CanaryTrial, SkillSummary, StoredSkillPage } from '../core/dashboard';
import { workflowIdForSkill } from '../core/skill-ref';
import type { SkillRef } from '../core/skill-ref';
import type { AttributionRecord, SkillVersion } from '../store/types';
import { temporalClient, temporalSettings } from '../local/temporal';
import { centralMisconfiguredMessage } from './central-misconfigured';
import type { PushPublisher } from './push';
import type { ListedSkill, SkillSource } from './source';

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
    throw new RemoteError(`cannot reach Temporal at ${address} (${firstLine(err)}): check TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE (or your temporal.toml profile), or ask who runs the team's Temporal`);
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
}

function noWorker(team: TeamConnection, seconds: number): string {
  return `no skillopt worker answered on the task queue "${team.taskQueue}" of Temporal at ${team.address} (namespace ${team.namespace}) within ${seconds} s: the team's central worker must be running (see \`skillopt doctor\`)`;
}

/** Any failure of a remote call as one line. */
function remoteError(team: TeamConnection, err: unknown, timeoutMs: number, after = ''): RemoteError {
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

export interface RemoteSourceOptions {
  /** Sees every request and its reply (tests: what a pull transferred). */
  onReply?: (request: StoreRequest, reply: StoreReply) => void;
}

/** One store request, served by the central worker: its reply (one page). */
export async function storeRequest(team: TeamConnection, request: StoreRequest, options: RemoteSourceOptions = {}): Promise<StoreReply> {
  let reply: StoreReply;
  try {
    reply = (await team.client.connection.withDeadline(Date.now() + READ_TIMEOUT_MS + 5_000, () =>
      team.client.workflow.execute(WorkflowTypes.storeRequest, {
        workflowId: `read:${randomUUID()}`,
        taskQueue: team.taskQueue,
        args: [request],
        workflowExecutionTimeout: READ_TIMEOUT_MS,
      }),
    )) as StoreReply;
  } catch (err) {
    throw remoteError(team, err, READ_TIMEOUT_MS);
  }
  options.onReply?.(request, reply);
  return reply;
}

/** One store request whose reply must be of the same op (an older central worker may not know a newer op). */
async function askStore<Op extends StoreReply['op']>(team: TeamConnection, request: StoreRequest & { op: Op }, options: RemoteSourceOptions): Promise<Extract<StoreReply, { op: Op }>> {
  const reply = await storeRequest(team, request, options);
  if (reply.op !== request.op) throw new RemoteError(`the central worker answered a ${request.op} read with ${reply.op}: upgrade skillopt on both sides`);
  return reply as Extract<StoreReply, { op: Op }>;
}

const asVersion = (record: ReceivedSkillRecord | null): SkillVersion | undefined => (record ? receivedSkillRecord(record) : undefined);

/** The shared store as read through Temporal: what pull and `skills` use on a teammate machine. */
export function remoteSource(team: TeamConnection, options: RemoteSourceOptions = {}): SkillSource {
  const ask = <Op extends StoreReply['op']>(request: StoreRequest & { op: Op }) => askStore<Op>(team, request, options);
  const ref = (r: SkillRef): SkillRef => ({ name: r.name, author: r.author });
  return {
    current: async (r) => asVersion((await ask({ op: 'latest', ref: ref(r) })).record),
    getVersion: async (r, version) => asVersion((await ask({ op: 'version', ref: ref(r), version })).record),
    transitions: async (r) => (await ask({ op: 'transitions', ref: ref(r) })).transitions,
    async history(r) {
      const versions: SkillVersion[] = [];
      let after: number | undefined;
      do {
        const reply = await ask({ op: 'history', ref: ref(r), ...(after === undefined ? {} : { after }) });
        versions.push(...reply.versions.map(receivedSkillRecord));
        after = reply.next;
      } while (after !== undefined);
      return versions;
    },
    async list(user, knownMap) {
      // Past MAX_KNOWN_REFS the rest are simply fetched whole: the request stays small.
      const known = knownMap && knownMap.size > 0 ? Object.fromEntries([...knownMap].slice(0, MAX_KNOWN_REFS)) : undefined;
      const items: ListedSkill[] = [];
      let after: string | undefined;
      do {
        const reply = await ask({ op: 'list', user, ...(known ? { known } : {}), ...(after === undefined ? {} : { after }) });
        items.push(...reply.items.map((item) => ('unchanged' in item ? item : receivedSkillRecord(item))));
        after = reply.next;
      } while (after !== undefined);
      return items;
    },
  };
}

/** `skillopt report` through the central worker: one skill's report (none for an unknown ref), or every skill's, page by page. */
export async function remoteReports(team: TeamConnection, query: { ref?: SkillRef; since: string }, options: RemoteSourceOptions = {}): Promise<SkillReport[]> {
  const skills: SkillReport[] = [];
  let after: string | undefined;
  do {
    const reply = await askStore(
      team,
      { op: 'report', ...(query.ref ? { ref: { name: query.ref.name, author: query.ref.author } } : {}), since: query.since, ...(after === undefined ? {} : { after }) },
      options,
    );
    skills.push(...reply.skills);
    after = query.ref ? undefined : reply.next;
  } while (after !== undefined);
  return skills;
}

/** The skills dashboard's list through the central worker, page by page. */
export async function remoteSkillSummaries(team: TeamConnection, options: RemoteSourceOptions = {}): Promise<SkillSummary[]> {
  const skills: SkillSummary[] = [];
  let after: string | undefined;
  do {
    const reply = await askStore(team, { op: 'skillSummaries', ...(after === undefined ? {} : { after }) }, options);
    skills.push(...reply.skills);
    after = reply.next;
  } while (after !== undefined);
  return skills;
}

/** A skill's dashboard page as the store holds it, through the central worker; undefined for an unknown skill. */
export async function remoteSkillPage(team: TeamConnection, ref: SkillRef, trial?: CanaryTrial, options: RemoteSourceOptions = {}): Promise<StoredSkillPage | undefined> {
  const reply = await askStore(team, { op: 'skillPage', ref: { name: ref.name, author: ref.author }, ...(trial ? { trial: { version: trial.version, since: trial.since } } : {}) }, options);
  return reply.page ?? undefined;
}

/** Pushes through the skill's lane: the `push` update, with update-with-start (the lane is started when it is not running). */
export function remotePublisher(team: TeamConnection): PushPublisher {
  return async (request: PushRequest): Promise<PushOutcome> => {
    const requestId = request.requestId ?? randomUUID();
    const startWorkflowOperation = new WithStartWorkflowOperation(WorkflowTypes.skill, {
      workflowId: workflowIdForSkill(request.ref),
      taskQueue: team.taskQueue,
      args: [{ ref: request.ref }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    try {
      return (await team.client.connection.withDeadline(Date.now() + PUSH_TIMEOUT_MS, () =>
        team.client.workflow.executeUpdateWithStart(UpdateNames.push, { args: [{ ...request, requestId }], updateId: requestId, startWorkflowOperation }),
      )) as PushOutcome;
    } catch (err) {
      const ref = `${request.ref.name}--${request.ref.author}`;
      throw remoteError(team, err, PUSH_TIMEOUT_MS, `; the push may still be published once it is, see \`skillopt skills history ${ref}\``);
    }
  };
}

/** Hands a SessionStart attribution row to the central worker: started, not awaited (the hook's time is short). */
export async function sendAttribution(team: TeamConnection, attribution: AttributionRecord): Promise<void> {
  const { createdAt: _unused, ...row } = attribution;
  try {
    await team.client.workflow.start(WorkflowTypes.storeRequest, {
      workflowId: `attribution:${attribution.sessionId}:${randomUUID()}`,
      taskQueue: team.taskQueue,
      args: [{ op: 'recordAttribution', attribution: row } satisfies StoreRequest],
      // A row no worker records within a day is not worth more.
      workflowExecutionTimeout: '1 day',
    });
  } catch (err) {
    throw remoteError(team, err, READ_TIMEOUT_MS);
  }
}

/**
 * A person's approve / reject of a skill's pending candidate: the `decide`
 * update on its lane, with update-with-start (a lane that finished learns its
 * candidate from the store first). The validator's refusal is one line.
 */
export async function decideCandidateRemote(team: TeamConnection, ref: SkillRef, decision: CandidateDecision): Promise<CandidateDecided> {
  const startWorkflowOperation = new WithStartWorkflowOperation(WorkflowTypes.skill, {
    workflowId: workflowIdForSkill(ref),
    taskQueue: team.taskQueue,
    args: [{ ref }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  try {
    return (await team.client.connection.withDeadline(Date.now() + PUSH_TIMEOUT_MS, () =>
      team.client.workflow.executeUpdateWithStart(UpdateNames.decide, { args: [decision], startWorkflowOperation }),
    )) as CandidateDecided;
  } catch (err) {
    throw remoteError(team, err, PUSH_TIMEOUT_MS);
  }
}
