// The outbox: a durable spool of signals for the invocation workflows,
// <SKILLOPT_HOME>/outbox/, one JSON file per event; failed/ holds the events
// the server refused, `stalled` is left when the last flusher gave up. A hook
// only writes files here (temp + rename, so a file is whole or absent) and
// makes sure a flusher runs; the flusher (worker/flusher.ts) delivers them and
// deletes each one after the server acknowledged it; `skillopt doctor` reads
// the same layout.
//
// Names sort in creation order: microseconds since the epoch, then pid and a
// random suffix. Only Node built-ins: the hooks load this on every event.
import { existsSync, mkdirSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OutboxEvent } from './event';

export const OUTBOX_DIR = 'outbox';
/** Events the server refused as invalid are moved here, never retried. */
export const DEAD_LETTER_DIR = 'failed';
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

// The stalled marker lets every prompt check, with one existsSync (a readdir
// would cost the no-window path ~0.1 ms), whether a flusher should be started again.
export function outboxStalled(home: string): boolean {
  return existsSync(join(outboxDir(home), STALLED_MARKER));
}

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
