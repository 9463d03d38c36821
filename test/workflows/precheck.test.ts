// The pre-publish check in the lane (workflows/skill-workflow.ts, core/precheck.ts)
// on a real Temporal dev server with in-memory activities (./world.ts): the
// failure an edit came from and held-out passes are asked about, on the queue
// of the machine that holds each; a rejected edit is recorded as a rejected
// version nobody gets and the proposer tries once more, seeing why.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvocationEvidence } from '../../core/messages';
import { startTestServer } from '../helpers/temporal';
import { Scenario } from './world';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startTestServer();
});

afterAll(async () => {
  await env?.teardown();
});

/** A held-out pass of v1 by `user`, on that user's machine. */
function pass(user: string, n: number): InvocationEvidence {
  const transcriptPath = `/home/${user}/.claude/projects/p/s${n}.jsonl`;
  return {
    invocation: { sessionId: `s-${user}-${n}`, toolUseId: `t-${n}`, user, agent: 'claude_code', skillVersion: 1, transcriptPath, transcriptBytes: 10, activityQueue: undefined },
    reaction: { eventId: `pass-${user}-${n}`, text: 'great, thanks', transcriptPath, transcriptBytes: 20 },
  };
}

async function failOnce(s: Scenario): Promise<void> {
  const armed = await s.arm({ invocation: { skillVersion: 1 }, config: { judgeWindow: 1 } });
  await armed.react('FAIL you skipped the tests');
  expect((await armed.handle.result()).failureReported).toBe(true);
}

describe('the pre-publish check in the lane', () => {
  it('an edit that fixes its failure and keeps the held-out passes is published, with the check on its record', async () => {
    const s = new Scenario(env, 'precheck-go-on');
    s.world.precheck = { heldOut: 2 };
    s.world.heldOut = [pass('bob', 1), pass('carol', 2), pass('dave', 3)];
    s.world.checkAnswer = (_n, input) => ({ kind: input.kind, answer: input.kind === 'failure' ? 'yes' : 'no', reason: 'fine' });
    await s.run(async () => {
      await failOnce(s);
      const lane = await s.laneSettled((l) => l.counters.improvementsPublished === 1);
      // The failure and two held-out passes (asked all at once), each with the edit as a diff.
      expect(s.world.checkCalls.map((c) => `${c.kind} ${c.reaction.eventId}`).sort()).toEqual([`failure ${s.world.reports[0]!.report.eventId}`, 'pass pass-bob-1', 'pass pass-carol-2']);
      expect(s.world.checkCalls.find((c) => c.kind === 'failure')!.reaction.text).toBe('FAIL you skipped the tests');
      for (const call of s.world.checkCalls) expect(call.diff).toContain('Run the tests');
      expect(s.world.publishes[0]!.precheck).toEqual({ decision: 'go-on', addressed: 1, failures: 1, worse: 0, passes: 2, unanswered: 0, reasons: [] });
      expect(s.world.versions.map((v) => [v.version, v.rejected ?? false])).toEqual([
        [1, false],
        [2, false],
      ]);
      expect(lane.counters).toMatchObject({ improvementsPublished: 1, rejectedByCheck: 0 });
      // In the Temporal UI, each check is an activity of the lane that says what it asks about, and where.
      const { events } = await s.lane().fetchHistory();
      const summaries = events!
        .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'checkEdit')
        .map((e) => Buffer.from(e.userMetadata?.summary?.data ?? new Uint8Array()).toString());
      expect(summaries.map((j) => JSON.parse(j) as string).sort()).toEqual([
        expect.stringMatching(/^pre-publish check of a failure in \S+'s session \S+, on /),
        "pre-publish check of a held-out pass in bob's session s-bob-1, on the shared queue",
        "pre-publish check of a held-out pass in carol's session s-carol-2, on the shared queue",
      ]);
    });
  });

  it('an edit that breaks a held-out pass is rejected before anyone gets it; the second attempt sees why, and is checked the same way', async () => {
    const s = new Scenario(env, 'precheck-reject');
    s.world.precheck = { heldOut: 1 };
    s.world.heldOut = [pass('bob', 1)];
    // The first proposal drops a step bob's session needed; the second does not.
    s.world.checkAnswer = (n, input) =>
      input.kind === 'failure' ? { kind: 'failure', answer: 'yes', reason: 'runs the tests now' } : { kind: 'pass', answer: n === 1 ? 'yes' : 'no', reason: n === 1 ? 'drops the staging deploy' : 'same steps' };
    await s.run(async () => {
      await failOnce(s);
      const lane = await s.laneSettled((l) => l.counters.improvementsPublished === 1);
      expect(s.world.publishes.map((p) => p.precheck?.decision)).toEqual(['reject', 'go-on']);
      expect(s.world.publishes[0]!.precheck?.reasons).toEqual(['makes a passing session worse: drops the staging deploy']);
      // v2 is recorded rejected and never became what everyone has; v3 did, built on v1.
      expect(s.world.versions.map((v) => [v.version, v.rejected ?? false])).toEqual([
        [1, false],
        [2, true],
        [3, false],
      ]);
      expect(s.world.publishes.map((p) => p.baseVersion)).toEqual([1, 1]);
      // The second attempt saw the reason; the turned-down edit is in edit memory as reverted.
      expect(s.world.proposals[1]!.priorEdits[0]).toBe('- [turned down by the pre-publish check] makes a passing session worse: drops the staging deploy');
      expect(s.world.edits.map((e) => [e.publishedVersion, e.status ?? 'proposed'])).toEqual([
        [2, 'reverted'],
        [3, 'proposed'],
      ]);
      expect(lane).toMatchObject({ version: 3, counters: { improvementsPublished: 1, rejectedByCheck: 1, proposals: 1 } });
    });
  });

  it('two rejections end the batch with nothing published; with nothing answered the edit goes on, marked unchecked', async () => {
    const s = new Scenario(env, 'precheck-twice');
    s.world.precheck = { heldOut: 0 };
    s.world.checkAnswer = () => ({ kind: 'failure', answer: 'no', reason: 'still skips the tests' });
    await s.run(async () => {
      await failOnce(s);
      const lane = await s.laneSettled((l) => l.counters.rejectedByCheck === 2 && !l.improving);
      expect(s.world.versions.map((v) => [v.version, v.rejected ?? false])).toEqual([
        [1, false],
        [2, true],
        [3, true],
      ]);
      expect(lane).toMatchObject({ version: 1, counters: { improvementsPublished: 0, rejectedByCheck: 2 } });
    });

    const unanswered = new Scenario(env, 'precheck-unanswered');
    unanswered.world.precheck = { heldOut: 3 };
    await unanswered.run(async () => {
      await failOnce(unanswered);
      await unanswered.laneSettled((l) => l.counters.improvementsPublished === 1);
      expect(unanswered.world.publishes[0]!.precheck).toEqual({ decision: 'unchecked', addressed: 0, failures: 0, worse: 0, passes: 0, unanswered: 1, reasons: [] });
    });
  });
});
