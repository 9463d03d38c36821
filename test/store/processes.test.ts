// Several processes (worker, hooks, CLI) open and write the same database at once.
// Here separate Node processes, started together on a fresh database, race the
// migrations and the publish of version 1: exactly one wins.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../store/open-store';
import { testEngines, uniqueAuthor, type TestDatabase } from './engines';

const run = promisify(execFile);
const PROCESSES = 4;

// Bundled inside node_modules so the child resolves kysely, pg and better-sqlite3 from the project.
const bundleDir = resolve('node_modules/.cache', `skillopt-store-test-${randomBytes(4).toString('hex')}`);

const CHILD = `
import { openStore } from './store.mjs';
const { options, ref, key, startAt } = JSON.parse(process.argv[2]);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
const report = (result) => process.stdout.write(JSON.stringify(result));
try {
  const store = await openStore(options);
  try {
    const { version, created } = await store.publishVersion({
      ...ref, body: 'from ' + key, description: '', contributors: [], createdBy: key, idempotencyKey: key, baseVersion: 0,
    });
    report({ version: version.version, created, body: version.body });
  } finally {
    await store.close();
  }
} catch (err) {
  const where = (err.cause ?? err).stack?.split('\\n').slice(0, 6).join(' | ');
  report({ error: err.name, message: err.message, where });
}
`;

interface ChildResult {
  version?: number;
  created?: boolean;
  body?: string;
  error?: string;
  message?: string;
  where?: string;
}

async function race(database: TestDatabase, ref: { name: string; author: string }, keys: string[]): Promise<ChildResult[]> {
  // Children wait for a common start time so their opens and publishes overlap.
  const startAt = Date.now() + 1_500;
  const children = keys.map(async (key) => {
    const { stdout } = await run(process.execPath, [join(bundleDir, 'child.mjs'), JSON.stringify({ options: database.options, ref, key, startAt })], {
      timeout: 60_000,
    });
    return JSON.parse(stdout) as ChildResult;
  });
  return Promise.all(children);
}

beforeAll(async () => {
  await mkdir(bundleDir, { recursive: true });
  await build({
    entryPoints: ['store/open-store.ts'],
    outfile: join(bundleDir, 'store.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
  });
  await writeFile(join(bundleDir, 'child.mjs'), CHILD);
});

afterAll(async () => {
  await rm(bundleDir, { recursive: true, force: true });
});

describe.each(testEngines.map((engine) => [engine.name, engine] as const))('separate processes on %s', (_name, engine) => {
  if (engine.skipReason) {
    it.skip(engine.skipReason, () => undefined);
    return;
  }

  let database: TestDatabase;
  beforeAll(async () => {
    database = await engine.createDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('migrate a fresh database together, and exactly one publishes version 1', async () => {
    const ref = { name: 'multi-process', author: uniqueAuthor() };
    const results = await race(
      database,
      ref,
      Array.from({ length: PROCESSES }, (_, i) => `key-${i}`),
    );

    const winners = results.filter((r) => r.version !== undefined);
    expect(winners, JSON.stringify(results)).toHaveLength(1);
    expect(winners[0]).toMatchObject({ version: 1, created: true });
    expect(results.filter((r) => r.error === "VersionConflictError"), JSON.stringify(results)).toHaveLength(PROCESSES - 1);

    const store = await openStore(database.options);
    try {
      const history = await store.history(ref);
      expect(history.map((v) => [v.version, v.body])).toEqual([[1, winners[0]?.body]]);
    } finally {
      await store.close();
    }
  });

  it('a publish retried by several processes at once writes one row that all of them return', async () => {
    const ref = { name: 'multi-process-retry', author: uniqueAuthor() };
    const results = await race(
      database,
      ref,
      Array.from({ length: PROCESSES }, () => 'the-same-key'),
    );
    expect(results.map((r) => r.version), JSON.stringify(results)).toEqual(Array(PROCESSES).fill(1));
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });
});
