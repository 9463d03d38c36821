// An exclusive lock between processes: a file created with O_EXCL ('wx') that
// holds its owner's pid, start time and a nonce. Used around the manifest's
// read-modify-write, so concurrent pulls (one per starting session) never lose
// each other's entries.
//
// Hand-written rather than a library (proper-lockfile): the lock is held for a
// few file writes, so pid liveness plus an age limit is enough to detect a dead
// owner, and the SessionStart bundle stays free of three more packages.
import { randomBytes } from 'node:crypto';
import { link, mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isErrno, readTextIfExists } from './fs';
import { isProcessAlive } from './process';

export interface FileLockOptions {
  /** Give up waiting after this long (default 10 s). */
  timeoutMs?: number;
  /** A lock older than this is stale even when its pid is alive (a reused pid, another host). Default 60 s. */
  staleMs?: number;
  /** Stops waiting; the error is the signal's reason. */
  signal?: AbortSignal;
}

interface LockOwner {
  pid: number;
  createdAt: number;
  nonce: string;
}

/** An unreadable lock (its owner died between creating and writing it) is stale after this long. */
const TORN_LOCK_MS = 5_000;

/** The lock stayed held by a live owner until the timeout; the message is one line naming the lock. */
export class FileLockError extends Error {
  override name = 'FileLockError';
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid === 'number' && typeof o.createdAt === 'number' && typeof o.nonce === 'string') return { pid: o.pid, createdAt: o.createdAt, nonce: o.nonce };
  } catch {
    // Torn or foreign content: judged by the file's age alone.
  }
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Removes the lock at `path` if it still holds exactly `seen` (the stale
 * content we judged). Renaming first makes the check-and-remove atomic: if a
 * live owner's lock was renamed by mistake, it is linked back.
 */
async function takeOver(path: string, seen: string): Promise<void> {
  const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  const moved = await readTextIfExists(aside);
  if (moved !== seen) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

/** Runs `work` while holding the lock file at `path`; the file is removed afterwards. */
export async function withFileLock<T>(path: string, work: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 60_000;
  const nonce = randomBytes(8).toString('hex');
  let mine = '';
  const deadline = Date.now() + timeoutMs;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });

  for (;;) {
    options.signal?.throwIfAborted();
    // Stamped at each attempt: the age others judge staleness by starts when the lock is taken.
    mine = JSON.stringify({ pid: process.pid, createdAt: Date.now(), nonce } satisfies LockOwner);
    try {
      await writeFile(path, mine, { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
    }
    const seen = await readTextIfExists(path);
    if (seen === undefined) continue; // released between our attempts
    const held = parseOwner(seen);
    // Unparseable content may be a lock being written this instant: judged by the file's age.
    const stale = held
      ? !isProcessAlive(held.pid) || Date.now() - held.createdAt > staleMs
      : Date.now() - ((await stat(path).catch(() => undefined))?.mtimeMs ?? Date.now()) > TORN_LOCK_MS;
    if (stale) {
      await takeOver(path, seen);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = held ? `process ${held.pid} (since ${new Date(held.createdAt).toISOString()})` : 'another process';
      throw new FileLockError(`${path} is held by ${who}; try again, or delete that file if no skillopt pull is running`);
    }
    // Jitter keeps waiting processes from retrying in lockstep.
    await sleep(15 + Math.random() * 35);
  }

  try {
    return await work();
  } finally {
    // Only our own lock is removed: after a (wrong) takeover it may be someone else's.
    if ((await readTextIfExists(path).catch(() => undefined)) === mine) await unlink(path).catch(() => undefined);
  }
}
