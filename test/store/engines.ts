// The engines every store test runs against: SQLite in a temp dir, and Postgres at
// SKILLOPT_TEST_DATABASE_URL in a fresh random schema, dropped afterwards.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { OpenStoreOptions } from '../../store';

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
