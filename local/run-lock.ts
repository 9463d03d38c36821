// <home>/up.pid: one `skillopt up` per SKILLOPT_HOME. The file records the pid
// and that process's start time as the kernel reports it, so a leftover file
// whose pid now belongs to an unrelated process (pids are reused, e.g. after a
// reboot) is recognised as stale instead of blocking `up`.
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from './process';

interface RunLockRecord {
  pid: number;
  /** The process's start time (Linux: /proc starttime ticks; else `ps -o lstart`), when it could be read. */
  started?: string;
}

/** When `pid` started, as a string that differs for any later process with the same pid; undefined when unknown. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may hold spaces and parentheses, so count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    // No procfs (macOS): ask ps.
  }
  try {
    return execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2_000 }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** True unless we can tell the process is not a skillopt `up` (a legacy file holds only the pid). */
function looksLikeUp(pid: number): boolean {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args.includes('up') && args.some((a) => a.includes('skillopt') || a.includes('cli.mjs'));
  } catch {
    return true;
  }
}

function parseRecord(text: string): RunLockRecord | undefined {
  const trimmed = text.trim();
  // Older builds wrote the bare pid.
  if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed) };
  try {
    const r = JSON.parse(trimmed) as Partial<RunLockRecord>;
    if (typeof r.pid === 'number' && Number.isInteger(r.pid) && r.pid > 0) return { pid: r.pid, ...(typeof r.started === 'string' ? { started: r.started } : {}) };
  } catch {
    // unreadable: stale
  }
  return undefined;
}

/** The live `skillopt up` the record names, or undefined when the record is stale. */
function liveHolder(record: RunLockRecord | undefined): number | undefined {
  if (!record || record.pid === process.pid || !isProcessAlive(record.pid)) return undefined;
  if (record.started !== undefined) {
    const now = processStartTime(record.pid);
    return now === undefined || now === record.started ? record.pid : undefined;
  }
  return looksLikeUp(record.pid) ? record.pid : undefined;
}

/** Takes the lock at `path`, or returns the pid of the live `skillopt up` that holds it. */
export function takeRunLock(path: string): number | undefined {
  const started = processStartTime(process.pid);
  const mine = JSON.stringify({ pid: process.pid, ...(started !== undefined ? { started } : {}) });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, mine);
      closeSync(fd);
      return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        continue; // removed in between
      }
      const holder = liveHolder(parseRecord(text));
      if (holder !== undefined) return holder;
      rmSync(path, { force: true }); // stale: its process is gone, or the pid is someone else's now
    }
  }
  throw new Error(`cannot take ${path}; remove it if no skillopt up is running`);
}

/** Removes the lock if it is still ours. */
export function releaseRunLock(path: string): void {
  try {
    if (parseRecord(readFileSync(path, 'utf8'))?.pid === process.pid) rmSync(path, { force: true });
  } catch {
    // already gone
  }
}

/** <home>/up.pid: the lock of the `skillopt up` of that home. */
export function upLockPath(home: string): string {
  return join(home, 'up.pid');
}

/** The live `skillopt up` of `home`, or undefined when none runs. */
export function runningUp(home: string): number | undefined {
  try {
    return liveHolder(parseRecord(readFileSync(upLockPath(home), 'utf8')));
  } catch {
    return undefined;
  }
}
