// The outbox: a durable spool of signals for the invocation workflows,
// <SKILLOPT_HOME>/outbox/, one JSON file per event. A hook only writes files
// here (temp + rename, so a file is whole or absent) and makes sure a flusher
// process is running; the flusher (hooks/flusher.ts) delivers them with
// signalWithStart and deletes each one after the server acknowledged it.
//
// Names sort in creation order: microseconds since the epoch, then pid and a
// random suffix. Only Node built-ins here: this module is on the hooks' path.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { InvokedSignal, ReactionSignal, SessionEndedSignal, SupersededSignal } from '../core/messages';
import type { SkillRef } from '../core/skill-ref';
import { spawnDetachedNode } from './spawn';
import { DEAD_LETTER_DIR, STALLED_MARKER, flusherLockPath, liveFlusherPid, outboxDir } from '../local/outbox-files';

// The layout and its read-only side live in local/ (`skillopt doctor` reads them too).
export {
  DEAD_LETTER_DIR,
  FLUSHER_HEARTBEAT_MS,
  FLUSHER_LOCK_FILE,
  FLUSHER_STALE_MS,
  OUTBOX_DIR,
  flusherLockPath,
  listDeadLettered,
  listOutbox,
  liveFlusherPid,
  outboxDir,
  outboxStalled,
} from '../local/outbox-files';

export interface OutboxWorkflowConfig {
  judgeWindow: number;
  idleTimeoutMs?: number;
  /** SKILLOPT_OFFLINE_JUDGE_HOURS: how long a judgment waits for this machine's worker. */
  routedScheduleToStartMs?: number;
}

/**
 * One spooled signal for an invocation workflow. `invoked` starts the workflow
 * (signal-with-start, with `config`); the others only signal it, and are
 * dropped once it has closed.
 */
export type OutboxEvent = {
  v: 2;
  createdAt: string;
  ref: SkillRef;
  /** The invocation workflow: "invocation:<ref>:<session id>:<tool_use id>". */
  workflowId: string;
} & (
  | { signal: 'invoked'; payload: InvokedSignal; config: OutboxWorkflowConfig }
  | { signal: 'reaction'; payload: ReactionSignal }
  | { signal: 'superseded'; payload: SupersededSignal }
  | { signal: 'sessionEnded'; payload: SessionEndedSignal }
);

let filesThisMs = 0;
let lastMs = 0;

/**
 * `<16 digits>-<pid>-<random>.json`: the digits are wall-clock ms × 1000 plus
 * a counter within this process, so names sort in creation order (two hooks
 * of one session never run in the same millisecond). `performance` is not
 * used: loading it costs more than the whole write.
 */
function eventFileName(): string {
  const ms = Date.now();
  filesThisMs = ms === lastMs ? filesThisMs + 1 : 0;
  lastMs = ms;
  const key = ms * 1000 + Math.min(filesThisMs, 999);
  return `${String(key).padStart(16, '0')}-${process.pid}-${Math.random().toString(36).slice(2, 8) || '0'}.json`;
}

/** Spools one event; returns its file. Throws only when the disk refuses the write. */
export function writeOutboxEvent(home: string, event: OutboxEvent): string {
  const dir = outboxDir(home);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const name = eventFileName();
  const tmp = join(dir, `.${name}.tmp`);
  const path = join(dir, name);
  writeFileSync(tmp, JSON.stringify(event), { mode: 0o600 });
  renameSync(tmp, path);
  return path;
}

// The stalled marker lets every prompt check, with one existsSync (a readdir
// would cost the no-window path ~0.1 ms), whether a flusher should be started again.
export function markOutboxStalled(home: string): void {
  try {
    writeFileSync(join(outboxDir(home), STALLED_MARKER), '', { mode: 0o600 });
  } catch {
    // Then SessionStart or the next arming restarts delivery.
  }
}

export function clearOutboxStalled(home: string): void {
  try {
    unlinkSync(join(outboxDir(home), STALLED_MARKER));
  } catch {
    // Not there.
  }
}

export function removeOutboxEvent(home: string, name: string): void {
  try {
    unlinkSync(join(outboxDir(home), name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Moves an undeliverable event out of the way, kept for a person to look at. */
export function deadLetterOutboxEvent(home: string, name: string): void {
  const dir = join(outboxDir(home), DEAD_LETTER_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    renameSync(join(outboxDir(home), name), join(dir, name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

// ---- the flusher's pid lock ----

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

/**
 * Starts a detached flusher unless one is running. It outlives the hook (own
 * session, no stdio: Claude Code does not wait for it).
 */
export async function ensureFlusher(home: string, flusherPath: string, onError: (err: unknown) => void): Promise<boolean> {
  if (liveFlusherPid(home) !== undefined) return false;
  return spawnDetachedNode([flusherPath], home, onError);
}

// ---- judgments this machine still owes (teammate mode) ----
//
// A reaction delivered for an invocation judged on this machine's own queue is
// written here by the flusher, and removed when its judgment ran in this
// machine's worker (or its invocation has closed). While an entry is left (the
// flusher was killed, the laptop slept), every hook run, even a prompt with no
// window open, starts a flusher, whose worker then serves the waiting judgment.

export const PENDING_JUDGMENTS_FILE = 'judgments-pending.json';

export interface PendingJudgment {
  workflowId: string;
  /** When the reaction was delivered (ms since the epoch). */
  at: number;
}

function pendingPath(home: string): string {
  return join(outboxDir(home), PENDING_JUDGMENTS_FILE);
}

/** One existsSync: cheap enough for every prompt. */
export function judgmentsPending(home: string): boolean {
  return existsSync(pendingPath(home));
}

export function readPendingJudgments(home: string): Record<string, PendingJudgment> {
  try {
    const data = JSON.parse(readFileSync(pendingPath(home), 'utf8')) as unknown;
    return data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, PendingJudgment>) : {};
  } catch {
    return {};
  }
}

/** Replaces the set (only the flusher holding the lock writes it); an empty set removes the file. */
export function writePendingJudgments(home: string, pending: Record<string, PendingJudgment>): void {
  const path = pendingPath(home);
  try {
    if (Object.keys(pending).length === 0) {
      unlinkSync(path);
      return;
    }
    mkdirSync(outboxDir(home), { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(pending), { mode: 0o600 });
    renameSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
