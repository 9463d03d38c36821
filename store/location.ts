// Where the store lives: a Postgres URL, or a SQLite file (by default under
// SKILLOPT_HOME). Pure functions, so the CLI can show the location without opening it.
import { join, resolve } from 'node:path';
import { expandHome, skilloptHome } from '../local/home';
import { StoreUnavailableError, StoreValidationError } from './types';

export interface OpenStoreOptions {
  /** postgres://…, postgresql://…, sqlite:<path>; default SKILLOPT_DATABASE_URL, then SQLite under home. */
  url?: string;
  /** Directory of the default SQLite store; default SKILLOPT_HOME, then ~/.skillopt. */
  home?: string;
  /** What a relative home or SQLite path is relative to; default the process's cwd. */
  cwd?: string;
  /** Postgres only: the schema to use (created if missing), e.g. for test isolation. */
  schema?: string;
  /** Where SKILLOPT_DATABASE_URL and SKILLOPT_HOME are read; default process.env. */
  env?: NodeJS.ProcessEnv;
}

export type StoreTarget =
  | { engine: 'sqlite'; path: string }
  | { engine: 'postgres'; url: string; schema?: string };

export const SQLITE_FILE_NAME = 'skillopt.db';
// Lower-case unquoted identifiers only: the schema ends up in the connection's
// search_path, so nothing but a plain identifier may reach it.
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** The folder of the default SQLite store: `home`, else local/home's SKILLOPT_HOME rule. */
function storeHome(options: OpenStoreOptions, env: NodeJS.ProcessEnv): string {
  const cwd = options.cwd ?? process.cwd();
  return options.home === undefined ? skilloptHome(env, cwd) : resolve(cwd, expandHome(options.home, env));
}

export function resolveStoreTarget(options: OpenStoreOptions = {}, env: NodeJS.ProcessEnv = options.env ?? process.env): StoreTarget {
  const url = nonEmpty(options.url) ?? nonEmpty(env.SKILLOPT_DATABASE_URL);
  if (url === undefined) return { engine: 'sqlite', path: join(storeHome(options, env), SQLITE_FILE_NAME) };

  if (/^postgres(ql)?:\/\//i.test(url)) {
    if (options.schema !== undefined && !SCHEMA_PATTERN.test(options.schema)) {
      throw new StoreValidationError(`schema "${options.schema}" must be a lower-case identifier (a-z, 0-9, _)`);
    }
    return { engine: 'postgres', url, schema: options.schema };
  }

  if (/^sqlite:/i.test(url)) {
    let path = url.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2); // sqlite:///abs/file.db
    if (path === '') return { engine: 'sqlite', path: join(storeHome(options, env), SQLITE_FILE_NAME) };
    if (path === ':memory:') return { engine: 'sqlite', path };
    return { engine: 'sqlite', path: resolve(options.cwd ?? process.cwd(), expandHome(path, env)) };
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
