// The production worker: connects with the standard Temporal client settings
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS, or a temporal.toml
// profile) and the store from SKILLOPT_DATABASE_URL. Run as many as you like.
import { NativeConnection } from '@temporalio/worker';
import { modelFromEnv } from '../agents/model-backend';
import { modelCallsFromEnv } from '../local/model-calls';
import { storeLocation } from '../local/store-location';
import { temporalSettings } from '../local/temporal';
import { openStore } from '../store/open-store';
import { TASK_QUEUE } from '../workflows/definitions';
import { createSkilloptWorker } from './worker';

async function main(): Promise<void> {
  const config = temporalSettings();
  const model = modelFromEnv();
  const modelCalls = modelCallsFromEnv();
  const store = await openStore(storeLocation());
  const connection = await NativeConnection.connect(config.connectionOptions);
  try {
    const worker = await createSkilloptWorker({
      connection,
      namespace: config.namespace,
      store,
      model,
      modelCalls,
      taskQueue: process.env.SKILLOPT_TASK_QUEUE ?? TASK_QUEUE,
    });
    // The SDK shuts the worker down gracefully on SIGINT/SIGTERM.
    await worker.run();
  } finally {
    await connection.close();
    await store.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`skillopt worker: ${(err as Error).message.split('\n')[0]}\n`);
  process.exit(1);
});
