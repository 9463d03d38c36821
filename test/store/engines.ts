// The engines every store test runs against: SQLite in a temp dir, and Postgres at
// SKILLOPT_TEST_DATABASE_URL in a fresh random schema, dropped afterwards.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { resolveStoreTarget, type OpenStoreOptions } from '../../store/open-store';
import { migrations, type EngineKind } from '../../store/migrations';
import { createPostgresEngine } from '../../store/postgres';
import { openSqliteEngine } from '../../store/sqlite';

export interface TestDatabase {
  /** Options for openStore that reach this database (and nothing from the environment). */
  options: OpenStoreOptions;
  drop(): Promise<void>;
}

export interface TestEngine {
  name: 'sqlite' | 'postgres';
  /** Set when this engine cannot run here; the suite shows it as a skipped test. */
  skipReason?: string;
  createDatabase(): Promise<TestDatabase>;
}

const postgresUrl = process.env.SKILLOPT_TEST_DATABASE_URL?.trim() || undefined;

export const testEngines: TestEngine[] = [
  {
    name: 'sqlite',
    async createDatabase() {
      const home = await mkdtemp(join(tmpdir(), 'skillopt-store-'));
      return {
        options: { url: `sqlite:${join(home, 'skillopt.db')}`, home },
        drop: () => rm(home, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'postgres',
    skipReason: postgresUrl ? undefined : 'skipped: SKILLOPT_TEST_DATABASE_URL is not set (CI always sets it)',
    async createDatabase() {
      if (!postgresUrl) throw new Error('SKILLOPT_TEST_DATABASE_URL is not set');
      const url = postgresUrl;
      const schema = `skillopt_test_${randomBytes(6).toString('hex')}`;
      return {
        options: { url, schema },
        async drop() {
          const admin = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
          try {
            await admin.schema.dropSchema(schema).ifExists().cascade().execute();
          } finally {
            await admin.destroy();
          }
        },
      };
    },
  },
];

/** An author no other test uses, so tests sharing a database never see each other's skills. */
export function uniqueAuthor(): string {
  return `tester-${randomUUID().slice(0, 8)}`;
}

/**
 * The database behind `options`, opened the way openStore opens it (same engine,
 * same migration table) but left unmigrated, for reading and writing raw rows.
 */
export async function openRawDatabase(options: OpenStoreOptions): Promise<{ db: Kysely<unknown>; kind: EngineKind; migrationSchema?: string }> {
  const target = resolveStoreTarget(options);
  const engine = target.engine === 'sqlite' ? await openSqliteEngine(target.path) : createPostgresEngine(target.url, target.schema);
  return { db: new Kysely<unknown>({ dialect: engine.dialect }), kind: engine.kind, migrationSchema: engine.migrationSchema };
}

/** Migrates the database behind `options` only through the migrations named, as an older skillopt would have. */
export async function openMigratedOnly(options: OpenStoreOptions, names: string[]): Promise<Kysely<unknown>> {
  const { db, kind, migrationSchema } = await openRawDatabase(options);
  const all = migrations(kind);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(Object.fromEntries(names.map((name) => [name, all[name]!]))) },
    migrationTableSchema: migrationSchema,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined || results?.map((r) => r.migrationName).join() !== names.join()) {
    await db.destroy();
    throw error ?? new Error(`expected to run ${names.join()}, ran ${JSON.stringify(results)}`);
  }
  return db;
}
