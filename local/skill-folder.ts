// Reading a skill's folder for push: SKILL.md's text and every other file as a
// TreeFile (core/skill-tree.ts), skipping what skills never ship and what the
// folder's .skilloptignore names (gitignore syntax). Refuses, in one line and
// before anything is sent, what could not arrive intact on a teammate's
// machine: a symbolic link out of the folder, a special file, a path that is
// not portable, a file or a folder over the limits.
import { lstat, readFile, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { treeFileOf } from '../core/content-hash';
import { DEFAULT_TREE_LIMITS, SKILL_FILE, caseClash, sortTree, treePathProblem, type TreeFile, type TreeLimits } from '../core/skill-tree';
import { isErrno } from './fs';

/** The folder's own ignore file, read from its root. */
export const IGNORE_FILE = '.skilloptignore';

/**
 * What skills never ship: version control, dependencies and caches, OS and
 * editor droppings, and the `.bak` copies pull keeps of local changes.
 */
const NEVER_SHIPPED = ['.git/', '.hg/', '.svn/', 'node_modules/', '__pycache__/', '*.pyc', '.DS_Store', 'Thumbs.db', '*.swp', '*.swo', '*~', '.#*', '#*#', '*.bak'];

/** A file of the folder, with where it is on this machine (push reads its chunks again to upload them). */
export interface FolderFile extends TreeFile {
  absolute: string;
}

export interface SkillFolder {
  dir: string;
  /** <dir>/SKILL.md */
  skillFile: string;
  text: string;
  /** Every other file, sorted by path. */
  files: FolderFile[];
}

/** A folder push refuses, with the one line that says why and what to do. */
export class SkillFolderError extends Error {
  override name = 'SkillFolderError';
}

const MIB = 1024 * 1024;

/** The limits push applies: the defaults, or SKILLOPT_MAX_FILE_MB, SKILLOPT_MAX_SKILL_MB and SKILLOPT_MAX_SKILL_FILES. */
export function treeLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): TreeLimits {
  const read = (name: string, fallback: number, scale: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new SkillFolderError(`${name} must be a number above 0, got "${raw}"`);
    return Math.floor(n * scale);
  };
  return {
    fileBytes: read('SKILLOPT_MAX_FILE_MB', DEFAULT_TREE_LIMITS.fileBytes, MIB),
    versionBytes: read('SKILLOPT_MAX_SKILL_MB', DEFAULT_TREE_LIMITS.versionBytes, MIB),
    files: read('SKILLOPT_MAX_SKILL_FILES', DEFAULT_TREE_LIMITS.files, 1),
  };
}

const mib = (bytes: number) => `${(bytes / MIB).toFixed(bytes % MIB === 0 ? 0 : 1)} MiB`;

/** Reads `dir` (a skill folder) whole; throws SkillFolderError with a one-line reason. */
export async function readSkillFolder(dir: string, limits: TreeLimits = DEFAULT_TREE_LIMITS): Promise<SkillFolder> {
  const skillFile = join(dir, SKILL_FILE);
  const skillStat = await lstat(skillFile).catch((err: unknown) => {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) throw new SkillFolderError(`${skillFile} does not exist; a skill folder must hold a SKILL.md`);
    throw err;
  });
  if (!skillStat.isFile()) throw new SkillFolderError(`${skillFile} is not a regular file`);
  const text = await readFile(skillFile, 'utf8');

  const root = await realpath(dir);
  const rules = ignore().add(NEVER_SHIPPED);
  const ignoreText = await readFile(join(dir, IGNORE_FILE), 'utf8').catch((err: unknown) => {
    if (isErrno(err, 'ENOENT')) return '';
    throw err;
  });
  rules.add(ignoreText);

  const files: FolderFile[] = [];
  let total = 0;
  const walk = async (folder: string): Promise<void> => {
    const entries = (await readdir(folder, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const absolute = join(folder, entry.name);
      const path = relative(dir, absolute).split(sep).join('/');
      if (path === SKILL_FILE) continue;
      if (isIgnored(rules, path, entry.isDirectory())) continue;
      const problem = treePathProblem(path);
      if (problem) throw new SkillFolderError(`${absolute}: ${problem}; rename it, or list it in ${IGNORE_FILE}`);

      let info = await lstat(absolute);
      if (info.isSymbolicLink()) {
        const target = await realpath(absolute).catch(() => undefined);
        if (target === undefined || (target !== root && !target.startsWith(root + sep))) {
          throw new SkillFolderError(`${absolute} is a symbolic link to a place outside the skill folder; copy what it points to into the folder, or list it in ${IGNORE_FILE}`);
        }
        info = await stat(absolute);
        if (info.isDirectory()) throw new SkillFolderError(`${absolute} is a symbolic link to a folder; skills share files, so copy the folder or list the link in ${IGNORE_FILE}`);
      }
      if (info.isDirectory()) {
        await walk(absolute);
        continue;
      }
      if (!info.isFile()) throw new SkillFolderError(`${absolute} is a special file (a FIFO, socket or device), which no skill can share; remove it or list it in ${IGNORE_FILE}`);
      if (files.length + 1 > limits.files) {
        throw new SkillFolderError(`${dir} holds more than ${limits.files} files besides SKILL.md; list what it does not ship in ${IGNORE_FILE}, or raise SKILLOPT_MAX_SKILL_FILES`);
      }
      if (info.size > limits.fileBytes) {
        throw new SkillFolderError(`${absolute} is ${mib(info.size)}, over the ${mib(limits.fileBytes)} a file; list it in ${IGNORE_FILE}, or raise SKILLOPT_MAX_FILE_MB`);
      }
      total += info.size;
      if (total > limits.versionBytes) {
        throw new SkillFolderError(`${dir} holds more than ${mib(limits.versionBytes)} of files; list what it does not ship in ${IGNORE_FILE}, or raise SKILLOPT_MAX_SKILL_MB`);
      }
      const bytes = await readFile(absolute);
      files.push({ ...treeFileOf(path, bytes, (info.mode & 0o111) !== 0), absolute });
    }
  };
  await walk(dir);

  const clash = caseClash(files.map((f) => f.path));
  if (clash) throw new SkillFolderError(`${join(dir, clash[0])} and ${clash[1]} differ only by case, so they are one file on macOS and Windows; rename one`);
  return { dir, skillFile, text, files: sortTree(files) };
}

function isIgnored(rules: Ignore, path: string, directory: boolean): boolean {
  return rules.ignores(directory ? `${path}/` : path);
}
