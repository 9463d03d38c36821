// A shared skill is identified by <name>--<author>: the directory pull installs,
// the Skill tool's argument in Claude Code, and (prefixed) the workflow id.
//
// Names are strict kebab case, so they can never contain "--": the ref is split
// at the FIRST "--", and an author may itself contain "--" (the seed split at the
// last one and mis-parsed such authors). Names are never shortened, so a long
// name round-trips unchanged through push, pull and the workflow id.

export interface SkillRef {
  name: string;
  author: string;
}

export const MAX_NAME_LENGTH = 100;
export const MAX_AUTHOR_LENGTH = 64;
const NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const AUTHOR_PATTERN = /^[A-Za-z0-9_.@-]+$/;
const WORKFLOW_ID_PREFIX = 'skill:';

export class InvalidSkillRefError extends Error {
  override name = 'InvalidSkillRefError';
}

/** Why a skill name is invalid, or undefined when it is valid. */
export function skillNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'skill name is empty';
  if (name.length > MAX_NAME_LENGTH) return `skill name is longer than ${MAX_NAME_LENGTH} characters`;
  if (!NAME_PATTERN.test(name)) return `skill name "${name}" must be kebab case (a-z, 0-9 and single hyphens)`;
  return undefined;
}

/** Why an author is invalid, or undefined when it is valid. */
export function authorProblem(author: string): string | undefined {
  if (author.length === 0) return 'author is empty';
  if (author.length > MAX_AUTHOR_LENGTH) return `author is longer than ${MAX_AUTHOR_LENGTH} characters`;
  if (!AUTHOR_PATTERN.test(author)) return `author "${author}" may only contain A-Z, a-z, 0-9, "_", ".", "@" and "-"`;
  if (author === '.' || author === '..' || author.includes('..')) return `author "${author}" may not contain ".."`;
  return undefined;
}

export function validateSkillRef(ref: SkillRef): SkillRef {
  const problem = skillNameProblem(ref.name) ?? authorProblem(ref.author);
  if (problem) throw new InvalidSkillRefError(problem);
  return ref;
}

/** Parses "<name>--<author>"; throws InvalidSkillRefError with a one-line reason. */
export function parseSkillRef(ref: string): SkillRef {
  const at = ref.indexOf('--');
  if (at <= 0 || at + 2 >= ref.length) {
    throw new InvalidSkillRefError(`"${ref}" is not a shared skill ref; expected <name>--<author>`);
  }
  return validateSkillRef({ name: ref.slice(0, at), author: ref.slice(at + 2) });
}

/** Like parseSkillRef, but undefined instead of an error (for hooks and scanners). */
export function tryParseSkillRef(ref: string): SkillRef | undefined {
  try {
    return parseSkillRef(ref);
  } catch {
    return undefined;
  }
}

export function formatSkillRef(ref: SkillRef): string {
  return `${ref.name}--${ref.author}`;
}

export function workflowIdForSkill(ref: SkillRef): string {
  return WORKFLOW_ID_PREFIX + formatSkillRef(ref);
}

export function skillRefFromWorkflowId(workflowId: string): SkillRef {
  if (!workflowId.startsWith(WORKFLOW_ID_PREFIX)) {
    throw new InvalidSkillRefError(`"${workflowId}" is not a skill workflow id`);
  }
  return parseSkillRef(workflowId.slice(WORKFLOW_ID_PREFIX.length));
}

const INVOCATION_ID_PREFIX = 'invocation:';

/** "invocation:<name>--<author>:<session id>:<tool_use id>": one workflow per armed invocation. */
export function workflowIdForInvocation(ref: SkillRef, sessionId: string, toolUseId: string): string {
  return `${INVOCATION_ID_PREFIX}${formatSkillRef(ref)}:${sessionId}:${toolUseId}`;
}
