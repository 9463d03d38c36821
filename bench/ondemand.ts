// npm run bench:ondemand — what the teammate's on-demand worker adds to a judgment.
// Writes bench/results/ondemand.json.
//
// Reaction → verdict recorded, in one run against one Temporal dev server whose
// central worker serves the workflows and the store activities (SQLite) on the
// shared queue. The invocation is armed first (spooled, delivered with the
// reaction); the clock starts when the UserPromptSubmit hook is started and
// stops when the invocation's state query shows the verdict (recordVerdict ran).
// The model is fake-claude everywhere (same process cost on both paths).
//
//   embedded  judged by the shared worker (the hooks route to the shared queue);
//             cold: the reaction's hook starts the flusher; warm: a flusher lingers.
//   teammate  judged on this machine's own queue by the flusher's worker;
//             cold: no flusher, the reaction's hook starts one, which starts the worker;
//             warm: the flusher and its worker are already running (in their grace).
//
// Knob: BENCH_ONDEMAND_RUNS (default 5 per series).
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dailyModelCalls } from '../local/model-calls';
import { createSkilloptWorker } from '../worker/worker';
import { claudeCliModel } from '../agents/model-backend';
import { workflowIdForInvocation } from '../core/skill-ref';
import { liveFlusherPid } from '../local/outbox/flusher-lock';
import { openStore } from '../store/open-store';
import { invocationStateQuery } from '../workflows/definitions';
import { createFakeClaude } from '../test/fixtures/fake-claude';
import { Session, installOrgSkills, makeHookSandbox, runHook, type HookSandbox } from '../test/hooks/helpers';
import { startTestServer, uniqueName, workflowBundle } from '../test/helpers/temporal';

const RUNS = Number(process.env.BENCH_ONDEMAND_RUNS ?? 5);
const ROOT = join(import.meta.dirname, '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'transcripts', 'skill-invocation-then-resumed-correction.jsonl');
const TOOL_USE_ID = 'toolu_01lfyrw5N8vmy7avHD8Pgdla';
const AT_REACTION = readFileSync(FIXTURE, 'utf8').split('\n').filter((l) => l !== '').slice(0, 12).map((l) => `${l}\n`).join('');

interface Stats {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
  return { n: sorted.length, median: Math.round(at(0.5)), p90: Math.round(at(0.9)), min: Math.round(sorted[0]!), max: Math.round(sorted.at(-1)!) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const env = await startTestServer();
  const storeDir = mkdtempSync(join(tmpdir(), 'skillopt-bench-ondemand-'));
  const store = await openStore({ home: storeDir });
  const fake = createFakeClaude({ judge: [{ text: { success: 1, confidence: 0.9, reason: 'fine' } }] });
  const taskQueue = uniqueName('shared');
  const worker = await createSkilloptWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
    store,
    model: claudeCliModel({ env: { ...process.env, ...fake.env } }),
    // The sessions' transcripts live in the sandboxes made under the temp folder; the cap is out of the way.
    transcriptRoots: [realpathSync(tmpdir())],
    modelCalls: dailyModelCalls({ home: storeDir, cap: 1_000_000 }),
  });
  const boxes: HookSandbox[] = [];
  const results: Record<string, number[]> = { embeddedCold: [], embeddedWarm: [], teammateCold: [], teammateWarm: [] };
  try {
    await worker.runUntil(async () => {
      const ref = { name: uniqueName('deploy'), author: 'alice' };
      const sandbox = async (): Promise<HookSandbox> => {
        const sb = await makeHookSandbox();
        boxes.push(sb);
        await installOrgSkills(sb, [{ ...ref, version: 1 }]);
        return sb;
      };
      const base = { SKILLOPT_DEBUG: process.env.BENCH_DEBUG ?? '0', TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'default', SKILLOPT_TASK_QUEUE: taskQueue, ...fake.env };
      const embedded = await sandbox();
      const teammate = await sandbox();

      /** One reaction → verdict, in ms; the arming is spooled first, delivered with the reaction. */
      async function once(sb: HookSandbox, hookEnv: NodeJS.ProcessEnv): Promise<number> {
        const s = new Session(sb);
        await s.writeTranscript(AT_REACTION);
        await runHook(sb, 'PreToolUse', s.preToolUseSkill(`${ref.name}--${ref.author}`, TOOL_USE_ID), { ...hookEnv, SKILLOPT_FLUSHER: '0' });
        const handle = env.client.workflow.getHandle(workflowIdForInvocation(ref, s.id, TOOL_USE_ID));
        const started = performance.now();
        await runHook(sb, 'UserPromptSubmit', s.userPromptSubmit('that was wrong, you skipped the tests'), { ...hookEnv, SKILLOPT_FLUSHER: '1' });
        for (;;) {
          const st = await handle.query(invocationStateQuery).catch(() => undefined);
          if (st && st.verdicts.length > 0) {
            if (st.verdicts[0]!.outcome !== 'passed') throw new Error(`unexpected verdict ${JSON.stringify(st.verdicts[0])}`);
            return performance.now() - started;
          }
          if (performance.now() - started > 120_000) {
            const log = readFileSync(join(sb.skilloptHome, 'hooks.log'), 'utf8').split('\n').slice(-20).join('\n');
            throw new Error(`no verdict within 2 min; state ${JSON.stringify(st)}; hooks.log:\n${log}`);
          }
          await sleep(20);
        }
      }
      async function noFlusher(sb: HookSandbox): Promise<void> {
        while (liveFlusherPid(sb.skilloptHome) !== undefined) await sleep(100);
      }

      const embeddedEnv = { ...base, SKILLOPT_ACTIVITY_QUEUE: taskQueue, SKILLOPT_FLUSHER_LINGER_MS: '300' };
      const teammateColdEnv = { ...base, SKILLOPT_FLUSHER_LINGER_MS: '300', SKILLOPT_WORKER_GRACE_MS: '300' };
      const teammateWarmEnv = { ...base, SKILLOPT_FLUSHER_LINGER_MS: '300', SKILLOPT_WORKER_GRACE_MS: '120000' };
      // A first judgment of each kind, not counted (the dev server's first tasks on a queue).
      await once(embedded, embeddedEnv);
      await noFlusher(embedded);
      await once(teammate, teammateColdEnv);
      await noFlusher(teammate);
      // Interleaved, so machine load hits every series alike.
      for (let i = 0; i < RUNS; i++) {
        results.embeddedCold!.push(await once(embedded, embeddedEnv));
        results.teammateCold!.push(await once(teammate, teammateColdEnv));
        await noFlusher(embedded);
        await noFlusher(teammate);
      }
      // Warm: a lingering flusher (embedded) and a flusher serving its queue (teammate).
      const embeddedWarmEnv = { ...embeddedEnv, SKILLOPT_FLUSHER_LINGER_MS: '120000' };
      await once(embedded, embeddedWarmEnv);
      await once(teammate, teammateWarmEnv);
      for (let i = 0; i < RUNS; i++) {
        results.embeddedWarm!.push(await once(embedded, embeddedWarmEnv));
        results.teammateWarm!.push(await once(teammate, teammateWarmEnv));
      }
      for (const sb of [embedded, teammate]) {
        const pid = liveFlusherPid(sb.skilloptHome);
        if (pid !== undefined) process.kill(pid, 'SIGTERM');
      }
    });
  } finally {
    await store.close();
    await env.teardown();
    for (const sb of boxes) await sb.cleanup();
    fake.cleanup();
    rmSync(storeDir, { recursive: true, force: true });
  }
  const s = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, stats(v)])) as Record<keyof typeof results, Stats>;
  const out = {
    when: new Date().toISOString(),
    what: 'reaction hook started -> verdict recorded (invocation state query), ms; fake-claude as the model on both paths',
    machine: { cpus: cpus().length, loadavg: loadavg().map((x) => Math.round(x * 100) / 100) },
    runsPerSeries: RUNS,
    series: s,
    addedByOnDemandWorker: {
      coldMedianMs: s.teammateCold.median - s.embeddedCold.median,
      coldP90Ms: s.teammateCold.p90 - s.embeddedCold.p90,
      warmMedianMs: s.teammateWarm.median - s.embeddedWarm.median,
      warmP90Ms: s.teammateWarm.p90 - s.embeddedWarm.p90,
    },
    samples: results,
  };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'ondemand.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(JSON.stringify({ machine: out.machine, series: s, added: out.addedByOnDemandWorker }, null, 2));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
