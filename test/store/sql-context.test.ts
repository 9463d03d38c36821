// whereSkill, the one filter by skill every aggregate's queries start from: the
// ref's name and author bound as parameters (never SQL text), on selects and
// updates alike, and refused at compile time on a table not keyed by skill.
import { DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { StoreDatabase } from '../../store/schema';
import { whereSkill } from '../../store/sql-context';

// Compiles queries without a database.
const db = new Kysely<StoreDatabase>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (kysely) => new SqliteIntrospector(kysely),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  },
});

const ref = { name: "deploy'; drop table verdicts; --", author: 'alice' };

describe('whereSkill', () => {
  it('narrows a select to the skill, its name and author bound as parameters, and composes with other conditions', () => {
    const query = db.selectFrom('skill_versions').selectAll().$call(whereSkill(ref)).where('version', '=', 3).compile();
    expect(query.sql).toBe('select * from "skill_versions" where "name" = ? and "author" = ? and "version" = ?');
    expect(query.parameters).toEqual([ref.name, ref.author, 3]);
  });

  it('narrows an update the same way', () => {
    const query = db.updateTable('skill_edits').set({ status: 'applied' }).$call(whereSkill(ref)).where('status', '=', 'proposed').compile();
    expect(query.sql).toBe('update "skill_edits" set "status" = ? where "name" = ? and "author" = ? and "status" = ?');
    expect(query.parameters).toEqual(['applied', ref.name, ref.author, 'proposed']);
  });
});

// Checked by tsc, which type-checks test/: whereSkill on attributions (no name and author columns) does not compile.
export const refusedOnAttributions = [
  // @ts-expect-error attributions is not keyed by skill
  () => db.selectFrom('attributions').selectAll().$call(whereSkill(ref)),
  // @ts-expect-error attributions is not keyed by skill
  () => db.updateTable('attributions').set({ cwd: '/' }).$call(whereSkill(ref)),
];
