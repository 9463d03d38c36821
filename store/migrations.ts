// Versioned schema migrations, run on every open by Kysely's Migrator (which
// takes its migration lock, so concurrent opens from several processes are safe).
// A migration, once released, never changes: add a new one ("0002_…") instead.
//
// Engine differences in DDL live here and nowhere else:
// - ids: SQLite's `integer primary key autoincrement`, Postgres' identity column;
// - names and authors sort bytewise on both (Postgres: `collate "C"`; SQLite's
//   default BINARY), so listLatest orders the same whichever engine is behind it.
// JSON columns are plain text on both engines: the store never queries inside them,
// text keeps exactly what was written (jsonb rejects "\u0000" escapes and rewrites
// the document), and one code path serializes for both.
// Timestamps are ISO-8601 UTC text written by the store, which sorts chronologically.
import { sql, type ColumnDefinitionBuilder, type Kysely, type Migration, type MigrationProvider } from 'kysely';

export type EngineKind = 'sqlite' | 'postgres';

/** Every migration, by name; Kysely runs them in name order. */
export function migrations(engine: EngineKind): Record<string, Migration> {
  return {
    '0001_initial': initial(engine),
    '0002_verdict_outcome': verdictOutcome,
  };
}

export function migrationProvider(engine: EngineKind): MigrationProvider {
  return {
    getMigrations: () => Promise.resolve(migrations(engine)),
  };
}

function initial(engine: EngineKind): Migration {
  const postgres = engine === 'postgres';
  const keyText = postgres ? sql`text collate "C"` : sql`text`;
  const id = (col: ColumnDefinitionBuilder) =>
    postgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement();
  const notNull = (col: ColumnDefinitionBuilder) => col.notNull();

  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('skill_versions')
        .addColumn('name', keyText, notNull)
        .addColumn('author', keyText, notNull)
        .addColumn('version', 'integer', notNull)
        .addColumn('body', 'text', notNull)
        .addColumn('description', 'text', notNull)
        .addColumn('scope', 'text', notNull)
        .addColumn('contributors', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('created_by', 'text', notNull)
        .addColumn('idempotency_key', 'text')
        .addPrimaryKeyConstraint('skill_versions_pkey', ['name', 'author', 'version'])
        // Both engines treat NULLs as distinct, so only real keys must be unique.
        .addUniqueConstraint('skill_versions_idempotency_key_key', ['idempotency_key'])
        .addCheckConstraint('skill_versions_version_check', sql`version >= 1`)
        .execute();

      await db.schema
        .createTable('skill_edits')
        .addColumn('id', 'integer', id)
        .addColumn('name', keyText, notNull)
        .addColumn('author', keyText, notNull)
        .addColumn('fingerprint', 'text', notNull)
        .addColumn('summaries', 'text', notNull)
        .addColumn('edits', 'text', notNull)
        .addColumn('base_version', 'integer', notNull)
        .addColumn('published_version', 'integer', notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('resolved_at', 'text')
        .addCheckConstraint('skill_edits_status_check', sql`status in ('proposed', 'applied', 'reverted')`)
        .execute();
      await db.schema
        .createIndex('skill_edits_fingerprint_idx')
        .on('skill_edits')
        .columns(['name', 'author', 'fingerprint'])
        .execute();
      // One edit publishes one version: a retried recordEdit finds its row here.
      await db.schema
        .createIndex('skill_edits_published_version_key')
        .on('skill_edits')
        .columns(['name', 'author', 'published_version'])
        .unique()
        .execute();

      await db.schema
        .createTable('verdicts')
        .addColumn('id', 'integer', id)
        .addColumn('name', keyText, notNull)
        .addColumn('author', keyText, notNull)
        .addColumn('skill_version', 'integer', notNull)
        .addColumn('session_id', 'text', notNull)
        .addColumn('tool_use_id', 'text')
        .addColumn('event_id', 'text', (col) => col.notNull().unique())
        .addColumn('success', 'integer', notNull)
        // "double precision" is an 8-byte float on both (SQLite: REAL affinity).
        .addColumn('confidence', 'double precision', notNull)
        .addColumn('reason', 'text', notNull)
        .addColumn('agent', 'text', notNull)
        .addColumn('user_name', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addCheckConstraint('verdicts_success_check', sql`success in (0, 1)`)
        .execute();
      await db.schema.createIndex('verdicts_skill_idx').on('verdicts').columns(['name', 'author', 'skill_version']).execute();

      await db.schema
        .createTable('attributions')
        .addColumn('id', 'integer', id)
        .addColumn('session_id', 'text', notNull)
        .addColumn('user_name', 'text', notNull)
        .addColumn('cwd', 'text', notNull)
        .addColumn('agent', 'text', notNull)
        .addColumn('ab_bucket', 'integer', notNull)
        .addColumn('skills', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .execute();
      await db.schema.createIndex('attributions_session_idx').on('attributions').column('session_id').execute();
    },
  };
}

// A verdict's outcome becomes three-valued: "not-judged" (no model verdict could be
// reached) is neither a pass nor a failure. `outcome` is the source of truth from
// here on; `success` stays (not null, in (0, 1)) and is still written, 0 only for
// "failed", so nothing reading it sees a not-judged verdict as a failure. A column
// constraint in ADD COLUMN is allowed by both engines (SQLite checks existing rows
// since 3.37), so the same DDL runs on both.
const verdictOutcome: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('verdicts')
      .addColumn('outcome', 'text', (col) =>
        col
          .notNull()
          .defaultTo('passed')
          .check(sql`outcome in ('passed', 'failed', 'not-judged')`),
      )
      .execute();
    await sql`update verdicts set outcome = 'failed' where success = 0`.execute(db);
  },
};
