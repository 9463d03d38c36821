// Opens a transcript for the judge, only inside the agent transcript folders.
// A path comes from a signal, and anyone with access to the namespace can send
// one: a path outside the folders (lexically, or after its symlinks are
// resolved), with a ".." segment, or not a .jsonl file (nor an agent's session
// database, such as OpenCode's opencode.db) is refused before anything is read,
// non-retryable, with its reason. A session database is opened read-only and
// only the invocation's session is read from it.
import { constants } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import Database from 'better-sqlite3';
import type { TranscriptDatabase } from '../core/transcript';
import { TRANSCRIPT_DATABASES } from '../agents/transcripts';
import { FailureTypes, type JudgeInput } from './types';

/** Agent transcripts are JSON lines. */
export const TRANSCRIPT_SUFFIX = '.jsonl';

/** Whether `path` is strictly below `root` (both absolute and normalized). */
function isBelow(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** The path as one printable line, for a reason. */
function shown(path: string): string {
  const line = [...path].map((c) => (c < ' ' || c === '\x7f' ? '?' : c)).join('');
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function refuse(path: string, roots: readonly string[], why: string): never {
  const allowed = roots.length > 0 ? roots.join(', ') : '(no transcript folders configured)';
  throw ApplicationFailure.nonRetryable(
    `not reading ${shown(path)}: ${why}; the judge reads only ${TRANSCRIPT_SUFFIX} files under ${allowed}`,
    FailureTypes.TranscriptOutsideRoots,
  );
}

function missing(path: string, code: string): never {
  throw ApplicationFailure.nonRetryable(`transcript not readable (${code}): ${shown(path)}`, FailureTypes.TranscriptMissing);
}

const errno = (err: unknown): string => String((err as NodeJS.ErrnoException).code ?? '');

/**
 * The transcript at `path`, opened for reading, when it is a regular *.jsonl
 * file whose real path is inside the real path of one of `roots`. Throws a
 * non-retryable TranscriptOutsideRoots failure otherwise (nothing outside the
 * roots is even looked at), and TranscriptMissing when it is not there. A file
 * one of `databases` names is accepted too (see readTranscriptWindow).
 */
export async function openTranscript(path: string, roots: readonly string[], databases: readonly TranscriptDatabase[] = []): Promise<FileHandle> {
  // What a file is by its name: a JSONL transcript, a session database, or neither (refused); a link must lead to the same kind.
  const kind = (file: string) => (file.endsWith(TRANSCRIPT_SUFFIX) ? 'jsonl' : databases.some((db) => db.isDatabase(basename(file))) ? 'database' : undefined);
  if (typeof path !== 'string' || path === '' || path.includes('\0')) refuse(String(path), roots, 'not a file path');
  if (!isAbsolute(path)) refuse(path, roots, 'not an absolute path');
  if (path.split(/[\\/]/).includes('..')) refuse(path, roots, 'the path has a ".." segment');
  const given = resolve(path);
  const stated = roots.map((root) => resolve(root));
  const real = (await Promise.all(stated.map((root) => realpath(root).catch(() => undefined)))).filter((root): root is string => root !== undefined);
  // Lexically first: a path outside every root (as configured or as resolved) is refused without a stat.
  if (![...stated, ...real].some((root) => isBelow(root, given))) refuse(path, roots, 'outside the agent transcript folders');
  if (!kind(given)) refuse(path, roots, `not a ${TRANSCRIPT_SUFFIX} file`);
  let target: string;
  try {
    target = await realpath(given);
  } catch (err) {
    if (['ENOENT', 'ENOTDIR', 'EACCES'].includes(errno(err))) missing(path, errno(err));
    throw err;
  }
  if (!real.some((root) => isBelow(root, target))) refuse(path, roots, 'it is a link to a file outside the agent transcript folders');
  if (kind(target) !== kind(given)) refuse(path, roots, `it is a link to a file that is not a ${TRANSCRIPT_SUFFIX} file`);
  let file: FileHandle;
  try {
    // The resolved path, never following a link swapped in since; non-blocking so a FIFO cannot stall the worker.
    file = await open(target, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = errno(err);
    if (code === 'ELOOP') refuse(path, roots, 'it became a link while being opened');
    if (['ENOENT', 'EACCES', 'EISDIR', 'ENXIO'].includes(code)) missing(path, code);
    throw err;
  }
  const stats = await file.stat().catch(async (err: unknown) => {
    await file.close();
    throw err;
  });
  if (!stats.isFile()) {
    await file.close();
    if (stats.isDirectory()) missing(path, 'EISDIR');
    refuse(path, roots, 'not a regular file');
  }
  return file;
}

/** How far before the invocation's recorded byte length the judge reads, for the turns before it. */
const TRANSCRIPT_LOOKBACK_BYTES = 256 * 1024;
/** The most transcript one judgment reads. */
const MAX_TRANSCRIPT_READ_BYTES = 8 * 1024 * 1024;

/**
 * The transcript bytes the judge sees: they end at the length recorded with the
 * reaction, so a retry an hour later judges exactly the same text. They start a
 * little before the invocation (when it was recorded in the same file), which
 * bounds the read for long sessions.
 */
export async function readTranscriptWindow(input: JudgeInput, roots: readonly string[], databases: readonly TranscriptDatabase[] = TRANSCRIPT_DATABASES): Promise<string> {
  const path = input.reaction.transcriptPath || input.invocation.transcriptPath;
  // Only inside the agent transcript folders: a signal must not make the worker read arbitrary files.
  const file = await openTranscript(path, roots, databases);
  const database = databases.find((db) => db.isDatabase(basename(path)));
  if (database) {
    try {
      return await readSessionRows(file, database, input, roots);
    } finally {
      await file.close();
    }
  }
  try {
    const size = (await file.stat()).size;
    const end = Math.min(input.reaction.transcriptBytes, size);
    const sameFile = input.invocation.transcriptPath === path;
    let start = sameFile ? Math.max(0, input.invocation.transcriptBytes - TRANSCRIPT_LOOKBACK_BYTES) : 0;
    start = Math.max(start, end - MAX_TRANSCRIPT_READ_BYTES);
    if (start >= end) return '';
    const buffer = Buffer.alloc(end - start);
    await file.read(buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8');
    // A read from the middle starts inside a line: drop that partial line.
    return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
  } finally {
    await file.close();
  }
}

/**
 * The invocation's session from a session database (OpenCode's opencode.db),
 * as the JSON lines its transcript format reads: the rows written before the
 * position recorded with the reaction (the same text on every retry), the last
 * MAX_TRANSCRIPT_READ_BYTES of them. The database is opened read-only by its
 * real path (SQLite finds its -wal beside it), refused when that is no longer
 * the file already checked, and the session id is a bound parameter.
 */
async function readSessionRows(file: FileHandle, database: TranscriptDatabase, input: JudgeInput, roots: readonly string[]): Promise<string> {
  const path = input.reaction.transcriptPath || input.invocation.transcriptPath;
  const checked = await file.stat();
  const target = await realpath(path);
  let db: Database.Database;
  try {
    db = new Database(target, { readonly: true, fileMustExist: true });
  } catch (err) {
    missing(path, (err as { code?: string }).code ?? 'SQLITE_CANTOPEN');
  }
  try {
    const opened = await stat(target);
    if (opened.ino !== checked.ino || opened.dev !== checked.dev) refuse(path, roots, 'it changed while being opened');
    let text: string;
    try {
      text = database.sessionText((sql, ...params) => db.prepare(sql).all(...params) as Record<string, unknown>[], input.invocation.sessionId, input.reaction.transcriptBytes);
    } catch (err) {
      // Not a database, or not one of this schema: no retry reads it. A busy or locked one is retried.
      const code = (err as { code?: string }).code ?? '';
      if (['SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_ERROR'].includes(code)) missing(path, code);
      throw err;
    }
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length <= MAX_TRANSCRIPT_READ_BYTES) return text;
    const tail = bytes.subarray(bytes.length - MAX_TRANSCRIPT_READ_BYTES).toString('utf8');
    return tail.slice(tail.indexOf('\n') + 1);
  } finally {
    db.close();
  }
}
