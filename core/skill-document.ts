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

/** Splits a SKILL.md; throws SkillDocumentError with a one-line reason when there is no usable frontmatter. */
export function parseSkillDocument(text: string): SkillDocument {
  const match = FRONTMATTER.exec(text);
  if (!match) throw new SkillDocumentError('SKILL.md has no frontmatter: it must start with a "---" block holding at least `name:`');
  let data: unknown;
  try {
    data = parse(match[1] ?? '');
  } catch (err) {
    const first = String((err as Error).message).split('\n')[0];
    throw new SkillDocumentError(`SKILL.md frontmatter is not valid YAML: ${first}`);
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
