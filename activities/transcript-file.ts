// Opens a transcript for the judge, only inside the agent transcript folders.
// A path comes from a signal, and anyone with access to the namespace can send
// one: a path outside the folders (lexically, or after its symlinks are
// resolved), with a ".." segment, or not a .jsonl file is refused before
// anything is read, non-retryable, with its reason.
import { constants } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
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
 * roots is even looked at), and TranscriptMissing when it is not there.
 */
export async function openTranscript(path: string, roots: readonly string[]): Promise<FileHandle> {
  if (typeof path !== 'string' || path === '' || path.includes('\0')) refuse(String(path), roots, 'not a file path');
  if (!isAbsolute(path)) refuse(path, roots, 'not an absolute path');
  if (path.split(/[\\/]/).includes('..')) refuse(path, roots, 'the path has a ".." segment');
  const given = resolve(path);
  const stated = roots.map((root) => resolve(root));
  const real = (await Promise.all(stated.map((root) => realpath(root).catch(() => undefined)))).filter((root): root is string => root !== undefined);
  // Lexically first: a path outside every root (as configured or as resolved) is refused without a stat.
  if (![...stated, ...real].some((root) => isBelow(root, given))) refuse(path, roots, 'outside the agent transcript folders');
  if (!given.endsWith(TRANSCRIPT_SUFFIX)) refuse(path, roots, `not a ${TRANSCRIPT_SUFFIX} file`);
  let target: string;
  try {
    target = await realpath(given);
  } catch (err) {
    if (['ENOENT', 'ENOTDIR', 'EACCES'].includes(errno(err))) missing(path, errno(err));
    throw err;
  }
  if (!real.some((root) => isBelow(root, target))) refuse(path, roots, 'it is a link to a file outside the agent transcript folders');
  if (!target.endsWith(TRANSCRIPT_SUFFIX)) refuse(path, roots, `it is a link to a file that is not a ${TRANSCRIPT_SUFFIX} file`);
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
export async function readTranscriptWindow(input: JudgeInput, roots: readonly string[]): Promise<string> {
  const path = input.reaction.transcriptPath || input.invocation.transcriptPath;
  // Only inside the agent transcript folders: a signal must not make the worker read arbitrary files.
  const file = await openTranscript(path, roots);
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
