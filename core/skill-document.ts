// SKILL.md = YAML frontmatter between "---" lines, then a Markdown body.
// Only the body is ever edited by skillopt. The frontmatter is kept as its
// author wrote it (order, quoting, comments), except the fields skillopt owns,
// which are spliced in or out as text: rewriting the YAML would change fields
// the agents read (allowed-tools, model, metadata, …).
import { isMap, parse, parseDocument, stringify, type Pair } from 'yaml';

export interface SkillDocument {
  frontmatter: Record<string, unknown>;
  /** The YAML between the fences, exactly as written. */
  frontmatterText: string;
  body: string;
}

/** The fields skillopt sets in an installed SKILL.md; every other field is the author's. */
export const OWNED_FIELDS = ['name', 'author', 'version', 'contributors', 'updated_at'] as const;

/** Fields the Agent Skills format and the agents skillopt knows read; any other is warned about (and kept). */
export const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  ...OWNED_FIELDS,
  'description',
  'license',
  'compatibility',
  'metadata',
  'allowed-tools',
  'model',
  'effort',
  'disable-model-invocation',
  'user-invocable',
  'argument-hint',
  'context',
  'agent',
  'hooks',
]);

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
  return { frontmatter: data as Record<string, unknown>, frontmatterText: match[1] ?? '', body: text.slice(match[0].length).replace(/^\s*\n/, '') };
}

/** The top-level pairs of a block-style frontmatter with their text ranges, or undefined for another shape (flow style). */
function topLevelPairs(yaml: string): Array<{ key: string; start: number; valueEnd: number; end: number }> | undefined {
  const doc = parseDocument(yaml);
  if (doc.contents === null) return [];
  if (!isMap(doc.contents) || doc.contents.flow) return undefined;
  return (doc.contents.items as Pair[]).map((pair) => {
    const key = pair.key as { value?: unknown; range?: [number, number, number] };
    const value = pair.value as { range?: [number, number, number] } | null;
    const keyRange = key.range ?? [0, 0, 0];
    const valueRange = value?.range ?? keyRange;
    return { key: String(key.value), start: keyRange[0], valueEnd: valueRange[1], end: valueRange[2] };
  });
}

/**
 * The author's frontmatter as a version keeps it: as written, without the
 * fields skillopt sets at install (author, version, contributors, updated_at)
 * and with `name` set to `name` (a pulled copy says `name: <name>--<author>`),
 * so a pulled folder pushed back unchanged is the same version.
 */
export function authorFrontmatter(yaml: string, name: string): string {
  const pairs = topLevelPairs(yaml);
  if (pairs === undefined) {
    const data = parse(yaml) as Record<string, unknown>;
    const kept = Object.fromEntries(Object.entries(data).filter(([k]) => !(OWNED_FIELDS as readonly string[]).includes(k) || k === 'name'));
    return stringify({ ...kept, name }, { lineWidth: 0 }).trimEnd();
  }
  let text = yaml;
  let named = false;
  // From the last pair back, so earlier ranges stay valid.
  for (const pair of [...pairs].reverse()) {
    if (pair.key === 'name') {
      text = `${text.slice(0, pair.start)}name: ${name}${text.slice(pair.valueEnd)}`;
      named = true;
    } else if ((OWNED_FIELDS as readonly string[]).includes(pair.key)) {
      text = text.slice(0, pair.start) + text.slice(pair.end);
    }
  }
  text = text.replace(/\r\n?/g, '\n').trimEnd();
  return named ? text : `name: ${name}\n${text}`.trimEnd();
}

/** The frontmatter of a version stored before skills were folders: only its name and description were kept. */
export function legacyFrontmatter(name: string, description: string): string {
  return stringify({ name, description }, { lineWidth: 0 }).trimEnd();
}

/** What skillopt writes into an installed SKILL.md's frontmatter. */
export interface OwnedFields {
  /** The full ref, `<name>--<author>`: the folder's name. */
  name: string;
  author: string;
  version: number;
  contributors: string[];
  updated_at: string;
}

/**
 * The installed SKILL.md of a version whose frontmatter the author wrote
 * (authorFrontmatter): that text with `name` set to the ref and the other
 * owned fields appended.
 */
export function renderWithAuthorFrontmatter(yaml: string, owned: OwnedFields, body: string): string {
  const { name, ...rest } = owned;
  const named = authorFrontmatter(yaml, name);
  const appended = stringify(rest, { lineWidth: 0 }).trimEnd();
  return `---\n${named}\n${appended}\n---\n\n${body.trim()}\n`;
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
