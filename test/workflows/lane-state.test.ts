// The skill lane's state machine, without a server: dedup, batching, one
// proposal at a time, publish outcomes and what continue-as-new carries.
import { describe, expect, it } from 'vitest';
import { MAX_FAILURES_PER_PROPOSAL } from '../../core/limits';
import type { FailureReport } from '../../core/messages';
import * as m from '../../workflows/lane-state';

const ref = { name: 'deploy', author: 'alice' };

function report(invocationId: string): FailureReport {
  return { invocationId, eventId: `e-${invocationId}`, reason: `failed in ${invocationId}`, user: 'alice' };
}

function withReports(lane: m.Lane, ...ids: string[]): m.Lane {
  return ids.reduce((l, id) => m.onFailureReport(l, report(id)), lane);
}

function fresh(): m.Lane {
  return m.initialLane({ ref, config: { idleTimeoutMs: 5_000 } });
}

/** Takes the next batch; fails the test when there is none. */
function take(lane: m.Lane): { lane: m.Lane; batch: FailureReport[] } {
  const next = m.nextProposal(lane);
  expect(next.batch).toBeDefined();
  return { lane: next.lane, batch: next.batch! };
}

describe('lane state: failure reports', () => {
  it('queues one report per invocation: queued, in the running proposal or handled already', () => {
    let lane = withReports(fresh(), 'a', 'a');
    expect(lane.queue.map((r) => r.invocationId)).toEqual(['a']);
    lane = take(lane).lane; // a is in the proposal
    lane = withReports(lane, 'a');
    lane = m.onPublishResult(lane, { status: 'published', version: 2 }).lane; // a is handled
    lane = withReports(lane, 'a', 'b');
    expect(lane.queue.map((r) => r.invocationId)).toEqual(['b']);
    expect(lane.counters).toMatchObject({ failureReports: 2, duplicateReports: 3 });
  });

  it('remembers a bounded number of handled invocations, forgetting the oldest', () => {
    let lane = fresh();
    for (let i = 0; i < 1040; i += 8) {
      lane = take(withReports(lane, ...Array.from({ length: 8 }, (_, j) => `i${i + j}`))).lane;
      lane = m.onProposalEnded(lane, 'no-change');
    }
    expect(lane.handledInvocations).toHaveLength(1024);
    expect(lane.handledInvocations[0]).toBe('i16');
    expect(lane.handledInvocations.at(-1)).toBe('i1039');
  });

  it(`queues at most ${m.MAX_QUEUED_REPORTS} reports, counting the ones past that, so carried state stays far below the payload limit`, () => {
    const ids = Array.from({ length: m.MAX_QUEUED_REPORTS + 3 }, (_, i) => `inv-${i}`);
    const lane = withReports(fresh(), ...ids);
    expect(lane.queue).toHaveLength(m.MAX_QUEUED_REPORTS);
    expect(lane.counters).toMatchObject({ failureReports: m.MAX_QUEUED_REPORTS, overflowReports: 3 });
    const full = lane.queue.map((r) => ({ ...r, reason: 'x'.repeat(480), user: 'u'.repeat(256) }));
    expect(JSON.stringify(m.carried({ ...lane, queue: full })).length).toBeLessThan(512 * 1024);
  });

  it('counts malformed reports', () => {
    expect(m.onMalformed(fresh()).counters.ignoredMalformed).toBe(1);
  });
});

describe('lane state: proposals', () => {
  it(`takes at most ${MAX_FAILURES_PER_PROPOSAL} reports per proposal, oldest first`, () => {
    const ids = Array.from({ length: 10 }, (_, i) => `i${i}`);
    const first = take(withReports(fresh(), ...ids));
    expect(first.batch.map((r) => r.invocationId)).toEqual(ids.slice(0, 8));
    expect(first.lane.queue.map((r) => r.invocationId)).toEqual(['i8', 'i9']);
    const second = take(m.onPublishResult(first.lane, { status: 'published', version: 2 }).lane);
    expect(second.batch.map((r) => r.invocationId)).toEqual(['i8', 'i9']);
    expect(second.lane.counters.proposals).toBe(2);
  });

  it('runs one proposal at a time: reports arriving meanwhile wait for the next', () => {
    let lane = take(withReports(fresh(), 'a')).lane;
    lane = withReports(lane, 'b', 'c');
    expect(m.nextProposal(lane).batch).toBeUndefined();
    expect(m.laneState(lane)).toMatchObject({ improving: true, queued: 2 });
    lane = m.onProposalEnded(lane, 'no-change');
    expect(take(lane).batch.map((r) => r.invocationId)).toEqual(['b', 'c']);
  });

  it('has nothing to propose with an empty queue, and is idle then', () => {
    expect(m.nextProposal(fresh()).batch).toBeUndefined();
    expect(m.idle(fresh())).toBe(true);
    expect(m.idle(withReports(fresh(), 'a'))).toBe(false);
    expect(m.idle(take(withReports(fresh(), 'a')).lane)).toBe(false);
  });

  it('a publish bumps the version and the counter, and ends the proposal', () => {
    const lane = m.onPublishResult(take(withReports(m.onVersion(fresh(), 1), 'a')).lane, { status: 'published', version: 2 }).lane;
    expect(lane).toMatchObject({ version: 2, handledInvocations: ['a'] });
    expect(lane.proposal).toBeUndefined();
    expect(lane.counters).toMatchObject({ improvementsPublished: 1, proposals: 1 });
    expect(m.laneState(lane)).toMatchObject({ version: 2, improving: false, queued: 0 });
  });

  it('a duplicate edit set ends the proposal without a version', () => {
    const lane = m.onPublishResult(take(withReports(m.onVersion(fresh(), 1), 'a')).lane, { status: 'duplicate' }).lane;
    expect(lane).toMatchObject({ version: 1, handledInvocations: ['a'] });
    expect(lane.counters).toMatchObject({ duplicateProposals: 1, improvementsPublished: 0 });
  });

  it('a lost publish race is retried once against the winning version, then the batch is done', () => {
    let lane = take(withReports(m.onVersion(fresh(), 1), 'a')).lane;
    const first = m.onPublishResult(lane, { status: 'conflict', latestVersion: 2 });
    expect(first.retry).toBe(true);
    expect(first.lane).toMatchObject({ version: 2, conflictRetries: 1 });
    expect(first.lane.proposal).toHaveLength(1);
    const second = m.onPublishResult(first.lane, { status: 'conflict', latestVersion: 3 });
    expect(second.retry).toBe(false);
    lane = second.lane;
    expect(lane).toMatchObject({ version: 3, conflictRetries: 0, handledInvocations: ['a'] });
    expect(lane.proposal).toBeUndefined();
    expect(lane.counters.publishConflicts).toBe(2);
  });

  it("a later batch's lost race is retried too, after an earlier retry ended without a change", () => {
    let lane = take(withReports(fresh(), 'a')).lane;
    lane = m.onPublishResult(lane, { status: 'conflict', latestVersion: 2 }).lane;
    lane = m.onProposalEnded(lane, 'no-change');
    lane = take(withReports(lane, 'b')).lane;
    expect(m.onPublishResult(lane, { status: 'conflict', latestVersion: 3 }).retry).toBe(true);
  });

  it.each([
    ['no-change', 'proposalsWithoutChange'],
    ['unreadable', 'droppedBatches'],
    ['no-proposer', 'droppedBatches'],
  ] as const)('a proposal ended by %s counts %s and its invocations are handled', (end, counter) => {
    const lane = m.onProposalEnded(take(withReports(fresh(), 'a', 'b')).lane, end);
    expect(lane.counters[counter]).toBe(1);
    expect(lane.handledInvocations).toEqual(['a', 'b']);
    expect(lane.proposal).toBeUndefined();
  });

  it('a batch no machine answered waits (not handled, not dropped) and is proposed again behind the next report', () => {
    const q = (id: string, activityQueue: string): FailureReport => ({ ...report(id), activityQueue });
    let lane = m.onFailureReport(m.onFailureReport(fresh(), q('a', 'qa')), q('b', 'qb'));
    lane = m.onNoProposer(take(lane).lane);
    expect(lane).toMatchObject({ queue: [], handledInvocations: [], counters: { unansweredProposals: 1, droppedBatches: 0 } });
    expect(lane.waiting.map((r) => r.invocationId)).toEqual(['a', 'b']);
    expect(lane.proposal).toBeUndefined();
    // Not idle: the run must not complete and lose the batch.
    expect(m.idle(lane)).toBe(false);
    expect(m.nextProposal(lane).batch).toBeUndefined();
    // A redelivered report of a waiting invocation is a duplicate.
    expect(m.onFailureReport(lane, q('a', 'qa')).counters.duplicateReports).toBe(1);
    // It survives continue-as-new.
    const wire = JSON.parse(JSON.stringify(m.carried(lane))) as ReturnType<typeof m.carried>;
    expect(m.initialLane({ ref, carried: wire }).waiting).toEqual(lane.waiting);
    // The next report: its machine first, then the waiting batch.
    lane = m.onFailureReport(lane, q('c', 'qc'));
    expect(m.laneState(lane)).toMatchObject({ queued: 3, waiting: 0 });
    const next = take(lane);
    expect(next.batch.map((r) => r.activityQueue)).toEqual(['qc', 'qa', 'qb']);
  });

  it('a batch no machine answered joins reports that came in meanwhile at once, behind them', () => {
    let lane = take(withReports(fresh(), 'a')).lane;
    lane = withReports(lane, 'b');
    lane = m.onNoProposer(lane);
    expect(lane.waiting).toEqual([]);
    expect(lane.queue.map((r) => r.invocationId)).toEqual(['b', 'a']);
  });

  it('onVersion ignores an unknown version', () => {
    expect(m.onVersion(m.onVersion(fresh(), 4), undefined).version).toBe(4);
  });
});

describe('lane state: runs', () => {
  it('fills the config from defaults', () => {
    expect(fresh().config).toEqual({ ...m.DEFAULT_LANE_CONFIG, idleTimeoutMs: 5_000 });
    expect(fresh().runs).toBe(1);
  });

  it('carries queue, dedup memory, counters and version through JSON into the next run', () => {
    let lane = m.onVersion(fresh(), 1);
    lane = m.onPublishResult(take(withReports(lane, 'a')).lane, { status: 'published', version: 2 }).lane;
    lane = withReports(lane, 'b', 'c', 'a');
    const wire = JSON.parse(JSON.stringify(m.carried(lane))) as ReturnType<typeof m.carried>;
    const next = m.initialLane({ ref, config: lane.config, carried: wire });
    expect(next).toMatchObject({ queue: lane.queue, handledInvocations: ['a'], counters: lane.counters, version: 2, runs: 2, config: lane.config });
    // The dedup memory works in the new run.
    expect(withReports(next, 'a', 'b').counters.duplicateReports).toBe(lane.counters.duplicateReports + 2);
  });
});
