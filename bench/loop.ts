// npm run bench:loop — the improvement loop under load, with real parts: the
// Temporal dev server (its own process), the worker with the real activities,
// a SQLite store, real transcript files; only the model is an instant script
// (the judge fails a reaction that says "bench-fail", the proposer appends a
// unique line).
//
// Two designs in one run, alternated so the machine's drift hits both alike:
// the baseline checkout (BENCH_BASELINE, a commit: the one-workflow design of
// 87ef33a, one skill workflow judging every invocation; checked out as a git
// worktree in BENCH_BASELINE_DIR, default ../bench-baseline, created when
// missing) and this tree (one invocation workflow per armed invocation, one
// skill workflow per skill as the improvement lane). Each (design, shape, round)
// runs in its own child process with a fresh dev server and a fresh SQLite
// store under a temporary SKILLOPT_HOME, in the order baseline, current,
// baseline, current, … One load generator and one set of measurements; the
// per-design adapter only says where the tree is (its own worker, store, dev
// server and workflow code, imported from its path) and which outbox event its
// hooks' flusher delivers (each tree's own deliverOutboxEvent, worker/outbox-delivery.ts
// or, in older trees, hooks/flusher.ts:
// signal-with-start of skillWorkflow for the baseline; signal-with-start of
// invocationWorkflow with `invoked`, then `reaction` signals, for this tree).
//
// Load shapes: "default" (BENCH_SKILLS × BENCH_SESSIONS sessions) and "hot"
// (1 skill × BENCH_HOT_SESSIONS sessions, which the one-workflow design
// serializes through one workflow). A session sends `invoked`, then
// BENCH_REACTIONS reactions, each acknowledged before the next (a delivery
// that fails, e.g. the flusher's 5 s RPC deadline, is backed off and sent
// again, as the flusher does; counted); one reaction in BENCH_FAIL_EVERY fails (the last
// reaction of the session that reaches each multiple, so every reaction is
// owed a verdict in both designs).
//
// Per run: phase 1 sends everything as fast as BENCH_CLIENT_CONCURRENCY
// clients can (reactions/s at saturation, CPU per 1,000 reactions for this
// process — worker and client — and the Temporal server process); phase 2
// offers steady loads (signal sent → verdict recorded percentiles). Then, once
// the lanes have taken every failure and are idle: events lost (a reaction
// without a recorded verdict), duplicate versions (a version number twice, a
// published version without exactly one edit, an edit fingerprint twice),
// lane batches that did not publish exactly one version, history events per
// reaction (every workflow run of the run, from visibility) and a replay of
// every history against its own design's workflow code.
//
// Writes bench/results/loop.json (each round, the medians per design, the
// ratios current/baseline of the medians) and prints the table.
//
// Knobs: BENCH_BASELINE (default: --baseline <rev> on the command line, as
// `npm run bench:loop` passes 87ef33a; "none" skips the comparison),
// BENCH_BASELINE_DIR, BENCH_ROUNDS (2), BENCH_SHAPES ("default,hot"),
// BENCH_SKILLS (20), BENCH_SESSIONS (50 per skill), BENCH_HOT_SESSIONS (200),
// BENCH_REACTIONS (3), BENCH_FAIL_EVERY (50 reactions), BENCH_CLIENT_CONCURRENCY
// (64), BENCH_PACED_RATES (comma-separated offered loads in reactions/s,
// default "15,30": below the baseline's saturation, ~45/s, on this 2-core machine),
// BENCH_PACED_SECONDS (20), BENCH_DRAIN_SECONDS (300: how long to wait for the
// verdicts), BENCH_ROLLOUT (the current design's rollout policy, default
// "direct": a batch publishes everyone's version, as the baseline, which has no
// rollout, does; "canary" adds the trial's work), BENCH_OUT (default
// bench/results/loop.json).
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import type { ModelCall } from '../agents/types';
import type { SkillRef } from '../core/skill-ref';
import { precheckPrompt } from '../core/prompts';
import type { Store } from '../store/open-store';

export const ROOT = resolve(import.meta.dirname, '..');
/** A positive number from the environment, or the fallback when unset. */
export const num = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const n = Number(raw);
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${raw}: expected a positive number`);
  return n;
};
const ROUNDS = num('BENCH_ROUNDS', 2);
const SHAPES = (process.env.BENCH_SHAPES ?? 'default,hot').split(',').map((s) => s.trim()).filter(Boolean) as ShapeName[];
const SKILLS = num('BENCH_SKILLS', 20);
const SESSIONS = num('BENCH_SESSIONS', 50);
const HOT_SESSIONS = num('BENCH_HOT_SESSIONS', 200);
export const REACTIONS = num('BENCH_REACTIONS', 3);
const FAIL_EVERY = num('BENCH_FAIL_EVERY', 50);
const CLIENT_CONCURRENCY = num('BENCH_CLIENT_CONCURRENCY', 64);
const PACED_RATES = (process.env.BENCH_PACED_RATES ?? '15,30').split(',').map(Number);
const PACED_SECONDS = num('BENCH_PACED_SECONDS', 20);
const DRAIN_MS = num('BENCH_DRAIN_SECONDS', 300) * 1000;
// Both designs do the same work by default: each batch publishes everyone's version.
const ROLLOUT = process.env.BENCH_ROLLOUT ?? 'direct';
const SETTLE_MS = 120_000;
const TASK_QUEUE = 'skillopt';
export const TRANSCRIPT = join(ROOT, 'test', 'fixtures', 'transcripts', 'skill-invocation-then-resumed-correction.jsonl');
const TOOL_USE_ID = 'toolu_01lfyrw5N8vmy7avHD8Pgdla';

export type DesignName = 'baseline' | 'current';
type ShapeName = 'default' | 'hot';
for (const shape of SHAPES) if (shape !== 'default' && shape !== 'hot') throw new Error(`BENCH_SHAPES: unknown shape "${String(shape)}" (default, hot)`);

function shapeSetup(shape: ShapeName): { skills: number; sessionsPerSkill: number } {
  return shape === 'hot' ? { skills: 1, sessionsPerSkill: HOT_SESSIONS } : { skills: SKILLS, sessionsPerSkill: SESSIONS };
}

// ---------------------------------------------------------------- helpers

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

/** CPU seconds (user + system) a process has used, from /proc. */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticksPerSecond = 100;
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function git(cwd: string, args: string[]): string {
  return execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

// ---------------------------------------------------------------- the model and the store probe

/** Which prompt the scripted model answered: a reaction's judgment, a proposal, or the pre-publish check of a failure or of a held-out pass. */
export type ModelCallKind = 'judge' | 'proposer' | 'check-failure' | 'check-pass';

// The check's prompts end with the reply they ask for (core/prompts.ts): the same line tells the scripted model which kind it is asked.
const CHECK_SYSTEM = precheckPrompt('failure', '', '').system;
const CHECK_PASS_REPLY = precheckPrompt('pass', '', '').user.split('\n').at(-1)!;

/**
 * Instant scripted model: the judge fails a reaction that says "bench-fail"
 * (its reason names the reaction when the text says "bench-fail <id>:"); the
 * proposer appends a unique line; the pre-publish check says every failure is
 * addressed and no pass made worse. `observe` sees each call as it is answered.
 */
export function instantModel(observe?: (kind: ModelCallKind, user: string) => void): ModelCall {
  let proposals = 0;
  return async ({ role, system, user }) => {
    if (role === 'judge' && system === CHECK_SYSTEM) {
      const pass = user.endsWith(CHECK_PASS_REPLY);
      observe?.(pass ? 'check-pass' : 'check-failure', user);
      return JSON.stringify(pass ? { worse: 0, reason: 'the added line changes nothing it did' } : { addressed: 1, reason: 'the added line covers it' });
    }
    if (role === 'judge') {
      observe?.('judge', user);
      const failed = /bench-fail/.test(user);
      const named = /bench-fail (\S+):/.exec(user)?.[1];
      return JSON.stringify({ success: failed ? 0 : 1, confidence: 0.9, reason: failed ? `skipped the tests${named ? ` (bench-fail ${named})` : ''}` : 'fine' });
    }
    observe?.('proposer', user);
    proposals++;
    return JSON.stringify([{ op: 'append', content: `Check ${proposals}: run the tests before deploying.` }]);
  };
}

/** What observedStore reports, as the store answers: each verdict recorded, each version published. */
export interface StoreObserver {
  verdict?(input: Parameters<Store['recordVerdict']>[0], at: number): void;
  published?(input: Parameters<Store['publishVersion']>[0], result: Awaited<ReturnType<Store['publishVersion']>>, at: number): void;
}

/** Wraps the store to see its writes as they return: the verdicts (the end of a reaction's journey) and the published versions. */
export function observedStore(store: Store, observer: StoreObserver): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'recordVerdict' && observer.verdict) {
        const seen = observer.verdict;
        return async (input: Parameters<Store['recordVerdict']>[0]) => {
          const inserted = await target.recordVerdict(input);
          seen(input, performance.now());
          return inserted;
        };
      }
      if (prop === 'publishVersion' && observer.published) {
        const seen = observer.published;
        return async (input: Parameters<Store['publishVersion']>[0]) => {
          const result = await target.publishVersion(input);
          seen(input, result, performance.now());
          return result;
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Times each verdict's arrival: the end of a reaction's journey. */
function timedStore(store: Store, recordedAt: Map<string, number>): Store {
  return observedStore(store, {
    verdict: (input, at) => {
      if (!recordedAt.has(input.eventId)) recordedAt.set(input.eventId, at);
    },
  });
}

// ---------------------------------------------------------------- the per-design adapter

/** What the bench needs from a tree; both designs' modules have these shapes. */
interface TreeModules {
  startDevServer(options: { home: string; port: number; uiPort: number }): Promise<{ address: string; pid?: number; stop(): Promise<void> }>;
  openStore(options: { home: string }): Promise<Store>;
  createSkilloptWorker(options: {
    connection: NativeConnection;
    namespace: string;
    store: Store;
    model: ModelCall;
    workflowBundle: WorkflowBundle;
    maxConcurrentActivityTaskExecutions: number;
    /** Trees that confine the judge to transcript folders read these (older ones ignore it). */
    transcriptRoots?: string[];
    modelCalls?: unknown;
  }): Promise<Worker>;
  /** Trees with a daily cap on model calls: its on-disk counter (local/model-calls.ts). */
  dailyModelCalls?(options: { home: string; cap: number }): unknown;
  /** Each tree's own worker/outbox-delivery.ts (hooks/flusher.ts before): what its hooks' flusher sends for one spooled event. */
  deliverOutboxEvent(client: Client, event: unknown, taskQueue: string): Promise<boolean | void>;
  workflowIdForSkill(ref: SkillRef): string;
  workflowIdForInvocation?(ref: SkillRef, sessionId: string, toolUseId: string): string;
}

interface LaneView {
  exists: boolean;
  settled: boolean;
  /** Confirmed failures the skill workflow has taken. */
  failuresTaken: number;
  /** Proposals (batches) the lane started, and those that published a version. */
  batches: number;
  published: number;
}

export interface Session {
  ref: SkillRef;
  sessionId: string;
  path: string;
  /** Index of the reaction that fails, if any. */
  failAt?: number;
  /** Who ran it (default "bench"). */
  user?: string;
}

export interface Design {
  name: DesignName;
  root: string;
  modules: TreeModules;
  /** The outbox events a session's hooks spool, in order: `invoked` first. */
  events(session: Session, invoked: Record<string, unknown>, reactions: Record<string, unknown>[]): unknown[];
  lane(state: unknown): LaneView;
}

export async function loadDesign(name: DesignName, root: string): Promise<Design> {
  const load = async (path: string): Promise<Record<string, unknown>> => (await import(pathToFileURL(join(root, path)).href)) as Record<string, unknown>;
  const [devServer, worker, skillRef] = await Promise.all(['worker/dev-server.ts', 'worker/worker.ts', 'core/skill-ref.ts'].map(load));
  const store = await load('store/open-store.ts').catch(() => load('store/index.ts'));
  // The outbox's delivery moved from hooks/ to worker/; the baseline tree is older.
  const flusher = await load('worker/outbox-delivery.ts').catch(() => load('hooks/flusher.ts'));
  // Optional: trees before the daily cap have no local/model-calls.ts.
  const modelCalls = await load('local/model-calls.ts').catch(() => ({}));
  const modules = { ...devServer, ...store, ...worker, ...flusher, ...skillRef, ...modelCalls } as unknown as TreeModules;
  const createdAt = () => new Date().toISOString();
  if (name === 'baseline') {
    // 87ef33a's outbox event v1: every signal is a signal-with-start of the skill's one workflow.
    return {
      name,
      root,
      modules,
      events: (s, invoked, reactions) => {
        const common = { v: 1, createdAt: createdAt(), ref: s.ref, workflowId: modules.workflowIdForSkill(s.ref), config: { judgeWindow: REACTIONS } };
        return [{ ...common, signal: 'invoked', payload: invoked }, ...reactions.map((payload) => ({ ...common, signal: 'reaction', payload }))];
      },
      lane: (raw) => {
        const s = raw as { queued: number; judging: number; batchedFailures: number; improving: boolean; counters: Record<string, number> };
        const c = s.counters;
        return {
          exists: true,
          settled: s.queued === 0 && s.judging === 0 && s.batchedFailures === 0 && !s.improving,
          failuresTaken: c.failed ?? 0,
          batches: (c.improvementsPublished ?? 0) + (c.proposalsWithoutChange ?? 0) + (c.duplicateProposals ?? 0),
          published: c.improvementsPublished ?? 0,
        };
      },
    };
  }
  if (!modules.workflowIdForInvocation) throw new Error(`${root}: no workflowIdForInvocation in core/skill-ref.ts (not the two-workflow design)`);
  const invocationId = modules.workflowIdForInvocation;
  // This tree's outbox event v2: `invoked` signal-with-starts the invocation workflow, reactions signal it.
  return {
    name,
    root,
    modules,
    events: (s, invoked, reactions) => {
      const common = { v: 2, createdAt: createdAt(), ref: s.ref, workflowId: invocationId(s.ref, s.sessionId, TOOL_USE_ID) };
      return [
        { ...common, signal: 'invoked', payload: invoked, config: { judgeWindow: REACTIONS } },
        ...reactions.map((payload) => ({ ...common, signal: 'reaction', payload })),
      ];
    },
    lane: (raw) => {
      const s = raw as { queued: number; improving: boolean; counters: Record<string, number> };
      return {
        exists: true,
        settled: s.queued === 0 && !s.improving,
        failuresTaken: (s.counters.failureReports ?? 0) + (s.counters.overflowReports ?? 0),
        batches: s.counters.proposals ?? 0,
        published: s.counters.improvementsPublished ?? 0,
      };
    },
  };
}

// ---------------------------------------------------------------- one run (a child process)

interface Latency { p50: number; p95: number; p99: number; max: number }

interface RunResult {
  design: DesignName;
  commit: string;
  shape: ShapeName;
  when: string;
  loadavgAtStart: number[];
  setup: { skills: number; sessionsPerSkill: number; reactionsPerSession: number; failEvery: number; clientConcurrency: number; pacedSeconds: number; rollout: string };
  saturation: { reactions: number; reactionsPerSecond: number; sendSeconds: number; totalSeconds: number; latencyMs: Latency };
  paced: { offeredReactionsPerSecond: number; reactions: number; latencyMs: Latency }[];
  cpuSecondsPer1000Reactions: { workerAndClient: number; server: number };
  reactionsSent: number;
  eventsLost: number;
  /** Events the flusher found nothing to deliver to (the workflow had closed); counted as lost when a reaction. */
  eventsRefused: number;
  /** Deliveries that failed (RPC deadline) and were sent again, as the flusher does. */
  deliveryRetries: number;
  versionsPublished: number;
  duplicateVersions: number;
  lane: { failingInvocations: number; failuresTaken: number; batches: number; published: number; batchesNotOneVersion: number; settled: boolean };
  workflowRuns: number;
  historyEvents: number;
  historyEventsFetched: number;
  historyEventsPerReaction: number;
  largestHistoryLength: number;
  historiesReplayed: number;
  replayFailures: number;
  runSeconds: number;
}

/** One design's parts running: its dev server, store, worker (with the scripted model) and a client. */
export interface Stack {
  server: { address: string; pid?: number; stop(): Promise<void> };
  /** The store as the bench reads it (the worker writes through the wrapped one). */
  store: Store;
  workflowBundle: WorkflowBundle;
  client: Client;
  /** The sessions' transcripts: the only folder the judge may read. */
  transcripts: string;
  stop(): Promise<void>;
}

/** Starts a design's parts under `home`: a fresh dev server and SQLite store, the tree's own workflow code bundled, the worker running. */
export async function startStack(design: Design, home: string, options: { model: ModelCall; store?: (store: Store) => Store }): Promise<Stack> {
  const { modules, root } = design;
  const [port, uiPort] = [await freePort(), await freePort()];
  const server = await modules.startDevServer({ home, port, uiPort });
  const store = await modules.openStore({ home });
  // The tree's own workflow code, bundled once: the worker runs it and every history replays against it.
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: join(root, 'workflows', 'index.ts'), logger: new DefaultLogger('WARN') });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const transcripts = join(home, 'transcripts');
  mkdirSync(transcripts, { recursive: true });
  const worker = await modules.createSkilloptWorker({
    connection: nativeConnection,
    namespace: 'default',
    store: options.store ? options.store(store) : store,
    model: options.model,
    workflowBundle,
    maxConcurrentActivityTaskExecutions: 200,
    transcriptRoots: [transcripts],
    // The real counter (its lock is part of each call's cost), with a cap the bench never reaches.
    ...(modules.dailyModelCalls ? { modelCalls: modules.dailyModelCalls({ home, cap: 100_000_000 }) } : {}),
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const running = worker.run();
  return {
    server,
    store,
    workflowBundle,
    client,
    transcripts,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
      await nativeConnection.close();
      await server.stop();
      await store.close();
    },
  };
}

/** The bench's skills, v1 of each published to everyone. */
export async function benchSkills(store: Store, count: number): Promise<SkillRef[]> {
  const skills: SkillRef[] = Array.from({ length: count }, (_, i) => ({ name: `bench-skill-${i}`, author: 'bench' }));
  for (const ref of skills) {
    await store.publishVersion({ ...ref, body: '# Deploy\n\n1. Build.\n2. Ship.\n', description: 'bench', contributors: ['bench'], createdBy: 'bench', baseVersion: 0 });
  }
  return skills;
}

/** A session of `ref`, with its own copy of the real transcript. */
export function newSession(stack: Pick<Stack, 'transcripts'>, ref: SkillRef, sessionId: string, more: Pick<Session, 'failAt' | 'user'> = {}): Session {
  const path = join(stack.transcripts, `${sessionId}.jsonl`);
  copyFileSync(TRANSCRIPT, path);
  return { ref, sessionId, path, ...more };
}

/** The failing reaction's text: "bench-fail <its event id>: …", so the judge's reason names it. */
export const failingReactionText = (eventId: string): string => `bench-fail ${eventId}: you skipped the tests`;

export interface Sender {
  /** One session as the hooks' flusher delivers it: invoked, then its reactions, each acknowledged before the next. */
  send(s: Session): Promise<void>;
  /** When each reaction was sent, by event id. */
  sentAt: Map<string, number>;
  eventsRefused(): number;
  deliveryRetries(): number;
}

/**
 * Sends sessions as the hooks' flusher delivers them. `skillVersion`: the
 * version a session says it used (default 1), asked when the session starts;
 * `namedFailures`: a failing reaction names itself (failingReactionText).
 */
export function sessionSender(design: Design, client: Client, options: { skillVersion?: (s: Session) => Promise<number>; namedFailures?: boolean } = {}): Sender {
  const transcriptBytes = readFileSync(TRANSCRIPT).length;
  const sentAt = new Map<string, number>();
  let eventsRefused = 0;
  let deliveryRetries = 0;

  async function send(s: Session): Promise<void> {
    const invoked = {
      eventId: `inv-${s.sessionId}`,
      sessionId: s.sessionId,
      toolUseId: TOOL_USE_ID,
      user: s.user ?? 'bench',
      agent: 'claude_code',
      skillVersion: options.skillVersion ? await options.skillVersion(s) : 1,
      transcriptPath: s.path,
      transcriptBytes,
    };
    const reactions = Array.from({ length: REACTIONS }, (_, r) => ({
      eventId: `react-${s.sessionId}-${r}`,
      sessionId: s.sessionId,
      text: r !== s.failAt ? `reaction ${r}: looks fine` : options.namedFailures ? failingReactionText(`react-${s.sessionId}-${r}`) : 'bench-fail: you skipped the tests',
      transcriptPath: s.path,
      transcriptBytes,
    }));
    const events = design.events(s, invoked, reactions);
    for (let i = 0; i < events.length; i++) {
      const reactionId = i === 0 ? undefined : reactions[i - 1]!.eventId;
      if (reactionId) sentAt.set(reactionId, performance.now());
      if ((await deliver(events[i])) === false) eventsRefused++;
    }
  }

  /** As the flusher does when a delivery fails (a 5 s RPC deadline passed, …): back off, deliver the same event again. */
  async function deliver(event: unknown): Promise<boolean | void> {
    for (let backoff = 250, since = Date.now(); ; backoff = Math.min(backoff * 2, 5_000)) {
      try {
        return await design.modules.deliverOutboxEvent(client, event, TASK_QUEUE);
      } catch (err) {
        if (Date.now() - since > DRAIN_MS) throw err;
        deliveryRetries++;
        await sleep(backoff);
      }
    }
  }

  return { send, sentAt, eventsRefused: () => eventsRefused, deliveryRetries: () => deliveryRetries };
}

async function runOne(designName: DesignName, root: string, shape: ShapeName): Promise<RunResult> {
  const runStart = performance.now();
  const loadavgAtStart = loadavg().map((l) => round(l));
  // Before the tree's code is loaded: the commit this run measures, even if HEAD moves meanwhile.
  const commit = commitOf(root);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const design = await loadDesign(designName, root);
  const { modules } = design;
  const home = process.env.SKILLOPT_HOME ?? mkdtempSync(join(tmpdir(), `skillopt-bench-${designName}-`));
  const recordedAt = new Map<string, number>();
  const stack = await startStack(design, home, { store: (store) => timedStore(store, recordedAt), model: instantModel() });
  const { server, store, workflowBundle, client } = stack;
  if (server.pid === undefined) throw new Error('the dev server was started through the SDK (no pid to measure): run `npm run setup:temporal`');

  const { skills: skillCount, sessionsPerSkill } = shapeSetup(shape);
  const skills = await benchSkills(store, skillCount);

  let sessionsPlanned = 0;
  let failingInvocations = 0;
  function plan(phase: string, perSkill: number): Session[] {
    const out: Session[] = [];
    for (let s = 0; s < perSkill; s++) {
      for (const ref of skills) {
        const sessionId = `${phase}-${s}-${ref.name}`;
        // This session's reactions are numbers [first, first + REACTIONS): it fails if one is a multiple of FAIL_EVERY.
        const first = sessionsPlanned++ * REACTIONS + 1;
        const fails = Math.floor((first + REACTIONS - 1) / FAIL_EVERY) > Math.floor((first - 1) / FAIL_EVERY);
        if (fails) failingInvocations++;
        out.push(newSession(stack, ref, sessionId, fails ? { failAt: REACTIONS - 1 } : {}));
      }
    }
    return out;
  }

  const sender = sessionSender(design, client);
  const { sentAt, send: sendSession } = sender;
  const reactionIds = (ss: Session[]) => ss.flatMap((s) => Array.from({ length: REACTIONS }, (_, r) => `react-${s.sessionId}-${r}`));

  async function allRecorded(ids: string[]): Promise<void> {
    const deadline = Date.now() + DRAIN_MS;
    while (ids.some((id) => !recordedAt.has(id)) && Date.now() < deadline) await sleep(20);
  }

  function latencyOf(ids: string[]): Latency {
    const sorted = ids.filter((id) => recordedAt.has(id)).map((id) => recordedAt.get(id)! - sentAt.get(id)!).sort((a, b) => a - b);
    return { p50: Math.round(percentile(sorted, 50)), p95: Math.round(percentile(sorted, 95)), p99: Math.round(percentile(sorted, 99)), max: Math.round(sorted[sorted.length - 1] ?? NaN) };
  }

  async function runPool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }));
  }


  // Phase 1, saturation: every session at once, as fast as the client can send.
  const burst = plan('burst', sessionsPerSkill);
  const burstIds = reactionIds(burst);
  const cpuBefore = { worker: process.cpuUsage(), server: processCpuSeconds(server.pid) };
  const start = performance.now();
  await runPool(burst, CLIENT_CONCURRENCY, sendSession);
  const sentDone = performance.now();
  await allRecorded(burstIds);
  const end = performance.now();
  const workerCpu = process.cpuUsage(cpuBefore.worker);
  const serverCpu = processCpuSeconds(server.pid) - cpuBefore.server;
  const recordedInBurst = burstIds.filter((id) => recordedAt.has(id)).length;

  // Phase 2, latency at steady offered loads (sessions started on a clock).
  const paced: RunResult['paced'] = [];
  const allIds = [...burstIds];
  for (const rate of PACED_RATES) {
    const sessions = plan(`paced${rate}`, Math.max(1, Math.round((rate * PACED_SECONDS) / REACTIONS / skillCount)));
    const pacedStart = performance.now();
    await Promise.all(
      sessions.map(async (s, i) => {
        await sleep(Math.max(0, pacedStart + (i * REACTIONS * 1000) / rate - performance.now()));
        await sendSession(s);
      }),
    );
    const ids = reactionIds(sessions);
    await allRecorded(ids);
    allIds.push(...ids);
    paced.push({ offeredReactionsPerSecond: rate, reactions: ids.length, latencyMs: latencyOf(ids) });
  }

  // The lanes: every confirmed failure taken, nothing queued or improving.
  async function lanes(): Promise<LaneView[]> {
    return Promise.all(
      skills.map(async (ref): Promise<LaneView> => {
        try {
          return design.lane(await client.workflow.getHandle(modules.workflowIdForSkill(ref)).query<unknown>('state'));
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return { exists: false, settled: true, failuresTaken: 0, batches: 0, published: 0 };
          return { exists: true, settled: false, failuresTaken: 0, batches: 0, published: 0 };
        }
      }),
    );
  }
  let laneViews = await lanes();
  const settleDeadline = Date.now() + SETTLE_MS;
  const settled = (views: LaneView[]) => views.every((v) => v.settled) && views.reduce((n, v) => n + v.failuresTaken, 0) >= failingInvocations;
  while (!settled(laneViews) && Date.now() < settleDeadline) {
    await sleep(250);
    laneViews = await lanes();
  }

  let duplicateVersions = 0;
  let versionsPublished = 0;
  for (const ref of skills) {
    const history = await store.history(ref);
    const edits = await store.recentEdits(ref, 10_000);
    versionsPublished += history.length - 1;
    // Every published version has exactly one edit, and no edit set was published twice.
    duplicateVersions += Math.abs(history.length - 1 - edits.length) + (edits.length - new Set(edits.map((e) => e.fingerprint)).size);
    const numbers = history.map((v) => v.version);
    duplicateVersions += numbers.length - new Set(numbers).size;
  }

  // History events: every workflow run (continued-as-new runs too), from visibility; a running one asked directly.
  await sleep(1000);
  let workflowRuns = 0;
  let historyEvents = 0;
  let largestHistory = 0;
  for await (const run of client.workflow.list()) {
    workflowRuns++;
    const length = run.status.name === 'RUNNING' ? (await client.workflow.getHandle(run.workflowId, run.runId).describe()).historyLength : run.historyLength;
    historyEvents += length;
    largestHistory = Math.max(largestHistory, length);
  }

  // Every history written under load must replay on its own design's code: a determinism check
  // of the concurrency paths that unit tests hit lightly.
  let replayed = 0;
  let replayFailures = 0;
  let historyEventsFetched = 0;
  async function* histories() {
    for await (const h of client.workflow.list().intoHistories()) {
      historyEventsFetched += (h.history as { events?: unknown[] | null } | undefined)?.events?.length ?? 0;
      yield h;
    }
  }
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories())) {
    replayed++;
    if (result.error) {
      replayFailures++;
      console.error(`replay of ${result.workflowId} failed: ${String(result.error)}`);
    }
  }

  const reactionsSent = allIds.length;
  const lost = allIds.filter((id) => !recordedAt.has(id)).length;
  const lanePublished = laneViews.reduce((n, v) => n + v.published, 0);
  const laneBatches = laneViews.reduce((n, v) => n + v.batches, 0);
  const seconds = (end - start) / 1000;
  const total = burstIds.length;
  const result: RunResult = {
    design: designName,
    commit,
    shape,
    when: new Date().toISOString(),
    loadavgAtStart,
    setup: { skills: skillCount, sessionsPerSkill, reactionsPerSession: REACTIONS, failEvery: FAIL_EVERY, clientConcurrency: CLIENT_CONCURRENCY, pacedSeconds: PACED_SECONDS, rollout: ROLLOUT },
    saturation: {
      reactions: total,
      reactionsPerSecond: round(recordedInBurst / seconds, 1),
      sendSeconds: round((sentDone - start) / 1000),
      totalSeconds: round(seconds),
      // Signal sent → verdict recorded; at saturation this is mostly time spent queued.
      latencyMs: latencyOf(burstIds),
    },
    paced,
    cpuSecondsPer1000Reactions: {
      workerAndClient: round(((workerCpu.user + workerCpu.system) / 1e6 / total) * 1000),
      server: round((serverCpu / total) * 1000),
    },
    reactionsSent,
    eventsLost: lost,
    eventsRefused: sender.eventsRefused(),
    deliveryRetries: sender.deliveryRetries(),
    versionsPublished,
    duplicateVersions,
    lane: {
      failingInvocations,
      failuresTaken: laneViews.reduce((n, v) => n + v.failuresTaken, 0),
      batches: laneBatches,
      published: lanePublished,
      // A batch that published no version or more than one, and versions the lanes did not account for.
      batchesNotOneVersion: Math.abs(laneBatches - lanePublished) + Math.abs(lanePublished - versionsPublished),
      settled: settled(laneViews),
    },
    workflowRuns,
    historyEvents,
    historyEventsFetched,
    historyEventsPerReaction: round(historyEvents / reactionsSent),
    largestHistoryLength: largestHistory,
    historiesReplayed: replayed,
    replayFailures,
    runSeconds: round((performance.now() - runStart) / 1000, 1),
  };

  await stack.stop();
  if (!process.env.SKILLOPT_HOME) rmSync(home, { recursive: true, force: true });
  return result;
}

export function commitOf(root: string): string {
  try {
    const head = git(root, ['rev-parse', '--short', 'HEAD']);
    return git(root, ['status', '--porcelain', '--untracked-files=no']) === '' ? head : `${head}+working tree`;
  } catch {
    return 'unknown';
  }
}

// ---------------------------------------------------------------- the parent: rounds, alternated

/** The baseline's worktree at `rev`, created when missing; the checkout's node_modules and Temporal CLI linked in. */
function baselineTree(rev: string): string {
  const sha = git(ROOT, ['rev-parse', '--verify', `${rev}^{commit}`]);
  const dir = resolve(process.env.BENCH_BASELINE_DIR ?? join(ROOT, '..', 'bench-baseline'));
  if (!existsSync(dir)) {
    console.error(`bench: git worktree add --detach ${dir} ${sha.slice(0, 7)}`);
    git(ROOT, ['worktree', 'add', '--detach', dir, sha]);
  } else {
    const head = git(dir, ['rev-parse', 'HEAD']);
    if (head !== sha) throw new Error(`${dir} is at ${head.slice(0, 7)}, not ${rev} (${sha.slice(0, 7)}): remove it (git worktree remove ${dir}) or set BENCH_BASELINE_DIR`);
  }
  const link = (target: string, path: string) => {
    if (!existsSync(target) || lstatSync(path, { throwIfNoEntry: false })) return;
    mkdirSync(join(path, '..'), { recursive: true });
    symlinkSync(target, path);
  };
  link(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  link(join(ROOT, '.tools', 'bin'), join(dir, '.tools', 'bin'));
  return dir;
}

function runChild(design: DesignName, root: string, shape: ShapeName, tmp: string, index: number): Promise<RunResult> {
  const out = join(tmp, `${index}-${design}-${shape}.json`);
  const home = mkdtempSync(join(tmp, `home-${index}-`));
  // The baseline has no rollout; SKILLOPT_ROLLOUT is read by the current design's worker.
  const env: NodeJS.ProcessEnv = { ...process.env, SKILLOPT_HOME: home, SKILLOPT_ROLLOUT: ROLLOUT };
  delete env.SKILLOPT_DATABASE_URL;
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, import.meta.filename, '--child', design, '--root', root, '--shape', shape, '--out', out], {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      rmSync(home, { recursive: true, force: true });
      if (code !== 0) return reject(new Error(`${design} ${shape} run exited with ${code ?? signal}`));
      resolveRun(JSON.parse(readFileSync(out, 'utf8')) as RunResult);
    });
  });
}

/** The numbers compared, flat: name → value. */
function headline(r: RunResult): Record<string, number> {
  const m: Record<string, number> = {
    'saturation reactions/s': r.saturation.reactionsPerSecond,
    'saturation latency p50 ms': r.saturation.latencyMs.p50,
    'saturation latency p99 ms': r.saturation.latencyMs.p99,
  };
  for (const p of r.paced) {
    m[`paced ${p.offeredReactionsPerSecond}/s latency p50 ms`] = p.latencyMs.p50;
    m[`paced ${p.offeredReactionsPerSecond}/s latency p95 ms`] = p.latencyMs.p95;
    m[`paced ${p.offeredReactionsPerSecond}/s latency p99 ms`] = p.latencyMs.p99;
  }
  Object.assign(m, {
    'CPU s / 1000 reactions, worker+client': r.cpuSecondsPer1000Reactions.workerAndClient,
    'CPU s / 1000 reactions, Temporal server': r.cpuSecondsPer1000Reactions.server,
    'history events / reaction': r.historyEventsPerReaction,
    'workflow runs': r.workflowRuns,
    'largest history': r.largestHistoryLength,
    'events lost': r.eventsLost,
    'deliveries retried (RPC deadline)': r.deliveryRetries,
    'duplicate versions': r.duplicateVersions,
    'versions published': r.versionsPublished,
    'lane batches not one version': r.lane.batchesNotOneVersion,
    'histories replayed': r.historiesReplayed,
    'replay failures': r.replayFailures,
  });
  return m;
}

interface DesignSummary { rounds: RunResult[]; median: Record<string, number> }

function summarize(rounds: RunResult[]): DesignSummary {
  const rows = rounds.map(headline);
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return { rounds, median: Object.fromEntries(keys.map((k) => [k, round(median(rows.map((r) => r[k] ?? NaN)))])) };
}

function table(shape: ShapeName, baseline: DesignSummary | undefined, current: DesignSummary, ratio: Record<string, number> | undefined): string {
  const cols = (s: DesignSummary | undefined) => (s ? s.rounds.map((_, i) => `r${i + 1}`) : []);
  const header = [
    `${shape} (${current.rounds[0]!.setup.skills} × ${current.rounds[0]!.setup.sessionsPerSkill} × ${REACTIONS})`,
    ...cols(baseline).map((c) => `baseline ${c}`),
    ...(baseline ? ['baseline median'] : []),
    ...cols(current).map((c) => `current ${c}`),
    'current median',
    ...(ratio ? ['current/baseline'] : []),
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const key of Object.keys(current.median)) {
    const cells = [
      key,
      ...(baseline ? baseline.rounds.map((r) => String(headline(r)[key] ?? '')) : []),
      ...(baseline ? [String(baseline.median[key])] : []),
      ...current.rounds.map((r) => String(headline(r)[key] ?? '')),
      String(current.median[key]),
      ...(ratio ? [Number.isFinite(ratio[key]) ? ratio[key]!.toFixed(2) : '–'] : []),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

async function parent(): Promise<void> {
  const flag = process.argv.indexOf('--baseline');
  const rev = process.env.BENCH_BASELINE ?? (flag >= 0 ? process.argv[flag + 1] : undefined);
  const compare = rev !== undefined && rev !== '' && rev !== 'none';
  const baselineRoot = compare ? baselineTree(rev) : undefined;
  const tmp = mkdtempSync(join(tmpdir(), 'skillopt-bench-loop-'));
  const runs: Record<ShapeName, Record<DesignName, RunResult[]>> = { default: { baseline: [], current: [] }, hot: { baseline: [], current: [] } };
  const order: string[] = [];
  let index = 0;
  const started = Date.now();
  /** loop.json from the runs so far: written after every run, so an interrupted bench keeps what it measured. */
  function write(complete: boolean): string[] {
    const shapes: Record<string, unknown> = {};
    const tables: string[] = [];
    for (const shape of SHAPES) {
      if (runs[shape].current.length === 0) continue;
      const current = summarize(runs[shape].current);
      const baseline = baselineRoot ? summarize(runs[shape].baseline) : undefined;
      const ratio = baseline
        ? Object.fromEntries(Object.keys(current.median).map((k) => [k, round(current.median[k]! / baseline.median[k]!, 3)]))
        : undefined;
      shapes[shape] = { ...(baseline ? { baseline } : {}), current, ...(ratio ? { ratioCurrentOverBaseline: ratio } : {}) };
      tables.push(table(shape, baseline, current, ratio));
    }
    const result = {
      complete,
      when: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      command: [...Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_')).map(([k, v]) => `${k}=${v}`), 'npm run bench:loop'].join(' '),
      designs: {
        ...(baselineRoot && rev ? { baseline: { rev, commit: commitOf(baselineRoot), what: 'one skill workflow per skill judges every invocation' } } : {}),
        current: { commit: commitOf(ROOT), what: 'one invocation workflow per armed invocation + one skill workflow per skill (the lane)' },
      },
      rounds: ROUNDS,
      order,
      pacedRates: PACED_RATES,
      pacedSeconds: PACED_SECONDS,
      totalSeconds: Math.round((Date.now() - started) / 1000),
      shapes,
    };
    const out = process.env.BENCH_OUT ?? join(ROOT, 'bench', 'results', 'loop.json');
    mkdirSync(join(out, '..'), { recursive: true });
    writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
    return tables;
  }

  try {
    for (let r = 1; r <= ROUNDS; r++) {
      for (const shape of SHAPES) {
        const designs: [DesignName, string][] = [...(baselineRoot ? [['baseline', baselineRoot] as [DesignName, string]] : []), ['current', ROOT]];
        for (const [design, root] of designs) {
          console.error(`bench: round ${r}/${ROUNDS}, ${shape}, ${design} (${Math.round((Date.now() - started) / 1000)} s in)`);
          const result = await runChild(design, root, shape, tmp, index++);
          console.error(`bench:   ${result.saturation.reactionsPerSecond} reactions/s at saturation, ${result.paced.map((p) => `p99 ${p.latencyMs.p99} ms at ${p.offeredReactionsPerSecond}/s`).join(', ')}, lost ${result.eventsLost}, replay failures ${result.replayFailures}, ${result.runSeconds} s`);
          runs[shape][design].push(result);
          order.push(`${r}:${shape}:${design}`);
          write(false);
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  console.log(write(true).join('\n\n'));
  console.error(`bench: wrote ${process.env.BENCH_OUT ?? join(ROOT, 'bench', 'results', 'loop.json')}`);
}

/** A child run's argument `name` (the parent passes each as `name value`). */
export function childArg(name: string): string {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? process.argv[i + 1] : undefined;
  if (!value) throw new Error(`--child needs ${name}`);
  return value;
}

async function main(): Promise<void> {
  if (!process.argv.includes('--child')) return parent();
  const arg = childArg;
  const result = await runOne(arg('--child') as DesignName, arg('--root'), arg('--shape') as ShapeName);
  writeFileSync(arg('--out'), JSON.stringify(result, null, 2) + '\n');
}

// Run when started as a script; bench/precheck.ts imports its pieces.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === import.meta.filename) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
