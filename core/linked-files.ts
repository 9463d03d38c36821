// The files of a skill's folder the optimizer sees and may edit: the Markdown
// and plain-text files SKILL.md links to or names, each small enough to read
// whole, within a total. Scripts (executable files), binaries and every other
// file are never shown as text nor edited; they carry over unchanged.
import type { TreeFile } from './skill-tree';

/** A linked file larger than this is listed, not shown nor edited. */
export const MAX_LINKED_FILE_BYTES = 32 * 1024;
/** Linked files shown to the proposer, in all. */
export const MAX_LINKED_TOTAL_BYTES = 96 * 1024;
/** An edited linked file may grow to this. */
export const MAX_EDITED_FILE_BYTES = 64 * 1024;

const TEXT_FILE = /\.(md|markdown|txt|text|rst)$/i;

/** A file the optimizer may edit: text by its name, not executable, not too large. */
export function isEditableFile(file: Pick<TreeFile, 'path' | 'executable' | 'size'>): boolean {
  return TEXT_FILE.test(file.path) && !file.executable && file.size <= MAX_LINKED_FILE_BYTES;
}

/** Where `body` first links to or names `path` (a Markdown link, optionally `./`-prefixed, or the path itself), or -1. */
function firstMention(body: string, path: string): number {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`(?<![\\w./-])(?:\\./)?${escaped}(?![\\w/-]|\\.\\w)`).exec(body);
  return match ? match.index : -1;
}

/** The editable files `body` links to, in the order it first mentions them, within MAX_LINKED_TOTAL_BYTES. */
export function linkedTextFiles(body: string, files: readonly TreeFile[]): TreeFile[] {
  const mentioned = files
    .filter(isEditableFile)
    .map((file) => ({ file, at: firstMention(body, file.path) }))
    .filter((m) => m.at >= 0)
    .sort((a, b) => a.at - b.at || (a.file.path < b.file.path ? -1 : 1));
  const shown: TreeFile[] = [];
  let total = 0;
  for (const { file } of mentioned) {
    if (total + file.size > MAX_LINKED_TOTAL_BYTES) continue;
    shown.push(file);
    total += file.size;
  }
  return shown;
}
