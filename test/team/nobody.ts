// The team tests run the central part as the unprivileged user `nobody`, as a
// platform engineer would run a service: whether this machine can, and where
// nobody runs skillopt from.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { REPO, baseEnv } from '../e2e/helpers';

export const NOBODY = 65534;

/** Why this machine cannot run a process as nobody, or undefined. */
export function cannotRunAsNobody(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root, to run the central part as the user nobody';
  const probe = spawnSync(process.execPath, ['-e', '0'], { uid: NOBODY, gid: NOBODY });
  if (probe.error || probe.status !== 0) return `cannot run a process as the user nobody (${probe.error?.message ?? `exit ${probe.status}`})`;
  return undefined;
}

/**
 * Where `nobody` runs skillopt from: the checkout itself when nobody can read
 * it, else a hard-linked copy of what it needs in a folder nobody can enter (a
 * clone under /root is not readable by other users).
 */
export function installForNobody(): string {
  const readable = spawnSync(process.execPath, [join(REPO, 'bin', 'skillopt.js'), '--version'], { uid: NOBODY, gid: NOBODY });
  if (readable.status === 0) return REPO;
  const dir = mkdtempSync(join(tmpdir(), 'skillopt-central-install-'));
  chmodSync(dir, 0o755);
  for (const part of ['package.json', 'bin', 'dist', 'node_modules', '.tools']) {
    if (!existsSync(join(REPO, part))) continue;
    // Hard links: instant, and the files keep their modes (readable by all, as a clone writes them).
    if (spawnSync('cp', ['-al', join(REPO, part), join(dir, part)]).status !== 0) cpSync(join(REPO, part), join(dir, part), { recursive: true, verbatimSymlinks: true });
  }
  return dir;
}

/**
 * A central machine's skillopt process (`node <script> …args`), run as nobody
 * in `home`, on the store at `databaseUrl`, with no agent CLI (a judgment or
 * proposal routed to it could not run) and the whole team in the canary cohort.
 * Its combined output goes to `onOutput`.
 */
export function runCentralAsNobody(script: string, args: string[], where: { home: string; databaseUrl: string; env?: Record<string, string> }, onOutput: (text: string) => void): ResultPromise {
  const child = execa(process.execPath, [script, ...args], {
    env: baseEnv({
      HOME: where.home,
      SKILLOPT_DATABASE_URL: where.databaseUrl,
      SKILLOPT_CLAUDE_BIN: join(where.home, 'no-claude-here'),
      SKILLOPT_CANARY_PERCENT: '100',
      ...where.env,
    }),
    extendEnv: false,
    uid: NOBODY,
    gid: NOBODY,
    cwd: where.home,
    reject: false,
    all: true,
  });
  child.all!.on('data', (chunk: Buffer) => onOutput(chunk.toString()));
  return child;
}
