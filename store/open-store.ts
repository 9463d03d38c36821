// Opening the store: pick the engine from the URL, make sure the database answers,
// run pending migrations, hand back the Store. Every failure to get there is a
// StoreUnavailableError with a one-line message saying what to do.
import { Kysely, Migrator, sql } from 'kysely';
import { firstLine, type StoreEngine } from './engine';
import { resolveStoreTarget, type OpenStoreOptions } from './location';
import { migrationProvider } from './migrations';
import { createPostgresEngine } from './postgres';
import type { StoreDatabase } from './schema';
import { sqlStore } from './sql-store';
import { openSqliteEngine } from './sqlite';
import { StoreUnavailableError, type Store } from './types';

export * from './types';
export { describeStoreTarget, redactDatabaseUrl, resolveStoreTarget } from './location';
export type { OpenStoreOptions, StoreTarget } from './location';

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const target = resolveStoreTarget(options);
  const engine = target.engine === 'sqlite' ? await openSqliteEngine(target.path) : createPostgresEngine(target.url, target.schema);
  const db = new Kysely<StoreDatabase>({ dialect: engine.dialect });
  try {
    await reach(db, engine);
    await migrate(db, engine);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw err;
  }
  return sqlStore(db, engine);
}

async function reach(db: Kysely<StoreDatabase>, engine: StoreEngine): Promise<void> {
  try {
    await sql`select 1`.execute(db);
  } catch (err) {
    throw (
      engine.unavailable(err) ??
      new StoreUnavailableError(`cannot use the ${engine.location} (${firstLine(err)}): check SKILLOPT_DATABASE_URL`, {
        cause: err,
      })
    );
  }
}

async function migrate(db: Kysely<StoreDatabase>, engine: StoreEngine): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: migrationProvider(engine.kind),
    migrationTableSchema: engine.migrationSchema,
  });
  let failure: unknown;
  try {
    ({ error: failure } = await migrator.migrateToLatest());
  } catch (err) {
    failure = err;
  }
  if (failure === undefined) return;

  const message = firstLine(failure);
  // Kysely refuses to run when the database has migrations this code does not know.
  const unknown = /previously executed migration (\S+) is missing/.exec(message);
  if (unknown) {
    throw new StoreUnavailableError(
      `the ${engine.location} has migration ${unknown[1]}, which this skillopt does not know: upgrade skillopt`,
      { cause: failure },
    );
  }
  throw (
    engine.unavailable(failure) ??
    new StoreUnavailableError(`cannot migrate the ${engine.location} (${message}): see the cause, or restore a backup`, {
      cause: failure,
    })
  );
}
