// The invocation workflow on a real Temporal dev server, with in-memory
// activities (./world.ts): one armed invocation, its K reactions, the verdicts,
// and a confirmed failure reported to the skill's lane through Temporal.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSkillRef } from '../../core/skill-ref';
import { SearchAttributes, invokedSignal, reactionSignal, sessionEndedSignal, supersededSignal } from '../../workflows/definitions';
import { startTestServer } from '../helpers/temporal';
import { until } from '../helpers/wait';
import { Scenario, deferred, type Armed } from './world';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startTestServer();
});

afterAll(async () => {
  await env?.teardown();
});

async function verdictAttribute(armed: Armed): Promise<string | undefined> {
  return (await armed.handle.describe()).typedSearchAttributes.get(SearchAttributes.verdict);
}

/** Elapsed milliseconds of `fn`. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - started };
}

describe('invocation workflow', () => {
  it('completes as passed after K passing reactions, records each verdict and publishes nothing', async () => {
    const s = new Scenario(env, 'inv-pass-after-k');
    await s.run(async () => {
      const armed = await s.arm({ invocation: { skillVersion: 2, user: 'bob' } });
      for (const text of ['thanks', 'works', 'great']) await armed.react(text); // default K = 3
      const result = await armed.handle.result();
      expect(result).toMatchObject({ verdict: 'passed', phase: 'closed', closedReason: 'budget spent', remaining: 0, failureReported: false });
      expect(result.verdicts.map((v) => v.outcome)).toEqual(['passed', 'passed', 'passed']);
      // Each verdict is recorded with the version the session had: that is how an edit gets its outcome.
      expect(s.world.verdicts.map((v) => [v.eventId, v.verdict.outcome, v.invocation.skillVersion])).toEqual(
        result.verdicts.map((v) => [v.eventId, 'passed', 2]),
      );
      expect(s.world.reports).toEqual([]);
      expect(s.world.versions).toHaveLength(1);
      await expect(s.lane().describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
      const attrs = (await armed.handle.describe()).typedSearchAttributes;
      expect(attrs.get(SearchAttributes.verdict)).toBe('passed');
      expect(attrs.get(SearchAttributes.skillRef)).toBe(formatSkillRef(s.ref));
      expect(attrs.get(SearchAttributes.skillUser)).toBe('bob');
      expect(attrs.get(SearchAttributes.skillVersion)).toBe(2);
    });
  });

  it('writes its visibility only when it changes: what the start set is not written again, the verdict once when it becomes passed', async () => {
    const s = new Scenario(env, 'inv-visibility-when-changed');
    await s.run(async () => {
      const armed = await s.arm({ invocation: { skillVersion: 3, user: 'carol' } });
      for (const text of ['thanks', 'works', 'great']) await armed.react(text);
      await armed.handle.result();
      // Each upsert is a visibility write on the server. What the start set is not written
      // again; the verdict once, with its reason, not once per reaction. (TemporalChangeVersion
      // is the SDK's own, once per run, for the patch.)
      const events = (await armed.handle.fetchHistory()).events ?? [];
      const upserted = events.flatMap((e) => {
        const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
        return fields ? [Object.keys(fields)] : [];
      });
      expect(upserted).toEqual([['TemporalChangeVersion'], ['Verdict']]);
      expect(events.filter((e) => e.workflowPropertiesModifiedEventAttributes)).toHaveLength(1);
      const description = await armed.handle.describe();
      expect(description.typedSearchAttributes.get(SearchAttributes.verdict)).toBe('passed');
      // The reason of the verdict that decided it: the first pass.
      expect(description.memo?.verdictReason).toBe('passed: thanks');
    });
  });

  it('started without its search attributes (by an older flusher), it sets them itself', async () => {
    const s = new Scenario(env, 'inv-attributes-not-at-start');
    await s.run(async () => {
      const armed = await s.arm({ invocation: { skillVersion: 4, user: 'dave' }, withoutStartAttributes: true });
      await armed.until((st) => st.phase === 'open');
      const attrs = (await armed.handle.describe()).typedSearchAttributes;
      expect(attrs.get(SearchAttributes.skillRef)).toBe(formatSkillRef(s.ref));
      expect(attrs.get(SearchAttributes.skillName)).toBe(s.ref.name);
      expect(attrs.get(SearchAttributes.skillAuthor)).toBe(s.ref.author);
      expect(attrs.get(SearchAttributes.skillUser)).toBe('dave');
      expect(attrs.get(SearchAttributes.skillVersion)).toBe(4);
      expect(attrs.get(SearchAttributes.verdict)).toBe('pending');
      await armed.end('clear');
      await armed.handle.result();
    });
  });

  it('judges only K reactions: later ones are ignored and counted', async () => {
    const s = new Scenario(env, 'inv-window-budget');
    const held = deferred();
    s.world.beforeVerdict = () => held.promise;
    await s.run(async () => {
      const armed = await s.arm({ config: { judgeWindow: 2 } });
      try {
        for (const text of ['ok 1', 'ok 2', 'ok 3', 'ok 4']) await armed.react(text);
        expect(await armed.until((st) => st.counters.ignoredReactions === 2)).toMatchObject({ phase: 'closed', closedReason: 'budget spent' });
      } finally {
        held.resolve();
      }
      const result = await armed.handle.result();
      expect(result.counters).toMatchObject({ reactions: 2, ignoredReactions: 2 });
      expect(s.world.judgeCalls.map((c) => c.reaction.text)).toEqual(['ok 1', 'ok 2']);
    });
  });

  it('a failure publishes v2 through the lane, marks the invocation failed, and judges nothing more', async () => {
    const s = new Scenario(env, 'inv-failure-to-lane');
    const held = deferred();
    s.world.beforeVerdict = () => held.promise;
    await s.run(async () => {
      const armed = await s.arm({ invocation: { skillVersion: 1, activityQueue: s.taskQueue } });
      try {
        await armed.react('FAIL you skipped the tests');
        await armed.react('FAIL still wrong'); // queued while the first is judged: never judged
        await armed.until((st) => st.counters.reactions === 2);
      } finally {
        held.resolve();
      }
      const result = await armed.handle.result();
      expect(result).toMatchObject({ verdict: 'failed', closedReason: 'failure reported', failureReported: true });
      expect(result.verdicts).toHaveLength(1);
      expect(s.world.judgeCalls).toHaveLength(1);
      expect(s.world.reports.map((r) => r.report)).toEqual([
        {
          invocationId: armed.workflowId,
          eventId: result.verdicts[0]!.eventId,
          reason: 'failed: FAIL you skipped the tests',
          user: 'alice',
          skillVersion: 1,
          activityQueue: s.taskQueue,
          // Where the failing window is, for the pre-publish check of an edit proposed from it.
          evidence: {
            invocation: expect.objectContaining({ sessionId: s.world.judgeCalls[0]!.invocation.sessionId, toolUseId: s.world.judgeCalls[0]!.invocation.toolUseId }),
            reaction: { eventId: result.verdicts[0]!.eventId, text: s.world.judgeCalls[0]!.reaction.text, transcriptPath: s.world.judgeCalls[0]!.reaction.transcriptPath, transcriptBytes: s.world.judgeCalls[0]!.reaction.transcriptBytes },
          },
        },
      ]);
      const description = await armed.handle.describe();
      expect(description.typedSearchAttributes.get(SearchAttributes.verdict)).toBe('failed');
      expect(description.memo?.verdictReason).toBe('failed: FAIL you skipped the tests');

      const lane = await s.laneSettled((l) => l.counters.improvementsPublished === 1);
      expect(lane).toMatchObject({ version: 2, counters: { failureReports: 1, proposals: 1 } });
      expect(s.world.versions.map((v) => v.version)).toEqual([1, 2]);
      expect(s.world.reasons()).toEqual([['failed: FAIL you skipped the tests']]);
      expect(s.world.edits).toEqual([expect.objectContaining({ baseVersion: 1, publishedVersion: 2, fingerprint: 'fp-1' })]);
      const laneAttrs = (await s.lane().describe()).typedSearchAttributes;
      expect(laneAttrs.get(SearchAttributes.skillVersion)).toBe(2);
      expect(laneAttrs.get(SearchAttributes.improvementsPublished)).toBe(1);
      // The invocation is done: a late reaction cannot reach it.
      await expect(armed.react('FAIL once more')).rejects.toBeInstanceOf(WorkflowNotFoundError);
    });
  });

  it('a duplicate arming lands in the same run; a duplicate and a blank reaction are not judged', async () => {
    const s = new Scenario(env, 'inv-dedup-and-blank');
    await s.run(async () => {
      const armed = await s.arm();
      const again = await s.signalInvoked(armed.workflowId, armed.info, armed.eventId);
      expect(again.signaledRunId).toBe(armed.handle.signaledRunId);
      await armed.react('   \n');
      await armed.react('looks right', 'same-id');
      await armed.react('looks right', 'same-id');
      const state = await armed.until((st) => st.verdicts.length === 1 && st.counters.duplicateEvents === 2);
      expect(state).toMatchObject({ phase: 'open', remaining: 2, verdict: 'passed' });
      expect(state.counters).toMatchObject({ reactions: 1, ignoredReactions: 1, duplicateEvents: 2 });
      expect(s.world.judgeCalls).toHaveLength(1);
      await armed.end('clear');
      await armed.handle.result();
    });
  });

  it('ignores malformed signals instead of failing its workflow task, and keeps working', async () => {
    const s = new Scenario(env, 'inv-malformed-signals');
    await s.run(async () => {
      const armed = await s.arm();
      const bad = (x: unknown) => x as never;
      const good = { eventId: 'r', sessionId: armed.info.sessionId, text: 'x', transcriptPath: '/t', transcriptBytes: 1 };
      // From an old or broken sender: no event id, no payload, text not a string, no session, no reason.
      await armed.handle.signal(invokedSignal, bad({ ...armed.info, eventId: undefined }));
      await armed.handle.signal(invokedSignal, bad(null));
      await armed.handle.signal(reactionSignal, bad({ ...good, text: 42 }));
      await armed.handle.signal(reactionSignal, bad({ ...good, sessionId: undefined }));
      await armed.handle.signal(supersededSignal, bad({}));
      await armed.handle.signal(sessionEndedSignal, bad({ eventId: 'e', reason: 5 }));
      await armed.react('FAIL a well-formed reaction');
      const result = await armed.handle.result();
      expect(result.counters).toMatchObject({ ignoredMalformed: 6, reactions: 1 });
      expect(result.verdict).toBe('failed');
      expect(s.world.judgeCalls.map((c) => c.reaction.text)).toEqual(['FAIL a well-formed reaction']);
      await s.laneSettled((l) => l.counters.improvementsPublished === 1);
    });
  });

  it.each([
    ['superseded', 'superseded', (a: Armed) => a.supersede('toolu_newer'), 'superseded by toolu_newer'],
    ['sessionEnded(clear)', 'session-clear', (a: Armed) => a.end('clear'), 'session ended (clear)'],
    ['sessionEnded(logout)', 'session-logout', (a: Armed) => a.end('logout'), 'session ended (logout)'],
  ])('%s closes the window and the run completes', async (_name, scenario, close, reason) => {
    const s = new Scenario(env, `inv-closed-by-${scenario}`);
    await s.run(async () => {
      const armed = await s.arm();
      await armed.react('ok');
      await armed.until((st) => st.verdicts.length === 1);
      await close(armed);
      expect(await armed.handle.result()).toMatchObject({ phase: 'closed', closedReason: reason, verdict: 'passed', remaining: 2 });
    });
  });

  it('closes a forgotten window after idleTimeoutMs', async () => {
    const s = new Scenario(env, 'inv-idle-timeout');
    await s.run(async () => {
      const armed = await s.arm({ config: { idleTimeoutMs: 1_500 } });
      await armed.react('ok');
      const { value: result, ms } = await timed(() => armed.handle.result());
      expect(result).toMatchObject({ phase: 'closed', closedReason: 'idle', verdict: 'passed' });
      expect(ms).toBeLessThan(10_000);
    });
  });

  it('a reaction within resumeGraceMs of a resumable session end is judged', async () => {
    const s = new Scenario(env, 'inv-resumed-session');
    await s.run(async () => {
      const armed = await s.arm({ config: { resumeGraceMs: 20_000 } });
      await armed.end('prompt_input_exit');
      await armed.until((st) => st.phase === 'ended');
      await armed.react('FAIL after the resume');
      const result = await armed.handle.result();
      expect(result).toMatchObject({ verdict: 'failed', closedReason: 'failure reported' });
      expect(s.world.judgeCalls.map((c) => c.reaction.text)).toEqual(['FAIL after the resume']);
    });
  });

  it('without a resume the run completes after resumeGraceMs, not the idle timeout', async () => {
    const s = new Scenario(env, 'inv-session-not-resumed');
    await s.run(async () => {
      const armed = await s.arm({ config: { resumeGraceMs: 1_500, idleTimeoutMs: 120_000 } });
      await armed.react('ok');
      await armed.until((st) => st.verdicts.length === 1);
      await armed.end('other');
      const { value: result, ms } = await timed(() => armed.handle.result());
      expect(result).toMatchObject({ phase: 'closed', closedReason: 'session ended, not resumed', verdict: 'passed' });
      expect(ms).toBeLessThan(15_000);
    });
  });

  it('a judge that fails every time ends as not-judged with its reason, never passed, and publishes nothing', async () => {
    const s = new Scenario(env, 'inv-judge-keeps-failing');
    await s.run(async () => {
      const armed = await s.arm({ config: { judgeWindow: 1 } });
      await armed.react('THROW model is down');
      const result = await armed.handle.result();
      expect(result.verdict).toBe('not-judged');
      expect(result.verdicts).toEqual([expect.objectContaining({ outcome: 'not-judged', reason: 'not judged: model down' })]);
      expect(s.world.judgeCalls).toHaveLength(4); // maximumAttempts
      expect(s.world.verdicts.map((v) => v.verdict.outcome)).toEqual(['not-judged']);
      expect(s.world.reports).toEqual([]);
      expect(s.world.versions).toHaveLength(1);
      expect(await verdictAttribute(armed)).toBe('not-judged');
    });
  });

  it('a routed reaction the store has a verdict for (redelivered after its run ended) is checked on the shared queue and not judged again', async () => {
    const s = new Scenario(env, 'inv-routed-already-judged');
    await s.run(async () => {
      const armed = await s.arm({ invocation: { activityQueue: s.taskQueue }, config: { judgeWindow: 1 } });
      // The first run of this invocation judged the event a failure, then its history went.
      s.world.verdicts.push({ ref: s.ref, invocation: armed.info, eventId: 'react-redelivered', verdict: { outcome: 'failed', confidence: 0.9, reason: 'skipped the tests' } });
      await armed.react('FAIL skipped the tests', 'react-redelivered');
      const result = await armed.handle.result();
      expect(result.verdicts).toEqual([{ eventId: 'react-redelivered', outcome: 'not-judged', reason: 'already judged: skipped the tests' }]);
      expect(s.world.judgeCalls).toEqual([]);
      expect(s.world.reports).toEqual([]);
    });
  });

  it("ends as not-judged within routedScheduleToStartMs when the invoking machine's queue has no worker", async () => {
    const s = new Scenario(env, 'inv-routed-judge-offline');
    const offline = `${s.taskQueue}-offline`;
    await s.run(async () => {
      const armed = await s.arm({ invocation: { activityQueue: offline }, config: { judgeWindow: 1, routedScheduleToStartMs: 1_000 } });
      await armed.react('FAIL judged on a laptop that is closed');
      const { value: result, ms } = await timed(() => armed.handle.result());
      expect(ms).toBeLessThan(15_000);
      expect(result.verdict).toBe('not-judged');
      expect(result.verdicts[0]!.reason).toContain(`no worker on ${offline}`);
      expect(s.world.judgeCalls).toEqual([]);
      expect(s.world.reports).toEqual([]);
      expect(await verdictAttribute(armed)).toBe('not-judged');
    });
  });

  it('visibility lists exactly the failed invocations of a skill', async () => {
    const s = new Scenario(env, 'inv-visibility-failed');
    await s.run(async () => {
      const outcomes = ['ok', 'FAIL one', 'ok', 'FAIL two'];
      const armed: Armed[] = [];
      for (const text of outcomes) {
        const a = await s.arm({ config: { judgeWindow: 1 } });
        await a.react(text);
        await a.handle.result();
        armed.push(a);
      }
      const failedIds = armed.filter((_, i) => outcomes[i]!.startsWith('FAIL')).map((a) => a.workflowId).sort();
      const query = `WorkflowType="invocationWorkflow" AND SkillRef="${formatSkillRef(s.ref)}" AND Verdict="failed"`;
      const list = async () => {
        const ids: string[] = [];
        for await (const wf of env.client.workflow.list({ query })) ids.push(wf.workflowId);
        return ids.sort();
      };
      expect(await until(list, (ids) => ids.length >= failedIds.length)).toEqual(failedIds);
      await s.laneSettled((l) => l.counters.failureReports === 2);
    });
  });
});
