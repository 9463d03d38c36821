// <home>/up.pid: one `skillopt up` per SKILLOPT_HOME, a lock of the one
// protocol (local/process-lock.ts) held for as long as `up` runs. It records
// the holder's start time as the kernel reports it, so a leftover file whose
// pid now belongs to an unrelated process (pids are reused, e.g. after a
// reboot) is recognised as stale instead of blocking `up`; no heartbeat, so a
// laptop's sleep never makes a running `up`'s lock look stale.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { lockHolder, tryLock, type HeldLock, type LockRules } from './process-lock';

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

const UP_RULES: LockRules = { startTime: processStartTime, legacyHolder: looksLikeUp };

const held = new Map<string, HeldLock>();

/** Takes the lock at `path`, or returns the pid of the live `skillopt up` that holds it. */
export function takeRunLock(path: string): number | undefined {
  let attempt = tryLock(path, UP_RULES);
  // A lock naming this very process is a leftover (its pid reused), not a running `up`: replaced.
  if (!attempt.taken && attempt.holder?.pid === process.pid) {
    rmSync(path, { force: true });
    attempt = tryLock(path, UP_RULES);
  }
  if (attempt.taken) {
    held.set(path, attempt.lock);
    return undefined;
  }
  if (attempt.holder) return attempt.holder.pid;
  throw new Error(`cannot take ${path}; remove it if no skillopt up is running`);
}

/** Removes the lock if it is still ours. */
export function releaseRunLock(path: string): void {
  held.get(path)?.release();
  held.delete(path);
}

/** <home>/up.pid: the lock of the `skillopt up` of that home. */
export function upLockPath(home: string): string {
  return join(home, 'up.pid');
}

/** The live `skillopt up` of `home`, or undefined when none runs. */
export function runningUp(home: string): number | undefined {
  const pid = lockHolder(upLockPath(home), UP_RULES)?.pid;
  return pid === process.pid ? undefined : pid;
}
