// The rules of a push, shared by the local push (sync/push-folder.ts, straight to the
// store), the lane's `push` update validator (workflow sandbox: no Buffer, no
// Node) and the central worker's pushVersion activity, so a push is refused
// for the same reasons with the same one-line messages wherever it runs.
import type { CandidateRollout, RolloutPolicy } from './rollout-types';
import { MAX_DESCRIPTION_CHARS, MAX_FRONTMATTER_BYTES, MAX_SKILL_BODY_BYTES, OPTIMIZER_NAME } from './limits';
import { authorProblem, formatSkillRef, skillNameProblem, type SkillRef } from './skill-ref';
import { signatureShapeProblem, signatureVerifies, treeHash, type Signature, type SignedChange } from './signing';
import { sameTree, treeProblem, type TreeFile } from './skill-tree';

export const DEFAULT_SCOPE = 'org';
const SCOPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$/;

/** What a push asks to publish: the prepared SKILL.md, who pushes, and how. */
export interface PushRequest {
  /** Unique per push: the update id, and the store's idempotency key (a retried push publishes once). Absent for a local push. */
  requestId?: string;
  ref: SkillRef;
  /** Normalized body (trimmed, LF line ends, one final newline). */
  body: string;
  description: string;
  /** The author's frontmatter as written (core/skill-document authorFrontmatter); absent from an older sender. */
  frontmatter?: string;
  /** Every file of the folder but SKILL.md; their contents are in the store already (uploaded first). Absent: none. */
  files?: TreeFile[];
  /** Default: the previous version's scope, else "org". */
  scope?: string;
  /** The `version:` the file was pulled at, when it has one. */
  basedOn?: number;
  /** Who is pushing (created_by, added to contributors). */
  pusher: string;
  force: boolean;
  /** Publish as a candidate on trial (`push --canary`) instead of everyone's version at once. */
  canary?: boolean;
  /** The skill's rollout policy from now on (`push --rollout`). */
  rollout?: RolloutPolicy;
  /** The skill's highest version as the pusher read it (0: none), which the signature names; the store refuses the push once it moved on. */
  base?: number;
  /** The pusher's signature of pushChange(request): without it the push is refused. */
  signature?: Signature;
}

/** Why a push was refused; the sender words it with its own file path (pushRefusalMessage). */
export type PushRefusal =
  /** The file was pulled at `basedOn`, and the store has moved on to `latest`. */
  | { kind: 'stale-base'; latest: number; basedOn: number }
  /** `version`, by `by`, came after the pusher's own last push, and the file does not say it includes it. */
  | { kind: 'unseen'; latest: number; version: number; by: string }
  /** The push was signed over `base`, and the skill has moved on to `latest` since: sign again over it. */
  | { kind: 'moved'; latest: number; base: number };

export type PushOutcome =
  /** `candidate`: pushed with --canary, the version is on trial (its lane runs the rollout). */
  | {
      status: 'created' | 'updated' | 'up-to-date';
      version: number;
      previousVersion?: number;
      contributors: string[];
      createdBy: string;
      candidate?: CandidateRollout;
      /** Pushed by someone who does not own the skill: a candidate no pull installs until an owner approves it. */
      proposal?: boolean;
    }
  | { status: 'refused'; refusal: PushRefusal };

/** The facts of a stored version the rules look at (store/types SkillVersion fits). */
export interface VersionFacts {
  version: number;
  body: string;
  description: string;
  /** The author's frontmatter (for a version from before skills were folders: its name and description). */
  frontmatter: string;
  files: TreeFile[];
  scope: string;
  contributors: string[];
  createdBy: string;
}

/** Same text after trimming and with LF line ends: what "unchanged" compares. */
export function normalizeBody(body: string): string {
  return body.replace(/\r\n?/g, '\n').trim();
}

/** UTF-8 byte length without Buffer (the workflow sandbox has none); a lone surrogate counts 3, as Buffer encodes it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

export function scopeProblem(scope: string): string | undefined {
  return SCOPE_PATTERN.test(scope) ? undefined : `scope "${scope}" must be 1-64 characters of A-Z, a-z, 0-9, "_", ".", ":", "@" and "-"`;
}

export function authorFieldProblem(author: string): string | undefined {
  const problem = authorProblem(author);
  return problem ? `${problem}; pass a valid --author` : undefined;
}

/** Over the format's 1,024 characters agents still load a description, so this is a warning; MAX_DESCRIPTION_CHARS is the store's hard limit. */
export const DESCRIPTION_WARN_CHARS = 1024;

export function descriptionProblem(description: string): string | undefined {
  if (description.trim() === '') return 'SKILL.md has no `description:`; agents skip a skill without one, so say what it does and when to use it';
  return description.length > MAX_DESCRIPTION_CHARS ? `the description is ${description.length} characters; the limit is ${MAX_DESCRIPTION_CHARS}` : undefined;
}

export function frontmatterSizeProblem(frontmatter: string): string | undefined {
  const bytes = utf8Length(frontmatter);
  return bytes > MAX_FRONTMATTER_BYTES ? `the SKILL.md frontmatter is ${bytes} bytes; the limit is ${MAX_FRONTMATTER_BYTES} bytes` : undefined;
}

export const EMPTY_BODY_PROBLEM = "SKILL.md has no body below its frontmatter; write the skill's instructions there";

export function bodySizeProblem(body: string): string | undefined {
  const bytes = utf8Length(body);
  return bytes > MAX_SKILL_BODY_BYTES ? `the SKILL.md body is ${bytes} bytes; the limit is ${MAX_SKILL_BODY_BYTES} bytes, so shorten it` : undefined;
}

/**
 * Why a push request cannot be published, in the words the local push uses,
 * or undefined. Checks the fields only (the store decides the rest).
 */
export function pushRequestProblem(request: {
  ref: SkillRef;
  body: string;
  description: string;
  frontmatter?: unknown;
  files?: unknown;
  scope?: string;
  basedOn?: unknown;
  pusher: string;
}): string | undefined {
  const nameIssue = skillNameProblem(request.ref.name);
  if (nameIssue) return `SKILL.md \`name\`: ${nameIssue}`;
  const authorIssue = authorFieldProblem(request.ref.author);
  if (authorIssue) return authorIssue;
  const pusherIssue = authorProblem(request.pusher);
  if (pusherIssue) return `the pusher: ${pusherIssue.replace(/^author/, 'user name')}; set SKILLOPT_USER to a valid name`;
  const descriptionIssue = descriptionProblem(request.description);
  if (descriptionIssue) return descriptionIssue;
  if (normalizeBody(request.body) === '') return EMPTY_BODY_PROBLEM;
  const sizeIssue = bodySizeProblem(request.body);
  if (sizeIssue) return sizeIssue;
  if (request.frontmatter !== undefined) {
    if (typeof request.frontmatter !== 'string') return 'the frontmatter must be text';
    const issue = frontmatterSizeProblem(request.frontmatter);
    if (issue) return issue;
  }
  if (request.files !== undefined) {
    const issue = Array.isArray(request.files) ? treeProblem(request.files) : 'the files must be a list';
    if (issue) return issue;
  }
  if (request.scope !== undefined) {
    const issue = scopeProblem(request.scope);
    if (issue) return issue;
  }
  const b = request.basedOn;
  if (b !== undefined && !(typeof b === 'number' && Number.isSafeInteger(b) && b > 0)) {
    return `the base version (the file's \`version:\`) must be a whole number of 1 or more, got ${JSON.stringify(b) ?? String(b)}`;
  }
  return undefined;
}

/**
 * For a file without `version:` (a source folder, not a pulled copy), which
 * lineage it continues is unknown; assume the pusher's own last push. A version
 * after it that this file cannot contain, and that a push would silently undo:
 * the optimizer's (never in anyone's source), or another user's after the
 * pusher's own last push. A teammate's first push over others' versions is
 * allowed: their copy of a shared source is as good a base as any.
 */
function unseenVersion<V extends VersionFacts>(history: V[], pusher: string): V | undefined {
  const own = history.filter((v) => v.createdBy === pusher).at(-1)?.version;
  const later = history.filter((v) => v.version > (own ?? 0) && v.createdBy !== pusher);
  return later.find((v) => v.createdBy === OPTIMIZER_NAME) ?? (own !== undefined ? later[0] : undefined);
}

function mergeContributors(previous: VersionFacts | undefined, author: string, pusher: string): string[] {
  // A new skill credits its author first; later versions keep the list and add whoever pushed.
  const list = previous ? [...previous.contributors] : [author];
  if (!list.includes(pusher)) list.push(pusher);
  return [...new Set(list)];
}

export interface NewVersionFields {
  body: string;
  description: string;
  frontmatter?: string;
  files: TreeFile[];
  scope: string;
  contributors: string[];
  createdBy: string;
  baseVersion: number;
}

export type PushPlan = { kind: 'done'; outcome: PushOutcome } | { kind: 'publish'; version: NewVersionFields };

/**
 * What a push comes to against the store's latest version: nothing (unchanged),
 * a refusal (it would undo versions the pusher never saw, unless forced), or
 * the version to publish. `history` (every version up to `latest`, oldest
 * first) is read only when needed.
 */
export async function planPush(request: PushRequest, latest: VersionFacts | undefined, history: () => Promise<VersionFacts[]>): Promise<PushPlan> {
  const { scope, pusher } = request;
  if (latest) {
    const unchanged =
      normalizeBody(latest.body) === normalizeBody(request.body) &&
      latest.description.trim() === request.description &&
      // An older sender sends no frontmatter: its push compares as before (name and description only).
      (request.frontmatter === undefined || request.frontmatter === latest.frontmatter) &&
      sameTree(latest.files, request.files ?? []) &&
      (scope === undefined || scope === latest.scope);
    if (unchanged) {
      return { kind: 'done', outcome: { status: 'up-to-date', version: latest.version, previousVersion: latest.version, contributors: latest.contributors, createdBy: latest.createdBy } };
    }
    // A file pulled at vN and edited while others (or the optimizer) published
    // later versions would silently undo their changes.
    if (request.basedOn !== undefined && request.basedOn < latest.version && !request.force) {
      return { kind: 'done', outcome: { status: 'refused', refusal: { kind: 'stale-base', latest: latest.version, basedOn: request.basedOn } } };
    }
    if (request.basedOn === undefined && !request.force) {
      // Up to the latest read: anything newer is a concurrent publish, caught as a version conflict.
      const unseen = unseenVersion((await history()).filter((v) => v.version <= latest.version), pusher);
      if (unseen) return { kind: 'done', outcome: { status: 'refused', refusal: { kind: 'unseen', latest: latest.version, version: unseen.version, by: unseen.createdBy } } };
    }
  }
  return {
    kind: 'publish',
    version: {
      body: request.body,
      description: request.description,
      ...(request.frontmatter === undefined ? {} : { frontmatter: request.frontmatter }),
      files: request.files ?? [],
      scope: scope ?? latest?.scope ?? DEFAULT_SCOPE,
      contributors: mergeContributors(latest, request.ref.author, pusher),
      createdBy: pusher,
      baseVersion: latest?.version ?? 0,
    },
  };
}

/** What a push signs: the tree it publishes over the skill's latest version `base`. */
export function pushChange(request: Pick<PushRequest, 'ref' | 'body' | 'frontmatter' | 'files'>, base: number): SignedChange {
  return { kind: 'push', ref: formatSkillRef(request.ref), tree: treeHash({ frontmatter: request.frontmatter ?? '', body: request.body, files: request.files ?? [] }), base };
}

/**
 * Why a push's signature cannot be right, whoever holds the key: missing,
 * malformed, not the pusher's, or made for another push (skill, tree or base).
 * Whether the key is the pusher's is the store's question (team/signed-changes.ts).
 */
export function pushSignatureProblem(request: PushRequest): string | undefined {
  if (request.signature === undefined) return 'the push is not signed: upgrade skillopt on this machine (pushes are signed since 0.6)';
  const shape = signatureShapeProblem(request.signature);
  if (shape) return shape;
  if (request.signature.signer !== request.pusher) return `the push is signed by ${request.signature.signer}, not by the pusher ${request.pusher}`;
  const base = request.base;
  if (!(typeof base === 'number' && Number.isSafeInteger(base) && base >= 0)) return 'the push names no base version for its signature';
  if (!signatureVerifies(pushChange(request, base), request.signature)) return "the push's signature does not verify: it was made for another skill, tree or base, or altered";
  return undefined;
}

/** The one line a refused push prints; `file` is the SKILL.md on the pusher's machine. */
export function pushRefusalMessage(refusal: PushRefusal, ref: SkillRef, file: string): string {
  const refText = formatSkillRef(ref);
  if (refusal.kind === 'moved') return `${refText} moved on to v${refusal.latest} while this push was signed over v${refusal.base}; push again`;
  if (refusal.kind === 'stale-base') {
    return (
      `${refText} is at v${refusal.latest} in the store but ${file} is based on v${refusal.basedOn}; ` +
      `run \`skillopt pull\` (your file is kept as SKILL.md.bak), merge your change and push again, or push with --force`
    );
  }
  const by = refusal.by === OPTIMIZER_NAME ? 'the optimizer (skillopt)' : refusal.by;
  return (
    `${refText} v${refusal.version} was published by ${by} after your last push, and ${file} has no \`version:\` saying it includes that change; ` +
    `run \`skillopt pull\` and edit and push the pulled ~/.claude/skills/${refText}/SKILL.md, or push with --force to overwrite v${refusal.latest}`
  );
}
