// The production worker: connects with the standard Temporal client settings
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS, or a temporal.toml
// profile) and the store from SKILLOPT_DATABASE_URL. Run as many as you like.
// Before it polls it checks what it needs (the store reachable and migrated, the
// namespace, skillopt's search attributes) and exits 1 with one line naming the
// fix; once polling it catches up as `skillopt up` does (worker/catch-up.ts).
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { modelFromEnv } from '../agents/model-backend';
import { skilloptHome } from '../local/home';
import { modelCallsFromEnv } from '../local/model-calls';
import { storeLocation } from '../local/store-location';
import { temporalSettings } from '../local/temporal';
import { describeStoreTarget, openStore, resolveStoreTarget } from '../store/open-store';
import { centralNamespaceProblem, isRefusal, problemLine, type NamespaceProblem } from '../team/central-namespace';
import { TASK_QUEUE } from '../workflows/definitions';
import { catchUpAtStart } from './catch-up';
import { createSkilloptWorker } from './worker';

/** A failure as one printable line: its first line, cut before any raw bytes (gRPC details can carry encoded protobuf). */
function oneLine(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  // eslint-disable-next-line no-control-regex
  return text.split(/[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/)[0]!.trim();
}

class StartRefused extends Error {
  override name = 'StartRefused';
}

async function main(): Promise<void> {
  const config = temporalSettings();
  const taskQueue = process.env.SKILLOPT_TASK_QUEUE?.trim() || TASK_QUEUE;
  const model = modelFromEnv();
  const modelCalls = modelCallsFromEnv();
  // Reachable and migrated, or one line saying what to check (StoreUnavailableError).
  const location = storeLocation();
  const store = await openStore(location);
  let clientConnection: Connection | undefined;
  let connection: NativeConnection | undefined;
  try {
    try {
      clientConnection = await Connection.connect(config.connectionOptions);
    } catch (err) {
      throw new StartRefused(
        `cannot reach Temporal at ${config.address} (${oneLine(err)}): check TEMPORAL_ADDRESS (and TEMPORAL_API_KEY or the TLS settings), and that the Temporal frontend is up`,
      );
    }
    let problem: NamespaceProblem | undefined;
    try {
      problem = await centralNamespaceProblem(clientConnection, config.namespace);
    } catch (err) {
      if (!isRefusal(err)) throw new StartRefused(`cannot check namespace ${config.namespace} at ${config.address} (${oneLine(err)}): check TEMPORAL_API_KEY or the TLS settings`);
      // A key that may run workflows but not read the namespace's settings (some Temporal Cloud roles): poll unchecked.
      process.stderr.write(`skillopt worker: could not check namespace ${config.namespace}'s search attributes (${oneLine(err)}); polling unchecked: see \`skillopt doctor\`\n`);
    }
    if (problem) throw new StartRefused(problemLine(problem));
    connection = await NativeConnection.connect(config.connectionOptions);
    const worker = await createSkilloptWorker({ connection, namespace: config.namespace, store, model, modelCalls, taskQueue });
    // The SDK shuts the worker down gracefully on SIGINT/SIGTERM.
    const running = worker.run();
    const say = (line: string) => process.stdout.write(`skillopt worker: ${line}\n`);
    say(`polling "${taskQueue}" in namespace ${config.namespace} at ${config.address}; store: ${describeStoreTarget(resolveStoreTarget(location))}`);
    const client = new Client({ connection: clientConnection, namespace: config.namespace });
    // Failing to catch up does not stop the worker: the next start (or `skillopt up`) tries again.
    await catchUpAtStart({ client, store, home: skilloptHome(), taskQueue, out: say }).catch((err: unknown) => {
      process.stderr.write(`skillopt worker: could not catch up at start (${oneLine(err)}); it polls anyway\n`);
    });
    await running;
  } finally {
    await connection?.close().catch(() => undefined);
    await clientConnection?.close().catch(() => undefined);
    await store.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`skillopt worker: ${oneLine(err)}\n`);
  process.exit(1);
});
