// Where the hooks' outbox lives and how to read its state, without writing:
// <SKILLOPT_HOME>/outbox/ holds one JSON file per spooled event, failed/ the
// events the server refused, `stalled` when the last flusher gave up, and
// flusher.pid while a flusher runs. The hooks (hooks/outbox.ts writes and
// delivers) and `skillopt doctor` (reads) share this layout. Only Node
// built-ins: the hooks load it on every event.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from './process';

export const OUTBOX_DIR = 'outbox';
/** Events the server refused as invalid are moved here, never retried. */
export const DEAD_LETTER_DIR = 'failed';
export const FLUSHER_LOCK_FILE = 'flusher.pid';
/** The flusher touches its lock this often… */
export const FLUSHER_HEARTBEAT_MS = 2_000;
/** …so a lock not touched for this long belongs to a dead (or frozen) flusher, even if its pid was reused. */
export const FLUSHER_STALE_MS = 15_000;
/**
 * Left by a flusher that gave up with events still spooled (Temporal down too
 * long); removed by the next flusher.
 */
export const STALLED_MARKER = 'stalled';

export const EVENT_FILE = /^\d{16}-\d+-[0-9a-z]+\.json$/;

export function outboxDir(home: string): string {
  return join(home, OUTBOX_DIR);
}

function eventFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => EVENT_FILE.test(n)).sort();
}

/** Event files in creation order (temp files and anything else are ignored). */
export function listOutbox(home: string): string[] {
  return eventFiles(outboxDir(home));
}

/** Event files moved to outbox/failed/ (refused by the server, or unreadable). */
export function listDeadLettered(home: string): string[] {
  return eventFiles(join(outboxDir(home), DEAD_LETTER_DIR));
}

export function outboxStalled(home: string): boolean {
  return existsSync(join(outboxDir(home), STALLED_MARKER));
}

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
