// What every aggregate's queries share: the Kysely handle, the engine, the guard
// that turns a database gone away into StoreUnavailableError, and the one filter
// by skill (name and author) that nearly every query starts from.
import type { Kysely, SelectQueryBuilder, Transaction, UpdateQueryBuilder, WhereInterface } from 'kysely';
import type { SkillRef } from '../core/skill-ref';
import type { StoreEngine } from './engine';
import type { StoreDatabase } from './schema';
import { StoreUnavailableError, StoreValidationError, VersionConflictError } from './types';

/** The database itself, or a transaction on it: helpers that take part in a caller's transaction accept either. */
export type Executor = Kysely<StoreDatabase> | Transaction<StoreDatabase>;

export interface SqlContext {
  readonly db: Kysely<StoreDatabase>;
  readonly engine: StoreEngine;
  /** Runs an operation, reporting a database that went away as StoreUnavailableError; the store's own errors pass through. */
  guard<T>(operation: () => Promise<T>): Promise<T>;
}

export function sqlContext(db: Kysely<StoreDatabase>, engine: StoreEngine): SqlContext {
  return {
    db,
    engine,
    async guard(operation) {
      try {
        return await operation();
      } catch (err) {
        if (err instanceof VersionConflictError || err instanceof StoreValidationError || err instanceof StoreUnavailableError) {
          throw err;
        }
        throw engine.unavailable(err) ?? err;
      }
    },
  };
}

/** The tables keyed by skill: every one with name and author columns (all but attributions). */
type SkillTable = { [T in keyof StoreDatabase]: StoreDatabase[T] extends { name: string; author: string } ? T : never }[keyof StoreDatabase];

/** The tables a select or update reads from; for any other query, a name that is no table (so whereSkill refuses it). */
type QueryTables<Query> =
  Query extends SelectQueryBuilder<StoreDatabase, infer Tables, infer _Row>
    ? Tables
    : Query extends UpdateQueryBuilder<StoreDatabase, infer _Updated, infer Tables, infer _Row>
      ? Tables
      : 'not a select or update';

/**
 * Narrows a select or update to one skill's rows: `.$call(whereSkill(ref))`. A
 * query on a table that is not keyed by skill (attributions) does not compile.
 */
export function whereSkill(ref: SkillRef) {
  return <Query>(query: Query & ([QueryTables<Query>] extends [SkillTable] ? unknown : never)): Query => {
    // Kysely's types cannot follow a builder through a generic helper; the parameter's type above is the check.
    const filtered = (query as unknown as WhereInterface<StoreDatabase, SkillTable>).where('name', '=', ref.name).where('author', '=', ref.author);
    return filtered as unknown as Query;
  };
}

/** JSON columns are text on both engines (migrations.ts). */
export function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}
