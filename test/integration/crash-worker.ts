// The production worker (worker/production-worker.ts) with one seam for the crash test: when
// SKILLOPT_TEST_PAUSE_AFTER_PUBLISH names a file, the store's publishVersion
// writes the committed version there after the real commit, then never returns.
// The test kills this process in that gap: the version row exists, the
// publishSkill activity has not completed, and its retry runs on another worker.
import { writeFileSync } from 'node:fs';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';
import { modelFromEnv } from '../../agents/model-backend';
import { openStore } from '../../store/open-store';
import { createSkilloptWorker } from '../../worker/worker';
import { TASK_QUEUE } from '../../workflows/definitions';
import { storeLocation } from '../../local/store-location';

const pauseFile = process.env.SKILLOPT_TEST_PAUSE_AFTER_PUBLISH;
const config = loadClientConnectConfig();
const store = await openStore(storeLocation());
if (pauseFile) {
  const publishVersion = store.publishVersion.bind(store);
  store.publishVersion = async (input) => {
    const result = await publishVersion(input);
    writeFileSync(pauseFile, JSON.stringify({ version: result.version.version, created: result.created }));
    return new Promise<never>(() => undefined);
  };
}
const connection = await NativeConnection.connect(config.connectionOptions);
const worker = await createSkilloptWorker({
  connection,
  namespace: config.namespace ?? 'default',
  store,
  model: modelFromEnv(),
  taskQueue: process.env.SKILLOPT_TASK_QUEUE ?? TASK_QUEUE,
});
await worker.run();
