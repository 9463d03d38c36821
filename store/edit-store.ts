// The edit sets the optimizer proposed, one per version they published, and
// their resolution (applied or reverted) once a verdict or a trial decides.
import type { SkillRef } from '../core/skill-ref';
import { whereSkill, type Executor, type SqlContext } from './sql-context';
import { StoreValidationError, type EditRecord, type EditStore, type NewEditRecord } from './types';
import { checkId, checkInteger, checkJsonList, checkRef, checkStringList, refLabel } from './validate';
import { toEditRecord } from './records';

export function sqlEditStore(sql: SqlContext): EditStore {
  return {
    recordEdit: (input) => recordEdit(sql, input),
    hasEditFingerprint: (ref, fingerprint) => hasEditFingerprint(sql, ref, fingerprint),
    resolveEdit: (ref, publishedVersion, status) => resolveEdit(sql, ref, publishedVersion, status),
    recentEdits: (ref, limit) => recentEdits(sql, ref, limit),
    editStats: (ref) => editStats(sql, ref),
  };
}

/**
 * Idempotent per published version: a retried call returns the row already
 * written; a different edit claiming the same published version is rejected.
 */
async function recordEdit({ db, guard }: SqlContext, input: NewEditRecord): Promise<EditRecord> {
  const ref = checkRef(input);
  const row = newEditRow(ref, input);
  return guard(async () => {
    const inserted = await db
      .insertInto('skill_edits')
      .values(row)
      .onConflict((oc) => oc.columns(['name', 'author', 'published_version']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return toEditRecord(inserted);

    const existing = await db
      .selectFrom('skill_edits')
      .selectAll()
      .$call(whereSkill(ref))
      .where('published_version', '=', row.published_version)
      .executeTakeFirstOrThrow();
    if (existing.fingerprint !== row.fingerprint) {
      throw new StoreValidationError(
        `version ${row.published_version} of ${refLabel(ref)} already has an edit record (fingerprint ${existing.fingerprint})`,
      );
    }
    return toEditRecord(existing);
  });
}

function hasEditFingerprint({ db, guard }: SqlContext, ref: SkillRef, fingerprint: string): Promise<boolean> {
  return guard(async () => {
    const row = await db
      .selectFrom('skill_edits')
      .select('id')
      .$call(whereSkill(ref))
      .where('fingerprint', '=', fingerprint)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  });
}

async function resolveEdit({ db, guard }: SqlContext, ref: SkillRef, publishedVersion: number, status: 'applied' | 'reverted'): Promise<EditRecord | undefined> {
  if (status !== 'applied' && status !== 'reverted') {
    throw new StoreValidationError(`an edit resolves to "applied" or "reverted", not ${JSON.stringify(status)}`);
  }
  return guard(() => resolveProposedEdit(db, ref, publishedVersion, status));
}

async function recentEdits({ db, guard }: SqlContext, ref: SkillRef, limit: number): Promise<EditRecord[]> {
  const count = checkInteger('limit', limit, 0);
  return guard(async () => {
    if (count === 0) return [];
    const rows = await db.selectFrom('skill_edits').selectAll().$call(whereSkill(ref)).orderBy('id', 'desc').limit(count).execute();
    return rows.map(toEditRecord);
  });
}

function editStats({ db, guard }: SqlContext, ref: SkillRef): Promise<{ published: number; awaitingOutcome: number[] }> {
  return guard(async () => {
    const [count, proposed] = await Promise.all([
      // An edit the pre-publish check turned down (its version published as rejected) reached nobody: not an improvement published.
      db
        .selectFrom('skill_edits as e')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('e.name', '=', ref.name)
        .where('e.author', '=', ref.author)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('version_transitions as t')
                .select('t.id')
                .whereRef('t.name', '=', 'e.name')
                .whereRef('t.author', '=', 'e.author')
                .whereRef('t.version', '=', 'e.published_version')
                .where('t.from_state', 'is', null)
                .where('t.to_state', '=', 'rejected'),
            ),
          ),
        )
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('skill_edits')
        .select('published_version')
        .$call(whereSkill(ref))
        .where('status', '=', 'proposed')
        .orderBy('published_version')
        .execute(),
    ]);
    return { published: Number(count.n), awaitingOutcome: proposed.map((r) => r.published_version) };
  });
}

/**
 * Resolves the still-proposed edit that published the version. The status
 * condition makes this a compare-and-set: of two concurrent resolvers, the
 * second finds nothing still proposed, and a resolved edit never flips.
 */
export async function resolveProposedEdit(
  db: Executor,
  ref: SkillRef,
  publishedVersion: number,
  status: 'applied' | 'reverted',
): Promise<EditRecord | undefined> {
  const row = await db
    .updateTable('skill_edits')
    .set({ status, resolved_at: new Date().toISOString() })
    .$call(whereSkill(ref))
    .where('published_version', '=', publishedVersion)
    .where('status', '=', 'proposed')
    .returningAll()
    .executeTakeFirst();
  return row && toEditRecord(row);
}

/** The row a new edit record inserts, its input checked. */
function newEditRow(ref: SkillRef, input: NewEditRecord) {
  const now = new Date().toISOString();
  return {
    name: ref.name,
    author: ref.author,
    fingerprint: checkId('fingerprint', input.fingerprint),
    summaries: JSON.stringify(checkStringList('summaries', input.summaries)),
    edits: checkJsonList('edits', input.edits),
    base_version: checkInteger('baseVersion', input.baseVersion, 0),
    published_version: checkInteger('publishedVersion', input.publishedVersion, 1),
    status: input.status === 'reverted' ? ('reverted' as const) : ('proposed' as const),
    created_at: now,
    resolved_at: input.status === 'reverted' ? now : null,
  };
}

