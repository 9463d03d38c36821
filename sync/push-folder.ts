// Push: read and check a local SKILL.md, and publish it through the backend
// seam as the next version of the org skill (name, author). Used by `skillopt
// push <skill-dir>` (cli/push.ts). Frontmatter is metadata; only the body (and
// the description) are versioned.
import type { RolloutPolicy } from '../core/rollout-types';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  DEFAULT_SCOPE,
  EMPTY_BODY_PROBLEM,
  authorFieldProblem,
  bodySizeProblem,
  descriptionProblem,
  normalizeBody,
  pushRefusalMessage,
  scopeProblem,
} from '../core/push-rules';
import { SkillDocumentError, parseSkillDocument } from '../core/skill-document';
import { formatSkillRef, parseSkillRef, skillNameProblem } from '../core/skill-ref';
import type { SkillRef } from '../core/skill-ref';
import { atomicWriteFile, isErrno, readTextIfExists } from '../local/fs';
import { currentUser } from '../local/home';
import type { TeamBackend } from '../team/backend';

export { DEFAULT_SCOPE, normalizeBody };

/**
 * Where a push is published: the backend seam (the store, or the skill's lane
 * through Temporal). Both apply core/push-rules.ts, so both refuse and answer alike.
 */
export type PushPublisher = Pick<TeamBackend, 'publish'>;

/** What push publishes, read and validated from one SKILL.md. */
export interface PreparedSkill {
  ref: SkillRef;
  body: string;
  description: string;
  /** The `version:` the file was pulled at, when it has one. */
  basedOn: number | undefined;
}

export interface PushOptions {
  publisher: PushPublisher;
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
  /** Publish a candidate on trial with the canary cohort instead of everyone's version. */
  canary?: boolean;
  /** The skill's rollout policy from now on. */
  rollout?: RolloutPolicy;
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
  /** A candidate pushed on the store's machine: what became of its canary trial. */
  trial?: string;
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
  const authorIssue = authorFieldProblem(author);
  if (authorIssue) throw new PushError(authorIssue);

  const description = frontmatterString(frontmatter.description, 'description') ?? '';
  const descriptionIssue = descriptionProblem(description);
  if (descriptionIssue) throw new PushError(descriptionIssue);

  const normalized = normalizeBody(rawBody);
  if (!normalized) throw new SkillDocumentError(EMPTY_BODY_PROBLEM);
  const body = `${normalized}\n`;
  const sizeIssue = bodySizeProblem(body);
  if (sizeIssue) throw new PushError(sizeIssue);

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
  const scopeIssue = scope === undefined ? undefined : scopeProblem(scope);
  if (scopeIssue) throw new PushError(scopeIssue);
  const file = await skillFilePath(resolve(cwd, options.skillDir));
  const text = await readTextIfExists(file);
  if (text === undefined) throw new PushError(`${file} does not exist; a skill folder must hold a SKILL.md`);
  const skill = prepareSkill(text, { author: options.author, pusher });

  const outcome = await options.publisher.publish({
    ref: skill.ref,
    body: skill.body,
    description: skill.description,
    ...(scope === undefined ? {} : { scope }),
    ...(skill.basedOn === undefined ? {} : { basedOn: skill.basedOn }),
    pusher,
    force: options.force ?? false,
    ...(options.canary ? { canary: true } : {}),
    ...(options.rollout ? { rollout: options.rollout } : {}),
  });
  if (outcome.status === 'refused') throw new PushError(pushRefusalMessage(outcome.refusal, skill.ref, file));

  if (outcome.status !== 'up-to-date' && skill.basedOn !== undefined) {
    const updated = withFrontmatterVersion(text, outcome.version);
    // Best effort: the push already succeeded; a read-only file only means a later push may ask for --force.
    if (updated !== undefined) await atomicWriteFile(file, updated).catch(() => undefined);
  }

  return {
    ref: formatSkillRef(skill.ref),
    name: skill.ref.name,
    author: skill.ref.author,
    file,
    status: outcome.status,
    version: outcome.version,
    previousVersion: outcome.previousVersion,
    contributors: outcome.contributors,
    createdBy: outcome.createdBy,
    ...(outcome.trial ? { trial: outcome.trial } : {}),
  };
}
