// The skill workflow (the improvement lane) on a real Temporal dev server, with
// in-memory activities (./world.ts). Failures come from real invocation
// workflows whose reportFailure signal-with-starts the lane, or are sent
// straight to it as a redelivered report would be.
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FailureReport } from '../../core/messages';
import { formatSkillRef } from '../../core/skill-ref';
import { SearchAttributes, laneStateQuery, type SkillWorkflowInput } from '../../workflows/definitions';
import { startTestServer, uniqueName } from '../helpers/temporal';
import { Scenario, deferred, type Armed } from './world';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startTestServer();
});

afterAll(async () => {
  await env?.teardown();
});

/** An invocation whose one reaction is judged a failure: it reports to the lane and completes. */
async function fail(s: Scenario, what: string, skillVersion = 1): Promise<Armed> {
  const armed = await s.arm({ invocation: { skillVersion }, config: { judgeWindow: 1 } });
  await armed.react(`FAIL ${what}`);
  expect((await armed.handle.result()).failureReported).toBe(true);
  return armed;
}

function report(s: Scenario, id: string): FailureReport {
  return { invocationId: `invocation:${formatSkillRef(s.ref)}:direct:${id}`, eventId: `e-${id}`, reason: `failed: ${id}`, user: 'alice' };
}

async function skillVersionAttribute(s: Scenario): Promise<number | undefined> {
  return (await s.lane().describe()).typedSearchAttributes.get(SearchAttributes.skillVersion);
}

describe('skill workflow (the lane)', () => {
  it('batches failures that arrive while a proposal runs into one next proposal, one per invocation', async () => {
    const s = new Scenario(env, 'lane-batched-failures');
    const held = deferred();
    s.world.beforePropose = (n) => (n === 1 ? held.promise : Promise.resolve());
    await s.run(async () => {
      try {
        await fail(s, 'from a');
        await s.untilLane((l) => l.improving);
        for (const who of ['b', 'c', 'd']) await fail(s, `from ${who}`);
        // Redelivered reports: b's while it is queued, a's while its proposal runs.
        await s.sendReport(s.world.reports[1]!.report);
        await s.sendReport(s.world.reports[0]!.report);
        await s.untilLane((l) => l.queued === 3 && l.counters.duplicateReports === 2);
      } finally {
        held.resolve();
      }
      const lane = await s.laneSettled((l) => l.counters.proposals === 2);
      expect(s.world.reasons()).toEqual([['failed: FAIL from a'], ['failed: FAIL from b', 'failed: FAIL from c', 'failed: FAIL from d']]);
      // One version per batch, consecutive.
      expect(s.world.versions.map((v) => v.version)).toEqual([1, 2, 3]);
      expect(lane).toMatchObject({ version: 3, counters: { failureReports: 4, duplicateReports: 2, improvementsPublished: 2 } });
    });
  });

  it('proposes a lost publish race again, once, against the version that won', async () => {
    const s = new Scenario(env, 'lane-conflict-retry');
    s.world.outsidePushBeforePublish = new Set([1]);
    await s.run(async () => {
      await fail(s, 'raced');
      const lane = await s.laneSettled((l) => l.counters.improvementsPublished === 1);
      expect(s.world.reasons()).toEqual([['failed: FAIL raced'], ['failed: FAIL raced']]);
      expect(s.world.publishes.map((p) => p.baseVersion)).toEqual([1, 2]);
      expect(s.world.versions.map((v) => v.version)).toEqual([1, 2, 3]);
      expect(s.world.versions[2]!.body).toContain('Outside edit'); // built on the outside push, not over it
      expect(lane).toMatchObject({ version: 3, counters: { publishConflicts: 1, proposals: 1 } });
    });
  });

  it("retries a later batch's lost race even after an earlier retry ended without a change", async () => {
    const s = new Scenario(env, 'lane-conflict-retry-reset');
    s.world.outsidePushBeforePublish = new Set([1, 2]);
    s.world.unchangedProposals = new Set([2]);
    await s.run(async () => {
      // Batch 1 loses the race to v2; its retry against v2 changes nothing.
      await fail(s, 'first batch');
      await s.laneSettled((l) => l.counters.proposalsWithoutChange === 1);
      // Batch 2 loses the race to v3 and is proposed again against v3: published as v4.
      await fail(s, 'second batch', 2);
      const lane = await s.laneSettled((l) => l.counters.improvementsPublished === 1);
      expect(lane.counters).toMatchObject({ publishConflicts: 2, proposals: 2 });
      expect(s.world.reasons()).toEqual([
        ['failed: FAIL first batch'],
        ['failed: FAIL first batch'],
        ['failed: FAIL second batch'],
        ['failed: FAIL second batch'],
      ]);
      expect(s.world.versions.map((v) => v.version)).toEqual([1, 2, 3, 4]);
      expect(lane.version).toBe(4);
    });
  });

  it('keeps the SkillVersion search attribute on the latest version after outside pushes', async () => {
    const s = new Scenario(env, 'lane-version-attribute-follows');
    s.world.unchangedProposals = new Set([1, 3]);
    s.world.outsidePushBeforePublish = new Set([1]);
    await s.run(async () => {
      // Someone pushed v2 before the lane started; it reads v2 for a proposal that changes nothing.
      s.world.pushOutside();
      await fail(s, 'on v2', 2);
      await s.laneSettled((l) => l.counters.proposals === 1);
      expect(await skillVersionAttribute(s)).toBe(2);

      // A push lands first (v3): the lost race's retry against v3 changes nothing.
      await fail(s, 'still on v2', 2);
      await s.laneSettled((l) => l.counters.proposalsWithoutChange === 2);
      expect(await skillVersionAttribute(s)).toBe(3);

      // Another push (v4), then an improvement: v5.
      s.world.pushOutside();
      await fail(s, 'on v4', 4);
      const lane = await s.laneSettled((l) => l.counters.improvementsPublished === 1);
      expect(s.world.latest().version).toBe(5);
      expect(lane.version).toBe(5);
      expect(await skillVersionAttribute(s)).toBe(5);
    });
  });

  it('continues as new with its queue, dedup memory, counters and whole config', async () => {
    const continueAsNewAfterEvents = 30;
    const s = new Scenario(env, 'lane-continue-as-new', { continueAsNewAfterEvents });
    const held = deferred();
    s.world.beforePropose = (n) => (n === 1 ? held.promise : Promise.resolve());
    await s.run(async () => {
      let firstRunId: string;
      try {
        await fail(s, 'a');
        await s.untilLane((l) => l.improving);
        await fail(s, 'b');
        await fail(s, 'c');
        // The outbox redelivers a's report until continue-as-new is due; the proposal still runs.
        const first = await s.lane().describe();
        firstRunId = first.runId;
        for (let len = first.historyLength; len < continueAsNewAfterEvents; len = (await s.lane().describe()).historyLength) {
          await s.sendReport(s.world.reports[0]!.report);
        }
        expect(await s.lane().query(laneStateQuery)).toMatchObject({ runs: 1, improving: true, queued: 2 });
      } finally {
        held.resolve();
      }
      // The next run proposes the carried queue as one batch.
      const carried = await s.laneSettled((l) => l.runs >= 2 && l.counters.proposals === 2);
      expect(s.world.reasons()).toEqual([['failed: FAIL a'], ['failed: FAIL b', 'failed: FAIL c']]);
      expect(s.world.proposals[0]!.runId).toBe(firstRunId);
      expect(s.world.proposals[1]!.runId).not.toBe(firstRunId);
      expect(carried).toMatchObject({ version: 3, counters: { failureReports: 3, improvementsPublished: 2 } });
      expect(carried.counters.duplicateReports).toBeGreaterThan(0);

      // Dedup memory survived: a's report redelivered in the new run is dropped.
      await s.sendReport(s.world.reports[0]!.report);
      const after = await s.untilLane((l) => l.counters.duplicateReports === carried.counters.duplicateReports + 1);
      expect(after).toMatchObject({ queued: 0, improving: false, counters: { proposals: 2 } });

      // The next run starts with the whole config the first one used, not the partial input.
      const [started] = (await s.lane().fetchHistory()).events ?? [];
      const payload = started!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
      const nextInput = defaultPayloadConverter.fromPayload<SkillWorkflowInput>(payload);
      expect(nextInput.config).toEqual(carried.config);
      expect(Object.keys(carried.config).sort()).toEqual(['continueAsNewAfterEvents', 'editBudget', 'idleTimeoutMs', 'routedScheduleToStartMs']);
    });
  });

  it('completes when idle, and a failure after that starts a new run that continues from the store', async () => {
    const s = new Scenario(env, 'lane-idle-and-restart', { idleTimeoutMs: 2_000 });
    await s.run(async () => {
      await fail(s, 'before the idle period');
      const result = await s.lane().result();
      expect(result).toMatchObject({ version: 2, queued: 0, improving: false, counters: { improvementsPublished: 1 } });
      const done = await s.lane().describe();
      expect(done.status.name).toBe('COMPLETED');

      await fail(s, 'after the idle period', 2);
      const next = await s.lane().describe();
      expect(next.runId).not.toBe(done.runId);
      const lane = await s.laneSettled((l) => l.counters.improvementsPublished === 2);
      // A fresh run (not a continuation): its counters and version come from the store.
      expect(lane).toMatchObject({ runs: 1, version: 3 });
      expect(s.world.versions.map((v) => v.version)).toEqual([1, 2, 3]);
      expect(s.world.edits.map((e) => [e.baseVersion, e.publishedVersion])).toEqual([
        [1, 2],
        [2, 3],
      ]);
    });
  });

  it('keeps a batch no failing machine answered, and proposes it with the next report, on that report\'s machine first', async () => {
    // Machine "offline" has no worker: its proposal waits 1 s for one, then the batch waits.
    const s = new Scenario(env, 'lane-unanswered-batch-waits', { routedScheduleToStartMs: 1_000 });
    await s.run(async () => {
      await s.sendReport({ ...report(s, 'a'), activityQueue: uniqueName('offline') });
      const waiting = await s.untilLane((l) => l.waiting === 1 && !l.improving, 20_000);
      expect(waiting).toMatchObject({ queued: 0, counters: { proposals: 1, unansweredProposals: 1, droppedBatches: 0, improvementsPublished: 0 } });
      expect(s.world.proposals).toHaveLength(0);
      // A report from a machine that answers (the scenario's worker serves its queue).
      await s.sendReport({ ...report(s, 'b'), activityQueue: s.taskQueue });
      const lane = await s.laneSettled((l) => l.counters.improvementsPublished === 1);
      expect(lane).toMatchObject({ waiting: 0, counters: { proposals: 2, unansweredProposals: 1, failureReports: 2 } });
      // Proposed once, on b's machine, with both failures: nothing was dropped.
      expect(s.world.reasons()).toEqual([['failed: b', 'failed: a']]);
    });
  });

  it('drops a report for an invocation it already handled', async () => {
    const s = new Scenario(env, 'lane-drops-handled-report');
    await s.run(async () => {
      await s.sendReport(report(s, 'x'));
      await s.laneSettled((l) => l.counters.improvementsPublished === 1);
      await s.sendReport({ ...report(s, 'x'), eventId: 'another-reaction' });
      const lane = await s.untilLane((l) => l.counters.duplicateReports === 1);
      expect(lane).toMatchObject({ queued: 0, improving: false, counters: { failureReports: 1, proposals: 1 } });
      expect(s.world.proposals).toHaveLength(1);
    });
  });

  it('ignores malformed reports instead of failing its workflow task, and keeps working', async () => {
    const s = new Scenario(env, 'lane-malformed-reports');
    await s.run(async () => {
      await s.sendReport(null);
      await s.sendReport({ invocationId: 'no-reason' });
      await s.sendReport({ ...report(s, 'bad'), invocationId: '' });
      await s.sendReport(report(s, 'good'));
      const lane = await s.laneSettled((l) => l.counters.improvementsPublished === 1);
      expect(lane.counters).toMatchObject({ ignoredMalformed: 3, failureReports: 1 });
      expect(s.world.reasons()).toEqual([['failed: good']]);
    });
  });
});
