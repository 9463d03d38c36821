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
    '0003_version_states': versionStates(engine),
    '0004_skill_trees': skillTrees(engine),
    '0005_signatures': signatures(engine),
    '0006_check_evidence': checkEvidence(),
  };
}

/** The column kinds whose DDL differs by engine: names that sort bytewise, identity ids; and not null. */
function columnKinds(engine: EngineKind) {
  const postgres = engine === 'postgres';
  return {
    keyText: postgres ? sql`text collate "C"` : sql`text`,
    id: (col: ColumnDefinitionBuilder) => (postgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement()),
    notNull: (col: ColumnDefinitionBuilder) => col.notNull(),
  };
}

export function migrationProvider(engine: EngineKind): MigrationProvider {
  return {
    getMigrations: () => Promise.resolve(migrations(engine)),
  };
}

function initial(engine: EngineKind): Migration {
  const { keyText, id, notNull } = columnKinds(engine);

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

/** `column in ('a', 'b', …)` for a fixed list of words (the lists are written here, never input). */
function oneOf(column: string, values: readonly string[]) {
  return sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(', ')})`);
}

// The rollout (DESIGN.md "Rollout"): every version gets a state. Before it, each
// publish was at once everyone's version, so a skill's latest version becomes
// `stable` and every older one `retired` (a later publish replaced it).
// Partial unique indexes (both engines have them) make "at most one stable and
// at most one candidate per skill" a rule of the database itself, so a writer
// that raced past the store's checks fails instead of leaving two.
// version_transitions records every change of state; the history before this
// migration is filled in as it happened: each version published stable by its
// creator at its created_at, and retired when the next version was published
// (the numbers were contiguous: each publish took baseVersion + 1).
// skill_rollout_settings holds a skill's own policy and canary overrides; no row,
// or a null column, means the team default.
// The lists are spelled out rather than imported (core/rollout-types.ts): a
// released migration must not change when the vocabulary grows.
const STATES_0003 = ['stable', 'candidate', 'rejected', 'retired'];
const POLICIES_0003 = ['canary', 'approval', 'canary+approval', 'direct'];

function versionStates(engine: EngineKind): Migration {
  const { keyText, id, notNull } = columnKinds(engine);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('skill_versions')
        .addColumn('state', 'text', (col) => col.notNull().defaultTo('stable').check(oneOf('state', STATES_0003)))
        .execute();
      await sql`update skill_versions set state = 'retired'
                where version < (select max(w.version) from skill_versions w
                                 where w.name = skill_versions.name and w.author = skill_versions.author)`.execute(db);
      for (const state of ['stable', 'candidate'] as const) {
        await db.schema
          .createIndex(`skill_versions_one_${state}_key`)
          .on('skill_versions')
          .columns(['name', 'author'])
          .unique()
          .where(sql.ref('state'), '=', sql.lit(state))
          .execute();
      }

      await db.schema
        .createTable('version_transitions')
        .addColumn('id', 'integer', id)
        .addColumn('name', keyText, notNull)
        .addColumn('author', keyText, notNull)
        .addColumn('version', 'integer', notNull)
        .addColumn('from_state', 'text')
        .addColumn('to_state', 'text', notNull)
        .addColumn('decided_by', 'text', notNull)
        .addColumn('reason', 'text', notNull)
        .addColumn('at', 'text', notNull)
        .addCheckConstraint('version_transitions_from_state_check', sql`from_state is null or ${oneOf('from_state', STATES_0003)}`)
        .addCheckConstraint('version_transitions_to_state_check', oneOf('to_state', STATES_0003))
        .execute();
      await db.schema
        .createIndex('version_transitions_skill_idx')
        .on('version_transitions')
        .columns(['name', 'author', 'version'])
        .execute();
      // One insert, in the order things happened, so the ids (transitions' order) are chronological:
      // vN+1's publish, then vN's retirement, both at vN+1's created_at.
      await sql`insert into version_transitions (name, author, version, from_state, to_state, decided_by, reason, at)
                select name, author, version, from_state, to_state, decided_by, reason, at from (
                  select name, author, version, cast(null as text) as from_state, 'stable' as to_state,
                         created_by as decided_by, 'published' as reason, created_at as at, 0 as step
                  from skill_versions
                  union all
                  select v.name, v.author, v.version, 'stable', 'retired',
                         n.created_by, 'replaced by v' || cast(n.version as text), n.created_at, 1
                  from skill_versions v
                  join skill_versions n on n.name = v.name and n.author = v.author and n.version = v.version + 1
                ) as history
                order by name, author, at, step, version`.execute(db);

      await db.schema
        .createTable('skill_rollout_settings')
        .addColumn('name', keyText, notNull)
        .addColumn('author', keyText, notNull)
        .addColumn('policy', 'text')
        .addColumn('canary', 'text')
        .addColumn('updated_by', 'text', notNull)
        .addColumn('updated_at', 'text', notNull)
        .addPrimaryKeyConstraint('skill_rollout_settings_pkey', ['name', 'author'])
        .addCheckConstraint('skill_rollout_settings_policy_check', sql`policy is null or ${oneOf('policy', POLICIES_0003)}`)
        .execute();
    },
  };
}

/**
 * 0004: a version is a tree. `frontmatter` keeps the author's YAML as written
 * (null: a version from before, whose SKILL.md was its name and description);
 * `files` lists every other file of the folder (JSON, [] for the versions
 * before: one-file trees, nothing lost). Contents are stored once by hash,
 * in chunks, across versions and skills.
 */
function skillTrees(engine: EngineKind): Migration {
  const bytes = engine === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('skill_versions').addColumn('frontmatter', 'text').execute();
      await db.schema.alterTable('skill_versions').addColumn('files', 'text', (col) => col.notNull().defaultTo('[]')).execute();
      await db.schema
        .createTable('skill_contents')
        .addColumn('hash', 'text', (col) => col.primaryKey())
        .addColumn('size', 'integer', (col) => col.notNull())
        .addColumn('data', sql.raw(bytes), (col) => col.notNull())
        .execute();
    },
  };
}

/**
 * 0005: who may change a skill. A version keeps its own signature (a person's
 * push, or the service's candidate), an owner's approval, and who proposed it
 * while it waits for one; a transition keeps the decider's signature. Each
 * person's public key (registered on first use), every signed key change, and
 * every signed owner change. No owner rows are written for the skills already
 * here: a skill's first owner is its author by rule (core/trust.ts ownersOf),
 * for every skill old or new. Versions from before stay unsigned: machines that
 * have them keep them; a new install waits for an owner's signature
 * (`skillopt skills sign`).
 */
function signatures(engine: EngineKind): Migration {
  const { keyText, id, notNull } = columnKinds(engine);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('skill_versions').addColumn('signature', 'text').execute();
      await db.schema.alterTable('skill_versions').addColumn('approval', 'text').execute();
      await db.schema.alterTable('skill_versions').addColumn('proposed_by', 'text').execute();
      await db.schema.alterTable('version_transitions').addColumn('signature', 'text').execute();
      await db.schema.alterTable('skill_rollout_settings').addColumn('signed_at', 'text').execute();
      await db.schema
        .createTable('signing_keys')
        .addColumn('user_name', keyText, (col) => col.primaryKey())
        .addColumn('public_key', 'text', notNull)
        .addColumn('registered_at', 'text', notNull)
        .execute();
      await db.schema
        .createTable('key_changes')
        .addColumn('id', 'integer', id)
        .addColumn('user_name', keyText, notNull)
        .addColumn('public_key', 'text', notNull)
        .addColumn('at', 'text', notNull)
        .addColumn('signature', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .execute();
      await db.schema
        .createTable('skill_owner_changes')
        .addColumn('id', 'integer', id)
        .addColumn('name', keyText, notNull)
        .addColumn('author', keyText, notNull)
        .addColumn('action', 'text', notNull)
        .addColumn('user_name', keyText, notNull)
        .addColumn('at', 'text', notNull)
        .addColumn('signature', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addCheckConstraint('skill_owner_changes_action_check', sql`action in ('add', 'remove')`)
        .execute();
      await db.schema.createIndex('skill_owner_changes_skill_idx').on('skill_owner_changes').columns(['name', 'author', 'id']).execute();
    },
  };
}

/**
 * The pre-publish check: where a passing invocation's window is (its transcript
 * stays on its machine), the held-out evidence a later edit is checked against;
 * what the check said of each version it checked; a skill's own on/off.
 */
function checkEvidence(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('verdicts').addColumn('evidence', 'text').execute();
      await db.schema.alterTable('skill_versions').addColumn('precheck', 'text').execute();
      await db.schema.alterTable('skill_rollout_settings').addColumn('precheck', 'text').execute();
    },
  };
}
