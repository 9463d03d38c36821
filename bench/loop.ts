// npm run bench:loop — the improvement loop under load, with real parts: the
// Temporal dev server (its own process), the worker with the real activities,
// a SQLite store, real transcript files; only the model is an instant script.
//
// S skills × M sessions: each session sends `invoked` then K reactions through
// signal-with-start, as the hooks' flusher does. Phase 1 sends everything as fast
// as the client can (throughput, CPU); phase 2 offers a steady load below that
// (latency when not queued behind a burst).
// Writes bench/results/loop.json. Knobs: BENCH_SKILLS, BENCH_SESSIONS,
// BENCH_REACTIONS, BENCH_FAIL_EVERY, BENCH_CLIENT_CONCURRENCY, BENCH_PACED_RATES
// (comma-separated offered loads, reactions/s), BENCH_PACED_SECONDS.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { ModelCall } from '../agents/types';
import { workflowIdForSkill, type SkillRef } from '../core/skill-ref';
import { openStore, type Store } from '../store';
import { startDevServer } from '../worker/dev-server';
import { createSkilloptWorker, workflowCode } from '../worker/worker';
import { SKILL_WORKFLOW_TYPE, TASK_QUEUE, invokedSignal, reactionSignal, type InvokedSignal } from '../workflows/definitions';
import { freePort } from '../test/helpers/wait';

const SKILLS = Number(process.env.BENCH_SKILLS ?? 20);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 50);
const REACTIONS = Number(process.env.BENCH_REACTIONS ?? 3);
const FAIL_EVERY = Number(process.env.BENCH_FAIL_EVERY ?? 50);
const CLIENT_CONCURRENCY = Number(process.env.BENCH_CLIENT_CONCURRENCY ?? 64);
const PACED_RATES = (process.env.BENCH_PACED_RATES ?? '50,100').split(',').map(Number);
const PACED_SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 20);
const ROOT = join(import.meta.dirname, '..');
const TRANSCRIPT = join(ROOT, 'test', 'fixtures', 'transcripts', 'skill-invocation-then-resumed-correction.jsonl');
const TOOL_USE_ID = 'toolu_01lfyrw5N8vmy7avHD8Pgdla';


function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** CPU seconds (user + system) a process has used, from /proc. */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticksPerSecond = 100;
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Instant scripted model: the judge fails one reaction in FAIL_EVERY; the proposer appends a unique line. */
function instantModel(): ModelCall {
  let proposals = 0;
  return async ({ role, user }) => {
    if (role === 'judge') {
      const failed = /bench-fail/.test(user);
      return JSON.stringify({ success: failed ? 0 : 1, confidence: 0.9, reason: failed ? 'skipped the tests' : 'fine' });
    }
    proposals++;
    return JSON.stringify([{ op: 'append', content: `Check ${proposals}: run the tests before deploying.` }]);
  };
}

/** Wraps the store to time each verdict's arrival: the end of a reaction's journey. */
function timedStore(store: Store, recordedAt: Map<string, number>): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'recordVerdict') {
        return async (input: Parameters<Store['recordVerdict']>[0]) => {
          const inserted = await target.recordVerdict(input);
          if (!recordedAt.has(input.eventId)) recordedAt.set(input.eventId, performance.now());
          return inserted;
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function runPool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const home = mkdtempSync(join(tmpdir(), 'skillopt-bench-'));
  const [port, uiPort] = [await freePort(), await freePort()];
  const server = await startDevServer({ home, port, uiPort });
  const store = await openStore({ home });
  const recordedAt = new Map<string, number>();
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const worker = await createSkilloptWorker({
    connection: nativeConnection,
    namespace: 'default',
    store: timedStore(store, recordedAt),
    model: instantModel(),
    maxConcurrentActivityTaskExecutions: 200,
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });

  const skills: SkillRef[] = Array.from({ length: SKILLS }, (_, i) => ({ name: `bench-skill-${i}`, author: 'bench' }));
  for (const ref of skills) {
    await store.publishVersion({ ...ref, body: '# Deploy\n\n1. Build.\n2. Ship.\n', description: 'bench', contributors: ['bench'], createdBy: 'bench', baseVersion: 0 });
  }
  const transcripts = join(home, 'transcripts');
  mkdirSync(transcripts);
  const transcriptBytes = readFileSync(TRANSCRIPT).length;

  interface SessionPlan { ref: SkillRef; sessionId: string; path: string; fail: boolean }
  let n = 0;
  function plans(phase: string, sessionsPerSkill: number): SessionPlan[] {
    const out: SessionPlan[] = [];
    for (let s = 0; s < sessionsPerSkill; s++) {
      for (const ref of skills) {
        const sessionId = `${phase}-${s}-${ref.name}`;
        const path = join(transcripts, `${sessionId}.jsonl`);
        copyFileSync(TRANSCRIPT, path);
        out.push({ ref, sessionId, path, fail: ++n % FAIL_EVERY === 0 });
      }
    }
    return out;
  }

  const sentAt = new Map<string, number>();
  /** One session as the hooks' flusher would send it: invoked, then its reactions. */
  async function sendSession(plan: SessionPlan): Promise<void> {
    const invoked: InvokedSignal = {
      eventId: `inv-${plan.sessionId}`,
      sessionId: plan.sessionId,
      toolUseId: TOOL_USE_ID,
      user: 'bench',
      agent: 'claude_code',
      skillVersion: 1,
      transcriptPath: plan.path,
      transcriptBytes,
    };
    const options = { workflowId: workflowIdForSkill(plan.ref), taskQueue: TASK_QUEUE, args: [{ ref: plan.ref }] };
    await client.workflow.signalWithStart(SKILL_WORKFLOW_TYPE, { ...options, signal: invokedSignal, signalArgs: [invoked] });
    for (let r = 0; r < REACTIONS; r++) {
      const eventId = `react-${plan.sessionId}-${r}`;
      sentAt.set(eventId, performance.now());
      const text = plan.fail && r === 0 ? 'bench-fail: you skipped the tests' : `reaction ${r}: looks fine`;
      await client.workflow.signalWithStart(SKILL_WORKFLOW_TYPE, {
        ...options,
        signal: reactionSignal,
        signalArgs: [{ eventId, sessionId: plan.sessionId, text, transcriptPath: plan.path, transcriptBytes }],
      });
    }
  }

  async function allRecorded(ids: string[]): Promise<void> {
    const deadline = Date.now() + 300_000;
    while (ids.some((id) => !recordedAt.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  function latencyOf(ids: string[]) {
    const sorted = ids.filter((id) => recordedAt.has(id)).map((id) => recordedAt.get(id)! - sentAt.get(id)!).sort((a, b) => a - b);
    return { p50: Math.round(percentile(sorted, 50)), p95: Math.round(percentile(sorted, 95)), p99: Math.round(percentile(sorted, 99)), max: Math.round(sorted[sorted.length - 1] ?? NaN) };
  }

  const reactionIds = (ps: SessionPlan[]) => ps.flatMap((p) => Array.from({ length: REACTIONS }, (_, r) => `react-${p.sessionId}-${r}`));
  const running = worker.run();

  // Phase 1, saturation: every session at once, as fast as the client can send.
  const saturation = plans('burst', SESSIONS);
  const cpuBefore = { worker: process.cpuUsage(), server: processCpuSeconds(server.pid!) };
  const start = performance.now();
  await runPool(saturation, CLIENT_CONCURRENCY, sendSession);
  const sentDone = performance.now();
  await allRecorded(reactionIds(saturation));
  const end = performance.now();
  const workerCpu = process.cpuUsage(cpuBefore.worker);
  const serverCpu = processCpuSeconds(server.pid!) - cpuBefore.server;
  const total = saturation.length * REACTIONS;
  const recordedInBurst = reactionIds(saturation).filter((id) => recordedAt.has(id)).length;

  // Phase 2, latency at steady offered loads below and near saturation (sessions started on a clock).
  const pacedPhases = [];
  let pacedLost = 0;
  for (const rate of PACED_RATES) {
    const paced = plans(`paced${rate}`, Math.max(1, Math.round((rate * PACED_SECONDS) / REACTIONS / SKILLS)));
    const pacedStart = performance.now();
    await Promise.all(
      paced.map(async (plan, i) => {
        const due = pacedStart + (i * REACTIONS * 1000) / rate;
        await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
        await sendSession(plan);
      }),
    );
    await allRecorded(reactionIds(paced));
    const ids = reactionIds(paced);
    pacedLost += ids.length - ids.filter((id) => recordedAt.has(id)).length;
    pacedPhases.push({ offeredReactionsPerSecond: rate, reactions: ids.length, latencyMs: latencyOf(ids) });
  }

  let duplicateVersions = 0;
  let versionsPublished = 0;
  let largestHistory = 0;
  // Every run counts, also those that ended in continue-as-new.
  for await (const run of client.workflow.list({ query: 'SkillRef is not null' })) largestHistory = Math.max(largestHistory, run.historyLength);
  for (const ref of skills) {
    const history = await store.history(ref);
    const edits = await store.recentEdits(ref, 10_000);
    versionsPublished += history.length - 1;
    // Every published version has exactly one edit, and no edit set was published twice.
    duplicateVersions += Math.abs(history.length - 1 - edits.length) + (edits.length - new Set(edits.map((e) => e.fingerprint)).size);
    const numbers = history.map((v) => v.version);
    duplicateVersions += numbers.length - new Set(numbers).size;
    // Visibility may lag for a running workflow: ask it directly too.
    largestHistory = Math.max(largestHistory, (await client.workflow.getHandle(workflowIdForSkill(ref)).describe()).historyLength);
  }

  // Every history written under load must replay on the same code: a determinism check
  // of the concurrency paths (parallel judgments, local activities) that unit tests hit lightly.
  let replayed = 0;
  let replayFailures = 0;
  const histories = client.workflow.list({ query: 'SkillRef is not null' }).intoHistories();
  for await (const result of Worker.runReplayHistories(workflowCode(), histories)) {
    replayed++;
    if (result.error) {
      replayFailures++;
      console.error(`replay of ${result.workflowId} failed: ${String(result.error)}`);
    }
  }

  const seconds = (end - start) / 1000;
  const result = {
    when: new Date().toISOString(),
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    setup: { skills: SKILLS, sessionsPerSkill: SESSIONS, reactionsPerSession: REACTIONS, failEvery: FAIL_EVERY, clientConcurrency: CLIENT_CONCURRENCY },
    saturation: {
      reactions: total,
      reactionsPerSecond: Number((recordedInBurst / seconds).toFixed(1)),
      sendSeconds: Number(((sentDone - start) / 1000).toFixed(2)),
      totalSeconds: Number(seconds.toFixed(2)),
      // Signal sent → verdict recorded; at saturation this is mostly time spent queued.
      latencyMs: latencyOf(reactionIds(saturation)),
    },
    paced: pacedPhases,
    cpuSecondsPer1000Reactions: {
      workerAndClient: Number((((workerCpu.user + workerCpu.system) / 1e6 / total) * 1000).toFixed(2)),
      server: Number(((serverCpu / total) * 1000).toFixed(2)),
    },
    eventsLost: total - recordedInBurst + pacedLost,
    versionsPublished,
    duplicateVersions,
    largestHistoryLength: largestHistory,
    historiesReplayed: replayed,
    replayFailures,
  };
  console.log(JSON.stringify(result, null, 2));
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'loop.json'), JSON.stringify(result, null, 2) + '\n');

  worker.shutdown();
  await running;
  await connection.close();
  await nativeConnection.close();
  await server.stop();
  await store.close();
  rmSync(home, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
