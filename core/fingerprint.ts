// Identity of an edit set, so an idea already tried for a skill is not
// published again. Order-independent, and blind only to line endings and
// trailing whitespace: indentation is meaning in YAML, code blocks and nested
// lists, so an edit that fixes only indentation is a different idea. Hashed, so
// it is a fixed-size key for the store (the seed stored the raw text).
import { createHash } from 'node:crypto';
import type { SkillEdit } from './edits';

/** sha256 hex of the sorted, normalized edits; "" for no edits (nothing to record). */
export function editFingerprint(edits: readonly SkillEdit[]): string {
  if (edits.length === 0) return '';
  const canonical = edits.map(canonicalEdit).sort().join('\n');
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

function canonicalEdit(edit: SkillEdit): string {
  // JSON keeps the parts unambiguous whatever characters they hold; an edit of SKILL.md (no file) hashes as it always did.
  const parts = [edit.op, normalize(edit.target), normalize(edit.content)];
  return JSON.stringify(edit.file === undefined ? parts : [...parts, edit.file]);
}

/** LF line ends, no trailing whitespace on any line, no blank lines at either end; indentation kept. */
function normalize(text: string | undefined): string {
  return (text ?? '')
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/^\n+|\n+$/g, '');
}
