// Where the store lives: a Postgres URL, or a SQLite file (by default in the
// home folder it is given; local/store-location.ts reads the environment for
// it). Pure functions, so the CLI can show the location without opening it.
import { join, resolve } from 'node:path';
import { StoreUnavailableError, StoreValidationError } from './types';

export interface OpenStoreOptions {
  /** postgres://…, postgresql://…, sqlite:<path>; absent (or "sqlite:"): SQLite in `home`. */
  url?: string;
  /** Directory of the default SQLite store (relative to cwd); needed when there is no url. */
  home?: string;
  /** What a relative home or SQLite path is relative to; default the process's cwd. */
  cwd?: string;
  /** Postgres only: the schema to use (created if missing), e.g. for test isolation. */
  schema?: string;
}

export type StoreTarget =
  | { engine: 'sqlite'; path: string }
  | { engine: 'postgres'; url: string; schema?: string };

export const SQLITE_FILE_NAME = 'skillopt.db';
// Lower-case unquoted identifiers only: the schema ends up in the connection's
// search_path, so nothing but a plain identifier may reach it.
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** The default SQLite file, in `home`. */
function defaultSqlite(options: OpenStoreOptions): StoreTarget {
  if (options.home === undefined) throw new StoreUnavailableError('no store location: give a database URL or the folder of the SQLite store');
  return { engine: 'sqlite', path: join(resolve(options.cwd ?? process.cwd(), options.home), SQLITE_FILE_NAME) };
}

export function resolveStoreTarget(options: OpenStoreOptions): StoreTarget {
  const url = nonEmpty(options.url);
  if (url === undefined) return defaultSqlite(options);

  if (/^postgres(ql)?:\/\//i.test(url)) {
    if (options.schema !== undefined && !SCHEMA_PATTERN.test(options.schema)) {
      throw new StoreValidationError(`schema "${options.schema}" must be a lower-case identifier (a-z, 0-9, _)`);
    }
    return { engine: 'postgres', url, schema: options.schema };
  }

  if (/^sqlite:/i.test(url)) {
    let path = url.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2); // sqlite:///abs/file.db
    if (path === '') return defaultSqlite(options);
    if (path === ':memory:') return { engine: 'sqlite', path };
    return { engine: 'sqlite', path: resolve(options.cwd ?? process.cwd(), path) };
  }

  throw new StoreUnavailableError(
    `unsupported database URL "${redactDatabaseUrl(url)}": use postgres://… or sqlite:<path> in SKILLOPT_DATABASE_URL`,
  );
}

/** The URL with its password (in the user part or a query parameter) replaced by "***". */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const key of ['password', 'sslpassword']) {
      if (parsed.searchParams.has(key)) parsed.searchParams.set(key, '***');
    }
    return parsed.toString();
  } catch {
    // Unparsable: still never echo what looks like user:password@.
    return url.replace(/\/\/([^/@:]*):[^@]*@/, '//$1:***@');
  }
}

/** A human description of where the store is, safe to print. */
export function describeStoreTarget(target: StoreTarget): string {
  if (target.engine === 'sqlite') return `SQLite at ${target.path}`;
  const schema = target.schema ? ` (schema ${target.schema})` : '';
  return `Postgres at ${redactDatabaseUrl(target.url)}${schema}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
