// Whether the store answers and has every migration this skillopt knows, without
// changing it: what `skillopt doctor` reports on the central machine (the worker
// and `skillopt setup` open the store with openStore, which migrates).
import { Kysely, Migrator, sql } from 'kysely';
import { firstLine } from './engine';
import { resolveStoreTarget, type OpenStoreOptions } from './location';
import { migrationProvider } from './migrations';
import { createPostgresEngine } from './postgres';
import type { StoreDatabase } from './schema';
import { openSqliteEngine } from './sqlite';
import { StoreUnavailableError } from './types';

export interface StoreStatus {
  /** Where the data is, safe to print. */
  location: string;
  /** Migrations this skillopt has that the database has not run yet. */
  pending: string[];
}

/** Rejects with a one-line StoreUnavailableError when the database cannot be reached. */
export async function storeStatus(options: OpenStoreOptions = {}): Promise<StoreStatus> {
  const target = resolveStoreTarget(options);
  const engine = target.engine === 'sqlite' ? await openSqliteEngine(target.path) : createPostgresEngine(target.url, target.schema);
  const db = new Kysely<StoreDatabase>({ dialect: engine.dialect });
  try {
    try {
      await sql`select 1`.execute(db);
    } catch (err) {
      throw engine.unavailable(err) ?? new StoreUnavailableError(`cannot use the ${engine.location} (${firstLine(err)}): check SKILLOPT_DATABASE_URL`, { cause: err });
    }
    const migrator = new Migrator({ db, provider: migrationProvider(engine.kind), migrationTableSchema: engine.migrationSchema });
    // Reads Kysely's migration table when there is one; creates nothing.
    const migrations = await migrator.getMigrations();
    return { location: engine.location, pending: migrations.filter((m) => m.executedAt === undefined).map((m) => m.name) };
  } finally {
    await db.destroy().catch(() => undefined);
  }
}
