// Bounded edits to a skill body: the proposer's output, parsed and applied.
//
// Every edit acts on the FIRST occurrence of its target in the evolving text;
// an edit that cannot apply is skipped with a report line, never an error.
// The slow-update region (between the SLOW_UPDATE markers) is owned by humans:
// no edit may touch it, land inside it or create a marker, which is checked
// again after every edit on the text as it then stands.
import { DEFAULT_EDIT_BUDGET } from './limits';
import { extractJson, isPlainObject } from './model-json';

export const EDIT_OPS = ['append', 'insert_after', 'replace', 'delete'] as const;
export type EditOp = (typeof EDIT_OPS)[number];

export interface SkillEdit {
  op: EditOp;
  target?: string;
  content?: string;
  /** A linked text file of the folder (core/linked-files.ts) the edit applies to; absent: SKILL.md's body. */
  file?: string;
}

export const SLOW_UPDATE_START = '<!-- SLOW_UPDATE_START -->';
export const SLOW_UPDATE_END = '<!-- SLOW_UPDATE_END -->';

export interface TextRange {
  start: number;
  end: number;
}

export interface ApplyEditsOptions {
  /** Edits kept, in model order; skipped edits still use budget. */
  budget?: number;
}

export interface ApplyEditsResult {
  /** The budgeted edits, in model order (applied or skipped). */
  edits: SkillEdit[];
  /** The edits that took effect, in order: what to fingerprint and summarize. */
  applied: SkillEdit[];
  editedBody: string;
  /** One `OK …` or `SKIP …` line per budgeted edit. */
  report: string[];
  /** True only when editedBody differs from the input body. */
  changed: boolean;
}

export function isEditOp(value: unknown): value is EditOp {
  return typeof value === 'string' && (EDIT_OPS as readonly string[]).includes(value);
}

/** From the first START to the end of the first END; only when END comes after START. */
export function protectedRange(text: string): TextRange | undefined {
  const start = text.indexOf(SLOW_UPDATE_START);
  const end = text.indexOf(SLOW_UPDATE_END);
  if (start < 0 || end < start) return undefined;
  return { start, end: end + SLOW_UPDATE_END.length };
}

export function containsMarker(text: string): boolean {
  return text.includes(SLOW_UPDATE_START) || text.includes(SLOW_UPDATE_END);
}

/** The proposer's JSON array of `{op,target,content}`; anything unusable is dropped. */
export function parseProposedEdits(text: string): SkillEdit[] {
  const items = extractJson(text, '[', ']', isEditArray) ?? [];
  return items.flatMap((item) => {
    const edit = toEdit(item);
    return edit ? [edit] : [];
  });
}

/** What a folder's edits apply to: SKILL.md's body and the linked text files the proposer was shown. */
export interface EditableTexts {
  body: string;
  /** Path → text of each file the proposer may edit. */
  files: Readonly<Record<string, string>>;
}

export interface ApplyFolderEditsResult extends ApplyEditsResult {
  /** The linked files an edit changed, path → new text. */
  editedFiles: Record<string, string>;
}

/**
 * Applies the first `budget` edits in order, each to the text it names (the
 * body, or a linked file). An edit naming any other file is skipped: scripts,
 * binaries and unlisted files are never edited.
 */
export function applyFolderEdits(texts: EditableTexts, edits: readonly SkillEdit[], { budget = DEFAULT_EDIT_BUDGET }: ApplyEditsOptions = {}): ApplyFolderEditsResult {
  const budgeted = edits.slice(0, budgetCount(budget));
  const applied: SkillEdit[] = [];
  const report: string[] = [];
  let body = texts.body;
  const files: Record<string, string> = { ...texts.files };
  for (const edit of budgeted) {
    const inFile = edit.file !== undefined && edit.file !== 'SKILL.md';
    if (inFile && !Object.hasOwn(files, edit.file!)) {
      report.push(`SKIP ${edit.op}: ${edit.file} is not a file the optimizer may edit`);
      continue;
    }
    const step = checkedStep(inFile ? files[edit.file!]! : body, edit);
    report.push(inFile ? `${step.report} in ${edit.file}` : step.report);
    if (step.text === undefined) continue;
    if (inFile) files[edit.file!] = step.text;
    else body = step.text;
    // SKILL.md is the default: an edit that names it is the same idea as one that does not.
    applied.push(inFile ? edit : withoutFile(edit));
  }
  const editedFiles = Object.fromEntries(Object.entries(files).filter(([path, text]) => texts.files[path] !== text));
  return { edits: budgeted, applied, editedBody: body, editedFiles, report, changed: body !== texts.body || Object.keys(editedFiles).length > 0 };
}

function withoutFile(edit: SkillEdit): SkillEdit {
  const { file: _file, ...rest } = edit;
  return rest;
}

/** Applies the first `budget` edits in order to `body`. */
export function applyEdits(body: string, edits: readonly SkillEdit[], { budget = DEFAULT_EDIT_BUDGET }: ApplyEditsOptions = {}): ApplyEditsResult {
  const budgeted = edits.slice(0, budgetCount(budget));
  const applied: SkillEdit[] = [];
  const report: string[] = [];
  let text = body;
  for (const edit of budgeted) {
    const step = checkedStep(text, edit);
    report.push(step.report);
    if (step.text === undefined) continue;
    text = step.text;
    applied.push(edit);
  }
  return { edits: budgeted, applied, editedBody: text, report, changed: text !== body };
}

interface Step {
  /** The new text, or undefined when the edit was skipped. */
  text?: string;
  report: string;
}

function checkedStep(text: string, edit: SkillEdit): Step {
  const step = applyOne(text, edit);
  if (step.text === undefined) return step;
  if (step.text === text) return skip(edit.op, 'no change');
  if (!regionIntact(text, step.text)) return skip(edit.op, 'would alter protected slow-update region');
  return step;
}

function applyOne(text: string, edit: SkillEdit): Step {
  switch (edit.op) {
    case 'append':
      return applyAppend(text, edit);
    case 'insert_after':
      return applyInsertAfter(text, edit);
    case 'replace':
      return applyReplace(text, edit);
    case 'delete':
      return applyDelete(text, edit);
    default:
      return { report: `SKIP unknown op: ${String((edit as { op: unknown }).op)}` };
  }
}

function applyAppend(text: string, edit: SkillEdit): Step {
  const content = (edit.content ?? '').trim();
  if (!content) return skip('append', 'empty content');
  if (containsMarker(content)) return skip('append', MARKER_IN_CONTENT);
  const ok = `OK append (+${content.length} chars)`;
  const region = protectedRange(text);
  // With a region, new text goes just above it, so the region stays the doc's tail.
  if (region) return { text: `${text.slice(0, region.start)}${content}\n\n${text.slice(region.start)}`, report: ok };
  const head = text.trimEnd();
  return { text: head ? `${head}\n\n${content}\n` : `${content}\n`, report: ok };
}

function applyInsertAfter(text: string, edit: SkillEdit): Step {
  const content = (edit.content ?? '').trim();
  if (!edit.target || !content) return skip('insert_after', 'missing target/content');
  if (containsMarker(content)) return skip('insert_after', MARKER_IN_CONTENT);
  const found = locate(text, edit.target, 'insert_after');
  if ('report' in found) return found;
  const at = endOfLine(text, found.end);
  // The seed checked only the target: a target on the START line let content land inside.
  const region = protectedRange(text);
  if (region && at > region.start && at < region.end) return skip('insert_after', 'would insert inside protected slow-update region');
  return { text: `${text.slice(0, at)}\n${content}${text.slice(at)}`, report: `OK insert_after (+${content.length} chars)` };
}

function applyReplace(text: string, edit: SkillEdit): Step {
  if (!edit.target) return skip('replace', 'missing target');
  const content = edit.content ?? '';
  if (containsMarker(content)) return skip('replace', MARKER_IN_CONTENT);
  const found = locate(text, edit.target, 'replace');
  if ('report' in found) return found;
  return {
    text: text.slice(0, found.start) + content + text.slice(found.end),
    report: `OK replace (-${edit.target.length} +${content.length} chars)`,
  };
}

function applyDelete(text: string, edit: SkillEdit): Step {
  if (!edit.target) return skip('delete', 'missing target');
  const found = locate(text, edit.target, 'delete');
  if ('report' in found) return found;
  return { text: text.slice(0, found.start) + text.slice(found.end), report: `OK delete (-${edit.target.length} chars)` };
}

const MARKER_IN_CONTENT = 'content contains a protected-region marker';

/** The first occurrence of `target`, or a SKIP when it is absent or touches the region. */
function locate(text: string, target: string, op: EditOp): TextRange | Step {
  const start = text.indexOf(target);
  if (start < 0) return skip(op, 'target not found');
  const found = { start, end: start + target.length };
  const region = protectedRange(text);
  if (region && found.start < region.end && found.end > region.start) return skip(op, 'targets protected slow-update region');
  return found;
}

/** Where the line holding the target's last character ends (its newline, or the end of text). */
function endOfLine(text: string, targetEnd: number): number {
  const newline = text.indexOf('\n', Math.max(0, targetEnd - 1));
  return newline < 0 ? text.length : newline;
}

/** The region (markers included) and the marker counts are unchanged. */
function regionIntact(before: string, after: string): boolean {
  return regionText(before) === regionText(after) && markerCounts(before) === markerCounts(after);
}

function regionText(text: string): string {
  const region = protectedRange(text);
  return region ? text.slice(region.start, region.end) : '';
}

function markerCounts(text: string): string {
  return `${text.split(SLOW_UPDATE_START).length}/${text.split(SLOW_UPDATE_END).length}`;
}

function skip(op: EditOp, why: string): Step {
  return { report: `SKIP ${op}: ${why}` };
}

function budgetCount(budget: number): number {
  return Number.isNaN(budget) ? 0 : Math.max(0, Math.floor(budget));
}

function toEdit(item: unknown): SkillEdit | undefined {
  if (!isPlainObject(item) || !isEditOp(item.op)) return undefined;
  const edit: SkillEdit = { op: item.op };
  if (typeof item.target === 'string') edit.target = item.target;
  if (typeof item.content === 'string') edit.content = item.content;
  if (typeof item.file === 'string' && item.file !== '') edit.file = item.file;
  return edit;
}

/** An array that is empty or holds at least one edit: an array of other things is someone's code, not the answer. */
function isEditArray(value: unknown): value is unknown[] {
  return Array.isArray(value) && (value.length === 0 || value.some((item) => toEdit(item) !== undefined));
}
