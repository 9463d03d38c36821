// Where the judgment of a reaction is cut: the transcript's length just before
// the reacting prompt. A UserPromptSubmit hook Claude Code waits for runs before
// the prompt is written, so that is the file's size. Claude Code does not wait
// for skillopt's hooks (`asyncRewake`, agents/claude/setup.ts): by the time this one
// runs, the prompt and even part of the model's answer to it may be in the file,
// and the judge must not read an answer the user had not seen when they
// reacted. So the cut is the start of the prompt's own first entry, found by its
// `promptId` (every entry of a prompt carries it), or the size when the prompt
// is not in the file yet. Read backwards from the end, in chunks: the prompt is
// among the last lines.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

const CHUNK_BYTES = 64 * 1024;
/** Far more than an answer can grow to in the milliseconds before the hook runs; bounds the read when no entry names a prompt. */
export const MAX_PROMPT_SCAN_BYTES = 4 * 1024 * 1024;

/** The first `"promptId":"…"` of a line: top-level keys come before the message, so it is the entry's own. */
const PROMPT_ID = /"promptId":"([^"\\]*)"/;

/**
 * The byte offset at which `promptId`'s first entry starts in the transcript at
 * `path`; the file's size when that prompt is not in it (or no id is given);
 * 0 when there is no file. Entries of an earlier prompt end the search: the
 * prompt, when written, comes after them.
 */
export function promptStartOffset(path: string | undefined, promptId: string | undefined): number {
  if (!path) return 0;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return 0;
  }
  try {
    // One size for the whole search: lines appended meanwhile come after the prompt anyway.
    const size = fstatSync(fd).size;
    if (!promptId) return size;
    let earliest: number | undefined;
    let end = size;
    // The head of the chunk read last, before its first newline: the tail of a line that starts earlier.
    let carry = Buffer.alloc(0);
    while (end > 0 && size - end < MAX_PROMPT_SCAN_BYTES) {
      const start = Math.max(0, end - CHUNK_BYTES);
      const chunk = Buffer.alloc(end - start);
      const n = readSync(fd, chunk, 0, chunk.length, start);
      // latin1: one character per byte, so string positions are byte offsets (ids are ASCII).
      const text = Buffer.concat([chunk.subarray(0, n), carry]).toString('latin1');
      // Complete lines are those after the first newline (all of them at the file's start).
      const first = start === 0 ? 0 : text.indexOf('\n') + 1;
      if (start > 0 && first === 0) {
        carry = Buffer.from(text, 'latin1');
        end = start;
        continue;
      }
      const lines = text.slice(first).split('\n');
      let offset = start + text.length;
      for (let i = lines.length - 1; i >= 0; i--) {
        const line = lines[i]!;
        offset -= line.length + (i < lines.length - 1 ? 1 : 0);
        const id = PROMPT_ID.exec(line)?.[1];
        if (id === undefined) continue;
        if (id !== promptId) return earliest ?? size;
        earliest = offset;
      }
      carry = Buffer.from(text.slice(0, first), 'latin1');
      end = start;
    }
    return earliest ?? size;
  } catch {
    return fileSizeOf(fd);
  } finally {
    closeSync(fd);
  }
}

function fileSizeOf(fd: number): number {
  try {
    return fstatSync(fd).size;
  } catch {
    return 0;
  }
}

/** The transcript's size in bytes now, 0 when it does not exist (yet). */
export function fileSize(path: string | undefined): number {
  if (!path) return 0;
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
