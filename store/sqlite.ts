// SQLite engine: better-sqlite3 under Kysely, one file shared by several processes
// (worker, hooks, CLI).
//
// Concurrency: WAL lets readers run beside one writer. Every transaction starts
// with BEGIN IMMEDIATE, taking the write lock up front; a deferred BEGIN that reads
// and then writes fails with SQLITE_BUSY_SNAPSHOT when another process committed in
// between, with no waiting possible. Waiting for the lock happens asynchronously:
// better-sqlite3 waits synchronously, which blocks the event loop, so a transaction
// held by another Store in this same process could never finish and the wait would
// always run out. busy_timeout is therefore kept short after opening, and a busy
// statement is retried with backoff (statements are atomic, so retrying is safe).
//
// Kysely's SQLite adapter has no migration lock (it assumes a single connection)
// and runs DDL outside transactions; declaring transactional DDL makes Kysely run
// the migrations inside one BEGIN IMMEDIATE transaction, which is the lock across
// processes, and a failed migration rolls back whole.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type QueryResult,
} from 'kysely';
import { errorCode, firstLine, type StoreEngine } from './engine';
import { StoreUnavailableError } from './types';

/** busy_timeout while opening: pragmas and WAL recovery run synchronously, before any transaction of ours. */
const OPEN_BUSY_TIMEOUT_MS = 5_000;
/** busy_timeout afterwards: short, see above; the long wait is BUSY_RETRY_BUDGET_MS. */
const STATEMENT_BUSY_TIMEOUT_MS = 20;
/** How long a statement keeps retrying while another connection holds the write lock. */
export const BUSY_RETRY_BUDGET_MS = 15_000;

export async function openSqliteEngine(path: string): Promise<StoreEngine> {
  const location = `SQLite store at ${path}`;
  let database: Database.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    database = new Database(path, { timeout: OPEN_BUSY_TIMEOUT_MS });
  } catch (err) {
    throw sqliteUnavailable(err, path) ?? unopenable(err, path);
  }
  try {
    // Switching to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY at
    // once (no busy handler) when another process is opening the same new file.
    // WAL is persistent, so only the first opener ever switches; the rest see it.
    await retryWhileBusy(() => {
      if (database.pragma('journal_mode', { simple: true }) !== 'wal') database.pragma('journal_mode = WAL');
    });
    // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commit.
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    database.pragma(`busy_timeout = ${STATEMENT_BUSY_TIMEOUT_MS}`);
  } catch (err) {
    database.close();
    throw sqliteUnavailable(err, path) ?? unopenable(err, path);
  }

  return {
    kind: 'sqlite',
    dialect: new StoreSqliteDialect(database),
    location,
    isUniqueViolation: (err) => {
      const code = errorCode(err);
      return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
    },
    unavailable: (err) => sqliteUnavailable(err, path),
  };
}

function sqliteUnavailable(err: unknown, path: string): StoreUnavailableError | undefined {
  const code = errorCode(err);
  if (code === undefined) return undefined;
  const detail = `${code}: ${firstLine(err)}`;
  if (code === 'SQLITE_BUSY_SNAPSHOT') {
    return new StoreUnavailableError(`the SQLite store at ${path} was changed by another process mid-transaction (${code}): retry`, {
      cause: err,
    });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreUnavailableError(
      `the SQLite store at ${path} stayed locked by another process for ${BUSY_RETRY_BUDGET_MS / 1000}s (${code}): retry, or stop the process holding it`,
      { cause: err },
    );
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new StoreUnavailableError(
      `${path} is not a usable SQLite database (${detail}): move it away or point SKILLOPT_DATABASE_URL elsewhere`,
      { cause: err },
    );
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return new StoreUnavailableError(`cannot write the SQLite store at ${path} (${detail}): free some disk space`, { cause: err });
  }
  if (
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_IOERR') ||
    code === 'SQLITE_PERM' ||
    code === 'SQLITE_AUTH' ||
    ['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'ELOOP', 'ENAMETOOLONG'].includes(code)
  ) {
    return new StoreUnavailableError(
      `cannot open the SQLite store at ${path} (${detail}): make its directory writable or set SKILLOPT_HOME or SKILLOPT_DATABASE_URL`,
      { cause: err },
    );
  }
  return undefined;
}

function unopenable(err: unknown, path: string): StoreUnavailableError {
  return new StoreUnavailableError(
    `cannot open the SQLite store at ${path} (${firstLine(err)}): check SKILLOPT_HOME or SKILLOPT_DATABASE_URL`,
    { cause: err },
  );
}

class StoreSqliteDialect extends SqliteDialect {
  readonly #database: Database.Database;

  constructor(database: Database.Database) {
    super({ database });
    this.#database = database;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: this.#database });
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  #connection: BusyRetryingConnection | undefined;

  override async acquireConnection(): Promise<DatabaseConnection> {
    // SqliteDriver hands out its single connection; wrap it once.
    const connection = await super.acquireConnection();
    this.#connection ??= new BusyRetryingConnection(connection);
    return this.#connection;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class BusyRetryingConnection implements DatabaseConnection {
  constructor(private readonly inner: DatabaseConnection) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return retryWhileBusy(() => this.inner.executeQuery<R>(query));
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

/** Runs `operation` until it is not busy or BUSY_RETRY_BUDGET_MS has passed, waiting asynchronously. */
async function retryWhileBusy<T>(operation: () => T | Promise<T>): Promise<T> {
  const deadline = Date.now() + BUSY_RETRY_BUDGET_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (err) {
      if (!isRetryableBusy(err) || Date.now() >= deadline) throw err;
      // Jittered exponential backoff, 2 ms up to 50 ms, like SQLite's own busy handler.
      const delay = Math.min(50, 2 * 2 ** attempt) * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * Busy errors that waiting can cure. SQLITE_BUSY_SNAPSHOT means a read snapshot is
 * stale inside a deferred transaction, which no retry of that statement fixes (and
 * which BEGIN IMMEDIATE prevents).
 */
function isRetryableBusy(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && code.startsWith('SQLITE_BUSY') && code !== 'SQLITE_BUSY_SNAPSHOT';
}
