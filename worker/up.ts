// `skillopt up` (= npm start): the embedded default on one machine — a Temporal
// dev server with the Web UI, the worker, and the SQLite store under SKILLOPT_HOME.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { startDashboard, DEFAULT_DASHBOARD_PORT, type RunningDashboard } from '../dashboard/server';
import { modelFromEnv } from '../agents/model-backend';
import { currentUser, skilloptHome } from '../local/home';
import { dailyModelCalls, maxModelCallsPerDay } from '../local/model-calls';
import { storeLocation } from '../local/store-location';
import { openStore } from '../store/open-store';
import { startDevServer, portAcceptsConnections, type DevServer } from './dev-server';
import { releaseRunLock, takeRunLock, upLockPath } from '../local/run-lock';
import { directBackend } from '../team/direct';
import { TASK_QUEUE } from '../workflows/definitions';
import { catchUpAtStart } from './catch-up';
import { createSkilloptWorker } from './worker';

export interface UpOptions {
  temporalPort: number;
  uiPort: number;
  /** The skills dashboard, on 127.0.0.1 (default 8234). */
  dashboardPort?: number;
  home?: string;
  /** Where to write progress (default: stdout). */
  out?: (line: string) => void;
  /** Resolves when the stack should stop (default: SIGINT or SIGTERM). */
  stopSignal?: Promise<unknown>;
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Resolves on Ctrl-C or SIGTERM. The listeners stay until the stack has stopped:
 * execa's exit handler re-raises a signal once no other listener is left, which
 * would kill this process mid-shutdown.
 */
function stopRequested(): { stop: Promise<unknown>; dispose(): void } {
  let onSignal: () => void = () => undefined;
  const stop = new Promise((resolve) => (onSignal = () => resolve(undefined)));
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  return { stop, dispose: () => STOP_SIGNALS.forEach((signal) => process.off(signal, onSignal)) };
}

/** Runs until stopped; resolves to the process exit code. Problems are one line on stderr. */
export async function runUp(options: UpOptions): Promise<number> {
  const out = options.out ?? ((line: string) => process.stdout.write(line + '\n'));
  const home = options.home === undefined ? skilloptHome() : resolve(options.home);
  mkdirSync(home, { recursive: true });
  const lockPath = upLockPath(home);
  const holder = takeRunLock(lockPath);
  if (holder !== undefined) {
    process.stderr.write(`skillopt: already running (pid ${holder}) for ${home}; stop that one first (Ctrl-C in its terminal, or kill ${holder})\n`);
    return 1;
  }
  const signals = stopRequested();
  let server: DevServer | undefined;
  let connection: NativeConnection | undefined;
  let store: Awaited<ReturnType<typeof openStore>> | undefined;
  let clientConnection: Connection | undefined;
  let dashboard: RunningDashboard | undefined;
  const dashboardPort = options.dashboardPort ?? DEFAULT_DASHBOARD_PORT;
  try {
    for (const [port, flag] of [
      [options.temporalPort, '--temporal-port'],
      [options.uiPort, '--ui-port'],
      [dashboardPort, '--dashboard-port'],
    ] as const) {
      if (await portAcceptsConnections('127.0.0.1', port)) {
        process.stderr.write(`skillopt: port ${port} is already in use by another program; stop it or pass ${flag} <port>\n`);
        return 1;
      }
    }
    const stop = options.stopSignal ?? signals.stop;
    // The SDK's INFO lines (bundler output, worker state) would bury the few lines a person needs here.
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const model = modelFromEnv();
    // This machine's daily cap, counted in the stack's own home.
    const modelCalls = dailyModelCalls({ home, cap: maxModelCallsPerDay() });
    // SKILLOPT_DATABASE_URL when set (a central machine running up), else SQLite in this home.
    store = await openStore({ ...storeLocation(), home });
    server = await startDevServer({ home, port: options.temporalPort, uiPort: options.uiPort, note: out });
    connection = await NativeConnection.connect({ address: server.address });
    const worker = await createSkilloptWorker({ connection, namespace: 'default', store, model, modelCalls });
    const running = worker.run();
    clientConnection = await Connection.connect({ address: server.address });
    const client = new Client({ connection: clientConnection, namespace: 'default' });
    // Hook events spooled while nothing was running are delivered, and candidates pushed meanwhile start their trials.
    await catchUpAtStart({ client, store, home, taskQueue: TASK_QUEUE, out });
    // The dashboard, in this process: the store for reads, this client for the lanes (approve / reject as the CLI).
    const team = { client, address: server.address, namespace: 'default', taskQueue: TASK_QUEUE, close: async () => undefined };
    const backend = directBackend(store, { connect: async () => team });
    dashboard = await startDashboard({ backend, temporalUiUrl: server.uiUrl, user: currentUser(), env: process.env, port: dashboardPort });
    out(`skillopt is up.`);
    out(`  Temporal Web UI  ${server.uiUrl}/namespaces/default/workflows?query=SkillRef%20is%20not%20null`);
    out(`  Skills dashboard ${dashboard.url}`);
    out(`  Temporal         ${server.address} (namespace default)`);
    out(`  Store            ${store.engine === 'sqlite' ? join(home, 'skillopt.db') : 'Postgres (SKILLOPT_DATABASE_URL)'}`);
    out(`Next:`);
    out(`  npx skillopt push <skill-dir>    publish a skill to the team`);
    out(`  npx skillopt hooks install       let Claude Code report how skills went`);
    out(`  npx skillopt pull                install the team's skills`);
    out(`Ctrl-C stops everything.`);
    await Promise.race([stop, running]);
    out('skillopt: stopping…');
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    return 0;
  } catch (err) {
    process.stderr.write(`skillopt: ${(err as Error).message.split('\n')[0]}\n`);
    return 1;
  } finally {
    await dashboard?.close().catch(() => undefined);
    await clientConnection?.close().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await store?.close().catch(() => undefined);
    releaseRunLock(lockPath);
    signals.dispose();
  }
}
