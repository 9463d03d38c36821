// Push: read and check a local skill folder (SKILL.md and every file beside
// it), upload the contents the store lacks, and publish it through the backend
// seam as the next version of the org skill (name, author). Used by `skillopt
// push <skill-dir>` (cli/push.ts). The frontmatter is kept as written; what
// agents load anyway is published with a warning.
import type { RolloutPolicy } from '../core/rollout-types';
import { open, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  DEFAULT_SCOPE,
  DESCRIPTION_WARN_CHARS,
  EMPTY_BODY_PROBLEM,
  authorFieldProblem,
  bodySizeProblem,
  descriptionProblem,
  frontmatterSizeProblem,
  normalizeBody,
  pushChange,
  pushRefusalMessage,
  scopeProblem,
  type PushRequest,
} from '../core/push-rules';
import { KNOWN_FIELDS, SkillDocumentError, authorFrontmatter, parseSkillDocument } from '../core/skill-document';
import { formatSkillRef, parseSkillRef, skillNameProblem } from '../core/skill-ref';
import type { SkillRef } from '../core/skill-ref';
import { CHUNK_BYTES, chunkSize, fileChunks, treeProblem, type TreeFile } from '../core/skill-tree';
import { atomicWriteFile, isErrno } from '../local/fs';
import { currentUser } from '../local/home';
import { readSkillFolder, treeLimitsFromEnv, type FolderFile } from '../local/skill-folder';
import { createdKeyNotice, signingKeyFor, type SigningKey } from '../local/signing-key';
import type { Published, TeamBackend } from '../team/backend';

export { DEFAULT_SCOPE, normalizeBody };

/**
 * Where a push is published: the backend seam (the store, or the skill's lane
 * through Temporal). Both apply core/push-rules.ts, so both refuse and answer alike.
 */
export type PushPublisher = Pick<TeamBackend, 'publish' | 'missingContents' | 'putContents' | 'current'>;

/** What push publishes, read and validated from one SKILL.md. */
export interface PreparedSkill {
  ref: SkillRef;
  body: string;
  description: string;
  /** The author's frontmatter as written (without the fields skillopt sets). */
  frontmatter: string;
  /** The `version:` the file was pulled at, when it has one. */
  basedOn: number | undefined;
  /** What agents load anyway but the format advises against: said, and published. */
  warnings: string[];
}

/** SKILL.md lines past which the format's guidance says to move detail into references (agents load the body whole). */
const LONG_SKILL_LINES = 500;

/** Contents read from disk and uploaded at once, at most (the Temporal backend splits them further). */
const UPLOAD_BATCH_BYTES = 8 * CHUNK_BYTES;

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
  /** The key the push is signed with; default this machine's (created on first need). */
  key?: SigningKey;
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
  /** Pushed by someone who does not own the skill: no pull installs it until an owner approves it. */
  proposal?: boolean;
  /** This machine's signing key was created for this push: where, and to keep it. */
  keyCreated?: string;
  /** Files besides SKILL.md, and the contents uploaded (those the store lacked). */
  files: number;
  uploaded: { chunks: number; bytes: number };
  warnings: string[];
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
  const { frontmatter, frontmatterText, body: rawBody } = parseSkillDocument(text);
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
  const ownFrontmatter = authorFrontmatter(frontmatterText, name);
  const frontmatterIssue = frontmatterSizeProblem(ownFrontmatter);
  if (frontmatterIssue) throw new PushError(frontmatterIssue);

  const warnings: string[] = [];
  if (description.length > DESCRIPTION_WARN_CHARS) {
    warnings.push(`the description is ${description.length} characters, over the format's ${DESCRIPTION_WARN_CHARS}; agents load it, but some validators refuse it`);
  }
  const unknown = Object.keys(frontmatter).filter((k) => !KNOWN_FIELDS.has(k));
  if (unknown.length > 0) warnings.push(`frontmatter field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `\`${k}\``).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not in the Agent Skills format; kept as written`);
  const lines = text.split('\n').length;
  if (lines > LONG_SKILL_LINES) warnings.push(`SKILL.md is ${lines} lines; agents load it whole when the skill is used, so consider moving detail into files it links to`);

  const normalized = normalizeBody(rawBody);
  if (!normalized) throw new SkillDocumentError(EMPTY_BODY_PROBLEM);
  const body = `${normalized}\n`;
  const sizeIssue = bodySizeProblem(body);
  if (sizeIssue) throw new PushError(sizeIssue);

  // The file's `version:` describes the skill named in it; pushed under another author it is a new lineage.
  const v = frontmatter.version;
  const sameSkill = refAuthor === undefined || refAuthor === author;
  const basedOn = sameSkill && typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
  return { ref: { name, author }, body, description, frontmatter: ownFrontmatter, basedOn, warnings };
}

/** The skill's folder: the path itself, or the folder of a SKILL.md given as a file. */
async function skillFolderPath(path: string): Promise<string> {
  try {
    return (await stat(path)).isDirectory() ? path : dirname(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new PushError(`${path} does not exist; pass a folder that holds a SKILL.md`);
    throw err;
  }
}

/** Uploads the chunks of `files` the store lacks, reading each from disk only then; what was sent. */
async function uploadMissing(publisher: PushPublisher, files: readonly FolderFile[]): Promise<{ chunks: number; bytes: number }> {
  const missing = new Set(await publisher.missingContents([...new Set(files.flatMap(fileChunks))]));
  const sent = { chunks: 0, bytes: 0 };
  let batch: Array<{ hash: string; data: Uint8Array }> = [];
  let batchBytes = 0;
  const flush = async () => {
    if (batch.length > 0) await publisher.putContents(batch);
    batch = [];
    batchBytes = 0;
  };
  for (const file of files) {
    const chunks = fileChunks(file);
    if (!chunks.some((h) => missing.has(h))) continue;
    const handle = await open(file.absolute, 'r');
    try {
      for (const [index, hash] of chunks.entries()) {
        if (!missing.has(hash)) continue;
        missing.delete(hash);
        const data = new Uint8Array(chunkSize(file.size, index));
        await handle.read(data, 0, data.length, index * CHUNK_BYTES);
        batch.push({ hash, data });
        batchBytes += data.length;
        sent.chunks += 1;
        sent.bytes += data.length;
        if (batchBytes >= UPLOAD_BATCH_BYTES) await flush();
      }
    } finally {
      await handle.close();
    }
  }
  await flush();
  return sent;
}

const treeFile = ({ path, size, executable, hash, chunks }: FolderFile): TreeFile => ({ path, size, executable, hash, ...(chunks ? { chunks } : {}) });

// Rewrites only the `version:` line of the frontmatter, so the file records the
// version it now matches and the next push is not mistaken for a stale one.
function withFrontmatterVersion(text: string, version: number): string | undefined {
  const match = /^(\uFEFF?---[ \t]*\r?\n)([\s\S]*?)(\r?\n---[ \t]*(?:\r?\n|$))/.exec(text);
  if (!match) return undefined;
  const [whole, open, yaml, close] = match as unknown as [string, string, string, string];
  if (!/^version:[^\n]*$/m.test(yaml)) return undefined;
  return open + yaml.replace(/^version:[^\n\r]*/m, `version: ${version}`) + close + text.slice(whole.length);
}

/**
 * Publishes a push signed by its pusher over the skill's highest version as
 * read now; when a version was published meanwhile (a candidate the read did
 * not show), signs once more over it.
 */
export async function publishSigned(publisher: PushPublisher, request: PushRequest, key: Pick<SigningKey, 'sign'>): Promise<Published> {
  const publish = (base: number) => publisher.publish({ ...request, base, signature: key.sign(pushChange(request, base), request.pusher) });
  const outcome = await publish((await publisher.current(request.ref))?.version ?? 0);
  return outcome.status === 'refused' && outcome.refusal.kind === 'moved' ? publish(outcome.refusal.latest) : outcome;
}

export async function pushSkill(options: PushOptions): Promise<PushResult> {
  const cwd = options.cwd ?? process.cwd();
  const pusher = options.pusher?.trim() || currentUser(options.env);
  const scope = options.scope?.trim();
  const scopeIssue = scope === undefined ? undefined : scopeProblem(scope);
  if (scopeIssue) throw new PushError(scopeIssue);
  const folder = await readSkillFolder(await skillFolderPath(resolve(cwd, options.skillDir)), treeLimitsFromEnv(options.env));
  const { text, skillFile: file } = folder;
  const skill = prepareSkill(text, { author: options.author, pusher });

  const files = folder.files.map(treeFile);
  // What the store would refuse is refused here, before anything is uploaded.
  const treeIssue = treeProblem(files);
  if (treeIssue) throw new PushError(treeIssue);
  // Contents first: the store refuses a version whose files it does not hold.
  const uploaded = await uploadMissing(options.publisher, folder.files);
  let keyCreated: string | undefined;
  const key = options.key ?? (await signingKeyFor(options.env, (created) => (keyCreated = createdKeyNotice(created))));
  const request: PushRequest = {
    ref: skill.ref,
    body: skill.body,
    description: skill.description,
    frontmatter: skill.frontmatter,
    files,
    ...(scope === undefined ? {} : { scope }),
    ...(skill.basedOn === undefined ? {} : { basedOn: skill.basedOn }),
    pusher,
    force: options.force ?? false,
    ...(options.canary ? { canary: true } : {}),
    ...(options.rollout ? { rollout: options.rollout } : {}),
  };
  const outcome = await publishSigned(options.publisher, request, key);
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
    ...(outcome.proposal ? { proposal: true } : {}),
    ...(keyCreated ? { keyCreated } : {}),
    files: folder.files.length,
    uploaded,
    warnings: skill.warnings,
  };
}
