// The per-session hint: "this session has an open judgment window for skill X,
// in invocation workflow W". It lets UserPromptSubmit decide locally, with one
// failed open() in the common case, whether a prompt is a reaction worth
// sending, and where to. The invocation workflow keeps the authoritative
// window; the hint only mirrors it.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SESSIONS_DIR = 'sessions';
const MAX_SESSION_FILE_CHARS = 200;

export interface SessionHint {
  v: 2;
  /** The raw session id: the file name is sanitized, so it is checked on read. */
  sessionId: string;
  /** `<name>--<author>` of the armed skill. */
  ref: string;
  toolUseId: string;
  /** The invocation workflow's id: reactions, supersession and the session's end are signalled there. */
  workflowId: string;
  /** Reactions still to send for this invocation. */
  remaining: number;
  /** Epoch ms of the arming. */
  armedAt: number;
  /** Epoch ms of the arming or the last reaction: the workflow expires a window idle this long. */
  lastActivityAt: number;
  /** Epoch ms of the session's end; a resume of the same session clears it. */
  endedAt?: number;
  /** The prompt_id of the last reaction sent: a second run of the hook for it sends nothing. */
  lastPromptId?: string;
}

/** Characters outside [A-Za-z0-9_-] become "_", at most 200 (as the seed did). */
export function sessionFileStem(sessionId: string): string {
  return sessionId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, MAX_SESSION_FILE_CHARS);
}

export function hintPath(home: string, sessionId: string): string {
  return join(home, SESSIONS_DIR, `${sessionFileStem(sessionId)}.json`);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** The session's hint, or undefined (none, unreadable, or another session's file after sanitizing). */
export function readHint(home: string, sessionId: string): SessionHint | undefined {
  const path = hintPath(home, sessionId);
  // The common case is no hint: existsSync answers it without building an ENOENT error.
  if (!existsSync(path)) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const h = data as Record<string, unknown>;
  if (h.v !== 2 || h.sessionId !== sessionId || typeof h.ref !== 'string' || typeof h.toolUseId !== 'string' || typeof h.workflowId !== 'string') return undefined;
  if (!isCount(h.remaining) || !isCount(h.armedAt) || !isCount(h.lastActivityAt)) return undefined;
  const hint: SessionHint = { v: 2, sessionId, ref: h.ref, toolUseId: h.toolUseId, workflowId: h.workflowId, remaining: h.remaining, armedAt: h.armedAt, lastActivityAt: h.lastActivityAt };
  if (isCount(h.endedAt)) hint.endedAt = h.endedAt;
  if (typeof h.lastPromptId === 'string') hint.lastPromptId = h.lastPromptId;
  return hint;
}

/** Atomic: a concurrent reader sees the old hint or the new one, never half of one. */
export function writeHint(home: string, hint: SessionHint): void {
  const path = hintPath(home, hint.sessionId);
  mkdirSync(join(home, SESSIONS_DIR), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(hint), { mode: 0o600 });
  renameSync(tmp, path);
}

/**
 * SessionEnd closes the session's window. `claude --resume` continues the same
 * session (same id, same transcript) and `claude -p` ends a session after every
 * prompt, so the hint is kept, marked ended, and reopened by a resume; /clear and
 * logout end a session for good.
 */
export function closeHint(home: string, sessionId: string, reason: string | undefined, now: number): void {
  if (reason === 'clear' || reason === 'logout') return deleteHint(home, sessionId);
  const hint = readHint(home, sessionId);
  if (hint && hint.endedAt === undefined) writeHint(home, { ...hint, endedAt: now });
}

/**
 * SessionStart with source "resume": the session's window is open again, if the
 * resume came within the grace the invocation workflow waits for one after a
 * SessionEnd; later, that workflow has closed the window and the hint goes too.
 */
export function reopenHint(home: string, sessionId: string, now: number, resumeGraceMs: number): void {
  const hint = readHint(home, sessionId);
  if (hint?.endedAt === undefined) return;
  if (now - hint.endedAt >= resumeGraceMs) return deleteHint(home, sessionId);
  const { endedAt: _ended, ...open } = hint;
  writeHint(home, { ...open, lastActivityAt: now });
}

export function deleteHint(home: string, sessionId: string): void {
  try {
    unlinkSync(hintPath(home, sessionId));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Session files other than hints (skills snapshots) live this long: sessions can be resumed days later. */
const SESSION_FILE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Removes hints idle longer than the workflow keeps a window open (sessions
 * that crashed or were never resumed), and week-old skills snapshots.
 * Bounded: looks at `max` files at most.
 */
export function pruneStaleHints(home: string, idleTimeoutMs: number, now = Date.now(), max = 1000): number {
  const dir = join(home, SESSIONS_DIR);
  let names: string[];
  try {
    names = readdirSync(dir).slice(0, max);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const path = join(dir, name);
    try {
      const ttl = name.endsWith('.skills.json') ? SESSION_FILE_TTL_MS : idleTimeoutMs;
      if (now - statSync(path).mtimeMs > ttl) {
        unlinkSync(path);
        removed++;
      }
    } catch {
      // Gone meanwhile.
    }
  }
  return removed;
}
