// Push: publish a local SKILL.md as the next version of the org skill (name,
// author). Used by `skillopt push <skill-dir>` (cli/push.ts). Frontmatter is
// metadata; only the body (and the description) are versioned.
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MAX_DESCRIPTION_CHARS, MAX_SKILL_BODY_BYTES, OPTIMIZER_NAME } from '../core/limits';
import { SkillDocumentError, parseSkillDocument } from '../core/skill-document';
import { authorProblem, formatSkillRef, parseSkillRef, skillNameProblem } from '../core/skill-ref';
import type { SkillRef } from '../core/skill-ref';
import { atomicWriteFile, isErrno, readTextIfExists } from '../local/fs';
import { currentUser } from '../local/home';
import type { SkillVersion, Store } from '../store/types';

export const DEFAULT_SCOPE = 'org';
const SCOPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$/;

/** What push publishes, read and validated from one SKILL.md. */
export interface PreparedSkill {
  ref: SkillRef;
  body: string;
  description: string;
  /** The `version:` the file was pulled at, when it has one. */
  basedOn: number | undefined;
}

export interface PushOptions {
  store: Store;
  /** A folder holding SKILL.md, or the SKILL.md itself; relative to cwd. */
  skillDir: string;
  cwd?: string;
  /** Overrides every other source of the author. */
  author?: string;
  /** Default: the previous version's scope, else "org". */
  scope?: string;
  /** Who is pushing (created_by, added to contributors). Default: SKILLOPT_USER, else the OS user. */
  pusher?: string;
  env?: NodeJS.ProcessEnv;
  /** Publish even when the file is based on an older version than the store's latest. */
  force?: boolean;
}

export type PushStatus = 'created' | 'updated' | 'up-to-date';

export interface PushResult {
  ref: string;
  name: string;
  author: string;
  status: PushStatus;
  /** The store's latest version after the push. */
  version: number;
  previousVersion: number | undefined;
  contributors: string[];
  createdBy: string;
  file: string;
}

/** A push refused, with the one line that says why and what to do. */
export class PushError extends Error {
  override name = 'PushError';
}

function frontmatterString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new SkillDocumentError(`SKILL.md frontmatter \`${field}\` must be text`);
}

/** Same text after trimming and with LF line ends: what "unchanged" compares. */
export function normalizeBody(body: string): string {
  return body.replace(/\r\n?/g, '\n').trim();
}

/**
 * Validates a SKILL.md for push. Throws SkillDocumentError, InvalidSkillRefError
 * or PushError with a one-line reason.
 */
export function prepareSkill(text: string, options: { author?: string; pusher: string }): PreparedSkill {
  const { frontmatter, body: rawBody } = parseSkillDocument(text);
  const rawName = frontmatterString(frontmatter.name, 'name');
  if (!rawName) throw new SkillDocumentError('SKILL.md frontmatter has no `name:`; add a kebab-case name such as `name: deploy-checklist`');

  // `name` is a bare kebab name, or the full <name>--<author> ref that pull writes.
  let name = rawName;
  let refAuthor: string | undefined;
  if (rawName.includes('--')) {
    const ref = parseSkillRef(rawName);
    name = ref.name;
    refAuthor = ref.author;
  } else {
    const problem = skillNameProblem(name);
    if (problem) throw new SkillDocumentError(`SKILL.md \`name\`: ${problem}`);
  }

  const flagAuthor = options.author?.trim();
  const author = flagAuthor || refAuthor || frontmatterString(frontmatter.author, 'author') || options.pusher;
  const authorIssue = authorProblem(author);
  if (authorIssue) throw new PushError(`${authorIssue}; pass a valid --author`);

  const description = frontmatterString(frontmatter.description, 'description') ?? '';
  if (description.length > MAX_DESCRIPTION_CHARS) {
    throw new PushError(`the description is ${description.length} characters; the limit is ${MAX_DESCRIPTION_CHARS}`);
  }

  const normalized = normalizeBody(rawBody);
  if (!normalized) throw new SkillDocumentError('SKILL.md has no body below its frontmatter; write the skill\'s instructions there');
  const body = `${normalized}\n`;
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_SKILL_BODY_BYTES) {
    throw new PushError(`the SKILL.md body is ${bytes} bytes; the limit is ${MAX_SKILL_BODY_BYTES} bytes, so shorten it`);
  }

  // The file's `version:` describes the skill named in it; pushed under another author it is a new lineage.
  const v = frontmatter.version;
  const sameSkill = refAuthor === undefined || refAuthor === author;
  const basedOn = sameSkill && typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
  return { ref: { name, author }, body, description, basedOn };
}

/** <dir>/SKILL.md, or the path itself when it is a file. */
async function skillFilePath(path: string): Promise<string> {
  try {
    return (await stat(path)).isDirectory() ? join(path, 'SKILL.md') : path;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new PushError(`${path} does not exist; pass a folder that holds a SKILL.md`);
    throw err;
  }
}

/**
 * For a file without `version:` (a source folder, not a pulled copy), which
 * lineage it continues is unknown; assume the pusher's own last push. A version
 * after it that this file cannot contain, and that a push would silently undo:
 * the optimizer's (never in anyone's source), or another user's after the
 * pusher's own last push. A teammate's first push over others' versions is
 * allowed: their copy of a shared source is as good a base as any.
 */
function unseenVersion(history: SkillVersion[], pusher: string): SkillVersion | undefined {
  const own = history.filter((v) => v.createdBy === pusher).at(-1)?.version;
  const later = history.filter((v) => v.version > (own ?? 0) && v.createdBy !== pusher);
  return later.find((v) => v.createdBy === OPTIMIZER_NAME) ?? (own !== undefined ? later[0] : undefined);
}

function mergeContributors(previous: SkillVersion | undefined, author: string, pusher: string): string[] {
  // A new skill credits its author first; later versions keep the list and add whoever pushed.
  const list = previous ? [...previous.contributors] : [author];
  if (!list.includes(pusher)) list.push(pusher);
  return [...new Set(list)];
}

// Rewrites only the `version:` line of the frontmatter, so the file records the
// version it now matches and the next push is not mistaken for a stale one.
function withFrontmatterVersion(text: string, version: number): string | undefined {
  const match = /^(\uFEFF?---[ \t]*\r?\n)([\s\S]*?)(\r?\n---[ \t]*(?:\r?\n|$))/.exec(text);
  if (!match) return undefined;
  const [whole, open, yaml, close] = match as unknown as [string, string, string, string];
  if (!/^version:[^\n]*$/m.test(yaml)) return undefined;
  return open + yaml.replace(/^version:[^\n\r]*/m, `version: ${version}`) + close + text.slice(whole.length);
}

export async function pushSkill(options: PushOptions): Promise<PushResult> {
  const cwd = options.cwd ?? process.cwd();
  const pusher = options.pusher?.trim() || currentUser(options.env);
  const scope = options.scope?.trim();
  if (scope !== undefined && !SCOPE_PATTERN.test(scope)) {
    throw new PushError(`scope "${scope}" must be 1-64 characters of A-Z, a-z, 0-9, "_", ".", ":", "@" and "-"`);
  }

  const file = await skillFilePath(resolve(cwd, options.skillDir));
  const text = await readTextIfExists(file);
  if (text === undefined) throw new PushError(`${file} does not exist; a skill folder must hold a SKILL.md`);
  const skill = prepareSkill(text, { author: options.author, pusher });
  const refText = formatSkillRef(skill.ref);

  const latest = await options.store.latestVersion(skill.ref);
  const base = { ref: refText, name: skill.ref.name, author: skill.ref.author, file };
  if (latest) {
    const unchanged =
      normalizeBody(latest.body) === normalizeBody(skill.body) && latest.description.trim() === skill.description && (scope === undefined || scope === latest.scope);
    if (unchanged) {
      return { ...base, status: 'up-to-date', version: latest.version, previousVersion: latest.version, contributors: latest.contributors, createdBy: latest.createdBy };
    }
    // A file pulled at vN and edited while others (or the optimizer) published
    // later versions would silently undo their changes.
    if (skill.basedOn !== undefined && skill.basedOn < latest.version && !options.force) {
      throw new PushError(
        `${refText} is at v${latest.version} in the store but ${file} is based on v${skill.basedOn}; ` +
          `run \`skillopt pull\` (your file is kept as SKILL.md.bak), merge your change and push again, or push with --force`,
      );
    }
    if (skill.basedOn === undefined && !options.force) {
      // Up to the latest read above: anything newer is a concurrent publish, caught as a version conflict.
      const history = (await options.store.history(skill.ref)).filter((v) => v.version <= latest.version);
      const unseen = unseenVersion(history, pusher);
      if (unseen) {
        const by = unseen.createdBy === OPTIMIZER_NAME ? 'the optimizer (skillopt)' : unseen.createdBy;
        throw new PushError(
          `${refText} v${unseen.version} was published by ${by} after your last push, and ${file} has no \`version:\` saying it includes that change; ` +
            `run \`skillopt pull\` and edit and push the pulled ~/.claude/skills/${refText}/SKILL.md, or push with --force to overwrite v${latest.version}`,
        );
      }
    }
  }

  const contributors = mergeContributors(latest, skill.ref.author, pusher);
  const { version } = await options.store.publishVersion({
    name: skill.ref.name,
    author: skill.ref.author,
    body: skill.body,
    description: skill.description,
    scope: scope ?? latest?.scope ?? DEFAULT_SCOPE,
    contributors,
    createdBy: pusher,
    baseVersion: latest?.version ?? 0,
  });

  if (skill.basedOn !== undefined) {
    const updated = withFrontmatterVersion(text, version.version);
    // Best effort: the push already succeeded; a read-only file only means a later push may ask for --force.
    if (updated !== undefined) await atomicWriteFile(file, updated).catch(() => undefined);
  }

  return {
    ...base,
    status: latest ? 'updated' : 'created',
    version: version.version,
    previousVersion: latest?.version,
    contributors: version.contributors,
    createdBy: version.createdBy,
  };
}
