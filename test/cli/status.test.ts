// `skillopt status` against a real Temporal dev server running the real skill workflow.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SkillActivities } from '../../activities/types';
import { workflowIdForSkill } from '../../core/skill-ref';
import { invokedSignal, stateQuery } from '../../workflows/definitions';
import { skillWorkflow } from '../../workflows/skill-workflow';
import { startTestServer, uniqueName, workflowBundle } from '../helpers/temporal';
import { makeSandbox, run, type Sandbox } from './helpers';

let env: TestWorkflowEnvironment;
let sb: Sandbox;

beforeAll(async () => {
  [env, sb] = await Promise.all([startTestServer(), makeSandbox()]);
});

afterAll(async () => {
  await sb?.cleanup();
  await env?.teardown();
});

// The workflow reads the skill's stats at start; nothing else is called here.
const activities = {
  describeSkill: async () => ({ version: 4, improvementsPublished: 2, awaitingOutcome: [] }),
} as unknown as SkillActivities;

describe('skillopt status', () => {
  it('lists skill workflows and shows one skill\'s open windows and counters', async () => {
    const ref = { name: uniqueName('deploy'), author: 'alice' };
    const taskQueue = uniqueName('status');
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.signalWithStart(skillWorkflow, {
        workflowId: workflowIdForSkill(ref),
        taskQueue,
        args: [{ ref }],
        signal: invokedSignal,
        signalArgs: [{ eventId: 'e1', sessionId: 'sess-1', toolUseId: 'toolu_1', user: 'bob', agent: 'claude_code', skillVersion: 4, transcriptPath: '/tmp/t.jsonl', transcriptBytes: 10 }],
      });
      const deadline = Date.now() + 20_000;
      while ((await handle.query(stateQuery)).currentVersion !== 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const temporal = { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'default' };

      const one = await run(sb, ['status', `${ref.name}--alice`], temporal);
      expect(one.stderr).toBe('');
      expect(one.stdout).toContain(`${ref.name}--alice  version 4`);
      expect(one.stdout).toContain('improvements published 2');
      expect(one.stdout).toContain('window: session sess-1, 3 reaction(s) left, v4 in context');

      const json = JSON.parse((await run(sb, ['status', `${ref.name}--alice`, '--json'], temporal)).stdout) as { openWindows: unknown[] };
      expect(json.openWindows).toHaveLength(1);

      // Visibility is eventually consistent: the list shows the workflow within moments.
      let listed = '';
      while (!listed.includes(`${ref.name}--alice`) && Date.now() < deadline) {
        listed = (await run(sb, ['status'], temporal)).stdout;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(listed).toMatch(new RegExp(`${ref.name}--alice\\s+running\\s+4\\s+-\\s+2`));
    });
  });

  it('says in one line when Temporal cannot be reached', async () => {
    const result = await run(sb, ['status'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^skillopt: cannot reach Temporal at 127\.0\.0\.1:1/);
  });

  it('rejects a malformed ref in one line', async () => {
    const result = await run(sb, ['status', 'not-a-ref'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/^skillopt: .*expected <name>--<author>/);
  });
});
