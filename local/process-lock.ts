// The one lock protocol between skillopt's processes: the manifest's and the
// model-call counter's read-modify-write (withFileLock), one `skillopt up` per
// home (local/run-lock.ts) and one outbox flusher per home
// (local/outbox/flusher-lock.ts). A lock is a file naming its holder (pid, when
// it was taken, a nonce, and the process's start time where that matters),
// created exclusively and whole: written aside, then hard-linked into place, so
// no reader ever sees it half-written. Only its holder removes it. A lock is
// stale, and the next taker replaces it, when its holder's process is gone, or
// by the rule its users choose against a reused pid: an age limit for short
// critical sections, a heartbeat (the holder touches the file) for a process
// that runs a while, or the process's start time for one that runs for days.
//
// Hand-written rather than a library: proper-lockfile, the well-kept one, keeps
// no holder in its lock (a directory), so `up` could not say which process runs
// and the hooks could not check the flusher's lock without loading it (npm
// packages stay off the hooks' path); its mtime-only staleness would also let a
// laptop's sleep break a running `up`'s lock. Kernel locks (flock) need a native
// addon. Only Node built-ins, and not node:crypto: the hooks read the flusher's
// lock on every event, and a nonce needs to be unique, not secret.
import { linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isProcessAlive } from './process';

/** How a lock's users tell a live holder from a stale lock, beyond its process being gone. */
export interface LockRules {
  /** Stale once held this long (a short critical section; a reused pid). */
  maxAgeMs?: number;
  /** The holder touches the lock (`refresh`) more often than this: untouched this long, it is stale (a reused pid, a frozen holder). */
  heartbeatMs?: number;
  /** A process's start time (undefined when unknown): recorded for the holder and compared, so a reused pid is another process. */
  startTime?: (pid: number) => string | undefined;
  /** For a record an older build wrote without its start time: whether that pid still looks like the holder. */
  legacyHolder?: (pid: number) => boolean;
  /** Unreadable content may be an older build's lock being written this instant: stale only after this long (default 0). */
  tornMs?: number;
}

export interface LockHolder {
  pid: number;
  /** When it took the lock (ms since the epoch), when the lock says. */
  since?: number;
}

interface LockRecord {
  pid: number;
  createdAt?: number;
  started?: string;
  nonce?: string;
}

export interface HeldLock {
  readonly path: string;
  /** The heartbeat: marks the lock as still held (rules.heartbeatMs). */
  refresh(): void;
  /** Removes the lock if it is still this one (after a wrong takeover it may be someone else's). */
  release(): void;
}

export type LockAttempt = { taken: true; lock: HeldLock } | { taken: false; holder?: LockHolder };

/** `length` random base-36 characters: tells two takers of one lock apart. */
function nonce(length: number): string {
  let text = '';
  while (text.length < length) text += Math.random().toString(36).slice(2);
  return text.slice(0, length);
}

function parseRecord(text: string): LockRecord | undefined {
  const trimmed = text.trim();
  // Older builds wrote the bare pid (up.pid, flusher.pid).
  if (/^\d+$/.test(trimmed)) return Number(trimmed) > 0 ? { pid: Number(trimmed) } : undefined;
  try {
    const r = JSON.parse(trimmed) as Partial<LockRecord>;
    if (typeof r.pid !== 'number' || !Number.isInteger(r.pid) || r.pid <= 0) return undefined;
    return {
      pid: r.pid,
      ...(typeof r.createdAt === 'number' ? { createdAt: r.createdAt } : {}),
      ...(typeof r.started === 'string' ? { started: r.started } : {}),
      ...(typeof r.nonce === 'string' ? { nonce: r.nonce } : {}),
    };
  } catch {
    return undefined;
  }
}

function mtimeMs(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The holder `text` names, if it is live by `rules`; undefined when the lock is stale. */
function liveRecord(path: string, text: string, rules: LockRules, now: number): LockRecord | undefined {
  const record = parseRecord(text);
  if (!record) return undefined;
  if (rules.maxAgeMs !== undefined && now - (record.createdAt ?? mtimeMs(path) ?? now) > rules.maxAgeMs) return undefined;
  if (!isProcessAlive(record.pid)) return undefined;
  if (rules.startTime) {
    if (record.started !== undefined) {
      const started = rules.startTime(record.pid);
      if (started !== undefined && started !== record.started) return undefined;
    } else if (rules.legacyHolder && !rules.legacyHolder(record.pid)) return undefined;
  }
  return record;
}

/** Whether the lock whose content is `text` is stale (unreadable content only once older than rules.tornMs). */
function isStale(path: string, text: string, rules: LockRules, now: number): { stale: boolean; holder?: LockHolder } {
  if (rules.heartbeatMs !== undefined && now - (mtimeMs(path) ?? now) > rules.heartbeatMs) return { stale: true };
  const record = liveRecord(path, text, rules, now);
  if (record) return { stale: false, holder: { pid: record.pid, ...(record.createdAt === undefined ? {} : { since: record.createdAt }) } };
  if (parseRecord(text) === undefined && rules.tornMs) return { stale: now - (mtimeMs(path) ?? now) > rules.tornMs };
  return { stale: true };
}

/** The live holder of the lock at `path`, or undefined when it is free or stale. Cheap: a stat, a read, a signal 0. */
export function lockHolder(path: string, rules: LockRules = {}, now = Date.now()): LockHolder | undefined {
  const text = readText(path);
  return text === undefined ? undefined : isStale(path, text, rules, now).holder;
}

/**
 * Removes the lock at `path` if it still holds exactly `seen` (the stale
 * content judged). Renaming first makes the check-and-remove atomic: if a live
 * holder's lock was renamed by mistake, it is linked back.
 */
function takeOver(path: string, seen: string): void {
  const aside = `${path}.stale.${process.pid}.${nonce(4)}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (readText(aside) !== seen) {
    try {
      linkSync(aside, path);
    } catch {
      // Taken meanwhile by another: theirs stands.
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // Gone already.
  }
}

/** Creates `path` holding `content` unless it exists; true when created. Whole or absent: written aside, then linked. */
function createWhole(path: string, content: string): boolean {
  const aside = `${path}.${process.pid}.${nonce(4)}.tmp`;
  writeFileSync(aside, content, { mode: 0o600 });
  try {
    linkSync(aside, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    // A file system without hard links: an exclusive create, written in one call.
    try {
      writeFileSync(path, content, { mode: 0o600, flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  } finally {
    try {
      unlinkSync(aside);
    } catch {
      // Already gone.
    }
  }
}

/** Takes the lock at `path` now, replacing a stale one; else says who holds it (when it can tell). */
export function tryLock(path: string, rules: LockRules = {}): LockAttempt {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const started = rules.startTime?.(process.pid);
  for (let attempt = 0; attempt < 3; attempt++) {
    // Stamped at each attempt: the age others judge staleness by starts when the lock is taken.
    const mine = JSON.stringify({ pid: process.pid, createdAt: Date.now(), ...(started === undefined ? {} : { started }), nonce: nonce(12) } satisfies LockRecord);
    if (createWhole(path, mine)) return { taken: true, lock: heldLock(path, mine) };
    const seen = readText(path);
    if (seen === undefined) continue; // released between the two calls
    const judged = isStale(path, seen, rules, Date.now());
    if (!judged.stale) return { taken: false, ...(judged.holder ? { holder: judged.holder } : {}) };
    takeOver(path, seen);
  }
  return { taken: false };
}

function heldLock(path: string, mine: string): HeldLock {
  return {
    path,
    refresh() {
      const now = new Date();
      try {
        utimesSync(path, now, now);
      } catch {
        // Removed under us: whoever needs the lock next takes it.
      }
    },
    release() {
      if (readText(path) !== mine) return;
      try {
        unlinkSync(path);
      } catch {
        // Already gone.
      }
    },
  };
}

export interface WaitOptions {
  /** Give up waiting after this long (default 10 s). */
  timeoutMs?: number;
  /** A lock older than this is stale even when its pid is alive (a reused pid, another host). Default 60 s. */
  staleMs?: number;
  /** Stops waiting; the error is the signal's reason. */
  signal?: AbortSignal;
}
/** The options withFileLock's callers pass (the manifest's, the model-call counter's). */
export type FileLockOptions = WaitOptions;

/** The lock stayed held by a live holder until the timeout; the message is one line naming the lock. */
export class FileLockError extends Error {
  override name = 'FileLockError';
}

/** An unreadable lock (its holder, an older build, died between creating and writing it) is stale after this long. */
const TORN_LOCK_MS = 5_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `work` while holding the lock at `path` (waiting for it up to the timeout); the lock is removed afterwards. */
export async function withFileLock<T>(path: string, work: () => Promise<T>, options: WaitOptions = {}): Promise<T> {
  const rules: LockRules = { maxAgeMs: options.staleMs ?? 60_000, tornMs: TORN_LOCK_MS };
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let lock: HeldLock;
  for (;;) {
    options.signal?.throwIfAborted();
    const attempt = tryLock(path, rules);
    if (attempt.taken) {
      lock = attempt.lock;
      break;
    }
    if (Date.now() >= deadline) {
      const { holder } = attempt;
      const who = holder ? `process ${holder.pid}${holder.since === undefined ? '' : ` (since ${new Date(holder.since).toISOString()})`}` : 'another process';
      throw new FileLockError(`${path} is held by ${who}; try again, or delete that file if no skillopt pull is running`);
    }
    // Jitter keeps waiting processes from retrying in lockstep.
    await sleep(15 + Math.random() * 35);
  }
  try {
    return await work();
  } finally {
    lock.release();
  }
}
