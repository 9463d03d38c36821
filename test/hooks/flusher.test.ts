// Delivery of the hooks' outbox to a real Temporal dev server running the real
// skill workflow (in-memory activities): exactly one effect per event, also for
// events spooled while Temporal was unreachable and for a file delivered twice.
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { workflowIdForSkill, type SkillRef } from '../../core/skill-ref';
import { drainOutbox } from '../../hooks/flusher';
import { liveFlusherPid } from '../../hooks/outbox';
import { resolveTemporalExecutable } from '../../worker/temporal-bin';
import { ALL_SEARCH_ATTRIBUTES, SearchAttributes, stateQuery, type SkillWorkflowState } from '../../workflows/definitions';
import { passingActivities, startTestServer, uniqueName, workflowBundle } from '../helpers/temporal';
import { Session, installOrgSkills, makeHookSandbox, outboxFiles, runHook, until, type HookSandbox } from './helpers';


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

function skillState(client = env.client, skill = ref): Promise<SkillWorkflowState | undefined> {
  return client.workflow
    .getHandle(workflowIdForSkill(skill))
    .query(stateQuery)
    .catch(() => undefined);
}

function counted(s: SkillWorkflowState | undefined, invocations: number, reactions: number): boolean {
  return s !== undefined && s.counters.invocations === invocations && s.counters.reactions === reactions;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

async function flusherGone(): Promise<boolean> {
  return liveFlusherPid(sb.skilloptHome) === undefined;
}

const ref3 = () => `${ref.name}--${ref.author}`;

describe('the flusher a hook starts', () => {
  it('delivers arming and reactions once, in order, then exits when the outbox stays empty', async () => {
    const s = new Session(sb);
    const delivery = deliveryEnv(env.address);
    expect((await runHook(sb, 'PreToolUse', s.preToolUseSkill(ref3(), 'toolu_a'), delivery)).code).toBe(0);
    expect((await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('that was wrong, you skipped the tests'), delivery)).code).toBe(0);
    expect((await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('still wrong'), delivery)).code).toBe(0);

    const state = await until(() => skillState(), (st) => counted(st, 1, 2) && st!.judging === 0 && st!.queued === 0);
    expect(state!.counters).toMatchObject({ invocations: 1, reactions: 2, duplicateEvents: 0, ignoredReactions: 0, judged: 2 });
    expect(state!.openWindows).toEqual([{ sessionId: s.id, toolUseId: 'toolu_a', remaining: 1, skillVersion: 1 }]);
    expect(await outboxFiles(sb)).toEqual([]);
    // Started with its search attributes, so the Temporal UI can list it.
    const described = await env.client.workflow.getHandle(workflowIdForSkill(ref)).describe();
    expect(described.typedSearchAttributes.get(SearchAttributes.skillRef)).toBe(ref3());
    expect(described.taskQueue).toBe(taskQueue);
    await until(flusherGone, (gone) => gone, 10_000);
  });

  it('parallel sessions arming at once: every invocation has exactly one effect', async () => {
    const sessions = Array.from({ length: 6 }, () => new Session(sb));
    const runs = await Promise.all(sessions.map((s) => runHook(sb, 'PreToolUse', s.preToolUseSkill(ref3()), deliveryEnv(env.address))));
    expect(runs.map((r) => r.code)).toEqual(sessions.map(() => 0));
    const state = await until(() => skillState(), (st) => st !== undefined && st.openWindows.length === 6 && (st.counters.invocations >= 6));
    expect(state!.counters.invocations).toBe(6);
    await until(() => outboxFiles(sb), (f) => f.length === 0);
  });

  it('Temporal down, then up on the same address: events spooled meanwhile are delivered once', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill(ref3()), deliveryEnv(address));
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
        const state = await until(() => skillState(later.client), (st) => counted(st, 1, 1), 30_000);
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
    const state = await until(() => skillState(), (st) => counted(st, 1, 2));
    expect(state!.openWindows).toEqual([expect.objectContaining({ toolUseId: 'toolu_first', remaining: 1 })]);
    await until(() => outboxFiles(sb), (f) => f.length === 0);
  });

  it('after a flusher gave up, the next prompt of any session (no window open) starts a new one', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill(ref3()), deliveryEnv(closed, { SKILLOPT_FLUSHER_RETRY_MS: '500' }));
    const log = () => readFile(join(sb.skilloptHome, 'hooks.log'), 'utf8').catch(() => '');
    await until(log, (text) => /Temporal unreachable .* 1 event\(s\) stay in the outbox/.test(text), 15_000);
    await until(flusherGone, (gone) => gone, 5_000);

    // Temporal is back; the user goes on working without invoking a skill.
    const other = new Session(sb);
    await runHook(sb, 'UserPromptSubmit', other.userPromptSubmit('add a test for the parser'), deliveryEnv(env.address));
    await until(() => skillState(), (st) => counted(st, 1, 0));
    await until(() => outboxFiles(sb), (f) => f.length === 0);
  });

  it('SessionStart starts a flusher for events left in the outbox', async () => {
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill(ref3()));
    expect(await outboxFiles(sb)).toHaveLength(1);
    await runHook(sb, 'SessionStart', s.sessionStart('resume'), deliveryEnv(env.address, { SKILLOPT_AUTOPULL: '0', SKILLOPT_ATTRIBUTION: '0' }));
    await until(() => skillState(), (st) => counted(st, 1, 0));
    await until(() => outboxFiles(sb), (f) => f.length === 0);
  });
});

describe('drainOutbox (also what `skillopt up` runs at start)', () => {
  it('delivers what was spooled while unreachable; a redelivered file has one effect; a broken file is set aside', async () => {
    const s = new Session(sb);
    await runHook(sb, 'PreToolUse', s.preToolUseSkill(ref3()));
    await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('that was wrong'));
    const [first, second] = await outboxFiles(sb);
    // The same event twice (a flusher that crashed between the ack and the delete) and a torn file.
    await copyFile(join(sb.skilloptHome, 'outbox', first!), join(sb.skilloptHome, 'outbox', `${first!.slice(0, 16)}-1-dup.json`));
    await copyFile(join(sb.skilloptHome, 'outbox', second!), join(sb.skilloptHome, 'outbox', `9${second!.slice(1, 16)}-1-dup.json`));
    await writeFile(join(sb.skilloptHome, 'outbox', '0000000000000001-1-torn.json'), '{"v":1,"ref":{"name":');

    const result = await drainOutbox(env.client, sb.skilloptHome, { taskQueue });
    expect(result).toEqual({ delivered: 4, deadLettered: 1, remaining: 0 });
    expect(await outboxFiles(sb)).toEqual([]);
    const state = await until(() => skillState(), (st) => counted(st, 1, 1));
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
