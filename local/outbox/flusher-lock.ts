// outbox/flusher.pid: at most one flusher per SKILLOPT_HOME. The lock holds the
// flusher's pid and is touched every few seconds, so a lock left by a dead (or
// frozen) flusher goes stale even when its pid was reused. The hooks read it on
// every event that may start a flusher, `skillopt doctor` to report one.
// Only Node built-ins.
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from '../process';
import { outboxDir } from './files';

export const FLUSHER_LOCK_FILE = 'flusher.pid';
/** The flusher touches its lock this often… */
export const FLUSHER_HEARTBEAT_MS = 2_000;
/** …so a lock not touched for this long belongs to a dead (or frozen) flusher, even if its pid was reused. */
export const FLUSHER_STALE_MS = 15_000;

export function flusherLockPath(home: string): string {
  return join(outboxDir(home), FLUSHER_LOCK_FILE);
}

/** The pid of a running flusher for this home, or undefined. */
export function liveFlusherPid(home: string, now = Date.now()): number | undefined {
  const path = flusherLockPath(home);
  try {
    if (now - statSync(path).mtimeMs > FLUSHER_STALE_MS) return undefined;
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && isProcessAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when this process now holds the lock; false when a live flusher does. */
export function takeFlusherLock(home: string): boolean {
  const path = flusherLockPath(home);
  mkdirSync(outboxDir(home), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (liveFlusherPid(home) !== undefined) return false;
      // Stale. Two flushers racing here may both win: harmless, delivery is at-least-once anyway.
      try {
        unlinkSync(path);
      } catch {
        // Removed by the other one.
      }
    }
  }
  return false;
}

export function touchFlusherLock(home: string): void {
  const now = new Date();
  try {
    utimesSync(flusherLockPath(home), now, now);
  } catch {
    // Removed under us: the next hook starts another flusher if one is needed.
  }
}

/** Removes the lock if this process holds it. */
export function releaseFlusherLock(home: string): void {
  const path = flusherLockPath(home);
  try {
    if (Number(readFileSync(path, 'utf8').trim()) === process.pid) unlinkSync(path);
  } catch {
    // Already gone.
  }
}
