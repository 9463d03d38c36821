// The diff of two versions of a skill, file by file, shared by `skillopt skills
// diff` and the dashboard: SKILL.md (its frontmatter as the author wrote it,
// and its body), then every file added, removed or changed, as a unified diff
// for text and as "binary, size a → b" otherwise.
import { createTwoFilesPatch } from 'diff';
import { diffTrees, fileChunks, type FileChange, type TreeFile } from '../core/skill-tree';
import type { SkillSource, SkillVersion } from '../team/skill-source';

/** Text files larger than this are summarized by size, like binaries: a diff of them would not be read. */
const MAX_TEXT_DIFF_BYTES = 1024 * 1024;

export interface FileDiff {
  path: string;
  kind: FileChange['kind'];
  /** Binary (or too large to show): summarized by size. */
  binary: boolean;
  sizeBefore?: number;
  sizeAfter?: number;
  executableBefore?: boolean;
  executableAfter?: boolean;
}

export interface VersionDiff {
  bodyChanged: boolean;
  descriptionChanged: boolean;
  frontmatterChanged: boolean;
  files: FileDiff[];
  /** Every change as one unified-diff text. */
  patch: string;
}

/**
 * What `diff` compares of SKILL.md: the author's frontmatter and the body.
 * Version, dates and contributors always differ, so they are left out.
 */
function versionedText(v: SkillVersion): string {
  return `---\n${v.frontmatter}\n---\n\n${v.body.trim()}\n`;
}

/** UTF-8 without NUL bytes: what git would show as text. */
function asText(bytes: Uint8Array): string | undefined {
  if (bytes.length > MAX_TEXT_DIFF_BYTES || bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

const mode = (executable: boolean) => (executable ? '755' : '644');

/** The diff of two versions; the contents of changed files come from `source` (only theirs are read). */
export async function diffVersions(ref: string, from: SkillVersion, to: SkillVersion, source: Pick<SkillSource, 'contents'>): Promise<VersionDiff> {
  const a = `${ref}@v${from.version}`;
  const b = `${ref}@v${to.version}`;
  const parts = [createTwoFilesPatch(`${a}/SKILL.md`, `${b}/SKILL.md`, versionedText(from), versionedText(to), from.createdAt, to.createdAt)];
  const changes = diffTrees(from.files, to.files);

  const small = (f: TreeFile | undefined) => (f && f.size <= MAX_TEXT_DIFF_BYTES ? fileChunks(f) : []);
  const chunks = await source.contents([...new Set(changes.flatMap((c) => [...small('before' in c ? c.before : undefined), ...small('after' in c ? c.after : undefined)]))]);
  const bytesOf = (f: TreeFile | undefined): Uint8Array | undefined => {
    if (!f || f.size > MAX_TEXT_DIFF_BYTES) return undefined;
    const pieces = fileChunks(f).map((h) => chunks.get(h));
    return pieces.every((p) => p !== undefined) ? Buffer.concat(pieces as Uint8Array[]) : undefined;
  };

  const files: FileDiff[] = [];
  for (const change of changes) {
    const before = 'before' in change ? change.before : undefined;
    const after = 'after' in change ? change.after : undefined;
    const beforeBytes = before ? bytesOf(before) : new Uint8Array();
    const afterBytes = after ? bytesOf(after) : new Uint8Array();
    const beforeText = beforeBytes && asText(beforeBytes);
    const afterText = afterBytes && asText(afterBytes);
    const binary = beforeText === undefined || afterText === undefined;
    files.push({
      path: change.path,
      kind: change.kind,
      binary,
      ...(before ? { sizeBefore: before.size, executableBefore: before.executable } : {}),
      ...(after ? { sizeAfter: after.size, executableAfter: after.executable } : {}),
    });
    const left = before ? `${a}/${change.path}` : '/dev/null';
    const right = after ? `${b}/${change.path}` : '/dev/null';
    if (before && after && before.executable !== after.executable) parts.push(`mode ${change.path}: ${mode(before.executable)} → ${mode(after.executable)}\n`);
    if (binary) {
      const size = (f: TreeFile | undefined) => (f ? `${f.size} bytes` : 'none');
      if (!before || !after || before.hash !== after.hash) parts.push(`binary ${change.path} (${change.kind}): size ${size(before)} → ${size(after)}\n`);
    } else if (!before || !after || before.hash !== after.hash) {
      parts.push(createTwoFilesPatch(left, right, beforeText, afterText));
    }
  }
  return {
    bodyChanged: from.body !== to.body,
    descriptionChanged: from.description !== to.description,
    frontmatterChanged: from.frontmatter !== to.frontmatter,
    files,
    patch: parts.join(''),
  };
}
