// Delivery of the hooks' outbox to a real Temporal dev server running the real
// invocation workflow (in-memory activities): exactly one effect per event, also
// for events spooled while Temporal was unreachable and for a file delivered twice.
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { workflowIdForInvocation, type SkillRef } from '../../core/skill-ref';
import { drainOutbox } from '../../worker/outbox-delivery';
import { liveFlusherPid } from '../../local/outbox/flusher-lock';
import { BACKGROUND_NICE } from '../../hooks/spawn';
import { resolveTemporalExecutable } from '../../worker/temporal-bin';
import { ALL_SEARCH_ATTRIBUTES, SearchAttributes, invocationStateQuery, type InvocationSummary } from '../../workflows/definitions';
import { passingActivities, startTestServer, uniqueName, workflowBundle } from '../helpers/temporal';
import { Session, installOrgSkills, makeHookSandbox, outboxFiles, runHook, until, type HookSandbox } from '../hooks/helpers';
import { freePort } from '../helpers/wait';


let env: TestWorkflowEnvironment;
let worker: Worker;
let workerRun: Promise<void>;
const taskQueue = uniqueName('hooks');

beforeAll(async () => {
  env = await startTestServer();
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: passingActivities() });
  workerRun = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await env?.teardown();
});

let sb: HookSandbox;
let ref: SkillRef;

/** The environment a hook gets when it should deliver to `address`. */
function deliveryEnv(address: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    SKILLOPT_FLUSHER: '1',
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: 'default',
    SKILLOPT_TASK_QUEUE: taskQueue,
    // TEMPORAL_ADDRESS makes this a teammate machine: judgments are routed to the test's shared queue instead (test/worker/ondemand.test.ts covers this machine's own).
    SKILLOPT_ACTIVITY_QUEUE: taskQueue,
    SKILLOPT_FLUSHER_LINGER_MS: '300',
    ...extra,
  };
}

beforeEach(async () => {
  sb = await makeHookSandbox();
  ref = { name: uniqueName('deploy'), author: 'alice' };
  await installOrgSkills(sb, [{ ...ref, version: 1 }]);
});

afterEach(async () => {
  // Flushers this test started end by themselves; one still running here is stopped by its pid.
  const pid = liveFlusherPid(sb.skilloptHome);
  if (pid !== undefined) process.kill(pid, 'SIGTERM');
  await sb.cleanup();
});

/** The invocation workflow of one Skill call: its live state, undefined until it exists. */
function invocationState(s: Session, toolUseId: string, client = env.client): Promise<InvocationSummary | undefined> {
  return client.workflow
    .getHandle(workflowIdForInvocation(ref, s.id, toolUseId))
    .query(invocationStateQuery)
    .catch(() => undefined);
}

/** Every reaction it was sent is judged (each judgment passes here). */
function judged(st: InvocationSummary | undefined, reactions: number): boolean {
  return st !== undefined && st.counters.reactions === reactions && st.verdicts.length === reactions && st.queued === 0;
}

async function flusherGone(): Promise<boolean> {
  return liveFlusherPid(sb.skilloptHome) === undefined;
}

const ref3 = () => `${ref.name}--${ref.author}`;

describe('the flusher a hook starts', () => {
  it('runs at the background priority (nice 10, and its session\'s autogroup where Linux has one): it does not compete with the agent', async () => {
    const priorityOf = async (extra: NodeJS.ProcessEnv): Promise<{ nice: number; autogroup?: string }> => {
      const s = new Session(sb);
      expect((await runHook(sb, 'PreToolUse', s.preToolUseSkill(ref3(), `toolu_${s.id}`), deliveryEnv(env.address, extra))).code).toBe(0);
      const pid = await until(async () => liveFlusherPid(sb.skilloptHome), (p) => p !== undefined, 10_000);
      const autogroupFile = `/proc/${pid}/autogroup`;
      const seen = { nice: getPriority(pid!), ...(existsSync(autogroupFile) ? { autogroup: readFileSync(autogroupFile, 'utf8') } : {}) };
      await until(flusherGone, (gone) => gone, 15_000);
      return seen;
    };
    const low = await priorityOf({});
    expect(low.nice).toBe(BACKGROUND_NICE);
    if (low.autogroup !== undefined) expect(low.autogroup).toMatch(new RegExp(` nice ${BACKGROUND_NICE}\\s*$`));
    // SKILLOPT_BACKGROUND_PRIORITY=normal: as the hook itself.
    expect((await priorityOf({ SKILLOPT_BACKGROUND_PRIORITY: 'normal' })).nice).toBe(getPriority());
  });

  it('delivers arming and reactions once, in order, then exits when the outbox stays empty', async () => {
    const s = new Session(sb);
    const delivery = deliveryEnv(env.address);
    expect((await runHook(sb, 'PreToolUse', s.preToolUseSkill(ref3(), 'toolu_a'), delivery)).code).toBe(0);
    expect((await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('that was wrong, you skipped the tests'), delivery)).code).toBe(0);
    expect((await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('still wrong'), delivery)).code).toBe(0);

    const state = await until(() => invocationState(s, 'toolu_a'), (st) => judged(st, 2));
    expect(state!.counters).toMatchObject({ reactions: 2, duplicateEvents: 0, ignoredReactions: 0 });
    expect(state).toMatchObject({ sessionId: s.id, toolUseId: 'toolu_a', remaining: 1, skillVersion: 1, phase: 'open', verdict: 'passed' });
    expect(await outboxFiles(sb)).toEqual([]);
    // Started with its search attributes, so the Temporal UI can list it.
    const described = await env.client.workflow.getHandle(workflowIdForInvocation(ref, s.id, 'toolu_a')).describe();
    expect(described.typedSearchAttributes.get(SearchAttributes.skillRef)).toBe(ref3());
    expect(described.typedSearchAttributes.get(SearchAttributes.skillUser)).toBe('alice');
    expect(described.taskQueue).toBe(taskQueue);
    await until(flusherGone, (gone) => gone, 10_000);
  });

  it('parallel sessions arming at once: every invocation has exactly one effect', async () => {
    const sessions = Array.from({ length: 6 }, () => new Session(sb));
    const runs = await Promise.all(sessions.map((s, i) => runHook(sb, 'PreToolUse', s.preToolUseSkill(ref3(), `toolu_${i}`), deliveryEnv(env.address))));
    expect(runs.map((r) => r.code)).toEqual(sessions.map(() => 0));
    await until(() => outboxFiles(sb), (f) => f.length === 0);
    const states = await Promise.all(sessions.map((s, i) => until(() => invocationState(s, `toolu_${i}`), (st) => st !== undefined)));
    expect(states.map((st) => st!.counters.duplicateEvents)).toEqual(sessions.map(() => 0));
    // One workflow per invocation, no more.
    const listed = await until(
      async () => (await env.client.workflow.count(`WorkflowType = "invocationWorkflow" AND SkillRef = "${ref3()}"`)).count,
      (n) => n >= 6,
    );
    expect(listed).toBe(6);
  });

  it('Temporal down, then up on the same address: events spooled meanwhile are delivered once', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill(ref3(), 'toolu_down'), deliveryEnv(address));
    await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('that was wrong'), deliveryEnv(address));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await outboxFiles(sb)).toHaveLength(2);
    expect(liveFlusherPid(sb.skilloptHome)).toBeDefined();

    const later = await TestWorkflowEnvironment.createLocal({
      server: { executable: resolveTemporalExecutable(), searchAttributes: ALL_SEARCH_ATTRIBUTES, port },
    });
    const laterWorker = await Worker.create({ connection: later.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: passingActivities() });
    try {
      await laterWorker.runUntil(async () => {
        const state = await until(() => invocationState(s, 'toolu_down', later.client), (st) => judged(st, 1), 30_000);
        expect(state!.counters.duplicateEvents).toBe(0);
        await until(() => outboxFiles(sb), (f) => f.length === 0);
      });
    } finally {
      await later.teardown();
    }
  });

  it('a flusher that gave up leaves the events; the next hook run (Temporal reachable) delivers them all', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill(ref3(), 'toolu_first'), deliveryEnv(closed, { SKILLOPT_FLUSHER_RETRY_MS: '500' }));
    await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('wrong'), deliveryEnv(closed, { SKILLOPT_FLUSHER_RETRY_MS: '500' }));
    const log = () => readFile(join(sb.skilloptHome, 'hooks.log'), 'utf8').catch(() => '');
    await until(log, (text) => /Temporal unreachable .* 2 event\(s\) stay in the outbox/.test(text), 15_000);
    await until(flusherGone, (gone) => gone, 5_000);
    expect(await outboxFiles(sb)).toHaveLength(2);

    await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('still wrong'), deliveryEnv(env.address));
    const state = await until(() => invocationState(s, 'toolu_first'), (st) => judged(st, 2));
    expect(state).toMatchObject({ toolUseId: 'toolu_first', remaining: 1, phase: 'open' });
    await until(() => outboxFiles(sb), (f) => f.length === 0);
  });

  it('after a flusher gave up, the next prompt of any session (no window open) starts a new one', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill(ref3(), 'toolu_stalled'), deliveryEnv(closed, { SKILLOPT_FLUSHER_RETRY_MS: '500' }));
    const log = () => readFile(join(sb.skilloptHome, 'hooks.log'), 'utf8').catch(() => '');
    await until(log, (text) => /Temporal unreachable .* 1 event\(s\) stay in the outbox/.test(text), 15_000);
    await until(flusherGone, (gone) => gone, 5_000);

    // Temporal is back; the user goes on working without invoking a skill.
    const other = new Session(sb);
    await runHook(sb, 'UserPromptSubmit', other.userPromptSubmit('add a test for the parser'), deliveryEnv(env.address));
    await until(() => invocationState(s, 'toolu_stalled'), (st) => judged(st, 0));
    await until(() => outboxFiles(sb), (f) => f.length === 0);
  });

  it('SessionStart starts a flusher for events left in the outbox', async () => {
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill(ref3(), 'toolu_left'));
    expect(await outboxFiles(sb)).toHaveLength(1);
    await runHook(sb, 'SessionStart', s.sessionStart('resume'), deliveryEnv(env.address, { SKILLOPT_AUTOPULL: '0', SKILLOPT_ATTRIBUTION: '0' }));
    await until(() => invocationState(s, 'toolu_left'), (st) => judged(st, 0));
    await until(() => outboxFiles(sb), (f) => f.length === 0);
  });
});

describe('the end of an invocation', () => {
  it('SessionEnd (/clear) closes its workflow; a reaction spooled after it closed is dropped, not retried', async () => {
    const s = new Session(sb);
    const delivery = deliveryEnv(env.address);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill(ref3(), 'toolu_end'), delivery);
    await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('looks right'), delivery);
    await runHook(sb, 'SessionEnd', s.sessionEnd('clear'), delivery);
    await until(() => outboxFiles(sb), (f) => f.length === 0);
    const handle = env.client.workflow.getHandle(workflowIdForInvocation(ref, s.id, 'toolu_end'));
    const summary = (await handle.result()) as InvocationSummary;
    expect(summary).toMatchObject({ phase: 'closed', closedReason: 'session ended (clear)', verdict: 'passed' });
    await until(() => outboxFiles(sb), (f) => f.length === 0);
    await until(flusherGone, (gone) => gone, 10_000);
    // A late event for the closed invocation (e.g. from a second settings file) is delivered as "nothing to do".
    await writeFile(
      join(sb.skilloptHome, 'outbox', '9999999999999999-1-late.json'),
      JSON.stringify({
        v: 2,
        createdAt: new Date().toISOString(),
        ref,
        workflowId: workflowIdForInvocation(ref, s.id, 'toolu_end'),
        signal: 'reaction',
        payload: { eventId: 'late-1', sessionId: s.id, text: 'that was wrong', transcriptPath: s.transcriptPath, transcriptBytes: 0 },
      }),
    );
    expect(await drainOutbox(env.client, sb.skilloptHome, { taskQueue })).toEqual({ delivered: 1, deadLettered: 0, remaining: 0 });
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  });
});

describe('drainOutbox (also what `skillopt up` runs at start)', () => {
  it('delivers what was spooled while unreachable; a redelivered file has one effect; a broken file is set aside', async () => {
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill(ref3(), 'toolu_twice'));
    await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('that was wrong'));
    const [first, second] = await outboxFiles(sb);
    // The same event twice (a flusher that crashed between the ack and the delete) and a torn file.
    await copyFile(join(sb.skilloptHome, 'outbox', first!), join(sb.skilloptHome, 'outbox', `${first!.slice(0, 16)}-1-dup.json`));
    await copyFile(join(sb.skilloptHome, 'outbox', second!), join(sb.skilloptHome, 'outbox', `9${second!.slice(1, 16)}-1-dup.json`));
    await writeFile(join(sb.skilloptHome, 'outbox', '0000000000000001-1-torn.json'), '{"v":1,"ref":{"name":');

    const result = await drainOutbox(env.client, sb.skilloptHome, { taskQueue });
    expect(result).toEqual({ delivered: 4, deadLettered: 1, remaining: 0 });
    expect(await outboxFiles(sb)).toEqual([]);
    const state = await until(() => invocationState(s, 'toolu_twice'), (st) => judged(st, 1));
    expect(state!.counters.duplicateEvents).toBe(2);
    expect(await readFile(join(sb.skilloptHome, 'outbox', 'failed', '0000000000000001-1-torn.json'), 'utf8')).toContain('"ref"');
  });

  it('stops at an unreachable server and keeps every file', async () => {
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill(ref3()));
    const { Client, Connection } = await import('@temporalio/client');
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    try {
      const result = await drainOutbox(new Client({ connection }), sb.skilloptHome, { taskQueue, rpcTimeoutMs: 1_000 });
      expect(result).toMatchObject({ delivered: 0, deadLettered: 0, remaining: 1 });
      expect(result.error).toBeDefined();
    } finally {
      await connection.close();
    }
    expect(await outboxFiles(sb)).toHaveLength(1);
  });
});
