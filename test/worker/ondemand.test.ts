// A teammate's machine (TEMPORAL_ADDRESS, no database URL) against a real dev
// server and a central worker that serves the workflows and the store
// activities on the shared queue, but not the machine's own queue: the built
// hooks arm and react, and the judgment runs in the flusher's process (its
// on-demand worker, this machine's agent CLI = fake-claude, whose call log
// names the process that ran it). The central model fails the test if called.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dailyModelCalls } from '../../local/model-calls';
import { createSkilloptWorker } from '../../worker/worker';
import { workflowIdForInvocation, type SkillRef } from '../../core/skill-ref';
import { drainOutbox } from '../../worker/outbox-delivery';
import { outboxDir } from '../../local/outbox/files';
import { liveFlusherPid } from '../../local/outbox/flusher-lock';
import { PENDING_JUDGMENTS_FILE } from '../../local/outbox/pending-judgments';
import { openStore, type Store } from '../../store/open-store';
import { invocationStateQuery, type InvocationSummary } from '../../workflows/definitions';
import { createFakeClaude, type FakeClaude } from '../fixtures/fake-claude';
import { startTestServer, uniqueName, workflowBundle } from '../helpers/temporal';
import { Session, installOrgSkills, makeHookSandbox, outboxFiles, runHook, until, type HookSandbox } from '../hooks/helpers';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'transcripts', 'skill-invocation-then-resumed-correction.jsonl');
const TOOL_USE_ID = 'toolu_01lfyrw5N8vmy7avHD8Pgdla';
/** The transcript as it is when the user reacts: the Skill call (line 7) and the turn after it. */
const AT_REACTION = readFileSync(FIXTURE, 'utf8').split('\n').filter((l) => l !== '').slice(0, 12).map((l) => `${l}\n`).join('');
const GRACE_MS = 2_000;

let env: TestWorkflowEnvironment;
let storeDir: string;
let store: Store;
const taskQueue = uniqueName('shared');
const centralModelCalls: string[] = [];

beforeAll(async () => {
  env = await startTestServer();
  storeDir = mkdtempSync(join(tmpdir(), 'skillopt-central-'));
  store = await openStore({ home: storeDir });
});

afterAll(async () => {
  await store?.close();
  await env?.teardown();
  rmSync(storeDir, { recursive: true, force: true });
});

/** The central worker: workflows and store activities on the shared queue; its model must never be asked. */
async function withCentral<T>(body: () => Promise<T>): Promise<T> {
  const worker = await createSkilloptWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
    store,
    // No transcript folder at all: the central worker must never read one.
    transcriptRoots: [],
    modelCalls: dailyModelCalls({ home: storeDir, cap: 1_000 }),
    model: async (request) => {
      centralModelCalls.push(request.role);
      throw new Error('the central worker has no transcript: it must not judge');
    },
  });
  return worker.runUntil(body);
}

let sb: HookSandbox;
let fake: FakeClaude;
let ref: SkillRef;

beforeEach(async () => {
  fake = createFakeClaude({ judge: [{ text: { success: 1, confidence: 0.9, reason: 'ran the checklist as asked' } }] });
  sb = await makeHookSandbox();
  ref = { name: uniqueName('deploy'), author: 'alice' };
  await installOrgSkills(sb, [{ ...ref, version: 1 }]);
  centralModelCalls.length = 0;
});

afterEach(async () => {
  const pid = liveFlusherPid(sb.skilloptHome);
  if (pid !== undefined) process.kill(pid, 'SIGTERM');
  await sb.cleanup();
  fake.cleanup();
});

/** A teammate's hook environment: Temporal settings only (no SKILLOPT_DATABASE_URL), its agent CLI = fake-claude. */
function teammate(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    SKILLOPT_FLUSHER: '1',
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: 'default',
    SKILLOPT_TASK_QUEUE: taskQueue,
    SKILLOPT_FLUSHER_LINGER_MS: '300',
    SKILLOPT_WORKER_GRACE_MS: String(GRACE_MS),
    ...fake.env,
    ...extra,
  };
}

function state(s: Session): Promise<InvocationSummary | undefined> {
  return env.client.workflow
    .getHandle(workflowIdForInvocation(ref, s.id, TOOL_USE_ID))
    .query(invocationStateQuery)
    .catch(() => undefined);
}

const flusherGone = async (): Promise<boolean> => liveFlusherPid(sb.skilloptHome) === undefined;
const pendingFile = (): string => join(outboxDir(sb.skilloptHome), PENDING_JUDGMENTS_FILE);
const label = (): string => `${ref.name}--${ref.author}`;

async function armAndReact(s: Session, hookEnv: NodeJS.ProcessEnv): Promise<void> {
  await s.writeTranscript(AT_REACTION);
  expect((await runHook(sb, 'PreToolUse', s.preToolUseSkill(label(), TOOL_USE_ID), hookEnv)).code).toBe(0);
  expect((await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('that was wrong, you skipped the tests'), hookEnv)).code).toBe(0);
}

describe("a teammate's machine judges its own reactions, in its flusher", () => {
  it('arms and reacts; the judgment runs in the flusher process, the verdict is recorded centrally, then the flusher exits after the grace', async () => {
    await withCentral(async () => {
      const s = new Session(sb);
      await armAndReact(s, teammate());
      // The flusher the hooks started (it takes its lock a moment after the hook returned).
      const flusherPid = await until(async () => liveFlusherPid(sb.skilloptHome), (pid) => pid !== undefined);

      const judged = await until(() => state(s), (st) => st?.verdicts.length === 1, 30_000);
      const verdictAt = Date.now();
      expect(judged!.verdicts[0]).toMatchObject({ outcome: 'passed', reason: 'ran the checklist as asked' });
      expect(judged!.queued).toBe(0);
      // Recorded in the central store by the central worker's recordVerdict.
      const recorded = await until(() => store.verdicts(ref), (v) => v.length === 1);
      expect(recorded[0]).toMatchObject({ outcome: 'passed', sessionId: s.id, toolUseId: TOOL_USE_ID });
      // Run by this machine's agent CLI, started by the flusher: not the test process, not the central worker.
      const calls = fake.calls();
      expect(calls.map((c) => c.role)).toEqual(['judge']);
      expect(calls[0]!.ppid).toBe(flusherPid);
      expect(calls[0]!.ppid).not.toBe(process.pid);
      expect(calls[0]!.prompt).toContain('you skipped the tests');
      expect(centralModelCalls).toEqual([]);
      // Nothing is owed any more.
      expect(existsSync(pendingFile())).toBe(false);

      // It stays for the grace, then exits: no daemon.
      await until(flusherGone, (gone) => gone, GRACE_MS + 15_000);
      expect(Date.now() - verdictAt).toBeGreaterThanOrEqual(GRACE_MS - 500);
      expect(await outboxFiles(sb)).toEqual([]);
    });
  });

  it('an offline machine (events delivered, no flusher: SKILLOPT_FLUSHER=0) is judged once, after it comes back at the next session start', async () => {
    await withCentral(async () => {
      const s = new Session(sb);
      await armAndReact(s, teammate({ SKILLOPT_FLUSHER: '0' }));
      // Delivered (as by a flusher that died right after), then the machine is away.
      expect(await drainOutbox(env.client, sb.skilloptHome, { taskQueue })).toMatchObject({ delivered: 2, remaining: 0 });
      await until(() => state(s), (st) => st?.counters.reactions === 1);
      await new Promise((r) => setTimeout(r, 3_000));
      // Only this invocation waits, on the machine's queue.
      expect(await state(s)).toMatchObject({ verdict: 'pending', verdicts: [], phase: 'open' });
      expect(fake.calls()).toEqual([]);

      // Back: the next session's start brings up a flusher, which finds the judgment waiting on its queue.
      const next = new Session(sb);
      expect((await runHook(sb, 'SessionStart', next.sessionStart(), teammate({ SKILLOPT_AUTOPULL: '0', SKILLOPT_ATTRIBUTION: '0' }))).code).toBe(0);
      const judged = await until(() => state(s), (st) => st?.verdicts.length === 1, 30_000);
      expect(judged!.verdicts[0]!.outcome).toBe('passed');
      await until(flusherGone, (gone) => gone, GRACE_MS + 15_000);
      expect(fake.calls()).toHaveLength(1);
      expect(await store.verdicts(ref)).toHaveLength(1);
      expect(centralModelCalls).toEqual([]);
    });
  });

  it('a flusher killed before the judgment ran: the next prompt of any session (no window open) starts one, which judges once', async () => {
    const s = new Session(sb);
    // The central worker is not running yet: the reaction is delivered, nothing is judged.
    await armAndReact(s, teammate({ SKILLOPT_WORKER_GRACE_MS: '60000' }));
    await until(() => outboxFiles(sb), (f) => f.length === 0);
    await until(async () => existsSync(pendingFile()), (e) => e);
    const pid = liveFlusherPid(sb.skilloptHome);
    expect(pid).toBeDefined();
    process.kill(pid!, 'SIGKILL');
    await until(flusherGone, (gone) => gone, 20_000);

    await withCentral(async () => {
      await until(() => state(s), (st) => st?.counters.reactions === 1);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(fake.calls()).toEqual([]);
      // The user goes on working in another session.
      const other = new Session(sb);
      expect((await runHook(sb, 'UserPromptSubmit', other.userPromptSubmit('add a test for the parser'), teammate())).code).toBe(0);
      const judged = await until(() => state(s), (st) => st?.verdicts.length === 1, 30_000);
      expect(judged!.verdicts[0]!.outcome).toBe('passed');
      expect(fake.calls()).toHaveLength(1);
      await until(async () => existsSync(pendingFile()), (e) => !e);
      await until(flusherGone, (gone) => gone, GRACE_MS + 15_000);
    });
  });
});
