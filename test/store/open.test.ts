// Opening the store: where it lives, and one-line StoreUnavailableErrors (never a
// stack trace, never a password) when it cannot be reached or opened.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  StoreUnavailableError,
  StoreValidationError,
  describeStoreTarget,
  openStore,
  redactDatabaseUrl,
  resolveStoreTarget,
} from '../../store/open-store';
import { storeLocation } from '../../local/store-location';

async function unavailable(options: Parameters<typeof openStore>[0]): Promise<StoreUnavailableError> {
  const err: unknown = await openStore(options).then(
    async (store) => {
      await store.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreUnavailableError);
  const message = (err as Error).message;
  expect(message).not.toContain('\n');
  expect(message).not.toMatch(/^\s+at /m);
  return err as StoreUnavailableError;
}

/** A TCP port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Where the store is for this environment, as every machine resolves it (local/store-location.ts, then store/location.ts). */
const fromEnv = (env: NodeJS.ProcessEnv, cwd = '/work') => resolveStoreTarget(storeLocation(env, cwd));

describe('resolveStoreTarget', () => {
  it('defaults to SQLite in SKILLOPT_HOME, then ~/.skillopt', () => {
    expect(fromEnv({ SKILLOPT_HOME: '/srv/skillopt' })).toEqual({ engine: 'sqlite', path: '/srv/skillopt/skillopt.db' });
    expect(fromEnv({ HOME: homedir() })).toEqual({ engine: 'sqlite', path: join(homedir(), '.skillopt', 'skillopt.db') });
    expect(resolveStoreTarget({ home: '/opt/h' })).toEqual({ engine: 'sqlite', path: '/opt/h/skillopt.db' });
    expect(fromEnv({ SKILLOPT_DATABASE_URL: '  ', SKILLOPT_HOME: '/h' })).toEqual({ engine: 'sqlite', path: '/h/skillopt.db' });
    // A relative SKILLOPT_HOME is relative to the caller's folder.
    expect(fromEnv({ SKILLOPT_HOME: 'rel' }, '/from-cwd')).toEqual({ engine: 'sqlite', path: '/from-cwd/rel/skillopt.db' });
    expect(() => resolveStoreTarget({})).toThrow(StoreUnavailableError);
  });

  it('reads sqlite: URLs', () => {
    expect(resolveStoreTarget({ url: 'sqlite:/data/s.db' })).toEqual({ engine: 'sqlite', path: '/data/s.db' });
    expect(resolveStoreTarget({ url: 'sqlite:///data/s.db' })).toEqual({ engine: 'sqlite', path: '/data/s.db' });
    expect(resolveStoreTarget({ url: 'sqlite:', home: '/h' })).toEqual({ engine: 'sqlite', path: '/h/skillopt.db' });
    expect(fromEnv({ SKILLOPT_DATABASE_URL: 'sqlite:', SKILLOPT_HOME: '/h' })).toEqual({ engine: 'sqlite', path: '/h/skillopt.db' });
    expect(fromEnv({ SKILLOPT_DATABASE_URL: 'sqlite:~/x.db', HOME: homedir() })).toEqual({ engine: 'sqlite', path: join(homedir(), 'x.db') });
  });

  it('reads Postgres URLs from the option or SKILLOPT_DATABASE_URL', () => {
    expect(fromEnv({ SKILLOPT_DATABASE_URL: 'postgres://env@db/skillopt' })).toEqual({ engine: 'postgres', url: 'postgres://env@db/skillopt', schema: undefined });
    expect(resolveStoreTarget({ url: 'postgresql://opt@db/x', schema: 'tests_1' })).toEqual({
      engine: 'postgres',
      url: 'postgresql://opt@db/x',
      schema: 'tests_1',
    });
  });

  it('refuses schemas that are not plain identifiers and unknown URL schemes, without echoing passwords', () => {
    for (const schema of ['Public', 'a;drop', 'x"y', '1abc', '']) {
      expect(() => resolveStoreTarget({ url: 'postgres://db/x', schema })).toThrow(StoreValidationError);
    }
    const err = (() => {
      try {
        resolveStoreTarget({ url: 'mysql://root:hunter2@db/x' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err?.message).toContain('mysql://root:***@db/x');
    expect(err?.message).not.toContain('hunter2');
  });
});

describe('redactDatabaseUrl', () => {
  it('hides passwords in the user part and in query parameters', () => {
    expect(redactDatabaseUrl('postgres://u:s3cret@h:5432/db')).toBe('postgres://u:***@h:5432/db');
    expect(redactDatabaseUrl('postgres://u@h/db?password=s3cret&sslmode=require')).toBe('postgres://u@h/db?password=***&sslmode=require');
    expect(redactDatabaseUrl('postgres://u@h/db')).toBe('postgres://u@h/db');
    expect(redactDatabaseUrl('postgres://u:p%40ss@[::1/db')).not.toContain('p%40ss');
    expect(describeStoreTarget({ engine: 'postgres', url: 'postgres://u:pw@h/db', schema: 's' })).toBe(
      'Postgres at postgres://u:***@h/db (schema s)',
    );
  });
});

describe('an unreachable Postgres', () => {
  it('gives a one-line StoreUnavailableError naming the address, without the password', async () => {
    const port = await closedPort();
    const err = await unavailable({ url: `postgres://skillopt:hunter2@127.0.0.1:${port}/skillopt` });
    expect(err.message).toBe(`cannot reach Postgres at 127.0.0.1:${port} (ECONNREFUSED): start it or fix SKILLOPT_DATABASE_URL`);
    expect(err.message).not.toContain('hunter2');
  });

  describe('that accepts connections but never answers', () => {
    let server: Server;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      server = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });

    it('gives up after the connect timeout', async () => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      const started = Date.now();
      const err = await unavailable({ url: `postgres://u:pw@127.0.0.1:${address.port}/db` });
      expect(err.message).toMatch(/^cannot reach Postgres at 127\.0\.0\.1:\d+ \(no answer within 5s\)/);
      expect(Date.now() - started).toBeLessThan(9_000);
    });
  });

  const testUrl = process.env.SKILLOPT_TEST_DATABASE_URL?.trim();
  it.skipIf(!testUrl)('names a missing database', async () => {
    const url = new URL(testUrl ?? 'postgres://localhost/x');
    url.pathname = '/skillopt_no_such_database';
    const err = await unavailable({ url: url.toString() });
    expect(err.message).toMatch(/has no database "skillopt_no_such_database" \(3D000\): create it or fix SKILLOPT_DATABASE_URL$/);
  });
});

describe('the SQLite store', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skillopt-open-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a missing home and opens in WAL mode', async () => {
    const home = join(dir, 'nested', 'home');
    const store = await openStore({ url: 'sqlite:', home });
    expect(store.engine).toBe('sqlite');
    await store.close();
    const raw = new Database(join(home, 'skillopt.db'), { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
  });

  it('reports a home that cannot be created', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a directory');
    const err = await unavailable({ url: 'sqlite:', home: join(file, 'home') });
    expect(err.message).toMatch(/^cannot open the SQLite store at .*a-file\/home\/skillopt\.db \(ENOTDIR: .*\): /);
  });

  it('reports a file that is not a SQLite database', async () => {
    const path = join(dir, 'garbage.db');
    await writeFile(path, 'this is not a database, just some text that is long enough to look like a header'.repeat(20));
    const err = await unavailable({ url: `sqlite:${path}` });
    expect(err.message).toContain(`${path} is not a usable SQLite database (SQLITE_NOTADB`);
  });
});
