// SKILL.md = YAML frontmatter between "---" lines, then a Markdown body.
// Only the body is ever edited by skillopt; frontmatter is metadata.
import { parse, stringify } from 'yaml';

export interface SkillDocument {
  frontmatter: Record<string, unknown>;
  body: string;
}

export class SkillDocumentError extends Error {
  override name = 'SkillDocumentError';
}

const FRONTMATTER = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

// What to change, by the yaml library's error code; anything else gets the general advice.
const YAML_HINTS: Record<string, string> = {
  BLOCK_AS_IMPLICIT_KEY: 'put a value that contains ": " in double quotes, e.g. description: "Use when: deploying"',
  MISSING_CHAR: 'close the quote or bracket that was opened',
  DUPLICATE_KEY: 'keep only one line per key',
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  MULTILINE_IMPLICIT_KEY: 'put a value that spans lines in double quotes, or indent its continuation lines',
};
const GENERAL_HINT = 'write one `key: value` per line and put values with ":", "#", "[" or "{" in double quotes';

/** One line: where the YAML is wrong (as a line of the SKILL.md) and what to change. */
function yamlProblem(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown; linePos?: Array<{ line: number; col: number }> };
  const what = String(e.message ?? err)
    .split('\n')[0]!
    .replace(/ at line \d+, column \d+:?$/, '')
    .replace(/:$/, '');
  const pos = e.linePos?.[0];
  // +1: the frontmatter starts on the line after the opening "---".
  const where = pos ? ` at line ${pos.line + 1}, column ${pos.col}` : '';
  const hint = (typeof e.code === 'string' && YAML_HINTS[e.code]) || GENERAL_HINT;
  return `SKILL.md frontmatter is not valid YAML${where} (${what.charAt(0).toLowerCase()}${what.slice(1)}); ${hint}`;
}

/** Splits a SKILL.md; throws SkillDocumentError with a one-line reason when there is no usable frontmatter. */
export function parseSkillDocument(text: string): SkillDocument {
  const match = FRONTMATTER.exec(text);
  if (!match) throw new SkillDocumentError('SKILL.md has no frontmatter: it must start with a "---" block holding at least `name:`');
  let data: unknown;
  try {
    data = parse(match[1] ?? '');
  } catch (err) {
    throw new SkillDocumentError(yamlProblem(err));
  }
  if (data === null || data === undefined) data = {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new SkillDocumentError('SKILL.md frontmatter must be a YAML mapping (key: value lines)');
  }
  return { frontmatter: data as Record<string, unknown>, body: text.slice(match[0].length).replace(/^\s*\n/, '') };
}

/** Frontmatter keys in the given order, then a blank line, the trimmed body and a trailing newline. */
export function renderSkillDocument(frontmatter: Record<string, unknown>, body: string): string {
  const defined = Object.fromEntries(Object.entries(frontmatter).filter(([, v]) => v !== undefined));
  const yaml = stringify(defined, { lineWidth: 0 }).trimEnd();
  return `---\n${yaml}\n---\n\n${body.trim()}\n`;
}

/** The `version:` of an installed SKILL.md, or undefined when absent or unreadable. */
export function documentVersion(text: string): number | undefined {
  try {
    const v = parseSkillDocument(text).frontmatter.version;
    const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
