// `skillopt status` against a real Temporal dev server running the real
// workflows: invocations driven by signal-with-start as the hooks' flusher
// does, judged by a fake judge (passed / failed / not-judged by the reaction's
// text), a confirmed failure reported to the skill's lane.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JudgeResult, SkillActivities } from '../../activities/types';
import { collectSkills, type SkillDetail, type SkillStatusRow } from '../../cli/status';
import { formatSkillRef, workflowIdForInvocation, workflowIdForSkill, type SkillRef } from '../../core/skill-ref';
import { SearchAttributes, failureSignal, invokedSignal, reactionSignal, type InvocationInfo } from '../../workflows/definitions';
import { invocationWorkflow } from '../../workflows/invocation-workflow';
import { skillWorkflow } from '../../workflows/skill-workflow';
import { passingActivities, startTestServer, uniqueName, workflowBundle } from '../helpers/temporal';
import { until } from '../helpers/wait';
import { expectOneLineError, makeSandbox, run, type Sandbox } from './helpers';

let env: TestWorkflowEnvironment;
let sb: Sandbox;

beforeAll(async () => {
  [env, sb] = await Promise.all([startTestServer(), makeSandbox()]);
});

afterAll(async () => {
  await sb?.cleanup();
  await env?.teardown();
});

/** The fake judge's verdict, by the reaction's text. */
function judged(text: string): JudgeResult {
  if (text.startsWith('wrong')) return { outcome: 'failed', confidence: 0.9, reason: 'the user had to redo the deploy by hand' };
  if (text.startsWith('unreadable')) return { outcome: 'not-judged', confidence: 0, reason: 'not judged: transcript unreadable' };
  return { outcome: 'passed', confidence: 0.8, reason: 'the user moved on' };
}

/** Judged by the reaction's text; a failure reaches the lane, whose proposer finds nothing to change. */
function fakeActivities(taskQueue: string): SkillActivities {
  return {
    ...passingActivities(),
    judgeReaction: async ({ reaction }) => judged(reaction.text),
    // As the real activity does: signal-with-start of the skill's lane.
    reportFailure: async ({ ref, report }) => {
      await env.client.workflow.signalWithStart(skillWorkflow, {
        workflowId: workflowIdForSkill(ref),
        taskQueue,
        args: [{ ref }],
        signal: failureSignal,
        signalArgs: [report],
      });
    },
    describeSkill: async () => ({ version: 4, improvementsPublished: 2 }),
    readSkill: async () => ({ version: 4, body: '# Steps\n', description: 'deploys', priorEdits: [] }),
    // The proposer finds nothing to change: the lane records it and waits.
    proposeEdit: async ({ body }) => ({ changed: false, editedBody: body, edits: [], report: [], summaries: [], fingerprint: '' }),
  };
}

/** One armed invocation (signal-with-start, as the flusher sends it), then its reaction if any. */
async function invoke(taskQueue: string, ref: SkillRef, user: string, reaction?: string): Promise<string> {
  const sessionId = uniqueName(`sess-${user}`);
  const toolUseId = `toolu_${user}`;
  const workflowId = workflowIdForInvocation(ref, sessionId, toolUseId);
  const invocation: InvocationInfo = { sessionId, toolUseId, user, agent: 'claude_code', skillVersion: 4, transcriptPath: '/tmp/t.jsonl', transcriptBytes: 10 };
  const handle = await env.client.workflow.signalWithStart(invocationWorkflow, {
    workflowId,
    taskQueue,
    args: [{ ref, invocation, config: { judgeWindow: 1 } }],
    signal: invokedSignal,
    signalArgs: [{ ...invocation, eventId: `${workflowId}:invoked` }],
    typedSearchAttributes: [
      { key: SearchAttributes.skillRef, value: formatSkillRef(ref) },
      { key: SearchAttributes.skillUser, value: user },
      { key: SearchAttributes.verdict, value: 'pending' },
    ],
  });
  if (reaction !== undefined) {
    await handle.signal(reactionSignal, { eventId: `${workflowId}:reaction`, sessionId, text: reaction, transcriptPath: '/tmp/t.jsonl', transcriptBytes: 20 });
  }
  // Distinct start times, so "newest first" is well defined.
  await new Promise((r) => setTimeout(r, 20));
  return workflowId;
}

describe('skillopt status', () => {
  it('lists every skill with its lane and the week\'s verdicts, and shows one skill\'s lane and invocations', async () => {
    const deploy = { name: uniqueName('deploy'), author: 'alice' };
    const lint = { name: uniqueName('lint'), author: 'bob' };
    const deployRef = formatSkillRef(deploy);
    const lintRef = formatSkillRef(lint);
    const taskQueue = uniqueName('status');
    const temporal = { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'default' };
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: fakeActivities(taskQueue) });

    await worker.runUntil(async () => {
      const passedId = await invoke(taskQueue, deploy, 'bob', 'thanks, that worked');
      const failedId = await invoke(taskQueue, deploy, 'carol', 'wrong, it deployed to prod');
      const notJudgedId = await invoke(taskQueue, deploy, 'dave', 'unreadable transcript please');
      const pendingId = await invoke(taskQueue, deploy, 'erin');
      await invoke(taskQueue, lint, 'frank', 'great');

      // The failure reached the lane, which proposed nothing to change.
      const laneDone = (d: SkillDetail) => d.lane?.state?.counters.proposalsWithoutChange === 1;
      const settled = (d: SkillDetail) =>
        laneDone(d) && d.invocations.length === 4 && d.invocations.filter((i) => i.verdict !== 'pending').length === 3 && d.invocations.every((i) => i.verdict === 'pending' || i.reason !== null);
      const detail = await until(async () => JSON.parse((await run(sb, ['status', deployRef, '--json'], temporal)).stdout) as SkillDetail, settled, 60_000, 300);

      expect(Object.keys(detail).sort()).toEqual(['invocations', 'lane']);
      expect(detail.lane).toMatchObject({ ref: deployRef, workflowId: workflowIdForSkill(deploy), status: 'RUNNING', version: 4, improvementsPublished: 2 });
      expect(detail.lane?.state).toMatchObject({ version: 4, queued: 0, improving: false, runs: 1 });
      expect(detail.lane?.state?.counters).toMatchObject({ failureReports: 1, proposals: 1, proposalsWithoutChange: 1, improvementsPublished: 2 });
      // Newest first.
      expect(detail.invocations.map((i) => i.workflowId)).toEqual([pendingId, notJudgedId, failedId, passedId]);
      expect(detail.invocations.map((i) => [i.user, i.version, i.verdict, i.reason, i.status])).toEqual([
        ['erin', 4, 'pending', null, 'RUNNING'],
        ['dave', 4, 'not-judged', 'not judged: transcript unreadable', 'COMPLETED'],
        ['carol', 4, 'failed', 'the user had to redo the deploy by hand', 'COMPLETED'],
        ['bob', 4, 'passed', 'the user moved on', 'COMPLETED'],
      ]);
      expect(detail.invocations[0]).toEqual({
        workflowId: pendingId,
        runId: expect.any(String),
        started: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        closed: null,
        status: 'RUNNING',
        user: 'erin',
        version: 4,
        verdict: 'pending',
        reason: null,
      });

      const one = await run(sb, ['status', deployRef], temporal);
      expect(one.stderr).toBe('');
      expect(one.stdout).toContain(`${deployRef}: lane running (run 1), version 4, 2 improvements published`);
      expect(one.stdout).toContain('now: 0 failure(s) queued, not improving');
      expect(one.stdout).toContain('failure reports 1 (0 duplicate); proposals 1: 1 without change');
      // Not-judged is counted on its own, never folded into passed.
      expect(one.stdout).toContain('4 most recent invocation(s): 1 passed, 1 failed, 1 not-judged, 1 pending');
      expect(one.stdout).toMatch(/STARTED\s+USER\s+VERSION\s+VERDICT\s+REASON\s+WORKFLOW\s+ID/);
      expect(one.stdout).toMatch(new RegExp(`carol\\s+v4\\s+failed\\s+the user had to redo the deploy by hand\\s+completed\\s+${escape(failedId)}`));
      expect(one.stdout).toMatch(new RegExp(`dave\\s+v4\\s+not-judged\\s+not judged: transcript unreadable\\s+completed\\s+${escape(notJudgedId)}`));
      expect(one.stdout).toMatch(new RegExp(`bob\\s+v4\\s+passed\\s+the user moved on\\s+completed\\s+${escape(passedId)}`));
      expect(one.stdout).toMatch(new RegExp(`erin\\s+v4\\s+pending\\s+-\\s+running\\s+${escape(pendingId)}`));
      const lines = one.stdout.split('\n');
      expect(lines.findIndex((l) => l.includes(pendingId))).toBeLessThan(lines.findIndex((l) => l.includes(passedId)));

      const limited = JSON.parse((await run(sb, ['status', deployRef, '--json', '--limit', '2'], temporal)).stdout) as SkillDetail;
      expect(limited.invocations.map((i) => i.workflowId)).toEqual([pendingId, notJudgedId]);

      // Every skill: the lane's and the lane-less one's, with the week's verdicts.
      const mine = (rows: SkillStatusRow[]) => rows.filter((r) => r.ref === deployRef || r.ref === lintRef);
      const rows = await until(
        async () => mine(JSON.parse((await run(sb, ['status', '--json'], temporal)).stdout) as SkillStatusRow[]),
        (r) => r.length === 2 && r[0]!.invocations.total === 4 && r[0]!.invocations.pending === 1 && r[1]!.invocations.passed === 1,
        30_000,
        300,
      );
      expect(rows[0]).toMatchObject({
        ref: deployRef,
        lane: { workflowId: workflowIdForSkill(deploy), status: 'RUNNING', version: 4, improvementsPublished: 2 },
        invocations: { total: 4, passed: 1, failed: 1, notJudged: 1, pending: 1 },
      });
      expect(Date.now() - Date.parse(rows[0]!.invocations.since)).toBeGreaterThan(7 * 24 * 3600 * 1000 - 60_000);
      expect(rows[1]).toEqual({ ref: lintRef, lane: null, invocations: { since: rows[0]!.invocations.since, total: 1, passed: 1, failed: 0, notJudged: 0, pending: 0 } });

      // A week with more invocations than are read: each known skill is counted with count queries, to the same numbers
      // (a lane-less skill whose invocations were not among those read is missed, and a note says so).
      const counted = await collectSkills(env.client, new Date(), 1);
      expect(counted.rows.find((r) => r.ref === deployRef)?.invocations).toEqual({ ...rows[0]!.invocations, since: expect.any(String) });
      expect(counted.notes).toEqual([expect.stringContaining('more than 1 invocations this week')]);

      const listed = await run(sb, ['status'], temporal);
      expect(listed.stderr).toBe('');
      expect(listed.stdout).toMatch(/SKILL\s+LANE\s+VERSION\s+IMPROVEMENTS\s+PASSED\s+FAILED\s+NOT-JUDGED\s+PENDING/);
      expect(listed.stdout).toMatch(new RegExp(`${deployRef}\\s+running\\s+4\\s+2\\s+1\\s+1\\s+1\\s+1\\n`));
      expect(listed.stdout).toMatch(new RegExp(`${lintRef}\\s+none\\s+-\\s+-\\s+1\\s+0\\s+0\\s+0\\n`));
      expect(listed.stdout).toContain('last 7 days');
    });
  });

  it('shows a skill with no lane and no invocations', async () => {
    const temporal = { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'default' };
    const ref = `${uniqueName('quiet')}--alice`;
    const text = await run(sb, ['status', ref], temporal);
    expect(text.stderr).toBe('');
    expect(text.stdout).toBe(`${ref}: no lane yet (it starts at the skill's first confirmed failure)\nno invocations yet\n`);
    expect(JSON.parse((await run(sb, ['status', ref, '--json'], temporal)).stdout)).toEqual({ lane: null, invocations: [] });
  });

  it('says in one line when Temporal cannot be reached', async () => {
    for (const args of [['status'], ['status', 'deploy--alice']]) {
      const result = await run(sb, args, { TEMPORAL_ADDRESS: '127.0.0.1:1' });
      expectOneLineError(result, /^skillopt: cannot reach Temporal at 127\.0\.0\.1:1/);
    }
  });

  it('rejects a malformed ref or limit in one line, before any query', async () => {
    expectOneLineError(await run(sb, ['status', 'not-a-ref'], { TEMPORAL_ADDRESS: '127.0.0.1:1' }), /expected <name>--<author>/);
    // Quotes cannot reach the query text: the ref is refused first.
    expectOneLineError(await run(sb, ['status', 'x--a" OR WorkflowType="skillWorkflow'], { TEMPORAL_ADDRESS: '127.0.0.1:1' }), /author .* may only contain/);
    expectOneLineError(await run(sb, ['status', 'deploy--alice', '--limit', '0'], { TEMPORAL_ADDRESS: '127.0.0.1:1' }), /limit/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
