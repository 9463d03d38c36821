// Judgments this machine still owes (teammate mode), outbox/judgments-pending.json.
// A reaction delivered for an invocation judged on this machine's own queue is
// written here by the flusher, and removed when its judgment ran in this
// machine's worker (or its invocation has closed). While an entry is left (the
// flusher was killed, the laptop slept), every hook run, even a prompt with no
// window open, starts a flusher, whose worker then serves the waiting judgment.
// Only Node built-ins: the hooks check it on every prompt.
import { existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { outboxDir } from './files';

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
