// up.pid: a live `skillopt up` keeps it; a file left behind whose pid is dead,
// or now belongs to an unrelated process, is replaced instead of blocking `up`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { processStartTime, releaseRunLock, takeRunLock } from '../../local/run-lock';

let dir: string;
let lock: string;
const children: ChildProcess[] = [];

/** A real, unrelated, long-lived process; `args` end up in its command line. */
function idleProcess(...args: string[]): number {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)', ...args], { stdio: 'ignore' });
  children.push(child);
  return child.pid!;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skillopt-runlock-'));
  lock = join(dir, 'up.pid');
});
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const holderOf = (): number => (JSON.parse(readFileSync(lock, 'utf8')) as { pid: number }).pid;

it('takes a free lock, records its own pid and start time, and releases only its own', () => {
  expect(takeRunLock(lock)).toBeUndefined();
  const record = JSON.parse(readFileSync(lock, 'utf8')) as { pid: number; started?: string };
  expect(record.pid).toBe(process.pid);
  expect(record.started).toBe(processStartTime(process.pid));
  releaseRunLock(lock);
  expect(() => readFileSync(lock)).toThrow();

  writeFileSync(lock, JSON.stringify({ pid: 1 }));
  releaseRunLock(lock);
  expect(holderOf()).toBe(1);
});

it('reports a live holder whose start time matches', () => {
  const pid = idleProcess();
  writeFileSync(lock, JSON.stringify({ pid, started: processStartTime(pid) }));
  expect(takeRunLock(lock)).toBe(pid);
  expect(holderOf()).toBe(pid);
});

it.each([
  ['a dead pid', () => ({ pid: 2 ** 30 })],
  ['a reused pid (another start time)', () => ({ pid: idleProcess(), started: 'not-its-start-time' })],
  ['a bare pid (older builds) of a process that is not `skillopt up`', () => idleProcess()],
  ['an unreadable file', () => 'garbage'],
])('replaces a stale lock: %s', (_label, content) => {
  const c = content();
  writeFileSync(lock, typeof c === 'number' ? String(c) : typeof c === 'string' ? c : JSON.stringify(c));
  expect(takeRunLock(lock)).toBeUndefined();
  expect(holderOf()).toBe(process.pid);
});

it.skipIf(process.platform !== 'linux')('keeps a bare-pid lock whose process looks like `skillopt up`', () => {
  const pid = idleProcess('/opt/skillopt/bin/skillopt.js', 'up');
  writeFileSync(lock, String(pid));
  expect(takeRunLock(lock)).toBe(pid);
});
