// The one lock protocol (local/process-lock.ts), on real files and real
// processes: a lock is whole when it exists, names its holder, is replaced when
// stale by the rule its users chose, and is removed only by its holder.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockHolder, tryLock, withFileLock } from '../../local/process-lock';
import { outboxDir } from '../../local/outbox/files';
import { FLUSHER_STALE_MS, flusherLockPath, liveFlusherPid, releaseFlusherLock, takeFlusherLock, touchFlusherLock } from '../../local/outbox/flusher-lock';

let dir: string;
let lock: string;
const children: ChildProcess[] = [];

/** A real, unrelated, live process. */
function idleProcess(): number {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  children.push(child);
  return child.pid!;
}

function age(path: string, ms: number): void {
  const then = new Date(Date.now() - ms);
  utimesSync(path, then, then);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skillopt-lock-'));
  lock = join(dir, 'sub', 'x.lock');
});
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('tryLock', () => {
  it('takes a free lock (making its folder), names the holder, and a second taker sees that holder', () => {
    const first = tryLock(lock);
    if (!first.taken) throw new Error('expected the lock');
    const record = JSON.parse(readFileSync(lock, 'utf8')) as { pid: number; createdAt: number; nonce: string };
    expect(record).toMatchObject({ pid: process.pid, createdAt: expect.any(Number), nonce: expect.any(String) });
    expect(tryLock(lock)).toEqual({ taken: false, holder: { pid: process.pid, since: record.createdAt } });
    expect(lockHolder(lock)).toEqual({ pid: process.pid, since: record.createdAt });
    first.lock.release();
    expect(lockHolder(lock)).toBeUndefined();
  });

  it('replaces a lock whose holder is gone, and one of an older build (a bare pid) whose process is gone', () => {
    writeFileSync(join(dir, 'dead.lock'), JSON.stringify({ pid: 2 ** 30, createdAt: Date.now(), nonce: 'x' }));
    expect(tryLock(join(dir, 'dead.lock')).taken).toBe(true);
    writeFileSync(join(dir, 'bare.lock'), String(2 ** 30));
    expect(tryLock(join(dir, 'bare.lock')).taken).toBe(true);
  });

  it('heartbeat: a lock untouched for longer than heartbeatMs is stale even when its pid is alive; a touched one is not', () => {
    const rules = { heartbeatMs: 1_000 };
    writeFileSync(join(dir, 'hb.lock'), String(idleProcess()));
    expect(tryLock(join(dir, 'hb.lock'), rules).taken).toBe(false);
    age(join(dir, 'hb.lock'), 2_000);
    const taken = tryLock(join(dir, 'hb.lock'), rules);
    if (!taken.taken) throw new Error('expected the stale lock');
    age(join(dir, 'hb.lock'), 2_000);
    taken.lock.refresh();
    expect(tryLock(join(dir, 'hb.lock'), rules)).toMatchObject({ taken: false, holder: { pid: process.pid } });
  });

  it('start time: a live pid whose start time differs from the recorded one is another process', () => {
    const pid = idleProcess();
    const rules = { startTime: (p: number) => (p === pid ? 'now' : `start of ${p}`) };
    writeFileSync(join(dir, 'st.lock'), JSON.stringify({ pid, started: 'before' }));
    expect(tryLock(join(dir, 'st.lock'), rules).taken).toBe(true);
    writeFileSync(join(dir, 'st2.lock'), JSON.stringify({ pid, started: 'now' }));
    expect(tryLock(join(dir, 'st2.lock'), rules)).toEqual({ taken: false, holder: { pid } });
  });

  it('release removes only the lock it took: after a takeover, the new holder keeps it', () => {
    const mine = tryLock(lock);
    if (!mine.taken) throw new Error('expected the lock');
    writeFileSync(lock, JSON.stringify({ pid: 1, createdAt: Date.now(), nonce: 'theirs' }));
    mine.lock.release();
    expect(lockHolder(lock)?.pid).toBe(1);
  });
});

describe('withFileLock', () => {
  it('runs one holder at a time in a process, and removes the lock after', async () => {
    const order: string[] = [];
    const hold = (name: string) =>
      withFileLock(lock, async () => {
        order.push(`${name} in`);
        await new Promise((r) => setTimeout(r, 30));
        order.push(`${name} out`);
      });
    await Promise.all([hold('a'), hold('b')]);
    expect(order).toEqual(['a in', 'a out', 'b in', 'b out']);
    expect(lockHolder(lock)).toBeUndefined();
  });
});

describe("the flusher's lock", () => {
  it('is held with a heartbeat: live while touched, stale once untouched for 15 s, released only by its holder', () => {
    const home = dir;
    expect(takeFlusherLock(home)).toBe(true);
    expect(liveFlusherPid(home)).toBe(process.pid);
    expect(takeFlusherLock(home)).toBe(false);
    age(flusherLockPath(home), FLUSHER_STALE_MS + 1_000);
    expect(liveFlusherPid(home)).toBeUndefined();
    touchFlusherLock(home);
    expect(liveFlusherPid(home)).toBe(process.pid);
    releaseFlusherLock(home);
    expect(liveFlusherPid(home)).toBeUndefined();
  });

  it("reads an older build's lock (the bare pid)", () => {
    const pid = idleProcess();
    mkdirSync(outboxDir(dir));
    writeFileSync(flusherLockPath(dir), String(pid));
    expect(liveFlusherPid(dir)).toBe(pid);
    expect(takeFlusherLock(dir)).toBe(false);
  });
});
