// outbox/flusher.pid: at most one flusher per SKILLOPT_HOME, a lock of the one
// protocol (local/process-lock.ts) with a heartbeat: the flusher touches it
// every few seconds, so a lock left by a dead (or frozen) flusher goes stale
// even when its pid was reused. The hooks read it on every event that may
// start a flusher, `skillopt doctor` to report one. Only Node built-ins.
import { join } from 'node:path';
import { lockHolder, tryLock, type HeldLock, type LockRules } from '../process-lock';
import { outboxDir } from './files';

export const FLUSHER_LOCK_FILE = 'flusher.pid';
/** The flusher touches its lock this often… */
export const FLUSHER_HEARTBEAT_MS = 2_000;
/** …so a lock not touched for this long belongs to a dead (or frozen) flusher, even if its pid was reused. */
export const FLUSHER_STALE_MS = 15_000;

const FLUSHER_RULES: LockRules = { heartbeatMs: FLUSHER_STALE_MS };

export function flusherLockPath(home: string): string {
  return join(outboxDir(home), FLUSHER_LOCK_FILE);
}

/** The pid of a running flusher for this home, or undefined. */
export function liveFlusherPid(home: string, now = Date.now()): number | undefined {
  return lockHolder(flusherLockPath(home), FLUSHER_RULES, now)?.pid;
}

/** The lock this process holds, per home. */
const held = new Map<string, HeldLock>();

/**
 * True when this process now holds the lock; false when a live flusher does.
 * Two flushers racing over a stale lock cannot both win; were they to, it would
 * be harmless: delivery is at-least-once anyway.
 */
export function takeFlusherLock(home: string): boolean {
  const attempt = tryLock(flusherLockPath(home), FLUSHER_RULES);
  if (attempt.taken) held.set(home, attempt.lock);
  return attempt.taken;
}

export function touchFlusherLock(home: string): void {
  held.get(home)?.refresh();
}

/** Removes the lock if this process holds it. */
export function releaseFlusherLock(home: string): void {
  held.get(home)?.release();
  held.delete(home);
}
