// npm run bench:hooks — what skillopt's hooks cost the agent, and how fast
// their events reach the workflow. Writes bench/results/hooks.json.
//
// 1. Each hook as a whole process (`node dist/hook.cjs hook <Event>`, the command
//    `hooks install` writes, JSON on stdin, as Claude Code runs it) against a bare `node -e 0`, interleaved in
//    the same loop so machine load hits every series alike. Series:
//    UserPromptSubmit with no window open (every prompt of every session pays
//    this), PreToolUse arming an org skill, UserPromptSubmit sending a reaction.
//    Stdin is measured both ways a parent can provide it: a socket (Node's
//    child_process) and a FIFO (a shell pipe). Arming is also measured cold,
//    with no flusher running, so the hook pays for starting one.
// 2. Delivery latency against a real Temporal dev server running the real
//    workflow: event file written (its name starts with the write time) →
//    the invocation's workflow answering its `state` query. Warm (a flusher
//    is lingering) and cold (the hook starts the flusher).
//
// 3. With BENCH_BASELINE_HOOK=<another build's dist/hook.cjs> (e.g. the previous
//    commit's, built in a worktree): that hook too, interleaved in the same loop
//    in its own spool-only home, so "no slower than before" is a ratio of one run.
//
// Knobs: BENCH_HOOK_RUNS (default 150), BENCH_COLD_RUNS (40), BENCH_DELIVERY_RUNS (100).
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { workflowIdForInvocation, type SkillRef } from '../core/skill-ref';
import { listOutbox } from '../local/outbox/files';
import { liveFlusherPid } from '../local/outbox/flusher-lock';
import { invocationStateQuery } from '../workflows/definitions';
import { passingActivities, startTestServer, uniqueName, workflowBundle } from '../test/helpers/temporal';

const HOOK_RUNS = Number(process.env.BENCH_HOOK_RUNS ?? 150);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 40);
const DELIVERY_RUNS = Number(process.env.BENCH_DELIVERY_RUNS ?? 100);
const ROOT = join(import.meta.dirname, '..');
const HOOK_ENTRY = join(ROOT, 'dist', 'hook.cjs');
const BASELINE_HOOK = process.env.BENCH_BASELINE_HOOK?.trim() || undefined;
const TARGETS = { noWindowRatio: 1.15, armingRatio: 1.3, reactionRatio: 1.3, deliveryP99Ms: 1000 };

interface Stats {
  n: number;
  median: number;
  p95: number;
  p99: number;
  mean: number;
  min: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    n: sorted.length,
    median: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    min: round(sorted[0]!),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- the sandbox: a user with one pulled org skill ----

const dir = mkdtempSync(join(tmpdir(), 'skillopt-bench-hooks-'));
const home = join(dir, 'home');
const skilloptHome = join(dir, 'skillopt-home');
const project = join(dir, 'project');
const skill: SkillRef = { name: uniqueName('deploy-checklist'), author: 'alice' };
const skillDir = `${skill.name}--${skill.author}`;
const userSkills = join(home, '.claude', 'skills');
mkdirSync(join(userSkills, skillDir), { recursive: true });
mkdirSync(project, { recursive: true });
mkdirSync(skilloptHome, { recursive: true });
writeFileSync(join(userSkills, skillDir, 'SKILL.md'), `---\nname: ${skillDir}\ndescription: bench\nversion: 1\n---\n\n# Deploy\n`);
// The same skill pulled for Codex too: $CODEX_HOME/skills (one install record per root).
const codexHome = join(dir, 'codex-home');
const codexSkills = join(codexHome, 'skills');
mkdirSync(join(codexSkills, skillDir), { recursive: true });
writeFileSync(join(codexSkills, skillDir, 'SKILL.md'), `---\nname: ${skillDir}\ndescription: bench\nversion: 1\n---\n\n# Deploy\n`);
writeFileSync(
  join(skilloptHome, 'manifest.json'),
  JSON.stringify({
    version: 1,
    entries: [userSkills, codexSkills].map((root) => ({ dirName: skillDir, name: skill.name, author: skill.author, version: 1, scope: 'user', root, pulledAt: new Date().toISOString() })),
  }),
);
// A second SKILLOPT_HOME where no flusher runs (SKILLOPT_FLUSHER=0): arming and
// reacting measured without delivery work competing for the CPU at the same time.
const spoolOnlyHome = join(dir, 'skillopt-home-spool-only');
mkdirSync(spoolOnlyHome, { recursive: true });
writeFileSync(join(spoolOnlyHome, 'manifest.json'), readFileSync(join(skilloptHome, 'manifest.json')));
// The baseline build's own spool-only home, so neither build's files meet the other's.
const baselineHome = join(dir, 'skillopt-home-baseline');
mkdirSync(baselineHome, { recursive: true });
writeFileSync(join(baselineHome, 'manifest.json'), readFileSync(join(skilloptHome, 'manifest.json')));
const projectKey = project.replace(/[^A-Za-z0-9]/g, '-');
const transcriptDir = join(home, '.claude', 'projects', projectKey);
mkdirSync(transcriptDir, { recursive: true });

function transcriptPath(sessionId: string): string {
  return join(transcriptDir, `${sessionId}.jsonl`);
}

// Payloads shaped exactly like Claude Code 2.1.197's (hooks reference §3).
function userPromptSubmit(sessionId: string, prompt: string) {
  return { session_id: sessionId, transcript_path: transcriptPath(sessionId), cwd: project, prompt_id: randomUUID(), permission_mode: 'default', hook_event_name: 'UserPromptSubmit', prompt };
}

function preToolUse(sessionId: string, toolUseId = `toolu_01${randomUUID().replace(/-/g, '').slice(0, 22)}`) {
  return {
    session_id: sessionId,
    transcript_path: transcriptPath(sessionId),
    cwd: project,
    prompt_id: randomUUID(),
    permission_mode: 'default',
    effort: { level: 'high' },
    hook_event_name: 'PreToolUse',
    tool_name: 'Skill',
    tool_input: { skill: skillDir },
    tool_use_id: toolUseId,
  };
}

// Payloads shaped like Codex CLI 0.171.0's (docs/codex-cli.md): every shell command reaches PreToolUse (matcher Bash).
function codexBase(sessionId: string, event: string) {
  return { session_id: sessionId, turn_id: randomUUID(), transcript_path: join(codexHome, 'sessions', `rollout-${sessionId}.jsonl`), cwd: project, hook_event_name: event, model: 'gpt-5', permission_mode: 'bypassPermissions' };
}
function codexShell(sessionId: string, command: string) {
  return { ...codexBase(sessionId, 'PreToolUse'), tool_name: 'Bash', tool_input: { command }, tool_use_id: `call_${randomUUID().replace(/-/g, '').slice(0, 24)}` };
}
function codexPrompt(sessionId: string, prompt: string) {
  return { ...codexBase(sessionId, 'UserPromptSubmit'), prompt };
}
const readSkill = `sed -n '1,200p' ${join(codexSkills, skillDir, 'SKILL.md')}`;

// The floor any hook entry pays before skillopt's code runs: node loading an empty CommonJS file.
const floorDir = join(dir, 'entry-floor');
mkdirSync(floorDir);
writeFileSync(join(floorDir, 'empty.cjs'), '');

// ---- timing one process ----

type StdinKind = 'socket' | 'fifo';
const fifoPath = join(dir, 'stdin.fifo');
spawnSync('mkfifo', [fifoPath]);

/** Runs one process with `input` on stdin; returns wall-clock ms from spawn to exit. */
function timeProcess(args: string[], input: string, env: NodeJS.ProcessEnv, kind: StdinKind): number {
  const options: SpawnSyncOptions = { cwd: project, env, stdio: ['pipe', 'pipe', 'pipe'] };
  let readEnd: number | undefined;
  if (kind === 'fifo') {
    // A pipe with the payload already in it and no writer left: the child reads it, then EOF.
    readEnd = openSync(fifoPath, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeEnd = openSync(fifoPath, constants.O_WRONLY);
    writeSync(writeEnd, input);
    closeSync(writeEnd);
    options.stdio = [readEnd, 'pipe', 'pipe'];
  } else {
    options.input = input;
  }
  const started = performance.now();
  const result = spawnSync(process.execPath, args, options);
  const ms = performance.now() - started;
  if (readEnd !== undefined) closeSync(readEnd);
  if (result.status !== 0 || (result.stdout?.length ?? 0) > 0) {
    throw new Error(`${args.join(' ')} exited ${String(result.status)} with stdout ${String(result.stdout)}`);
  }
  return ms;
}

const hookArgs = (event: string) => [HOOK_ENTRY, 'hook', event];
const codexHookArgs = (event: string) => [HOOK_ENTRY, 'hook', event, '--agent', 'codex'];
const line = (payload: unknown) => `${JSON.stringify(payload)}\n`;

// ---- Temporal: a dev server and a worker running the real workflow ----


async function main(): Promise<void> {
  const loadBefore = loadavg();
  const server = await startTestServer();
  const taskQueue = uniqueName('bench-hooks');
  const worker = await Worker.create({ connection: server.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: passingActivities() });
  const workerRun = worker.run();
  const baseEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    SKILLOPT_HOME: skilloptHome,
    SKILLOPT_USER: 'alice',
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: 'default',
    SKILLOPT_TASK_QUEUE: taskQueue,
    // Judged by this process's worker (passing activities): a teammate machine's own queue would be served by its flusher.
    SKILLOPT_ACTIVITY_QUEUE: taskQueue,
    CODEX_HOME: codexHome,
  };
  /** Whether the invocation workflow of this Skill call has started and answers its query. */
  const delivered = async (sessionId: string, toolUseId: string): Promise<boolean> =>
    server.client.workflow
      .getHandle(workflowIdForInvocation(skill, sessionId, toolUseId))
      .query(invocationStateQuery)
      .then(
        () => true,
        () => false,
      );

  try {
    // Warm-up: the OS file cache, the workflow started, one flusher delivered.
    const warmed: [string, string][] = [];
    for (let i = 0; i < 5; i++) {
      const session = randomUUID();
      warmed.push([session, `toolu_warm${i}`]);
      timeProcess(['-e', '0'], '', baseEnv, 'socket');
      timeProcess(hookArgs('PreToolUse'), line(preToolUse(session, `toolu_warm${i}`)), baseEnv, 'socket');
      timeProcess(hookArgs('UserPromptSubmit'), line(userPromptSubmit(session, 'warm up')), baseEnv, 'socket');
    }
    for (const [session, toolUseId] of warmed) while (!(await delivered(session, toolUseId))) await sleep(50);

    // ---- 1. hooks as processes, interleaved with the bare baseline ----
    type Series = 'bare' | 'entryFloor' | 'noWindow' | 'arming' | 'reaction';
    const series: Record<StdinKind, Record<Series, number[]>> = {
      socket: { bare: [], entryFloor: [], noWindow: [], arming: [], reaction: [] },
      fifo: { bare: [], entryFloor: [], noWindow: [], arming: [], reaction: [] },
    };
    const spoolOnly = { arming: [] as number[], reaction: [] as number[] };
    // Codex, socket stdin: an ordinary shell command (the hook runs for each), arming, a reaction; with their own bare baseline.
    const codex = { bare: [] as number[], shellCommand: [] as number[], arming: [] as number[], reaction: [] as number[] };
    const spoolOnlyEnv = { ...baseEnv, SKILLOPT_HOME: spoolOnlyHome, SKILLOPT_FLUSHER: '0' };
    const baselineEnv = { ...baseEnv, SKILLOPT_HOME: baselineHome, SKILLOPT_FLUSHER: '0' };
    const baseline = { noWindow: [] as number[], arming: [] as number[], reaction: [] as number[] };
    const idleSession = randomUUID();
    const prompt = 'that was wrong, you skipped the tests';
    for (let i = 0; i < HOOK_RUNS; i++) {
      for (const kind of ['socket', 'fifo'] as const) {
        const s = series[kind];
        const session = randomUUID();
        s.bare.push(timeProcess(['-e', '0'], line(userPromptSubmit(idleSession, prompt)), baseEnv, kind));
        s.entryFloor.push(timeProcess([join(floorDir, 'empty.cjs'), 'hook'], line(userPromptSubmit(idleSession, prompt)), baseEnv, kind));
        s.noWindow.push(timeProcess(hookArgs('UserPromptSubmit'), line(userPromptSubmit(idleSession, prompt)), baseEnv, kind));
        s.arming.push(timeProcess(hookArgs('PreToolUse'), line(preToolUse(session)), baseEnv, kind));
        s.reaction.push(timeProcess(hookArgs('UserPromptSubmit'), line(userPromptSubmit(session, prompt)), baseEnv, kind));
      }
      const codexSession = randomUUID();
      codex.bare.push(timeProcess(['-e', '0'], line(codexShell(codexSession, 'ls -la')), baseEnv, 'socket'));
      codex.shellCommand.push(timeProcess(codexHookArgs('PreToolUse'), line(codexShell(codexSession, 'ls -la')), baseEnv, 'socket'));
      codex.arming.push(timeProcess(codexHookArgs('PreToolUse'), line(codexShell(codexSession, readSkill)), baseEnv, 'socket'));
      codex.reaction.push(timeProcess(codexHookArgs('UserPromptSubmit'), line(codexPrompt(codexSession, prompt)), baseEnv, 'socket'));
      const spoolSession = randomUUID();
      spoolOnly.arming.push(timeProcess(hookArgs('PreToolUse'), line(preToolUse(spoolSession)), spoolOnlyEnv, 'socket'));
      spoolOnly.reaction.push(timeProcess(hookArgs('UserPromptSubmit'), line(userPromptSubmit(spoolSession, prompt)), spoolOnlyEnv, 'socket'));
      if (BASELINE_HOOK) {
        const baselineSession = randomUUID();
        baseline.noWindow.push(timeProcess([BASELINE_HOOK, 'hook', 'UserPromptSubmit'], line(userPromptSubmit(idleSession, prompt)), baselineEnv, 'socket'));
        baseline.arming.push(timeProcess([BASELINE_HOOK, 'hook', 'PreToolUse'], line(preToolUse(baselineSession)), baselineEnv, 'socket'));
        baseline.reaction.push(timeProcess([BASELINE_HOOK, 'hook', 'UserPromptSubmit'], line(userPromptSubmit(baselineSession, prompt)), baselineEnv, 'socket'));
      }
    }

    // Cold arming: no flusher running, so the hook starts one (the usual case after minutes of quiet).
    const coldEnv = { ...baseEnv, SKILLOPT_FLUSHER_LINGER_MS: '0' };
    const cold = { bare: [] as number[], arming: [] as number[] };
    for (let i = 0; i < COLD_RUNS; i++) {
      while (liveFlusherPid(skilloptHome) !== undefined || listOutbox(skilloptHome).length > 0) await sleep(20);
      cold.bare.push(timeProcess(['-e', '0'], line(preToolUse(randomUUID())), coldEnv, 'socket'));
      cold.arming.push(timeProcess(hookArgs('PreToolUse'), line(preToolUse(randomUUID())), coldEnv, 'socket'));
    }

    // ---- 2. delivery latency: event file written → signal visible in the workflow ----
    async function deliveryOnce(env: NodeJS.ProcessEnv): Promise<number> {
      const [session, toolUseId] = [randomUUID(), `toolu_${randomUUID().slice(0, 8)}`];
      const known = new Set(listOutbox(skilloptHome));
      timeProcess(hookArgs('PreToolUse'), line(preToolUse(session, toolUseId)), env, 'socket');
      const file = listOutbox(skilloptHome).find((f) => !known.has(f));
      // The file name starts with its write time (ms since the epoch × 1000), or it was already delivered: take "now".
      const writtenAt = file ? Number(file.slice(0, 16)) / 1000 : performance.timeOrigin + performance.now();
      for (;;) {
        if (await delivered(session, toolUseId)) return performance.timeOrigin + performance.now() - writtenAt;
        await sleep(5);
      }
    }
    await sleep(6_000); // Flushers from the series above have lingered out.
    const deliveryCold: number[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      while (liveFlusherPid(skilloptHome) !== undefined) await sleep(20);
      deliveryCold.push(await deliveryOnce(coldEnv));
    }
    const deliveryWarm: number[] = [];
    for (let i = 0; i < DELIVERY_RUNS; i++) {
      deliveryWarm.push(await deliveryOnce(baseEnv));
      await sleep(50); // A gap, as between real events; the flusher lingers through it.
    }

    const summarize = (s: Record<Series, number[]>) => {
      const out = { bare: stats(s.bare), entryFloor: stats(s.entryFloor), noWindow: stats(s.noWindow), arming: stats(s.arming), reaction: stats(s.reaction) };
      const ratio = (k: Exclude<Series, 'bare'>) => ({
        median: Math.round((out[k].median / out.bare.median) * 1000) / 1000,
        p95: Math.round((out[k].p95 / out.bare.p95) * 1000) / 1000,
      });
      return {
        ms: out,
        ratioToBare: { entryFloor: ratio('entryFloor'), noWindow: ratio('noWindow'), arming: ratio('arming'), reaction: ratio('reaction') },
        /** What skillopt's own code adds above the floor (median ms). */
        overFloorMs: {
          noWindow: Math.round((out.noWindow.median - out.entryFloor.median) * 100) / 100,
          arming: Math.round((out.arming.median - out.entryFloor.median) * 100) / 100,
          reaction: Math.round((out.reaction.median - out.entryFloor.median) * 100) / 100,
        },
      };
    };
    const socket = summarize(series.socket);
    const fifo = summarize(series.fifo);
    const spoolOnlyStats = { arming: stats(spoolOnly.arming), reaction: stats(spoolOnly.reaction) };
    const spoolOnlyRatio = (k: 'arming' | 'reaction') => Math.round((spoolOnlyStats[k].median / socket.ms.bare.median) * 1000) / 1000;
    const codexStats = { bare: stats(codex.bare), shellCommand: stats(codex.shellCommand), arming: stats(codex.arming), reaction: stats(codex.reaction) };
    const codexRatio = (k: 'shellCommand' | 'arming' | 'reaction') => Math.round((codexStats[k].median / codexStats.bare.median) * 1000) / 1000;
    // This build against the baseline build, each with no flusher: ratios of medians (below 1: faster now).
    const againstBaseline = BASELINE_HOOK
      ? (() => {
          const ms = { noWindow: stats(baseline.noWindow), arming: stats(baseline.arming), reaction: stats(baseline.reaction) };
          const ratio = (now: Stats, before: Stats) => Math.round((now.median / before.median) * 1000) / 1000;
          return {
            hook: BASELINE_HOOK,
            ms,
            ratioToBaseline: {
              noWindow: ratio(socket.ms.noWindow, ms.noWindow),
              arming: ratio(spoolOnlyStats.arming, ms.arming),
              reaction: ratio(spoolOnlyStats.reaction, ms.reaction),
            },
          };
        })()
      : undefined;
    const coldStats = { bare: stats(cold.bare), arming: stats(cold.arming) };
    const coldRatio = Math.round((coldStats.arming.median / coldStats.bare.median) * 1000) / 1000;
    const delivery = { cold: stats(deliveryCold), warm: stats(deliveryWarm) };
    const worst = (k: 'noWindow' | 'arming' | 'reaction') => Math.max(socket.ratioToBare[k].median, fifo.ratioToBare[k].median);
    const results = {
      date: new Date().toISOString(),
      machine: { node: process.version, platform: `${process.platform} ${process.arch}`, cpus: cpus().length, loadavgBefore: loadBefore, loadavgAfter: loadavg() },
      method:
        'wall-clock ms from spawn to exit of `node dist/hook.cjs hook <Event>` vs `node -e 0`, interleaved; ratios are of medians (p95 ratios alongside). entryFloor: node loading an empty CommonJS file, i.e. the cost of any entry before any skillopt code. Delivery: event file write time (ms, from its name) until the state query shows the invocation.',
      runs: { hook: HOOK_RUNS, cold: COLD_RUNS, delivery: DELIVERY_RUNS },
      process: {
        socketStdin: socket,
        fifoStdin: fifo,
        /** Socket stdin, SKILLOPT_FLUSHER=0 in a separate home: the hook's own cost, no delivery running meanwhile (ratios to the socket bare median). */
        spoolOnlySocketStdin: { ms: spoolOnlyStats, ratioToBare: { arming: spoolOnlyRatio('arming'), reaction: spoolOnlyRatio('reaction') } },
        armingColdFlusherSpawn: { ms: coldStats, ratioToBare: { median: coldRatio } },
        /** `hook <Event> --agent codex`, socket stdin: PreToolUse for an ordinary shell command, for a read of the pulled SKILL.md (arming), and a reaction. */
        codexSocketStdin: { ms: codexStats, ratioToBare: { shellCommand: codexRatio('shellCommand'), arming: codexRatio('arming'), reaction: codexRatio('reaction') } },
        /** BENCH_BASELINE_HOOK's build, socket stdin, spool only: this build's medians over its. */
        ...(againstBaseline ? { againstBaseline } : {}),
      },
      deliveryMs: delivery,
      targets: TARGETS,
      meetsTargets: {
        noWindow: worst('noWindow') <= TARGETS.noWindowRatio,
        arming: worst('arming') <= TARGETS.armingRatio,
        armingCold: coldRatio <= TARGETS.armingRatio,
        reaction: worst('reaction') <= TARGETS.reactionRatio,
        codexShellCommand: codexRatio('shellCommand') <= TARGETS.noWindowRatio,
        codexArming: codexRatio('arming') <= TARGETS.armingRatio,
        codexReaction: codexRatio('reaction') <= TARGETS.reactionRatio,
        deliveryWarmP99: delivery.warm.p99 < TARGETS.deliveryP99Ms,
        deliveryColdP99: delivery.cold.p99 < TARGETS.deliveryP99Ms,
      },
    };
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'results', 'hooks.json'), `${JSON.stringify(results, null, 2)}\n`);

    const row = (name: string, s: Stats, ratio?: number) =>
      `${name.padEnd(34)} median ${s.median.toFixed(1).padStart(7)}  p95 ${s.p95.toFixed(1).padStart(7)}  p99 ${s.p99.toFixed(1).padStart(7)}${ratio === undefined ? '' : `  ×${ratio.toFixed(3)}`}`;
    for (const [kind, r] of [['socket', socket], ['fifo', fifo]] as const) {
      console.log(row(`bare node -e 0 (${kind} stdin)`, r.ms.bare));
      console.log(row(`entry floor (${kind})`, r.ms.entryFloor, r.ratioToBare.entryFloor.median));
      console.log(row(`UserPromptSubmit, no window (${kind})`, r.ms.noWindow, r.ratioToBare.noWindow.median));
      console.log(row(`PreToolUse arming (${kind})`, r.ms.arming, r.ratioToBare.arming.median));
      console.log(row(`UserPromptSubmit reaction (${kind})`, r.ms.reaction, r.ratioToBare.reaction.median));
    }
    console.log(row('PreToolUse arming, spool only', spoolOnlyStats.arming, spoolOnlyRatio('arming')));
    console.log(row('UserPromptSubmit reaction, spool only', spoolOnlyStats.reaction, spoolOnlyRatio('reaction')));
    console.log(row('bare node -e 0 (codex series)', codexStats.bare));
    console.log(row('Codex PreToolUse, ordinary command', codexStats.shellCommand, codexRatio('shellCommand')));
    console.log(row('Codex PreToolUse arming', codexStats.arming, codexRatio('arming')));
    console.log(row('Codex UserPromptSubmit reaction', codexStats.reaction, codexRatio('reaction')));
    console.log(row('bare node -e 0 (cold series)', coldStats.bare));
    console.log(row('PreToolUse arming, starts flusher', coldStats.arming, coldRatio));
    console.log(row('delivery, flusher started by hook', delivery.cold));
    console.log(row('delivery, flusher lingering', delivery.warm));
    if (againstBaseline) {
      console.log(row('baseline: UserPromptSubmit, no window', againstBaseline.ms.noWindow, againstBaseline.ratioToBaseline.noWindow));
      console.log(row('baseline: PreToolUse arming, spool only', againstBaseline.ms.arming, againstBaseline.ratioToBaseline.arming));
      console.log(row('baseline: reaction, spool only', againstBaseline.ms.reaction, againstBaseline.ratioToBaseline.reaction));
      console.log(`this build / baseline (medians): ${JSON.stringify(againstBaseline.ratioToBaseline)}`);
    }
    console.log(`targets met: ${JSON.stringify(results.meetsTargets)}`);
    console.log('wrote bench/results/hooks.json');
  } finally {
    worker.shutdown();
    await workerRun;
    await server.teardown();
    const pid = liveFlusherPid(skilloptHome);
    if (pid !== undefined) process.kill(pid, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
