// Pull: install the latest version of every org skill as the folder
// <root>/<name>--<author> (SKILL.md and every file of its tree) and record it,
// file by file, in the manifest. Used by `skillopt pull` (cli/pull.ts) and by
// the SessionStart hook.
//
// Safety rules: a folder pull did not install (not in the manifest) is never
// touched; a version is installed whole or not at all (sync/install-tree.ts),
// a person's changes to installed files kept as <file>.bak; the manifest entry
// is written before a new folder appears, so an interrupted pull can always
// finish the install next time. A version is installed only when its
// signatures verify with the keys this machine pinned (sync/verify-version.ts);
// one that does not is refused and the installed one stays.
import { join } from 'node:path';
import { agentInstallRoots, type PullTarget } from '../agents/registry';
import { findEntry, isSafeDirName, removeEntry, upsertEntry } from '../core/manifest';
import type { InstallScope, Manifest } from '../core/manifest';
import { documentVersion, renderWithAuthorFrontmatter } from '../core/skill-document';
import { authorProblem, formatSkillRef, skillNameProblem, type SkillRef } from '../core/skill-ref';
import type { SkillSigners } from '../core/trust';
import { describeError } from '../core/describe-error';
import { contentCache } from '../local/content-cache';
import { lstatIfExists, readTextIfExists } from '../local/fs';
import { addPins, readPinnedKeys, type PinnedKeys } from '../local/pinned-keys';
import { recordPullRefusals } from '../local/pull-refusals';
import { currentUser, userHome } from '../local/home';
import { manifestPath, readManifestFile, withManifestLock, writeManifestFile } from '../local/manifest-file';
import { isStub, type ListedSkill, type SkillSource, type SkillVersion } from '../team/skill-source';
import { contentHash } from '../core/content-hash';
import { SKILL_FILE } from '../core/skill-tree';
import { clearStaging, installTree } from './install-tree';
import { checkVersion } from './verify-version';

export interface PullOptions {
  /** Where the skills come from: the backend seam (the store, or the central worker through Temporal). */
  source: SkillSource;
  /** Who pulls (default: this machine's user): the canary cohort gets a skill's candidate. */
  user?: string;
  scope?: InstallScope;
  /** Whose skills folder (default claude: ~/.claude/skills; codex: $CODEX_HOME/skills; agents: ~/.agents/skills). */
  agent?: PullTarget;
  /** The folder to install into, instead of the agent's (SessionStart: where this agent's skills were pulled). */
  root?: string;
  /** CODEX_HOME is read from here (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The project folder for scope "project". */
  cwd?: string;
  /** The user's home for scope "user" (default: $HOME). */
  home?: string;
  /** Where manifest.json lives. */
  skilloptHome: string;
  /** Rewrite every skill, even when the installed version is current. */
  force?: boolean;
  /** Report what would happen; write nothing (not even the manifest). */
  dryRun?: boolean;
  /** Stops between skills (the SessionStart hook pulls within a time budget). */
  signal?: AbortSignal;
  now?: () => Date;
}

/** `refused`: its signatures do not verify with the keys this machine pinned; nothing of it was installed. */
export type PullStatus = 'installed' | 'updated' | 'up-to-date' | 'skipped' | 'failed' | 'refused';

export interface PullItem {
  ref: string;
  name: string;
  author: string;
  /** The store's latest version. */
  version: number;
  /** The version found in the local SKILL.md before this pull, if any. */
  installedVersion?: number;
  status: PullStatus;
  /** Why it was skipped, failed or refused. */
  reason?: string;
  /** The skill's folder. */
  path: string;
  /** Installed files a person had changed, kept beside the new ones as <file>.bak. */
  kept?: string[];
  /** Contents fetched from the store for this install (the rest came from the installed folder or this machine's cache). */
  fetched?: { chunks: number; bytes: number };
}

export interface PullReport {
  scope: InstallScope;
  root: string;
  manifestPath: string;
  dryRun: boolean;
  /** True when the signal stopped the pull before every skill was handled. */
  aborted: boolean;
  items: PullItem[];
}

/** The folder pull installs into: the agent's (or the shared) user or project skills root. */
export function skillsRoot(scope: InstallScope, where: { cwd: string; home: string; env?: NodeJS.ProcessEnv }, agent: PullTarget = 'claude'): string {
  return agentInstallRoots(agent, { ...where, env: where.env ?? process.env })[scope];
}

/**
 * The installed SKILL.md: `name` is the full ref so the Skill tool's name and
 * the folder agree; `version` is what the next pull compares against.
 */
export function renderInstalledSkill(v: SkillVersion): string {
  return renderWithAuthorFrontmatter(
    v.frontmatter,
    { name: formatSkillRef(v), author: v.author, version: v.version, contributors: v.contributors, updated_at: v.createdAt },
    v.body,
  );
}

export async function pullSkills(options: PullOptions): Promise<PullReport> {
  const scope = options.scope ?? 'user';
  const root = options.root ?? skillsRoot(scope, { cwd: options.cwd ?? process.cwd(), home: options.home ?? userHome(), ...(options.env ? { env: options.env } : {}) }, options.agent);
  const mPath = manifestPath(options.skilloptHome);
  const dryRun = options.dryRun ?? false;
  const report: PullReport = { scope, root, manifestPath: mPath, dryRun, aborted: false, items: [] };

  const { source } = options;
  // The store is read before taking the lock: the lock is held for file writes only.
  // What the manifest says is installed here is sent along, so a remote source sends only what changed.
  const known = options.force ? undefined : installedVersions(await readManifestFile(mPath).catch(() => undefined), root);
  const versions = await source.list(options.user ?? currentUser(), known);
  if (dryRun) {
    await pullInto(report, versions, source, options, false);
    return report;
  }
  try {
    // One lock around the whole read-modify-write: sessions starting together each run a pull.
    await withManifestLock(mPath, () => pullInto(report, versions, source, options, true), { signal: options.signal });
  } catch (err) {
    if (options.signal?.aborted && report.items.length === 0) {
      report.aborted = true;
      return report;
    }
    throw err;
  }
  return report;
}

/** Ref → version of the skills the manifest records under `root`. */
function installedVersions(manifest: Manifest | undefined, root: string): Map<string, number> {
  return new Map((manifest?.entries ?? []).filter((e) => e.root === root).map((e) => [e.dirName, e.version]));
}

/**
 * The source, with the signers of every skill a pull may install asked for at
 * once, before the loop that installs them one by one: through Temporal they
 * go together in a few requests (SessionStart's auto-pull has seconds).
 */
function withSignersAhead(source: SkillSource, listed: readonly SkillRef[]): Pick<SkillSource, 'signers' | 'getVersion'> {
  const ahead = new Map<string, Promise<SkillSigners>>();
  for (const ref of listed) {
    const read = source.signers(ref);
    // A failed read is the check's to report, when it gets there.
    read.catch(() => undefined);
    ahead.set(formatSkillRef(ref), read);
  }
  return {
    signers: (ref) => ahead.get(formatSkillRef(ref)) ?? source.signers(ref),
    getVersion: (ref, version) => source.getVersion(ref, version),
  };
}

/** The pull itself; with `write`, the caller holds the manifest lock. */
async function pullInto(report: PullReport, versions: ListedSkill[], source: SkillSource, options: PullOptions, write: boolean): Promise<void> {
  const { root, scope, manifestPath: mPath } = report;
  const now = options.now ?? (() => new Date());
  let manifest: Manifest = await readManifestFile(mPath);
  const save = async (next: Manifest): Promise<void> => {
    if (write) await writeManifestFile(mPath, next);
    manifest = next;
  };

  // What a pull that died midway staged (the lock is held: no other pull is staging now).
  if (write) await clearStaging(root);
  const cache = contentCache(options.skilloptHome);
  // Read once; what each skill's check pins is used by the next ones, and written at the end.
  const pinned: PinnedKeys = await readPinnedKeys(options.skilloptHome);
  const newPins: PinnedKeys = {};
  const checked = withSignersAhead(source, versions.filter((v) => !isStub(v)));

  // Entries whose folder was deleted by the user: drop them, the skill is reinstalled below as new.
  const orphans: string[] = [];
  for (const e of manifest.entries) {
    if (e.root === root && !(await lstatIfExists(join(root, e.dirName)))) orphans.push(e.dirName);
  }
  if (orphans.length > 0 && write) await save(orphans.reduce((acc, d) => removeEntry(acc, root, d), manifest));

  for (const listed of versions) {
    let v: ListedSkill = listed;
    if (options.signal?.aborted) {
      report.aborted = true;
      break;
    }
    const ref = formatSkillRef(v);
    const dir = join(root, ref);
    const item: PullItem = { ref, name: v.name, author: v.author, version: v.version, status: 'skipped', path: dir };
    report.items.push(item);

    // The store validates too, but a folder name from the database must never escape the root.
    const invalid = skillNameProblem(v.name) ?? authorProblem(v.author) ?? (isSafeDirName(ref) ? undefined : 'unsafe folder name');
    if (invalid) {
      item.reason = `not a valid skill ref in the store: ${invalid}`;
      continue;
    }

    try {
      let entry = findEntry(manifest, root, ref);
      const existing = await lstatIfExists(dir);
      if (existing?.isSymbolicLink()) {
        item.reason = `${dir} is a symbolic link; pull only writes folders it created`;
        continue;
      }
      if (existing && !existing.isDirectory()) {
        item.reason = `${dir} is not a folder; remove it to install this skill`;
        continue;
      }

      const installedText = existing ? await readTextIfExists(join(dir, 'SKILL.md')) : undefined;
      const installedVersion = installedText === undefined ? undefined : documentVersion(installedText);
      if (installedVersion !== undefined) item.installedVersion = installedVersion;

      if (isStub(v)) {
        // Listed without its body (the manifest says this version is installed): fetched only when the file says otherwise.
        if (installedText !== undefined && installedVersion !== undefined && installedVersion === v.version && entry && !options.force) {
          item.status = 'up-to-date';
          if (entry.version !== installedVersion && write) await save(upsertEntry(manifest, { ...entry, version: installedVersion }));
          continue;
        }
        const whole = await source.getVersion(v, v.version);
        if (!whole) throw new Error(`${ref} v${v.version} is no longer in the store`);
        v = whole;
        item.version = whole.version;
      }
      const full: SkillVersion = v;

      if (existing && !entry) {
        // A folder holding exactly what pull writes was installed by a pull whose
        // manifest entry was lost (older builds raced): adopt it instead of skipping it forever.
        const pulled = installedVersion === undefined ? undefined : await pulledVersionMatching(source, full, installedVersion, installedText);
        if (!pulled) {
          item.reason = `${dir} exists but was not installed by skillopt pull; move it away to install this skill`;
          continue;
        }
        // Its SKILL.md is exactly what pull wrote: recorded as such, so an update keeps no .bak of it.
        const files = { [SKILL_FILE]: contentHash(Buffer.from(installedText!, 'utf8')) };
        entry = { dirName: ref, name: v.name, author: v.author, version: pulled, scope, root, pulledAt: now().toISOString(), files };
        await save(upsertEntry(manifest, entry));
      }

      const newEntry = {
        dirName: ref,
        name: v.name,
        author: v.author,
        version: v.version,
        scope,
        root,
        pulledAt: now().toISOString(),
        ...(full.state === 'candidate' ? { candidate: true as const } : {}),
        // What the install will hold, known before it is written: a claim or a repair records it.
        files: installedFiles(full),
      };
      // Equal, not "at least": a reverted candidate sends the cohort back to the older stable version.
      if (installedText !== undefined && installedVersion !== undefined && installedVersion === v.version && !options.force) {
        item.status = 'up-to-date';
        // Repairs an entry left behind when a previous pull swapped the folder in but did not write the manifest.
        if (entry && entry.version !== installedVersion && write) await save(upsertEntry(manifest, { ...entry, version: installedVersion, files: newEntry.files }));
        continue;
      }
      item.status = installedText === undefined ? 'installed' : 'updated';
      const verdict = await checkVersion(checked, full, pinned);
      Object.assign(pinned, verdict.pins);
      Object.assign(newPins, verdict.pins);
      if (!verdict.trust.trusted) {
        item.status = 'refused';
        const stays = installedVersion === undefined ? '' : `; the installed v${installedVersion} stays`;
        item.reason = `${verdict.trust.why}${stays}`;
        continue;
      }
      if (!write) continue;

      if (!existing) {
        // Claim the folder first: a crash between the install and the manifest
        // write would otherwise leave a folder pull no longer considers its own.
        await save(upsertEntry(manifest, newEntry));
      }
      let installed;
      try {
        installed = await installTree({
          root,
          ref,
          skillText: renderInstalledSkill(full),
          files: full.files,
          installed: existing ? (entry?.files ? { files: entry.files } : { legacy: true }) : undefined,
          source,
          cache,
        });
      } catch (err) {
        if (!existing) await save(removeEntry(manifest, root, ref)).catch(() => undefined);
        throw err;
      }
      if (installed.kept.length > 0) item.kept = installed.kept;
      item.fetched = installed.fetched;
      try {
        await save(upsertEntry(manifest, newEntry));
      } catch (err) {
        // The folder is already claimed; its recorded version is repaired by the next pull.
        item.reason = `installed, but the manifest was not updated: ${describeError(err)}`;
      }
    } catch (err) {
      item.status = 'failed';
      item.reason = describeError(err);
    }
  }
  if (write) {
    await clearStaging(root);
    await addPins(options.skilloptHome, newPins);
    const refused = report.items.filter((i) => i.status === 'refused');
    // For `doctor` only: the pull itself already says why, so a failure to record it fails nothing.
    await recordPullRefusals(
      options.skilloptHome,
      root,
      report.aborted ? report.items.map((i) => i.ref) : versions.map((v) => formatSkillRef(v)),
      refused.map((i) => ({ ref: i.ref, version: i.version, why: i.reason ?? 'refused', at: now().toISOString() })),
    ).catch(() => undefined);
  }
}

/** Path → content hash of everything pull installs for `v`, SKILL.md included (the manifest's record of an install). */
function installedFiles(v: SkillVersion): Record<string, string> {
  const files: Record<string, string> = Object.fromEntries(v.files.map((f) => [f.path, f.hash]));
  files[SKILL_FILE] = contentHash(Buffer.from(renderInstalledSkill(v), 'utf8'));
  return files;
}

/** `version` when `text` is byte for byte what pull installs for that version of the skill, else undefined. */
async function pulledVersionMatching(source: SkillSource, latest: SkillVersion, version: number, text: string | undefined): Promise<number | undefined> {
  if (text === undefined || version > latest.version) return undefined;
  const at = version === latest.version ? latest : await source.getVersion(latest, version);
  return at && renderInstalledSkill(at) === text ? version : undefined;
}
