// The worker is a real process, killed with SIGKILL while it is inside
// publishSkill; after a restart exactly one new version exists.
import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { workflowIdForSkill } from '../../core/skill-ref';
import { openStore, type Store } from '../../store';
import { invokedSignal, reactionSignal, stateQuery } from '../../workflows/definitions';
import { skillWorkflow } from '../../workflows/skill-workflow';
import { createFakeClaude, type FakeClaude } from '../fixtures/fake-claude';
import { startTestServer, uniqueName } from '../helpers/temporal';

const ROOT = join(import.meta.dirname, '..', '..');
const TRANSCRIPT = join(ROOT, 'test', 'fixtures', 'transcripts', 'skill-invocation-then-resumed-correction.jsonl');
const TOOL_USE_ID = 'toolu_01lfyrw5N8vmy7avHD8Pgdla';

let env: TestWorkflowEnvironment;
let home: string;
let store: Store;
let fake: FakeClaude;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'skillopt-crash-'));
  [env, store] = await Promise.all([startTestServer(), openStore({ home })]);
  fake = createFakeClaude({
    judge: [{ text: { success: 0, confidence: 0.9, reason: 'deployed without running the tests' } }],
    // The proposer answers slowly, so the test holds the lock before publishSkill starts.
    proposer: [{ text: [{ op: 'append', content: 'Never deploy without a green `npm test`.' }], sleepMs: 500 }],
  });
});

afterAll(async () => {
  fake?.cleanup();
  await store?.close();
  await env?.teardown();
});

function startWorkerProcess(taskQueue: string): ResultPromise {
  return execa(process.execPath, [join(ROOT, 'dist', 'worker.mjs')], {
    env: {
      ...process.env,
      ...fake.env,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: 'default',
      SKILLOPT_HOME: home,
      SKILLOPT_DATABASE_URL: '',
      SKILLOPT_TASK_QUEUE: taskQueue,
    },
    reject: false,
    stdio: 'pipe',
  });
}

async function until(ok: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('SIGKILL during publishSkill: after a restart exactly one new version exists', async () => {
  const ref = { name: uniqueName('deploy'), author: 'alice' };
  await store.publishVersion({ ...ref, body: '# Deploy\n\n1. Build.\n', description: 'deploys', contributors: ['alice'], createdBy: 'alice', baseVersion: 0 });
  const taskQueue = uniqueName('crash');
  const first = startWorkerProcess(taskQueue);

  const text = readFileSync(TRANSCRIPT, 'utf8');
  const bytes = Buffer.byteLength(text);
  const handle = await env.client.workflow.signalWithStart(skillWorkflow, {
    workflowId: workflowIdForSkill(ref),
    taskQueue,
    args: [{ ref }],
    signal: invokedSignal,
    signalArgs: [{ eventId: 'inv-1', sessionId: 's1', toolUseId: TOOL_USE_ID, user: 'bob', agent: 'claude_code', skillVersion: 1, transcriptPath: TRANSCRIPT, transcriptBytes: bytes }],
  });

  // Hold SQLite's write lock from the moment the proposer answers: the next write is publishSkill's.
  await handle.signal(reactionSignal, { eventId: 'react-1', sessionId: 's1', text: 'you skipped the tests', transcriptPath: TRANSCRIPT, transcriptBytes: bytes });
  await until(() => existsSync(fake.logPath) && fake.calls().some((c) => c.role === 'proposer'), 'the proposer call');
  const blocker = new Database(join(home, 'skillopt.db'));
  blocker.exec('BEGIN EXCLUSIVE');
  await new Promise((r) => setTimeout(r, 1500)); // publishSkill is now waiting on the lock
  first.kill('SIGKILL');
  await first;
  blocker.exec('ROLLBACK');
  blocker.close();
  expect((await store.history(ref)).map((v) => v.version)).toEqual([1]);

  const second = startWorkerProcess(taskQueue);
  try {
    // The lost activity is retried after its start-to-close timeout, on the new worker.
    await until(async () => (await handle.query(stateQuery)).counters.improvementsPublished === 1, 'the improvement after restart', 90_000);
    const state = await handle.query(stateQuery);
    expect(state.improving).toBe(false);
    const history = await store.history(ref);
    expect(history.map((v) => v.version)).toEqual([1, 2]);
    expect(history[1]!.body).toContain('Never deploy without a green `npm test`.');
    expect(await store.recentEdits(ref, 10)).toHaveLength(1);
  } finally {
    second.kill('SIGTERM');
    await second;
  }
}, 150_000);
