// The team tests run the central part as the unprivileged user `nobody`, as a
// platform engineer would run a service: whether this machine can, where
// nobody runs skillopt from, and `skillopt up` as nobody on Postgres.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { openStore, type Store } from '../../store/open-store';
import { REPO, baseEnv, until } from '../e2e/helpers';
import { freePort } from '../helpers/wait';

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

/** The central part (`skillopt up`) as nobody on its own Postgres schema, and what the test sees of it. */
export interface CentralAsNobody {
  /** The test's own connection to the central store (it created the schema). */
  store: Store;
  temporalAddress: string;
  client: Client;
  /** Everything `skillopt up` printed so far. */
  output(): string;
  /** Stops it (SIGINT, then SIGKILL after 20 s), drops its schema, removes its folders. */
  stop(): Promise<void>;
}

/**
 * `skillopt up` as nobody with its store on a fresh schema `<label>_<random>`
 * of the Postgres at `pgUrl`, its Temporal dev server, UI and dashboard on free
 * ports; `env` adds to its environment. Resolves once it says it is up.
 */
export async function startCentralAsNobody(label: string, pgUrl: string, env: Record<string, string> = {}): Promise<CentralAsNobody> {
  const schema = `skillopt_${label}_${randomBytes(6).toString('hex')}`;
  // The observer's connection creates the schema; the central part's URL selects it.
  const store = await openStore({ url: pgUrl, schema });
  const centralUrl = new URL(pgUrl);
  centralUrl.searchParams.set('options', `-c search_path=${schema}`);
  const installDir = installForNobody();
  const home = mkdtempSync(join(tmpdir(), 'skillopt-central-'));
  chownSync(home, NOBODY, NOBODY);
  const [temporalPort, uiPort, dashboardPort] = [await freePort(), await freePort(), await freePort()];
  const temporalAddress = `127.0.0.1:${temporalPort}`;
  const args = ['up', '--temporal-port', String(temporalPort), '--ui-port', String(uiPort), '--dashboard-port', String(dashboardPort), '--home', home];
  let output = '';
  const central = runCentralAsNobody(join(installDir, 'bin', 'skillopt.js'), args, { home, databaseUrl: centralUrl.toString(), env }, (text) => (output += text));
  await until('the central part to be up', () => output, (out) => out.includes('Ctrl-C stops everything.') || central.exitCode !== null, 120_000, 250).catch(() => undefined);
  if (!output.includes('Ctrl-C stops everything.')) {
    central.kill('SIGKILL');
    await store.close();
    throw new Error(`skillopt up (as nobody) did not start:\n${output}`);
  }
  const connection = await Connection.connect({ address: temporalAddress });
  return {
    store,
    temporalAddress,
    client: new Client({ connection }),
    output: () => output,
    async stop() {
      await connection.close();
      central.kill('SIGINT');
      await Promise.race([central, new Promise((r) => setTimeout(r, 20_000))]);
      central.kill('SIGKILL');
      await store.close();
      const admin = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: pgUrl, max: 1 }) }) });
      try {
        await admin.schema.dropSchema(schema).ifExists().cascade().execute();
      } finally {
        await admin.destroy();
      }
      rmSync(home, { recursive: true, force: true });
      if (installDir !== REPO) rmSync(installDir, { recursive: true, force: true });
    },
  };
}
