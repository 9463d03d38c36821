// Skills as folders, measured: push and pull of a 50 MiB, 1,000-file skill
// (random contents, so nothing compresses or repeats), on the embedded store
// and from a teammate's machine through Temporal (a real dev server and
// skillopt worker), then the no-change push and pull every SessionStart does,
// and an update that changes one file. Wall time, and the bytes moved: content
// bytes uploaded or fetched, and for the teammate the JSON of every store
// request and reply that crossed Temporal.
//
//   npm run bench:trees            (writes bench/results/skill-trees.json)
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pullSkills } from '../sync/pull-skills';
import { pushSkill } from '../sync/push-folder';
import type { TeamBackend } from '../team/backend';
import { connectTeam } from '../team/connection';
import { directBackend } from '../team/direct';
import { temporalBackend } from '../team/through-temporal';
import { startCentral } from '../test/team/central';

const FILES = 1000;
const FILE_BYTES = 50 * 1024 * 1024 / FILES;

interface Step {
  step: string;
  ms: number;
  /** Content bytes uploaded (push) or fetched from the store (pull). */
  contentBytes: number;
  /** Teammate only: the JSON of every store request and reply through Temporal. */
  wireBytes?: number;
}

async function writeBigSkill(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'SKILL.md'), '---\nname: big\ndescription: Use when benchmarking\n---\n\n# Big\n\nRead references/part-0.md first.\n');
  for (let i = 0; i < FILES; i++) {
    const sub = join(dir, 'references', `d${i % 10}`);
    await mkdir(sub, { recursive: true });
    await writeFile(join(sub, `part-${i}.bin`), randomBytes(FILE_BYTES));
  }
}

async function run(label: string, backend: TeamBackend, wire: { bytes: number }): Promise<Step[]> {
  const root = await mkdtemp(join(tmpdir(), `skillopt-bench-trees-${label}-`));
  const src = join(root, 'src', 'big');
  await writeBigSkill(src);
  const steps: Step[] = [];
  const time = async (step: string, work: () => Promise<number>) => {
    wire.bytes = 0;
    const started = performance.now();
    const contentBytes = await work();
    steps.push({ step, ms: Math.round(performance.now() - started), contentBytes, ...(label === 'teammate' ? { wireBytes: wire.bytes } : {}) });
  };
  const pullInto = (home: string) => pullSkills({ source: backend, user: 'bob', home, skilloptHome: join(home, '.skillopt') });
  const fetched = (report: Awaited<ReturnType<typeof pullInto>>) => report.items.reduce((sum, i) => sum + (i.fetched?.bytes ?? 0), 0);
  const home = join(root, 'bob');
  try {
    await time('push (all new)', async () => (await pushSkill({ publisher: backend, skillDir: src, pusher: 'alice' })).uploaded.bytes);
    await time('push (no change)', async () => (await pushSkill({ publisher: backend, skillDir: src, pusher: 'alice' })).uploaded.bytes);
    await time('pull (fresh machine)', async () => fetched(await pullInto(home)));
    await time('pull (no change)', async () => fetched(await pullInto(home)));
    await writeFile(join(src, 'references', 'd0', 'part-0.bin'), randomBytes(FILE_BYTES));
    await time('push (one file changed)', async () => (await pushSkill({ publisher: backend, skillDir: src, pusher: 'alice' })).uploaded.bytes);
    await time('pull (one file changed)', async () => fetched(await pullInto(home)));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return steps;
}

async function main(): Promise<void> {
  const results: Record<string, Step[]> = {};

  const embeddedHome = await mkdtemp(join(tmpdir(), 'skillopt-bench-trees-store-'));
  const { openStore } = await import('../store/open-store');
  const store = await openStore({ home: embeddedHome });
  try {
    results.embedded = await run('embedded', directBackend(store), { bytes: 0 });
  } finally {
    await store.close();
    await rm(embeddedHome, { recursive: true, force: true });
  }

  const central = await startCentral('bench-trees');
  const wire = { bytes: 0 };
  const team = await connectTeam({ ...central.teammateEnv(), HOME: central.dir });
  try {
    const backend = temporalBackend(team, {
      onReply: (request, reply) => {
        wire.bytes += Buffer.byteLength(JSON.stringify(request)) + Buffer.byteLength(JSON.stringify(reply));
      },
    });
    results.teammate = await run('teammate', backend, wire);
  } finally {
    await team.close();
    await central.stop();
  }

  const out = { date: new Date().toISOString(), skill: { files: FILES, bytes: FILES * FILE_BYTES }, results };
  await mkdir(join(import.meta.dirname, 'results'), { recursive: true });
  await writeFile(join(import.meta.dirname, 'results', 'skill-trees.json'), `${JSON.stringify(out, null, 2)}\n`);
  for (const [where, steps] of Object.entries(results)) {
    for (const s of steps) console.log(`${where.padEnd(9)} ${s.step.padEnd(24)} ${String(s.ms).padStart(7)} ms  content ${String(s.contentBytes).padStart(10)} B${s.wireBytes === undefined ? '' : `  wire ${s.wireBytes} B`}`);
  }
}

await main();
process.exit(0);
