// Reads the hook's JSON payload from stdin, in bounded time and size. Claude
// Code writes one line, `{...}\n`, and closes the pipe; anything else (a
// terminal, a pipe never closed, a huge or broken payload) must not stall the
// agent. Reading stops at EOF or as soon as a complete JSON line is in.
//
// How depends on what stdin is, for speed: every millisecond here is paid on
// every prompt, and node:net (process.stdin) alone costs ~3 ms of start-up.
// - A FIFO (a shell pipe) is reopened non-blocking through /proc/self/fd/0 or
//   /dev/fd/0 and read synchronously, waiting 1 ms on EAGAIN.
// - A file or /dev/null cannot block: read synchronously.
// - A socket (Node-style stdio) cannot be reopened: fs.read on the thread pool.
//   A read still blocked there keeps the process from exiting, which only
//   happens if the sender neither finishes a line nor closes the pipe; then
//   `readStillPending()` is true and the hook ends with SIGKILL (see hook-entry.ts).
import { closeSync, constants, fstatSync, openSync, read, readSync } from 'node:fs';

export const STDIN_TIMEOUT_MS = 2_000;
/** Far above any real payload (the prompt is the only large field). */
export const MAX_STDIN_BYTES = 64 * 1024 * 1024;

export interface StdinPayload {
  text: string;
  /** The parsed JSON when the text is one complete JSON value, else undefined. */
  json: unknown;
  /** False when the timeout or the size cap cut the read short. */
  complete: boolean;
}

let pendingThreadPoolRead = false;

/** True when a blocked fs.read on stdin would keep process.exit from returning. */
export function readStillPending(): boolean {
  return pendingThreadPoolRead;
}

class Collected {
  readonly chunks: Buffer[] = [];
  total = 0;
  json: unknown = undefined;

  /** Adds a chunk; true when what has been read is a complete JSON line. */
  push(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.total += chunk.length;
    // Compact JSON has no raw newline: a chunk ending in one may end the payload.
    if (chunk[chunk.length - 1] !== 0x0a) return false;
    try {
      this.json = JSON.parse(this.text());
      return true;
    } catch {
      return false;
    }
  }

  text(): string {
    return Buffer.concat(this.chunks, this.total).toString('utf8');
  }

  result(complete: boolean): StdinPayload {
    const text = this.text();
    if (this.json === undefined && complete) {
      try {
        this.json = JSON.parse(text);
      } catch {
        // Not JSON: the caller decides what that means.
      }
    }
    return { text, json: this.json, complete };
  }
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Synchronous reads of an fd that never blocks; on EAGAIN waits a millisecond, until the deadline. */
async function readNonBlocking(fd: number, deadline: number, maxBytes: number): Promise<StdinPayload> {
  const got = new Collected();
  let buffer = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (err) {
      if (errorCode(err) !== 'EAGAIN') return got.result(got.total > 0);
      if (Date.now() >= deadline) return got.result(false);
      await new Promise((resolve) => setTimeout(resolve, 1));
      continue;
    }
    if (n === 0) return got.result(true);
    if (got.push(Buffer.from(buffer.subarray(0, n)))) return got.result(true);
    if (got.total >= maxBytes) return got.result(false);
    if (n === buffer.length && buffer.length < 8 * 1024 * 1024) buffer = Buffer.allocUnsafe(buffer.length * 4);
  }
}

function readOnThreadPool(deadline: number, maxBytes: number): Promise<StdinPayload> {
  return new Promise((resolve) => {
    const got = new Collected();
    let settled = false;
    const finish = (complete: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(got.result(complete));
    };
    const timer = setTimeout(() => finish(false), Math.max(0, deadline - Date.now()));
    let buffer = Buffer.allocUnsafe(64 * 1024);
    const next = (): void => {
      pendingThreadPoolRead = true;
      read(0, buffer, 0, buffer.length, null, (err, n) => {
        pendingThreadPoolRead = false;
        if (settled) return;
        if (err) return finish(got.total > 0);
        if (n === 0) return finish(true);
        if (got.push(Buffer.from(buffer.subarray(0, n)))) return finish(true);
        if (got.total >= maxBytes) return finish(false);
        if (n === buffer.length && buffer.length < 8 * 1024 * 1024) buffer = Buffer.allocUnsafe(buffer.length * 4);
        next();
      });
    };
    next();
  });
}

function openNonBlocking(): number | undefined {
  for (const path of ['/proc/self/fd/0', '/dev/fd/0']) {
    try {
      return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch {
      // Not on this system: next.
    }
  }
  return undefined;
}

export async function readStdin(timeoutMs = STDIN_TIMEOUT_MS, maxBytes = MAX_STDIN_BYTES): Promise<StdinPayload> {
  const deadline = Date.now() + timeoutMs;
  let stat;
  try {
    stat = fstatSync(0);
  } catch {
    return { text: '', json: undefined, complete: true }; // No stdin at all.
  }
  if (stat.isFIFO()) {
    const fd = openNonBlocking();
    if (fd !== undefined) {
      try {
        return await readNonBlocking(fd, deadline, maxBytes);
      } finally {
        closeSync(fd);
      }
    }
  } else if (stat.isFile()) {
    return readNonBlocking(0, deadline, maxBytes);
  } else if (stat.isCharacterDevice()) {
    // /dev/null reads as empty at once; a terminal is nobody's payload.
    const { isatty } = await import('node:tty');
    return isatty(0) ? { text: '', json: undefined, complete: true } : readNonBlocking(0, deadline, maxBytes);
  }
  return readOnThreadPool(deadline, maxBytes);
}
