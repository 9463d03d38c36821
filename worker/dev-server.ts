// Runs the Temporal dev server with its state persisted in a SQLite file,
// skillopt's search attributes registered and eager activities on: as a child
// process of the Temporal CLI that worker/temporal-bin.ts finds, or, when there
// is none, through the SDK, which downloads the dev server (needs internet).
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { execa, type Result } from 'execa';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/definitions';
import { downloadFailedMessage, resolveTemporalExecutable, TemporalBinaryMissingError, type TemporalExecutable } from './temporal-bin';

export interface DevServerOptions {
  home: string;
  port: number;
  uiPort: number;
  ip?: string;
  namespace?: string;
  /** Where to tell a person what is happening (that the SDK's download is used); default: nowhere. */
  note?: (line: string) => void;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  /** The server's process id (bench:loop measures its CPU); absent when the SDK started it, as the SDK does not tell. */
  pid?: number;
  stop(): Promise<void>;
}

const SEARCH_ATTRIBUTE_TYPE_NAMES: Record<string, string> = {
  KEYWORD: 'Keyword',
  INT: 'Int',
  TEXT: 'Text',
  BOOL: 'Bool',
  DOUBLE: 'Double',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

// Activities on the workflow's own queue start without a round trip through matching.
const EAGER_ACTIVITIES = ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'];

export function searchAttributeFlags(): string[] {
  return ALL_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${SEARCH_ATTRIBUTE_TYPE_NAMES[key.type]}`]);
}

/** Resolves true once something accepts TCP connections on host:port. */
export function portAcceptsConnections(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(500);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Resolves true once the frontend answers a client's first call (GetSystemInfo). */
async function frontendServes(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 2000 });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const exe = resolveTemporalExecutable();
  mkdirSync(options.home, { recursive: true });
  return exe.type === 'existing-path' ? startFromBinary(exe.path, options) : startFromSdkDownload(exe, options);
}

/** The CLI as our child process: its log goes to temporal.log under home; stopped with SIGTERM. */
async function startFromBinary(bin: string, options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const logFile = join(options.home, 'temporal.log');
  const child = execa(
    bin,
    [
      'server',
      'start-dev',
      '--ip',
      ip,
      '--port',
      String(options.port),
      '--ui-port',
      String(options.uiPort),
      '--namespace',
      options.namespace ?? 'default',
      '--db-filename',
      join(options.home, 'temporal.db'),
      '--log-level',
      'warn',
      ...EAGER_ACTIVITIES,
      ...searchAttributeFlags(),
    ],
    { stdout: { file: logFile, append: true }, stderr: { file: logFile, append: true }, reject: false, forceKillAfterDelay: 5000, cleanup: true },
  );
  const exited: Promise<Result> = child.then((r) => r);
  const deadline = Date.now() + 30_000;
  const address = `${ip}:${options.port}`;
  for (;;) {
    // The port opens before the frontend serves: until then every call fails
    // with "Frontend is not healthy yet", so ready means a client connects.
    if ((await portAcceptsConnections(ip, options.port)) && (await frontendServes(address))) break;
    const done = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(r, 200, undefined))]);
    if (done) {
      const why = done.failed && done.exitCode === undefined ? done.shortMessage : `exit code ${done.exitCode}`;
      throw new Error(`the Temporal dev server exited during start (${why}); see ${logFile}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`the Temporal dev server did not serve on ${address} within 30 s; see ${logFile}`);
    }
  }
  return {
    address,
    uiUrl: `http://localhost:${options.uiPort}`,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The dev server the SDK downloads (once, into exe.downloadDir) and runs, with
 * the same database file, search attributes and dynamic config as above. The SDK
 * forwards the server's output (its start banner, then warnings and errors) to
 * ours rather than to a file, and stops it by killing it (SQLite keeps what was
 * committed). A failed download becomes one line saying how to get a Temporal CLI.
 */
async function startFromSdkDownload(exe: TemporalExecutable & { type: 'cached-download' }, options: DevServerOptions): Promise<DevServer> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  options.note?.(
    `no Temporal CLI found; using the dev server the Temporal SDK downloads (the first time only) into ${exe.downloadDir ?? 'the temp directory'}`,
  );
  let env: Awaited<ReturnType<typeof TestWorkflowEnvironment.createLocal>>;
  try {
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: exe,
        ip: options.ip ?? '127.0.0.1',
        port: options.port,
        ui: true,
        uiPort: options.uiPort,
        namespace: options.namespace ?? 'default',
        dbFilename: join(options.home, 'temporal.db'),
        log: { format: 'pretty', level: 'warn' },
        searchAttributes: ALL_SEARCH_ATTRIBUTES,
        extraArgs: EAGER_ACTIVITIES,
      },
    });
  } catch (err) {
    throw new TemporalBinaryMissingError(downloadFailedMessage(err));
  }
  return {
    address: env.address,
    uiUrl: `http://localhost:${options.uiPort}`,
    async stop() {
      await env.teardown();
    },
  };
}
