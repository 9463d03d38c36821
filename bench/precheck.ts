// npm run bench:precheck — what the pre-publish check adds to the improvement
// loop: the time from a failure verdict to its batch's version being published,
// and the model calls per lane batch, with the check off and on in the same
// run. Real parts, as bench/loop.ts runs them (its pieces, imported): the
// Temporal dev server, the worker with the real activities, a SQLite store, real
// transcript files; only the model is an instant script (the judge fails a
// reaction that says "bench-fail <its id>:" and names it in its reason, the
// proposer appends a unique line, the check says each failure is addressed and
// no held-out pass made worse, so every checked edit goes on).
//
// Rounds alternate the modes, off, on, off, on, …, so the machine's drift hits
// both alike; each (round, mode) runs in its own child process with a fresh dev
// server and store under a temporary SKILLOPT_HOME, the worker started with
// SKILLOPT_PRECHECK=off or on (and SKILLOPT_PRECHECK_HELD_OUT) and the rollout
// policy BENCH_ROLLOUT (default direct: every batch's edit is published to
// everyone at once, so no trial holds the lane and each publish is the moment
// measured; under canary the same publish makes the candidate).
//
// The load, per run: BENCH_SKILLS skills at v1; first BENCH_WARMUP_SESSIONS
// passing sessions of each (their passing verdicts, with evidence, are the
// held-out passes the check asks about: the store keeps them only for passes),
// all verdicts awaited; then sessions started on a clock, BENCH_SESSION_RATE a
// second for BENCH_PACED_SECONDS, round-robin over the skills, each at the
// skill's stable version when it starts (as a pull at SessionStart gives it),
// by one of four users. Every BENCH_FAIL_EVERY_SESSIONS-th session of a skill
// (offset per skill, so failures spread over time) fails at its last of
// BENCH_REACTIONS reactions; the others pass.
//
// Measured: failure → published, from the failure verdict's store write to the
// store write of the version whose proposal named that failure (the proposer's
// prompt lists the batch's judge reasons, each naming its reaction); of that,
// proposal → published (propose answered, then the check when on, then the
// publish); and the scripted model's calls by kind (judge, proposer, check of a
// failure, check of a held-out pass) over the lane batches (the lanes' own
// proposal counters). Writes bench/results/loop-precheck.json (per round, each
// mode pooled over its rounds, on/off) and prints the table.
//
// Knobs: BENCH_PRECHECK (compare: off and on alternated; off or on: that mode
// only), BENCH_ROUNDS (3), BENCH_SKILLS (6), BENCH_WARMUP_SESSIONS (2 per skill),
// BENCH_SESSION_RATE (1.5 sessions/s: 4.5 reactions/s, well below what this
// 2-core machine saturates at, so the latency is the loop's, not a queue's), BENCH_PACED_SECONDS (40),
// BENCH_FAIL_EVERY_SESSIONS (4), BENCH_REACTIONS (3), BENCH_HELD_OUT (3),
// BENCH_ROLLOUT (direct), BENCH_DRAIN_SECONDS (120: how long to wait for the
// verdicts and the publishes), BENCH_OUT (default bench/results/loop-precheck.json).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { SkillRef } from '../core/skill-ref';
import {
  REACTIONS,
  ROOT,
  childArg,
  benchSkills,
  commitOf,
  instantModel,
  loadDesign,
  median,
  newSession,
  num,
  observedStore,
  percentile,
  round,
  sessionSender,
  sleep,
  startStack,
  type ModelCallKind,
  type Session,
} from './loop';

type Mode = 'off' | 'on';
const COMPARE = (process.env.BENCH_PRECHECK ?? 'compare').trim().toLowerCase();
if (!['compare', 'off', 'on'].includes(COMPARE)) throw new Error(`BENCH_PRECHECK=${COMPARE}: use compare, off or on`);
const MODES: Mode[] = COMPARE === 'compare' ? ['off', 'on'] : [COMPARE as Mode];
const ROUNDS = num('BENCH_ROUNDS', 3);
const SKILLS = num('BENCH_SKILLS', 6);
const WARMUP_SESSIONS = num('BENCH_WARMUP_SESSIONS', 2);
const SESSION_RATE = num('BENCH_SESSION_RATE', 1.5);
const PACED_SECONDS = num('BENCH_PACED_SECONDS', 40);
const FAIL_EVERY = num('BENCH_FAIL_EVERY_SESSIONS', 4);
const HELD_OUT = process.env.BENCH_HELD_OUT?.trim() || '3';
const ROLLOUT = process.env.BENCH_ROLLOUT ?? 'direct';
const DRAIN_MS = num('BENCH_DRAIN_SECONDS', 120) * 1000;
const USERS = 4;
const OUT = process.env.BENCH_OUT ?? join(ROOT, 'bench', 'results', 'loop-precheck.json');

interface Spread { n: number; p50: number; p90: number; max: number }

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: Math.round(percentile(sorted, 50)), p90: Math.round(percentile(sorted, 90)), max: Math.round(sorted[sorted.length - 1] ?? NaN) };
}

const sortedMs = (values: number[]): number[] => [...values].sort((a, b) => a - b).map((ms) => Math.round(ms));

/** One (round, mode): a child process's result. */
interface ModeRun {
  mode: Mode;
  round: number;
  commit: string;
  when: string;
  loadavgAtStart: number[];
  loadavgAtEnd: number[];
  sessions: { warmup: number; paced: number; failing: number };
  /** Failure verdict written → its batch's version written, ms, each failure (sorted). */
  failureToPublishedMs: number[];
  failureToPublished: Spread;
  /** Of that: failure verdict written → its batch's proposer answered (report, lane, read, propose), each failure. */
  failureToProposalMs: number[];
  failureToProposal: Spread;
  /** Proposer answered → version written, ms, each batch: the check's place. */
  proposalToPublishedMs: number[];
  proposalToPublished: Spread;
  /** Failures whose version was not seen published before the drain ended. */
  failuresWithoutVersion: number;
  /** Lane batches (the lanes' proposal counters), and the versions they published. */
  batches: number;
  published: number;
  /** Published versions whose record says the check went on / answered nothing; versions it turned down. */
  check: { wentOn: number; unchecked: number; turnedDown: number };
  modelCalls: Record<ModelCallKind, number>;
  /** Proposer + check calls over lane batches; check calls alone; held-out passes asked; failures per batch. */
  perBatch: { laneModelCalls: number; checkCalls: number; heldOutAsked: number; failures: number };
  eventsLost: number;
  runSeconds: number;
}

// ---------------------------------------------------------------- one run (a child process)

async function runMode(mode: Mode, roundNo: number): Promise<ModeRun> {
  const runStart = performance.now();
  const loadavgAtStart = loadavg().map((l) => round(l));
  const commit = commitOf(ROOT);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const design = await loadDesign('current', ROOT);
  const home = process.env.SKILLOPT_HOME ?? mkdtempSync(join(tmpdir(), 'skillopt-bench-precheck-'));

  const modelCalls: Record<ModelCallKind, number> = { judge: 0, proposer: 0, 'check-failure': 0, 'check-pass': 0 };
  /** Each failing reaction's skill, by event id. */
  const skillOfFailure = new Map<string, string>();
  /** Each verdict's store write, by event id; the failures' alone. */
  const recordedAt = new Map<string, number>();
  const failedAt = new Map<string, number>();
  /** The proposal each lane is publishing: the failures it named, and when the proposer answered. */
  const proposing = new Map<string, { failures: string[]; at: number }>();
  const publishedAt = new Map<string, number>();
  const proposalToPublished: number[] = [];
  const failureToProposal: number[] = [];
  const check = { wentOn: 0, unchecked: 0, turnedDown: 0 };
  let unattributedProposals = 0;

  const model = instantModel((kind, user) => {
    modelCalls[kind]++;
    if (kind !== 'proposer') return;
    const failures = [...user.matchAll(/\(bench-fail (\S+)\)/g)].map((m) => m[1]!);
    const skill = failures.map((id) => skillOfFailure.get(id)).find((s) => s !== undefined);
    if (skill === undefined) return void unattributedProposals++;
    proposing.set(skill, { failures, at: performance.now() });
  });
  const stack = await startStack(design, home, {
    model,
    store: (store) =>
      observedStore(store, {
        verdict: (input, at) => {
          if (!recordedAt.has(input.eventId)) recordedAt.set(input.eventId, at);
          if (input.outcome === 'failed' && !failedAt.has(input.eventId)) failedAt.set(input.eventId, at);
        },
        published: (input, result, at) => {
          if (input.createdBy === 'bench' || !result.created) return;
          if (input.state === 'rejected') return void check.turnedDown++;
          if (input.reason?.includes('(nothing answered: unchecked)')) check.unchecked++;
          else if (input.reason?.includes('pre-publish check:')) check.wentOn++;
          const batch = proposing.get(input.name);
          proposing.delete(input.name);
          if (!batch) return;
          for (const id of batch.failures) {
            if (publishedAt.has(id)) continue;
            publishedAt.set(id, at);
            const failed = failedAt.get(id);
            if (failed !== undefined) failureToProposal.push(batch.at - failed);
          }
          proposalToPublished.push(at - batch.at);
        },
      }),
  });
  const { store, client } = stack;
  const skills = await benchSkills(store, SKILLS);
  const sender = sessionSender(design, client, {
    namedFailures: true,
    // The version the session's SessionStart pull gave it: the skill's stable version now.
    skillVersion: async (s) => (await store.stableVersion(s.ref))?.version ?? 1,
  });
  let sessionCount = 0;
  const session = (phase: string, ref: SkillRef, fails: boolean): Session => {
    const s = newSession(stack, ref, `${phase}-${sessionCount}-${ref.name}`, { user: `bench-user-${sessionCount++ % USERS}`, ...(fails ? { failAt: REACTIONS - 1 } : {}) });
    if (fails) skillOfFailure.set(`react-${s.sessionId}-${REACTIONS - 1}`, ref.name);
    return s;
  };
  const reactionIds = (ss: Session[]) => ss.flatMap((s) => Array.from({ length: REACTIONS }, (_, r) => `react-${s.sessionId}-${r}`));
  async function until(done: () => boolean): Promise<void> {
    const deadline = Date.now() + DRAIN_MS;
    while (!done() && Date.now() < deadline) await sleep(20);
  }

  // Warm-up: passing sessions of every skill, their verdicts (the held-out evidence) all written.
  const warmup = skills.flatMap((ref) => Array.from({ length: WARMUP_SESSIONS }, () => session('warmup', ref, false)));
  await Promise.all(warmup.map((s) => sender.send(s)));
  await until(() => reactionIds(warmup).every((id) => recordedAt.has(id)));

  // Paced: sessions on a clock, round-robin over the skills; every FAIL_EVERY-th of a skill fails.
  const paced: Session[] = [];
  for (let i = 0; i < Math.round(SESSION_RATE * PACED_SECONDS); i++) {
    const k = i % skills.length;
    const nth = Math.floor(i / skills.length);
    paced.push(session('paced', skills[k]!, (nth + k) % FAIL_EVERY === FAIL_EVERY - 1));
  }
  const start = performance.now();
  await Promise.all(
    paced.map(async (s, i) => {
      await sleep(Math.max(0, start + (i * 1000) / SESSION_RATE - performance.now()));
      await sender.send(s);
    }),
  );
  const failing = [...skillOfFailure.keys()];
  await until(() => reactionIds(paced).every((id) => recordedAt.has(id)) && failing.every((id) => publishedAt.has(id)));

  // The lanes' own count of their batches, once idle.
  let batches = 0;
  let published = 0;
  const lanesIdle = async (): Promise<boolean> => {
    batches = 0;
    published = 0;
    let idle = true;
    for (const ref of skills) {
      try {
        const lane = design.lane(await client.workflow.getHandle(design.modules.workflowIdForSkill(ref)).query<unknown>('state'));
        batches += lane.batches;
        published += lane.published;
        idle &&= lane.settled;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) idle = false;
      }
    }
    return idle;
  };
  for (const deadline = Date.now() + 30_000; !(await lanesIdle()) && Date.now() < deadline; ) await sleep(250);

  const latencies = failing.filter((id) => publishedAt.has(id) && failedAt.has(id)).map((id) => publishedAt.get(id)! - failedAt.get(id)!);
  if (unattributedProposals > 0) console.error(`bench: ${unattributedProposals} proposal(s) named no failure of this run`);
  const checkCalls = modelCalls['check-failure'] + modelCalls['check-pass'];
  const perBatch = (n: number) => round(n / batches, 2);
  const result: ModeRun = {
    mode,
    round: roundNo,
    commit,
    when: new Date().toISOString(),
    loadavgAtStart,
    loadavgAtEnd: loadavg().map((l) => round(l)),
    sessions: { warmup: warmup.length, paced: paced.length, failing: failing.length },
    failureToPublishedMs: sortedMs(latencies),
    failureToPublished: spread(latencies),
    failureToProposalMs: sortedMs(failureToProposal),
    failureToProposal: spread(failureToProposal),
    proposalToPublishedMs: sortedMs(proposalToPublished),
    proposalToPublished: spread(proposalToPublished),
    failuresWithoutVersion: failing.filter((id) => !publishedAt.has(id)).length,
    batches,
    published,
    check,
    modelCalls,
    perBatch: {
      laneModelCalls: perBatch(modelCalls.proposer + checkCalls),
      checkCalls: perBatch(checkCalls),
      heldOutAsked: perBatch(modelCalls['check-pass']),
      failures: perBatch(failing.length),
    },
    eventsLost: [...reactionIds(warmup), ...reactionIds(paced)].filter((id) => !recordedAt.has(id)).length,
    runSeconds: round((performance.now() - runStart) / 1000, 1),
  };
  await stack.stop();
  if (!process.env.SKILLOPT_HOME) rmSync(home, { recursive: true, force: true });
  return result;
}

// ---------------------------------------------------------------- the parent: rounds, alternated

function runChild(mode: Mode, roundNo: number, tmp: string): Promise<ModeRun> {
  const out = join(tmp, `${roundNo}-${mode}.json`);
  const home = mkdtempSync(join(tmp, `home-${roundNo}-${mode}-`));
  const env: NodeJS.ProcessEnv = { ...process.env, SKILLOPT_HOME: home, SKILLOPT_ROLLOUT: ROLLOUT, SKILLOPT_PRECHECK: mode, SKILLOPT_PRECHECK_HELD_OUT: HELD_OUT };
  delete env.SKILLOPT_DATABASE_URL;
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, import.meta.filename, '--child', mode, '--round', String(roundNo), '--out', out], {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      rmSync(home, { recursive: true, force: true });
      if (code !== 0) return reject(new Error(`precheck ${mode} round ${roundNo} exited with ${code ?? signal}`));
      resolveRun(JSON.parse(readFileSync(out, 'utf8')) as ModeRun);
    });
  });
}

/** A mode over its rounds: the failures' latencies and the batches' proposal → published pooled, the calls summed. */
function pooled(runs: ModeRun[]) {
  const sum = (f: (r: ModeRun) => number) => runs.reduce((n, r) => n + f(r), 0);
  const batches = sum((r) => r.batches);
  const calls = (kind: ModelCallKind) => sum((r) => r.modelCalls[kind]);
  const checkCalls = calls('check-failure') + calls('check-pass');
  return {
    rounds: runs.length,
    failures: sum((r) => r.sessions.failing),
    failuresWithoutVersion: sum((r) => r.failuresWithoutVersion),
    failureToPublishedMs: spread(runs.flatMap((r) => r.failureToPublishedMs)),
    // The medians of the rounds' own p50 and p90: how much the rounds agree.
    medianOfRoundsMs: { p50: round(median(runs.map((r) => r.failureToPublished.p50)), 0), p90: round(median(runs.map((r) => r.failureToPublished.p90)), 0) },
    failureToProposalMs: spread(runs.flatMap((r) => r.failureToProposalMs)),
    proposalToPublishedMs: spread(runs.flatMap((r) => r.proposalToPublishedMs)),
    batches,
    published: sum((r) => r.published),
    check: { wentOn: sum((r) => r.check.wentOn), unchecked: sum((r) => r.check.unchecked), turnedDown: sum((r) => r.check.turnedDown) },
    modelCalls: { judge: calls('judge'), proposer: calls('proposer'), checkFailure: calls('check-failure'), checkPass: calls('check-pass') },
    perBatch: {
      laneModelCalls: round((calls('proposer') + checkCalls) / batches, 2),
      checkCalls: round(checkCalls / batches, 2),
      heldOutAsked: round(calls('check-pass') / batches, 2),
      failures: round(sum((r) => r.sessions.failing) / batches, 2),
    },
    judgeCallsPerReaction: round(calls('judge') / sum((r) => (r.sessions.warmup + r.sessions.paced) * REACTIONS), 3),
    eventsLost: sum((r) => r.eventsLost),
  };
}

type Pooled = ReturnType<typeof pooled>;

function table(modes: Partial<Record<Mode, Pooled>>, runs: ModeRun[], ratio: Record<string, number> | undefined): string {
  const rows: [string, (p: Pooled) => number, (r: ModeRun) => number][] = [
    ['failure → published p50 ms', (p) => p.failureToPublishedMs.p50, (r) => r.failureToPublished.p50],
    ['failure → published p90 ms', (p) => p.failureToPublishedMs.p90, (r) => r.failureToPublished.p90],
    ['failure → proposal p50 ms', (p) => p.failureToProposalMs.p50, (r) => r.failureToProposal.p50],
    ['proposal → published p50 ms', (p) => p.proposalToPublishedMs.p50, (r) => r.proposalToPublished.p50],
    ['proposal → published p90 ms', (p) => p.proposalToPublishedMs.p90, (r) => r.proposalToPublished.p90],
    ['lane batches', (p) => p.batches, (r) => r.batches],
    ['failures / batch', (p) => p.perBatch.failures, (r) => r.perBatch.failures],
    ['model calls / batch (propose + check)', (p) => p.perBatch.laneModelCalls, (r) => r.perBatch.laneModelCalls],
    ['check calls / batch', (p) => p.perBatch.checkCalls, (r) => r.perBatch.checkCalls],
    ['held-out passes asked / batch', (p) => p.perBatch.heldOutAsked, (r) => r.perBatch.heldOutAsked],
    ['failures without a version', (p) => p.failuresWithoutVersion, (r) => r.failuresWithoutVersion],
  ];
  const header = ['', ...runs.map((r) => `r${r.round} ${r.mode}`), ...MODES.map((m) => `${m} (pooled)`), ...(ratio ? ['on/off'] : [])];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const [name, ofPooled, ofRun] of rows) {
    const cells = [name, ...runs.map((r) => String(ofRun(r))), ...MODES.map((m) => String(modes[m] ? ofPooled(modes[m]) : '')), ...(ratio ? [String(ratio[name] ?? '–')] : [])];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

async function parent(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'skillopt-bench-precheck-'));
  const runs: ModeRun[] = [];
  const started = Date.now();
  const command = [...Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_')).map(([k, v]) => `${k}=${v}`), 'npm run bench:precheck'].join(' ');

  function write(complete: boolean): string {
    const modes: Partial<Record<Mode, Pooled>> = {};
    for (const mode of MODES) {
      const of = runs.filter((r) => r.mode === mode);
      if (of.length > 0) modes[mode] = pooled(of);
    }
    const { on, off } = modes;
    const ratio =
      on && off
        ? {
            'failure → published p50 ms': round(on.failureToPublishedMs.p50 / off.failureToPublishedMs.p50, 3),
            'failure → published p90 ms': round(on.failureToPublishedMs.p90 / off.failureToPublishedMs.p90, 3),
            'failure → proposal p50 ms': round(on.failureToProposalMs.p50 / off.failureToProposalMs.p50, 3),
            'proposal → published p50 ms': round(on.proposalToPublishedMs.p50 / off.proposalToPublishedMs.p50, 3),
            'proposal → published p90 ms': round(on.proposalToPublishedMs.p90 / off.proposalToPublishedMs.p90, 3),
            'model calls / batch (propose + check)': round(on.perBatch.laneModelCalls / off.perBatch.laneModelCalls, 3),
          }
        : undefined;
    const cpu = cpus();
    const result = {
      complete,
      when: new Date().toISOString(),
      command,
      machine: { cpus: cpu.length, cpuModel: cpu[0]?.model ?? 'unknown', memoryGiB: round(totalmem() / 2 ** 30, 1), platform: `${process.platform} ${release()}`, node: process.version },
      commit: commitOf(ROOT),
      what: 'the pre-publish check off vs on in one run, alternated by round: failure verdict → its batch\'s version published, and model calls per lane batch',
      setup: {
        skills: SKILLS,
        warmupSessionsPerSkill: WARMUP_SESSIONS,
        sessionsPerSecond: SESSION_RATE,
        pacedSeconds: PACED_SECONDS,
        failEverySessions: FAIL_EVERY,
        reactionsPerSession: REACTIONS,
        heldOut: Number(HELD_OUT),
        rollout: ROLLOUT,
        users: USERS,
        model: 'instant script (bench/loop.ts instantModel): judge, proposer and check answer at once',
      },
      order: runs.map((r) => `${r.round}:${r.mode}`),
      totalSeconds: Math.round((Date.now() - started) / 1000),
      modes,
      ...(on && off
        ? {
            onVsOff: {
              addedFailureToPublishedMs: { p50: on.failureToPublishedMs.p50 - off.failureToPublishedMs.p50, p90: on.failureToPublishedMs.p90 - off.failureToPublishedMs.p90 },
              addedModelCallsPerBatch: round(on.perBatch.laneModelCalls - off.perBatch.laneModelCalls, 2),
              ratioOnOverOff: ratio,
            },
          }
        : {}),
      rounds: runs,
    };
    mkdirSync(join(OUT, '..'), { recursive: true });
    writeFileSync(OUT, JSON.stringify(result, null, 2) + '\n');
    return table(modes, runs, ratio);
  }

  try {
    for (let r = 1; r <= ROUNDS; r++) {
      for (const mode of MODES) {
        console.error(`bench: round ${r}/${ROUNDS}, check ${mode} (${Math.round((Date.now() - started) / 1000)} s in)`);
        const run = await runChild(mode, r, tmp);
        console.error(
          `bench:   failure → published p50 ${run.failureToPublished.p50} ms, p90 ${run.failureToPublished.p90} ms (${run.failureToPublished.n} failures), ${run.batches} batches, ${run.perBatch.laneModelCalls} model calls / batch, ${run.runSeconds} s`,
        );
        runs.push(run);
        write(false);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(write(true));
  console.error(`bench: wrote ${OUT}`);
}

async function main(): Promise<void> {
  if (!process.argv.includes('--child')) return parent();
  const arg = childArg;
  const result = await runMode(arg('--child') as Mode, Number(arg('--round')));
  writeFileSync(arg('--out'), JSON.stringify(result, null, 2) + '\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
