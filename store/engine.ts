// What differs between SQLite and Postgres at run time: the Kysely dialect, how a
// unique violation is recognized and which errors mean "the database cannot be
// used". Queries are written once against Kysely and never look at the engine.
import type { Dialect } from 'kysely';
import type { EngineKind } from './migrations';
import type { StoreUnavailableError } from './types';

export interface StoreEngine {
  readonly kind: EngineKind;
  readonly dialect: Dialect;
  /** Where the data is, safe to print (no password). */
  readonly location: string;
  /** Schema of Kysely's own migration tables, when not the default. */
  readonly migrationSchema?: string;
  isUniqueViolation(err: unknown): boolean;
  /** The error as a one-line StoreUnavailableError when it means the database cannot be reached or used. */
  unavailable(err: unknown): StoreUnavailableError | undefined;
}

/** The error's code (driver, SQLSTATE or errno); for an AggregateError, its first error's. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code !== '') return code;
  if (err instanceof AggregateError && err.errors.length > 0) return errorCode(err.errors[0]);
  return undefined;
}

/** First line of an error's message, for one-line reports. */
export function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const line = message.split('\n', 1)[0]?.trim();
  return line || (err instanceof Error ? err.name : 'unknown error');
}
