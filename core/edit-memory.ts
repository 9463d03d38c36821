// What the proposer is told about edits already tried on a skill, with how
// each one turned out, so it proposes something different (the SkillOpt
// paper's rejected-edit buffer). The seed showed the OLDEST twelve; the newest
// are the ones that describe the document as it is now.
import type { SkillEdit } from './edits';
import { MAX_PRIOR_EDIT_SUMMARIES, MAX_SUMMARY_QUOTE_CHARS } from './limits';
import { oneLine, shorten } from './text';

export type EditStatus = 'proposed' | 'applied' | 'reverted';

export interface PriorEditRecord {
  summaries: string[];
  status: EditStatus;
  publishedVersion: number;
}

/** `append "…"`, `insert_after @"target" "…"`, `replace @"old" → "new"`, `delete @"old rule"`. */
export function summarizeEdit(edit: SkillEdit): string {
  // Edits of a linked file say which: the same words in SKILL.md and in a reference are different ideas.
  return edit.file === undefined ? summarizeOp(edit) : `${edit.file}: ${summarizeOp(edit)}`;
}

function summarizeOp(edit: SkillEdit): string {
  switch (edit.op) {
    case 'append':
      return `append ${quote(edit.content)}`;
    case 'insert_after':
      return `insert_after @${quote(edit.target)} ${quote(edit.content)}`;
    case 'replace':
      return `replace @${quote(edit.target)} → ${quote(edit.content)}`;
    case 'delete':
      return `delete @${quote(edit.target)}`;
    default:
      return `${String((edit as { op: unknown }).op)} ${quote(edit.target)}`;
  }
}

/** One `- [<status> in v<n>] <summary>` line per summary, newest version first, at most `max` lines. */
export function priorEditLines(records: readonly PriorEditRecord[], max = MAX_PRIOR_EDIT_SUMMARIES): string[] {
  const newestFirst = [...records].sort((a, b) => b.publishedVersion - a.publishedVersion);
  const lines = newestFirst.flatMap((record) => record.summaries.map((summary) => `- [${record.status} in v${record.publishedVersion}] ${summary}`));
  return lines.slice(0, Math.max(0, Math.floor(max)));
}

/** How a judged invocation resolves the edit that produced the version it ran on. */
export function editStatusForVerdict(success: boolean): 'applied' | 'reverted' {
  return success ? 'applied' : 'reverted';
}

function quote(text: string | undefined): string {
  return `"${shorten(oneLine(text ?? ''), MAX_SUMMARY_QUOTE_CHARS)}"`;
}
