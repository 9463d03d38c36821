// How much the outbox flusher's start slows the agent while it answers, with
// the flusher at normal priority and at the background priority hooks give it
// (nice 19, hooks/spawn.ts). The agent answering is stood in for by CPU-bound
// probes, one per core (a fixed amount of work, timed); the flusher is the
// built dist/flusher.mjs, started as a hook starts it (detached: a session of
// its own), with a fresh SKILLOPT_HOME (its start: loading the
// bundle, the Temporal client and worker; ~0.5 s of CPU). Rounds alternate
// none / normal / low, so the machine's load hits all three alike.
//   npm run bench:priority [-- rounds]   → bench/results/background-priority.json
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const FLUSHER = join(ROOT, 'dist', 'flusher.mjs');
const ROUNDS = Number(process.argv[2] ?? 12);
/** Work per probe: about 600 ms of one idle core. */
const PROBE = `let x=0;for(let i=0;i<6e8;i++)x^=i;`;

function probe(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['-e', PROBE], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve(performance.now() - started));
  });
}

/** A launcher doing what hooks/spawn.ts does: lower itself (low), spawn the flusher detached, lower its session's group (low). */
const LAUNCHER = `
const { spawn } = require('node:child_process'); const os = require('node:os'); const fs = require('node:fs');
const low = process.argv[2] === 'low';
if (low) os.setPriority(19);
const child = spawn(process.execPath, [process.argv[1]], { detached: true, stdio: 'ignore' });
if (low) { try { fs.writeFileSync('/proc/' + child.pid + '/autogroup', '19'); } catch {} }
console.log(child.pid);
`;

function startFlusher(mode: 'normal' | 'low'): Promise<() => void> {
  const home = mkdtempSync(join(tmpdir(), 'skillopt-prio-'));
  return new Promise((resolve) => {
    const launcher = spawn(process.execPath, ['-e', LAUNCHER, FLUSHER, mode], { env: { ...process.env, SKILLOPT_HOME: home, HOME: home }, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    launcher.stdout.on('data', (d: Buffer) => (out += d.toString()));
    launcher.on('exit', () =>
      resolve(() => {
        try {
          process.kill(Number(out.trim()), 'SIGKILL');
        } catch {
          // Already gone.
        }
        rmSync(home, { recursive: true, force: true });
      }),
    );
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cores = availableParallelism();
const samples: Record<'none' | 'normal' | 'low', number[]> = { none: [], normal: [], low: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of ['none', 'normal', 'low'] as const) {
    const stop = mode === 'none' ? () => undefined : await startFlusher(mode);
    const times = await Promise.all(Array.from({ length: cores }, probe));
    stop();
    samples[mode].push(Math.max(...times));
    await new Promise((r) => setTimeout(r, 200));
  }
}
const result = {
  date: new Date().toISOString(),
  cores,
  rounds: ROUNDS,
  what: 'ms until every one of `cores` CPU-bound probes (the agent answering) finished, started together with the flusher (none / at normal priority / at nice 19); median of rounds',
  medianMs: { none: Math.round(median(samples.none)), normal: Math.round(median(samples.normal)), low: Math.round(median(samples.low)) },
  samplesMs: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.map(Math.round)])),
};
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', 'background-priority.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result.medianMs));
