// The flusher's decisions, without a server or a process: when it retries and
// gives up, when this machine's worker is wanted, and when it may stop.
import { describe, expect, it } from 'vitest';
import * as m from '../../worker/flusher-state';

const QUEUE = 'skillopt-machine-bob-abc123def456';
const timings = { graceMs: 60_000, maxWaitMs: 600_000 };

describe('delivery: retry with a doubling backoff, give up after retryForMs', () => {
  const RETRY_FOR = 10_000;

  it('a drain that empties the outbox goes on to serve, and resets the backoff', () => {
    const failing = { failingSince: 100, backoffMs: 2_000 };
    expect(m.afterDrain(failing, { delivered: 3, failed: false, startedAt: 5_000 }, 5_010, RETRY_FOR)).toEqual({ next: 'serve', delivery: m.INITIAL_DELIVERY });
  });

  it('failures back off 250 ms, 500 ms, … up to 5 s; only the first is logged', () => {
    let delivery = m.INITIAL_DELIVERY;
    const waits: number[] = [];
    const firsts: boolean[] = [];
    for (let i = 0; i < 7; i++) {
      const step = m.afterDrain(delivery, { delivered: 0, failed: true, startedAt: i }, i + 1, RETRY_FOR);
      if (step.next !== 'retry') throw new Error(`expected a retry, got ${step.next}`);
      waits.push(step.waitMs);
      firsts.push(step.firstFailure);
      delivery = step.delivery;
    }
    expect(waits).toEqual([250, 500, 1_000, 2_000, 4_000, 5_000, 5_000]);
    expect(firsts).toEqual([true, false, false, false, false, false, false]);
    // The window counts from the first failing attempt.
    expect(delivery.failingSince).toBe(0);
  });

  it('gives up once Temporal has been unreachable for retryForMs since the first failing attempt', () => {
    const first = m.afterDrain(m.INITIAL_DELIVERY, { delivered: 0, failed: true, startedAt: 1_000 }, 1_100, RETRY_FOR);
    if (first.next !== 'retry') throw new Error('expected a retry');
    expect(m.afterDrain(first.delivery, { delivered: 0, failed: true, startedAt: 10_900 }, 10_999, RETRY_FOR).next).toBe('retry');
    expect(m.afterDrain(first.delivery, { delivered: 0, failed: true, startedAt: 10_900 }, 11_000, RETRY_FOR)).toEqual({ next: 'give-up', failingForMs: 10_000 });
  });

  it('progress before a failure starts the window over (the server was reachable)', () => {
    const failing = { failingSince: 0, backoffMs: 4_000 };
    const step = m.afterDrain(failing, { delivered: 2, failed: true, startedAt: 20_000 }, 20_500, RETRY_FOR);
    expect(step).toEqual({ next: 'retry', delivery: { failingSince: 20_000, backoffMs: 5_000 }, waitMs: 4_000, firstFailure: false });
  });
});

describe("this machine's worker: when it is wanted", () => {
  it('embedded and central machines serve no queue: nothing they deliver wants a worker or owes a judgment', () => {
    let state = m.initialSupervisor(undefined, 0, 0);
    for (const event of [{ signal: 'invoked' }, { signal: 'reaction', signalled: true }, { signal: 'sessionEnded' }] as const) {
      const after = m.onDelivered(state, event, 5);
      expect(after.owesJudgment).toBe(false);
      state = after.state;
    }
    expect(state).toMatchObject({ wanted: false, lastDeliveryAt: 5 });
    expect(state.queue).toBeUndefined();
    expect(m.wantsBacklogCheck(state)).toBe(false);
    expect(m.shouldStartWorker(state, false)).toBe(false);
  });

  it('judgments left by an earlier flusher want the worker at once', () => {
    expect(m.initialSupervisor(QUEUE, 1, 0).wanted).toBe(true);
    expect(m.initialSupervisor(QUEUE, 0, 0).wanted).toBe(false);
    expect(m.initialSupervisor(undefined, 3, 0).wanted).toBe(false);
  });

  it('an invocation routed to this machine\'s own queue makes it the served queue (SKILLOPT_ACTIVITY_QUEUE elsewhere)', () => {
    const { state, owesJudgment } = m.onDelivered(m.initialSupervisor(undefined, 0, 0), { signal: 'invoked', ownQueue: QUEUE }, 10);
    expect(state).toMatchObject({ queue: QUEUE, wanted: true, lastDeliveryAt: 10 });
    expect(owesJudgment).toBe(false);
    // A queue already chosen is kept.
    expect(m.onDelivered(m.initialSupervisor('chosen', 0, 0), { signal: 'invoked', ownQueue: QUEUE }, 10).state.queue).toBe('chosen');
  });

  it('with a queue, an arming wants the worker; a reaction the invocation took is owed a judgment, a late one is not', () => {
    const start = m.initialSupervisor(QUEUE, 0, 0);
    expect(m.onDelivered(start, { signal: 'invoked' }, 1)).toEqual({ state: { ...start, wanted: true, lastDeliveryAt: 1 }, owesJudgment: false });
    expect(m.onDelivered(start, { signal: 'reaction', signalled: true }, 1)).toEqual({ state: { ...start, wanted: true, lastDeliveryAt: 1 }, owesJudgment: true });
    expect(m.onDelivered(start, { signal: 'reaction', signalled: false }, 1)).toEqual({ state: { ...start, lastDeliveryAt: 1 }, owesJudgment: false });
    expect(m.onDelivered(start, { signal: 'superseded' }, 1).state.wanted).toBe(false);
  });

  it('started with nothing to serve (a session start), it asks the queue once, and a backlog wants the worker', () => {
    const start = m.initialSupervisor(QUEUE, 0, 0);
    expect(m.wantsBacklogCheck(start)).toBe(true);
    const empty = m.afterBacklogCheck(start, 0);
    expect(empty.wanted).toBe(false);
    expect(m.wantsBacklogCheck(empty)).toBe(false);
    expect(m.afterBacklogCheck(start, undefined).wanted).toBe(false);
    expect(m.afterBacklogCheck(start, 2).wanted).toBe(true);
    // Wanted already: no need to ask.
    expect(m.wantsBacklogCheck({ ...start, wanted: true })).toBe(false);
  });

  it('starts one worker, and none again after its start failed', () => {
    const wanted = { ...m.initialSupervisor(QUEUE, 1, 0) };
    expect(m.shouldStartWorker(wanted, false)).toBe(true);
    expect(m.shouldStartWorker(wanted, true)).toBe(false);
    expect(m.shouldStartWorker(m.workerStartFailed(wanted), false)).toBe(false);
  });
});

describe("this machine's worker: when it may stop", () => {
  const delivered = { ...m.initialSupervisor(QUEUE, 0, 0), wanted: true, lastDeliveryAt: 1_000 };
  const quiet = { inFlight: 0, lastActivityAt: 2_000 };

  it('no worker is always idle', () => {
    expect(m.workerVerdict(delivered, undefined, 3, 1_000, timings)).toBe('idle');
  });

  it('stays while an activity runs, and for the grace period after its last activity or delivery', () => {
    expect(m.workerVerdict(delivered, { inFlight: 1, lastActivityAt: 0 }, 0, 10_000_000, timings)).toBe('busy');
    expect(m.workerVerdict(delivered, quiet, 0, 61_999, timings)).toBe('busy');
    expect(m.workerVerdict(delivered, quiet, 0, 62_000, timings)).toBe('idle');
    expect(m.workerVerdict({ ...delivered, lastDeliveryAt: 5_000 }, quiet, 0, 64_999, timings)).toBe('busy');
  });

  it('past its grace, a reaction it delivered and not yet judged keeps it, for at most maxWaitMs after the last delivery', () => {
    expect(m.workerVerdict(delivered, quiet, 1, 62_000, timings)).toBe('owes-judgments');
    expect(m.workerVerdict(delivered, quiet, 1, 600_999, timings)).toBe('owes-judgments');
    expect(m.workerVerdict(delivered, quiet, 1, 601_000, timings)).toBe('idle');
  });

  it('checks the owed judgments\' invocations every 5 s while it waits for them', () => {
    expect(m.pendingCheckDue(delivered, 62_000)).toBe(true);
    const checked = m.pendingChecked(delivered, 62_000);
    expect(m.pendingCheckDue(checked, 66_999)).toBe(false);
    expect(m.pendingCheckDue(checked, 67_000)).toBe(true);
  });
});
