// The outbox: a durable spool of signals for the skill workflows,
// <SKILLOPT_HOME>/outbox/, one JSON file per event. A hook only writes files
// here (temp + rename, so a file is whole or absent) and makes sure a flusher
// process is running; the flusher (hooks/flusher.ts) delivers them with
// signalWithStart and deletes each one after the server acknowledged it.
//
// Names sort in creation order: microseconds since the epoch, then pid and a
// random suffix. Only Node built-ins here: this module is on the hooks' path.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { SkillRef } from '../core/skill-ref';
import { tryParseSkillRef, workflowIdForSkill } from '../core/skill-ref';
import type { InvokedSignal, ReactionSignal } from '../workflows/definitions';
import { spawnDetachedNode } from './spawn';
import { isProcessAlive } from '../local/process';

export const OUTBOX_DIR = 'outbox';
/** Events the server refused as invalid are moved here, never retried. */
export const DEAD_LETTER_DIR = 'failed';
export const FLUSHER_LOCK_FILE = 'flusher.pid';
/** The flusher touches its lock this often… */
export const FLUSHER_HEARTBEAT_MS = 2_000;
/** …so a lock not touched for this long belongs to a dead (or frozen) flusher, even if its pid was reused. */
export const FLUSHER_STALE_MS = 15_000;

const EVENT_FILE = /^\d{16}-\d+-[0-9a-z]+\.json$/;

/** The workflow's signal names (definitions.ts `invokedSignal`/`reactionSignal`; a test keeps them equal). */
export type OutboxSignalName = 'invoked' | 'reaction';

export interface OutboxWorkflowConfig {
  judgeWindow: number;
  idleTimeoutMs?: number;
}

export type OutboxEvent = {
  v: 1;
  createdAt: string;
  ref: SkillRef;
  /** For people reading the spool; the flusher derives the id from `ref`. */
  workflowId: string;
  /** Used when the signal starts the workflow. */
  config: OutboxWorkflowConfig;
} & ({ signal: 'invoked'; payload: InvokedSignal } | { signal: 'reaction'; payload: ReactionSignal });

export function outboxDir(home: string): string {
  return join(home, OUTBOX_DIR);
}

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

/** Event files in creation order (temp files and anything else are ignored). */
export function listOutbox(home: string): string[] {
  let names: string[];
  try {
    names = readdirSync(outboxDir(home));
  } catch {
    return [];
  }
  return names.filter((n) => EVENT_FILE.test(n)).sort();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Left by a flusher that gave up with events still spooled (Temporal down too
 * long); removed by the next flusher. It lets every prompt check, with one
 * existsSync (a readdir would cost the no-window path ~0.1 ms), whether a
 * flusher should be started again.
 */
const STALLED_MARKER = 'stalled';

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

export function outboxStalled(home: string): boolean {
  return existsSync(join(outboxDir(home), STALLED_MARKER));
}

/** Checks a spooled event's shape; a reason string when it cannot be delivered. */
export function validateOutboxEvent(data: unknown): OutboxEvent | string {
  if (!isRecord(data) || data.v !== 1) return 'not an outbox event (v1)';
  const { ref, signal, payload, config } = data;
  if (!isRecord(ref) || typeof ref.name !== 'string' || typeof ref.author !== 'string') return 'no skill ref';
  const parsed = tryParseSkillRef(`${ref.name}--${ref.author}`);
  if (!parsed || parsed.name !== ref.name || parsed.author !== ref.author) return `invalid skill ref ${ref.name}--${ref.author}`;
  if (signal !== 'invoked' && signal !== 'reaction') return `unknown signal ${String(signal)}`;
  if (!isRecord(payload) || typeof payload.eventId !== 'string' || payload.eventId === '' || typeof payload.sessionId !== 'string') {
    return 'payload without eventId/sessionId';
  }
  if (!isRecord(config) || typeof config.judgeWindow !== 'number' || !(config.judgeWindow >= 1)) return 'invalid workflow config';
  const idle = config.idleTimeoutMs;
  if (idle !== undefined && (typeof idle !== 'number' || !(idle > 0))) return 'invalid idle timeout';
  return {
    v: 1,
    createdAt: typeof data.createdAt === 'string' ? data.createdAt : '',
    ref: parsed,
    workflowId: workflowIdForSkill(parsed),
    config: { judgeWindow: config.judgeWindow, ...(idle === undefined ? {} : { idleTimeoutMs: idle }) },
    signal,
    payload: payload as never,
  };
}

export type ReadOutboxResult = { ok: true; event: OutboxEvent } | { ok: false; reason: string; gone?: boolean };

export function readOutboxEvent(home: string, name: string): ReadOutboxResult {
  let text: string;
  try {
    text = readFileSync(join(outboxDir(home), name), 'utf8');
  } catch (err) {
    // Delivered and deleted by another flusher in the meantime.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, reason: 'gone', gone: true };
    return { ok: false, reason: (err as Error).message };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const checked = validateOutboxEvent(data);
  return typeof checked === 'string' ? { ok: false, reason: checked } : { ok: true, event: checked };
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

/**
 * Starts a detached flusher unless one is running. It outlives the hook (own
 * session, no stdio: Claude Code does not wait for it).
 */
export async function ensureFlusher(home: string, flusherPath: string, onError: (err: unknown) => void): Promise<boolean> {
  if (liveFlusherPid(home) !== undefined) return false;
  return spawnDetachedNode([flusherPath], home, onError);
}
