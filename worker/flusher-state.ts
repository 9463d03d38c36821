// The flusher's decisions, as plain data and pure transitions (unit-tested
// without a server or a process; worker/flusher.ts wires files, timers and
// Temporal to them):
//
//   delivery   drained ──▶ serve; failed ──▶ retry after a doubling backoff,
//              or give up once Temporal has been unreachable for retryForMs
//   worker     wanted once this machine owes a judgment: a reaction delivered for
//              its own queue, an invocation judged there, judgments left by an
//              earlier flusher, or tasks waiting on the queue (asked once)
//   idle       a running worker stays while an activity runs, for a grace period
//              after its last activity or delivery, and while a reaction it
//              delivered is not judged yet (at most maxWaitMs after the last delivery)

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
export const PENDING_CHECK_MS = 5_000;
export const FIRST_BACKOFF_MS = 250;
export const MAX_BACKOFF_MS = 5_000;

/** The flusher's clock settings (the environment's, or these defaults). */
export interface FlusherTimings {
  /** How long delivery retries while Temporal is unreachable before the flusher gives up (and marks the outbox stalled). */
  retryForMs: number;
  /** How long an empty outbox is watched before the flusher exits. */
  lingerMs: number;
  /** How long this machine's worker stays after its last judgment or proposal. */
  graceMs: number;
  /** How long it waits at most for the judgments of reactions it delivered. */
  maxWaitMs: number;
}

// ---- delivery: retry, back off, give up ----

export interface DeliveryState {
  /** When the attempts that keep failing began; undefined while delivery works. */
  failingSince?: number;
  /** The wait before the next attempt after a failure. */
  backoffMs: number;
}

export const INITIAL_DELIVERY: DeliveryState = { backoffMs: FIRST_BACKOFF_MS };

/** How one drain of the outbox went. */
export interface DrainOutcome {
  delivered: number;
  failed: boolean;
  /** When that attempt started (ms since the epoch). */
  startedAt: number;
}

export type DeliveryStep =
  /** The outbox is empty: serve this machine's queue, then linger. */
  | { next: 'serve'; delivery: DeliveryState }
  /** Wait `waitMs` with a fresh connection, then drain again; `firstFailure` when this run of failures just began. */
  | { next: 'retry'; delivery: DeliveryState; waitMs: number; firstFailure: boolean }
  /** Temporal has been unreachable for `failingForMs`: leave the rest for the next flusher. */
  | { next: 'give-up'; failingForMs: number };

export function afterDrain(delivery: DeliveryState, outcome: DrainOutcome, now: number, retryForMs: number): DeliveryStep {
  if (!outcome.failed) return { next: 'serve', delivery: INITIAL_DELIVERY };
  // Progress means the server is reachable: the retry window starts over.
  const failingSince = outcome.delivered > 0 ? outcome.startedAt : (delivery.failingSince ?? outcome.startedAt);
  if (now - failingSince >= retryForMs) return { next: 'give-up', failingForMs: now - failingSince };
  return {
    next: 'retry',
    delivery: { failingSince, backoffMs: Math.min(delivery.backoffMs * 2, MAX_BACKOFF_MS) },
    waitMs: delivery.backoffMs,
    firstFailure: delivery.backoffMs === FIRST_BACKOFF_MS,
  };
}

// ---- this machine's worker: wanted, started, idle ----

export interface SupervisorState {
  /** The queue this machine's worker serves; undefined while it serves none (embedded, central). */
  queue?: string;
  /** Whether a worker is wanted on that queue. */
  wanted: boolean;
  /** Its start failed: delivery goes on, the judgments wait on the queue (up to their bound) for the next flusher. */
  startFailed: boolean;
  /** Whether the queue's backlog was asked for (once per flusher). */
  backlogChecked: boolean;
  lastDeliveryAt: number;
  /** When the pending judgments' invocations were last checked. */
  pendingCheckedAt: number;
}

/** A judgment left over from a flusher that was killed (or a machine that slept) is served at once. */
export function initialSupervisor(queue: string | undefined, pendingJudgments: number, now: number): SupervisorState {
  return { ...(queue === undefined ? {} : { queue }), wanted: queue !== undefined && pendingJudgments > 0, startFailed: false, backlogChecked: false, lastDeliveryAt: now, pendingCheckedAt: 0 };
}

/** One delivered event, as far as the worker's decisions go. */
export type DeliveredEvent =
  /** `ownQueue`: the invocation's judgment queue, when it is this machine's own. */
  | { signal: 'invoked'; ownQueue?: string }
  /** `signalled` false when the invocation had closed. */
  | { signal: 'reaction'; signalled: boolean }
  | { signal: 'superseded' | 'sessionEnded' };

/**
 * After a delivery: an invocation judged on this machine's own queue makes it
 * the served queue; while there is a queue, an arming or a reaction wants the
 * worker, and a reaction the invocation took is owed a judgment here.
 */
export function onDelivered(state: SupervisorState, event: DeliveredEvent, now: number): { state: SupervisorState; owesJudgment: boolean } {
  let next: SupervisorState = { ...state, lastDeliveryAt: now };
  if (event.signal === 'invoked' && event.ownQueue !== undefined) next = { ...next, queue: next.queue ?? event.ownQueue, wanted: true };
  if (next.queue === undefined) return { state: next, owesJudgment: false };
  if (event.signal === 'invoked') return { state: { ...next, wanted: true }, owesJudgment: false };
  if (event.signal === 'reaction' && event.signalled) return { state: { ...next, wanted: true }, owesJudgment: true };
  return { state: next, owesJudgment: false };
}

/** Started with nothing of its own to serve (a session start), the flusher asks the queue once: judgments wait there for this machine after it was offline. */
export function wantsBacklogCheck(state: SupervisorState): boolean {
  return state.queue !== undefined && !state.wanted && !state.backlogChecked;
}

/** `backlog`: activity tasks waiting on the queue, undefined when the server could not say. */
export function afterBacklogCheck(state: SupervisorState, backlog: number | undefined): SupervisorState {
  return { ...state, backlogChecked: true, wanted: state.wanted || (backlog !== undefined && backlog > 0) };
}

export function shouldStartWorker(state: SupervisorState, running: boolean): boolean {
  return state.wanted && state.queue !== undefined && !running && !state.startFailed;
}

export function workerStartFailed(state: SupervisorState): SupervisorState {
  return { ...state, startFailed: true };
}

/** What the running worker reports. */
export interface WorkerActivity {
  inFlight: number;
  /** When an activity last started or ended (ms since the epoch); the worker's start before any. */
  lastActivityAt: number;
}

export type WorkerVerdict =
  /** Nothing runs or is owed: the worker may stop (or there is none). */
  | 'idle'
  /** An activity runs, or the grace period has not passed. */
  | 'busy'
  /** Only owed judgments keep it: idle once none is left (check their invocations when `pendingCheckDue`). */
  | 'owes-judgments';

export function workerVerdict(state: SupervisorState, worker: WorkerActivity | undefined, pendingJudgments: number, now: number, timings: Pick<FlusherTimings, 'graceMs' | 'maxWaitMs'>): WorkerVerdict {
  if (!worker) return 'idle';
  if (worker.inFlight > 0 || now < Math.max(state.lastDeliveryAt, worker.lastActivityAt) + timings.graceMs) return 'busy';
  if (pendingJudgments === 0 || now >= state.lastDeliveryAt + timings.maxWaitMs) return 'idle';
  return 'owes-judgments';
}

export function pendingCheckDue(state: SupervisorState, now: number): boolean {
  return now - state.pendingCheckedAt >= PENDING_CHECK_MS;
}

export function pendingChecked(state: SupervisorState, now: number): SupervisorState {
  return { ...state, pendingCheckedAt: now };
}
