// Identity of an edit set, so an idea already tried for a skill is not
// published again. Order-independent and blind to whitespace layout: the same
// edits proposed in another order or re-wrapped are the same idea. Hashed, so
// it is a fixed-size key for the store (the seed stored the raw text).
import { createHash } from 'node:crypto';
import type { SkillEdit } from './edits';

/** sha256 hex of the sorted, whitespace-normalized edits; "" for no edits (nothing to record). */
export function editFingerprint(edits: readonly SkillEdit[]): string {
  if (edits.length === 0) return '';
  const canonical = edits.map(canonicalEdit).sort().join('\n');
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

function canonicalEdit(edit: SkillEdit): string {
  // JSON keeps the three parts unambiguous whatever characters they hold.
  return JSON.stringify([edit.op, normalize(edit.target), normalize(edit.content)]);
}

function normalize(text: string | undefined): string {
  return (text ?? '').trim().replace(/\s+/g, ' ');
}
