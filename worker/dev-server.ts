// Runs the Temporal dev server (from the pinned CLI) as a child process, with
// its state persisted in a SQLite file and skillopt's search attributes registered.
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { execa, type Result, type ResultPromise } from 'execa';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/definitions';
import { requireTemporalBinary } from './temporal-bin';

export interface DevServerOptions {
  home: string;
  port: number;
  uiPort: number;
  ip?: string;
  namespace?: string;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  process: ResultPromise;
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

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const bin = requireTemporalBinary();
  mkdirSync(options.home, { recursive: true });
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
      // Activities on the workflow's own queue start without a round trip through matching.
      '--dynamic-config-value',
      'system.enableActivityEagerExecution=true',
      ...searchAttributeFlags(),
    ],
    { stdout: { file: logFile, append: true }, stderr: { file: logFile, append: true }, reject: false, forceKillAfterDelay: 5000, cleanup: true },
  );
  const exited: Promise<Result> = child.then((r) => r);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (await portAcceptsConnections(ip, options.port)) break;
    const done = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(r, 200, undefined))]);
    if (done) {
      const why = done.failed && done.exitCode === undefined ? done.shortMessage : `exit code ${done.exitCode}`;
      throw new Error(`the Temporal dev server exited during start (${why}); see ${logFile}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`the Temporal dev server did not listen on ${ip}:${options.port} within 30 s; see ${logFile}`);
    }
  }
  return {
    address: `${ip}:${options.port}`,
    uiUrl: `http://localhost:${options.uiPort}`,
    process: child,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
