// A skill version is a tree: SKILL.md (kept on the version row as its
// frontmatter and body) plus every other file of the skill's folder, each with
// its relative path, executable bit, size and content hash. Contents are
// stored once by hash, in chunks of CHUNK_BYTES, so no chunk comes near
// Temporal's payload limit. Pure: paths, limits, comparison and per-file diffs.

/** One file of a version's tree other than SKILL.md. */
export interface TreeFile {
  /** Relative to the skill's folder, `/`-separated, portable (treePathProblem). */
  path: string;
  size: number;
  executable: boolean;
  /** SHA-256 of the whole content, lowercase hex. */
  hash: string;
  /** The content's chunks (each CHUNK_BYTES but the last), when more than one; absent: the one chunk is `hash`. */
  chunks?: string[];
}

/** Contents move and are stored in pieces of this size: far below Temporal's 2 MiB payload limit, even as base64 twice in a history. */
export const CHUNK_BYTES = 256 * 1024;

/** The file every skill folder holds; not a TreeFile (the version row keeps it). */
export const SKILL_FILE = 'SKILL.md';

/** What push accepts; each settable (SKILLOPT_MAX_FILE_MB, SKILLOPT_MAX_SKILL_MB, SKILLOPT_MAX_SKILL_FILES). */
export interface TreeLimits {
  fileBytes: number;
  versionBytes: number;
  files: number;
}

export const DEFAULT_TREE_LIMITS: TreeLimits = { fileBytes: 10 * 1024 * 1024, versionBytes: 50 * 1024 * 1024, files: 1000 };

/** What the store and the lane accept whatever a pusher's settings: push's limits are raised up to these. */
export const STORE_TREE_LIMITS: TreeLimits = { fileBytes: 100 * 1024 * 1024, versionBytes: 500 * 1024 * 1024, files: 5000 };

/**
 * The most a tree's listing may take as JSON: it travels whole in a push and in
 * a read reply, each far below Temporal's 2 MiB payload limit. 1,000 files
 * with ordinary paths list in about 150 KB.
 */
export const MAX_TREE_LISTING_BYTES = 1024 * 1024;

/** The longest relative path a tree holds (characters). */
export const MAX_TREE_PATH_CHARS = 400;

export function fileChunks(file: Pick<TreeFile, 'hash' | 'chunks'>): string[] {
  return file.chunks ?? [file.hash];
}

/** How many bytes chunk `index` of a file of `size` bytes holds. */
export function chunkSize(size: number, index: number): number {
  return Math.max(0, Math.min(CHUNK_BYTES, size - index * CHUNK_BYTES));
}

export function isContentHash(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

/**
 * Why a relative path cannot be shared with every teammate's machine, or
 * undefined: it must stay inside the folder and mean the same on every OS.
 */
export function treePathProblem(path: string): string | undefined {
  if (path.length === 0) return 'an empty path';
  if (path.length > MAX_TREE_PATH_CHARS) return `a path over ${MAX_TREE_PATH_CHARS} characters`;
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'an absolute path';
  if (path.includes('\\')) return 'a backslash in the path';
  if ([...path].some((c) => c.charCodeAt(0) < 0x20) || /[<>:"|?*]/.test(path)) return 'a character that is not portable (control, <, >, :, ", |, ?, *)';
  for (const part of path.split('/')) {
    if (part === '' || part === '.' || part === '..') return `a path part "${part}"`;
    if (/[ .]$/.test(part)) return 'a name ending in a space or a dot';
  }
  return undefined;
}

/** The first two paths that differ only by case (one folder on macOS and Windows), or undefined. */
export function caseClash(paths: readonly string[]): [string, string] | undefined {
  const seen = new Map<string, string>();
  for (const path of paths) {
    // Every prefix folder too: `A/x` and `a/y` clash on a case-insensitive disk.
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      const key = prefix.toLowerCase();
      const other = seen.get(key);
      if (other !== undefined && other !== prefix) return [other, prefix];
      seen.set(key, prefix);
    }
  }
  return undefined;
}

/** Files by path, sorted: the canonical order of a tree. */
export function sortTree<T extends { path: string }>(files: readonly T[]): T[] {
  return [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Same paths, contents and executable bits. */
export function sameTree(a: readonly TreeFile[], b: readonly TreeFile[]): boolean {
  if (a.length !== b.length) return false;
  const x = sortTree(a);
  const y = sortTree(b);
  return x.every((f, i) => f.path === y[i]!.path && f.hash === y[i]!.hash && f.executable === y[i]!.executable);
}

export function treeBytes(files: readonly TreeFile[]): number {
  return files.reduce((sum, f) => sum + f.size, 0);
}

/** How a file differs between two trees. */
export type FileChange =
  | { kind: 'added'; path: string; after: TreeFile }
  | { kind: 'removed'; path: string; before: TreeFile }
  | { kind: 'changed'; path: string; before: TreeFile; after: TreeFile };

/** Added, removed and changed files (content or executable bit), by path. */
export function diffTrees(before: readonly TreeFile[], after: readonly TreeFile[]): FileChange[] {
  const old = new Map(before.map((f) => [f.path, f]));
  const now = new Map(after.map((f) => [f.path, f]));
  const changes: FileChange[] = [];
  const paths = [...new Set([...old.keys(), ...now.keys()])].sort();
  for (const path of paths) {
    const b = old.get(path);
    const a = now.get(path);
    if (b && !a) changes.push({ kind: 'removed', path, before: b });
    else if (!b && a) changes.push({ kind: 'added', path, after: a });
    else if (b && a && (b.hash !== a.hash || b.executable !== a.executable)) changes.push({ kind: 'changed', path, before: b, after: a });
  }
  return changes;
}

/** Why a tree sent by a pusher cannot be stored, or undefined (the store and the lane's validator check it). */
export function treeProblem(files: readonly unknown[], limits: TreeLimits = STORE_TREE_LIMITS): string | undefined {
  if (files.length > limits.files) return `the skill has ${files.length} files besides SKILL.md; the limit is ${limits.files}`;
  const paths = new Set<string>();
  let total = 0;
  for (const raw of files) {
    const f = raw as Partial<TreeFile>;
    if (typeof f !== 'object' || f === null || typeof f.path !== 'string') return 'a file of the tree has no path';
    const pathIssue = treePathProblem(f.path);
    if (pathIssue) return `${f.path}: ${pathIssue}`;
    if (f.path === SKILL_FILE) return `${SKILL_FILE} is not a file of the tree (the version holds it)`;
    if (paths.has(f.path)) return `${f.path} is listed twice`;
    paths.add(f.path);
    if (typeof f.size !== 'number' || !Number.isSafeInteger(f.size) || f.size < 0) return `${f.path}: its size is not a whole number of bytes`;
    if (f.size > limits.fileBytes) return `${f.path} is ${f.size} bytes; the limit is ${limits.fileBytes} bytes a file`;
    if (typeof f.executable !== 'boolean') return `${f.path}: its executable bit is not true or false`;
    if (!isContentHash(f.hash)) return `${f.path}: its hash is not a SHA-256`;
    const chunks = f.chunks ?? [f.hash];
    if (!Array.isArray(chunks) || !chunks.every(isContentHash)) return `${f.path}: a chunk hash is not a SHA-256`;
    const expected = Math.max(1, Math.ceil(f.size / CHUNK_BYTES));
    if (chunks.length !== expected) return `${f.path}: ${chunks.length} chunks for ${f.size} bytes, expected ${expected}`;
    if (f.chunks !== undefined && f.chunks.length === 1) return `${f.path}: a one-chunk file lists no chunks`;
    total += f.size;
  }
  if (total > limits.versionBytes) return `the skill's files are ${total} bytes; the limit is ${limits.versionBytes} bytes a version`;
  // Characters, not bytes (no Buffer in the workflow sandbox): a listing is ASCII but for its paths.
  const listing = JSON.stringify(files).length;
  if (listing > MAX_TREE_LISTING_BYTES) return `the list of the skill's files is ${listing} characters of JSON; the limit is ${MAX_TREE_LISTING_BYTES}: ship fewer files or shorter paths`;
  const clash = caseClash([...paths]);
  if (clash) return `${clash[0]} and ${clash[1]} differ only by case (one file on macOS and Windows)`;
  return undefined;
}
