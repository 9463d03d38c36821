// The central part for the team tests: a real Temporal dev server, a store
// (SQLite, or its own schema of the Postgres in SKILLOPT_TEST_DATABASE_URL,
// dropped at the end) and a real skillopt worker serving the shared queue.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { RolloutDefaults } from '../../core/rollout-types';
import { openStore, type Store } from '../../store/open-store';
import { createSkilloptWorker } from '../../worker/worker';
import { startTestServer, workflowBundle } from '../helpers/temporal';

export interface Central {
  env: TestWorkflowEnvironment;
  store: Store;
  /** What a central machine sets as SKILLOPT_DATABASE_URL: the worker's store. */
  url: string;
  /** A folder the test may use as a HOME (removed at the end). */
  dir: string;
  /** A teammate's Temporal settings: nothing else. */
  teammateEnv(): NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** `rollout`: the worker's team defaults (default: its environment's). */
export async function startCentral(label: string, rollout?: RolloutDefaults): Promise<Central> {
  const pgUrl = process.env.SKILLOPT_TEST_DATABASE_URL?.trim() || undefined;
  const schema = `skillopt_${label}_${randomBytes(6).toString('hex')}`;
  const env = await startTestServer();
  const dir = await mkdtemp(join(tmpdir(), `skillopt-${label}-`));
  let url = `sqlite:${join(dir, 'skillopt.db')}`;
  if (pgUrl) {
    const u = new URL(pgUrl);
    u.searchParams.set('options', `-c search_path=${schema}`);
    url = u.toString();
  }
  const store = pgUrl ? await openStore({ url: pgUrl, schema }) : await openStore({ url });
  const worker = await createSkilloptWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    store,
    model: async () => {
      throw new Error('no model in these tests');
    },
    workflowBundle: await workflowBundle(),
    ...(rollout ? { rollout } : {}),
  });
  const running = worker.run();
  return {
    env,
    store,
    url,
    dir,
    teammateEnv: () => ({ TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default' }),
    async stop() {
      worker.shutdown();
      await running.catch(() => undefined);
      await store.close();
      if (pgUrl) {
        const admin = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: pgUrl, max: 1 }) }) });
        try {
          await admin.schema.dropSchema(schema).ifExists().cascade().execute();
        } finally {
          await admin.destroy();
        }
      }
      await rm(dir, { recursive: true, force: true });
      await env.teardown();
    },
  };
}
