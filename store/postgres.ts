// Postgres engine: a pg Pool under Kysely. Migration locking is Kysely's
// (a transaction-level advisory lock); concurrent publishers are told apart by the
// unique constraint, which under READ COMMITTED makes the second writer wait for
// the first and then fail with 23505.
import pg from 'pg';
import { PostgresDialect } from 'kysely';
import { errorCode, firstLine, type StoreEngine } from './engine';
import { redactDatabaseUrl } from './location';
import { StoreUnavailableError } from './types';

export const CONNECT_TIMEOUT_MS = 5_000;

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EPIPE',
  'ENOENT', // unix socket path missing
]);

export function createPostgresEngine(url: string, schema?: string): StoreEngine {
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'skillopt',
    // The schema was checked to be a plain lower-case identifier (location.ts).
    options: schema ? `-c search_path=${schema}` : undefined,
  });
  // An idle pooled connection that dies emits 'error' on the pool, which would
  // crash the process if unhandled; the next query reports the problem instead.
  pool.on('error', () => undefined);

  const endpoint = postgresEndpoint(url);
  return {
    kind: 'postgres',
    dialect: new PostgresDialect({ pool }),
    location: `Postgres store at ${redactDatabaseUrl(url)}${schema ? ` (schema ${schema})` : ''}`,
    migrationSchema: schema,
    isUniqueViolation: (err) => errorCode(err) === '23505',
    unavailable: (err) => postgresUnavailable(err, endpoint, databaseName(url)),
  };
}

function postgresUnavailable(err: unknown, endpoint: string, database: string): StoreUnavailableError | undefined {
  const code = errorCode(err);
  const message = firstLine(err);
  const fail = (text: string) => new StoreUnavailableError(text, { cause: err });

  if (code !== undefined && NETWORK_ERROR_CODES.has(code)) {
    return fail(`cannot reach Postgres at ${endpoint} (${code}): start it or fix SKILLOPT_DATABASE_URL`);
  }
  if (code === undefined && /timeout/i.test(message)) {
    return fail(
      `cannot reach Postgres at ${endpoint} (no answer within ${CONNECT_TIMEOUT_MS / 1000}s): start it or fix SKILLOPT_DATABASE_URL`,
    );
  }
  if (code === undefined && /connection terminated|server closed the connection|does not support SSL/i.test(message)) {
    return fail(`lost the connection to Postgres at ${endpoint} (${message}): check the server and SKILLOPT_DATABASE_URL`);
  }
  if (code === undefined) return undefined;
  if (code.startsWith('28')) {
    return fail(`Postgres at ${endpoint} refused the login (${code}: ${message}): fix the user or password in SKILLOPT_DATABASE_URL`);
  }
  if (code === '3D000') {
    return fail(`Postgres at ${endpoint} has no database "${database}" (3D000): create it or fix SKILLOPT_DATABASE_URL`);
  }
  // Class 08: connection exception; 57P0x: server shutting down or starting; 53300: too many connections.
  if (code.startsWith('08') || code.startsWith('57P0') || code === '53300') {
    return fail(`Postgres at ${endpoint} is unavailable (${code}: ${message}): retry, or check the server`);
  }
  return undefined;
}

/** host:port of a Postgres URL, for messages (never the credentials). */
export function postgresEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.searchParams.get('host') || parsed.hostname || 'localhost';
    return `${host}:${parsed.port || '5432'}`;
  } catch {
    return 'the configured address';
  }
}

function databaseName(url: string): string {
  try {
    // Without a path, Postgres connects to the database named like the user.
    const parsed = new URL(url);
    return decodeURIComponent(parsed.pathname.replace(/^\//, '') || parsed.username) || 'postgres';
  } catch {
    return '?';
  }
}
